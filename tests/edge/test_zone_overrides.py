"""A box config's ``zones`` key (what the hub's zone editor pushes) replaces one camera's
zones and nothing else; a bad zone is refused by its path and reason. Table tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contracts.config_problems import ConfigError
from edge.settings import parse_edge_config
from tests.edge.helpers import box_config, camera

YARD = {
    "zone_id": "yard",
    "name": "yard",
    "polygon_norm": [[0.1, 0.5], [0.4, 0.5], [0.4, 0.9], [0.1, 0.9]],
    "categories": ["06901"],
    "target": {"lon": 120.31, "lat": 30.105},
}
BOW_TIE = [[0.1, 0.5], [0.4, 0.9], [0.4, 0.5], [0.1, 0.9]]


def _config(tmp_path: Path, zones: dict[str, Any] | None) -> dict[str, Any]:
    cams = [camera(c, {"kind": "synthetic", "preset": "street_corner"}) for c in ("cam-a", "cam-b")]
    body = box_config(tmp_path, "mqtt://127.0.0.1:1883", "gw", cams)
    if zones is not None:
        body["zones"] = zones
    return body


def test_zones_replace_one_cameras_zones_only(tmp_path: Path) -> None:
    cfg = parse_edge_config(_config(tmp_path, {"cam-a": [YARD]}), "test", tmp_path, env={})
    cams = {c.camera_id: c for c in cfg.cameras}
    assert [z.zone_id for z in cams["cam-a"].zones] == ["yard"]
    assert cams["cam-a"].zones[0].target.lon == 120.31
    assert [z.zone_id for z in cams["cam-b"].zones] == ["ground"]
    plain = parse_edge_config(_config(tmp_path, None), "test", tmp_path, env={})
    assert cams["cam-a"].stream == plain.cameras[0].stream  # the stream stays the box's own


@pytest.mark.parametrize(
    ("zones", "path", "reason"),
    [
        ({"cam-a": [YARD | {"polygon_norm": BOW_TIE}]}, "zones.cam-a[yard]", "crosses edge"),
        (
            {"cam-a": [YARD | {"polygon_norm": [[0.1, 0.5], [1.3, 0.5], [0.4, 0.9]]}]},
            "zones.cam-a[yard].polygon_norm",
            "less than or equal to 1",
        ),
        ({"cam-zz": [YARD]}, "zones.cam-zz", "not a camera of this box"),
        ({"cam-a": [YARD, YARD]}, "zones.cam-a", "zone id 'yard' appears twice"),
        ({"cam-a": [YARD | {"categories": ["99999"]}]}, "zones[yard].categories", "unknown"),
    ],
)
def test_bad_zones_are_refused_by_path(
    tmp_path: Path, zones: dict[str, Any], path: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_edge_config(_config(tmp_path, zones), "remote", tmp_path, env={})
    text = str(err.value)
    assert path in text and reason in text, text
