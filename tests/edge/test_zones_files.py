"""Zones, masks and thresholds (pure), and ``detect FILE`` on an image and a video."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from contracts.cameras import Camera
from contracts.categories import CategoryList
from contracts.config_problems import parse_yaml
from edge.detect_file import detect_file
from edge.detections import Detections
from edge.sources.base import Frame
from edge.tracker import Track
from edge.zones import CameraZones
from tests.edge.helpers import CATEGORIES, camera

NAMES = ("gas_cylinder", "waste", "dust")


def _zones(masks: list[list[list[float]]]) -> CameraZones:
    raw = camera(
        "cam-z",
        {"kind": "usb", "device": 0},
        wh=(640, 360),
        categories=("06010", "06036", "06901", "08004"),
    )
    raw["masks_norm"] = masks
    raw["zones"][0]["rules"] = {
        "min_confidence": 0.4,
        "class_confidence": {"waste": 0.6},
        "min_area_norm": 0.001,
    }
    cats = CategoryList.model_validate(parse_yaml(CATEGORIES.read_text(), "c")).by_code()
    return CameraZones(Camera.model_validate(raw), cats, NAMES, (640, 360))


def _t(box: tuple[float, float, float, float], cls: int, conf: float) -> Track:
    return Track(1, cls, box, conf, 0, 0, 3, box, 0, conf)


MASK = [[[0.5, 0.4], [1.0, 0.4], [1.0, 1.0], [0.5, 1.0]]]  # right half of the ground masked


@pytest.mark.parametrize(
    ("track", "rule", "counted"),
    [
        (_t((100, 200, 140, 260), 0, 0.5), "06901", True),  # cylinder standing in the zone
        (_t((100, 20, 140, 80), 0, 0.9), "06901", False),  # foot above the zone (sky)
        (_t((400, 200, 440, 260), 0, 0.9), "06901", False),  # in the masked half
        (_t((100, 200, 140, 260), 0, 0.3), "06901", False),  # under min_confidence
        (_t((100, 200, 140, 260), 1, 0.5), "06010", False),  # waste needs 0.6 (per class)
        (_t((100, 200, 140, 260), 1, 0.7), "06010", True),
        (_t((100, 250, 105, 255), 1, 0.9), "06010", False),  # smaller than min_area_norm
        (_t((100, 200, 140, 260), 1, 0.9), "06901", False),  # waste never counts as cylinders
    ],
)
def test_zone_membership(track: Track, rule: str, counted: bool) -> None:
    zones = _zones(MASK)
    geo = zones.zones[0]
    zr = next(r for r in geo.rules if r.category.code == rule)
    assert (zones.tracks_in(geo, zr, [track]) == [track]) is counted


def test_categories_without_a_detector_rule_are_not_watched() -> None:
    codes = {r.category.code for r in _zones([]).zones[0].rules}
    assert codes == {"06010", "06901", "08004"}  # 06036 has no detector classes


class BoxDetector:
    """A detector seam that always reports one waste box: tests the file plumbing only."""

    class_names: tuple[str, ...] = NAMES
    version: str = "seam"
    alert_confidence: dict[str, float] = {}  # noqa: RUF012  (a seam: read only)

    def detect(self, image: npt.NDArray[np.uint8], frame: Frame | None = None) -> Detections:
        h, w = image.shape[:2]
        return Detections.from_lists([(w * 0.25, h * 0.25, w * 0.5, h * 0.5)], [0.8], [1], (w, h))


def test_detect_file_image_and_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = tmp_path / "cam.png"
    cv2.imwrite(str(img), np.full((120, 160, 3), 90, np.uint8))
    out = detect_file(BoxDetector(), img)
    written = cv2.imread(str(out))
    assert out == tmp_path / "cam.detected.jpg" and written is not None
    assert written.shape == (120, 160, 3)
    assert "waste 0.80 xyxy=(40, 30, 80, 60)" in capsys.readouterr().out
    video = tmp_path / "cam.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (160, 120))
    for _ in range(3):
        writer.write(np.full((120, 160, 3), 90, np.uint8))
    writer.release()
    out = detect_file(BoxDetector(), video)
    printed = capsys.readouterr().out
    assert "frame 2: waste 0.80" in printed and "3 frames" in printed
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    cap.release()
    with pytest.raises(ValueError, match="cannot decode image"):
        bad = tmp_path / "bad.jpg"
        bad.write_bytes(b"not a jpeg")
        detect_file(BoxDetector(), bad)
