"""The street labels under the detector's classes, and the real-cylinder cut-outs and scenes."""

from __future__ import annotations

import numpy as np
import pytest

from models.cutouts import canonical_hash, cut_out, group_near_duplicates, held_out
from models.cylinder_scenes import cylinder_height_px, paste_group, visible
from models.street import remap_rows, scene_kind, source_classes

NAMES = ("gas_cylinder", "waste", "dust", "overflow")


@pytest.mark.parametrize(
    ("source", "want"),
    [
        ("0 0.5 0.5 0.2 0.2", ["1 0.5 0.5 0.2 0.2"]),  # garbage -> waste
        ("2 0.1 0.2 0.3 0.4", ["3 0.1 0.2 0.3 0.4"]),  # overflow -> overflow
        ("1 0.5 0.5 0.2 0.2", []),  # a bin: background
        ("1 0.5 0.5 0.2 0.2\n\n0 0.4 0.4 0.1 0.1\n", ["1 0.4 0.4 0.1 0.1"]),
        ("", []),
    ],
)
def test_street_rows_map_to_detector_classes(source: str, want: list[str]) -> None:
    assert remap_rows(source, NAMES) == want


@pytest.mark.parametrize("bad", ["3 0.5 0.5 0.1 0.1", "0 0.5 0.5", "-1 0.5 0.5 0.1 0.1"])
def test_street_rows_refuse_what_they_cannot_map(bad: str) -> None:
    with pytest.raises(ValueError, match="line 1"):
        remap_rows(bad, NAMES)


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1", "garbage"),
        ("2 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1", "overflow"),
        ("1 0.5 0.5 0.2 0.2", "bins"),
        ("", "clean"),
    ],
)
def test_scene_kind(source: str, kind: str) -> None:
    assert scene_kind(source_classes(source)) == kind


def _bottle(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((120, 60, 3), rng.integers(0, 255, 3), np.uint8)
    img[10:115, 12:48] = rng.integers(0, 255, 3)
    img[0:10, 25:35] = 30
    return img


def test_flipped_and_turned_copies_hash_alike_and_group_together() -> None:
    a, b = _bottle(1), _bottle(2)
    hashes = [canonical_hash(x) for x in (a, a[:, ::-1], np.rot90(a).copy(), b)]
    assert hashes[0] == hashes[1] == hashes[2]
    groups = group_near_duplicates(hashes)
    assert groups[0] == groups[1] == groups[2] != groups[3]


def test_held_out_takes_whole_groups() -> None:
    groups = [0, 0, 0, 1, 2, 3, 3, 4, 5, 6]
    out = held_out(groups, 0.3, seed=3)
    chosen = [i for i, g in enumerate(groups) if g in out]
    assert 3 <= len(chosen) <= 5
    assert all((g in out) == (groups[i] in out) for i, g in enumerate(groups))


def test_cut_out_keeps_the_bottle_and_drops_the_background() -> None:
    cut = cut_out(_bottle(4))
    assert cut.alpha.shape == cut.bgr.shape[:2]
    h, w = cut.alpha.shape
    assert cut.alpha[h // 2, w // 2] > 0.9  # the body is kept
    assert h > 1.5 * w  # trimmed to a bottle's shape, not the whole crop


def test_size_follows_a_bin_on_the_same_foot_line() -> None:
    rng = np.random.default_rng(0)
    bin_box = (100.0, 200.0, 160.0, 300.0)  # 100 px tall bin standing at y = 300
    sizes = [cylinder_height_px(305.0, 480, [bin_box], rng) for _ in range(50)]
    assert min(sizes) >= 0.6 * 0.75 * 100 - 1
    assert max(sizes) <= 0.6 * 1.25 * 100 + 1
    # nearer the camera (lower in the frame) is larger, on the ground-plane estimate
    far = np.mean([cylinder_height_px(250.0, 480, [], np.random.default_rng(i)) for i in range(50)])
    near = np.mean(
        [cylinder_height_px(470.0, 480, [], np.random.default_rng(i)) for i in range(50)]
    )
    assert near > 1.5 * far


def test_hidden_back_row_bottles_are_not_labelled() -> None:
    back = (10.0, 10.0, 30.0, 50.0)
    front = (12.0, 12.0, 40.0, 60.0)  # covers nearly all of `back`
    assert visible([back, front]) == [front]
    assert visible([back, (25.0, 10.0, 45.0, 50.0)]) == [back, (25.0, 10.0, 45.0, 50.0)]


def test_a_group_pasted_into_a_photo_is_labelled_bottle_by_bottle() -> None:
    rng = np.random.default_rng(5)
    cuts = [cut_out(_bottle(s)) for s in range(4)]
    img = np.full((360, 480, 3), 120, np.uint8)
    boxes = paste_group(img, cuts, [], rng, 6)
    assert 3 <= len(boxes) <= 6
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= 480 and 0 <= y0 < y1 <= 360
        assert (y1 - y0) > (x1 - x0) * 0.8  # standing or leaning bottles, not lying
    assert (img != 120).any()
