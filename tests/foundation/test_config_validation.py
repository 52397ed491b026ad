"""Config validation: the sample passes; each broken case gets one line naming key, value, reason."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.config_problems import ConfigError
from hub.district import load_district
from hub.settings import load_hub_settings
from tests.conftest import CONFIGS, REPO

Mutation = Callable[[dict[str, Any]], None]


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".geojson" else yaml.safe_load(text)


def _save(path: Path, data: Any) -> None:
    if path.suffix == ".geojson":
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _feature(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(f for f in data["features"] if f["properties"]["code"] == code)


def _unknown_key(d: dict[str, Any]) -> None:
    d["cameras"][2]["zones"][0]["colour"] = "red"


def _out_of_range(d: dict[str, Any]) -> None:
    d["profiles"]["routine_4h"]["accept_min"] = 0


def _duplicate_grid(d: dict[str, Any]) -> None:
    _feature(d, "339901001001002")["properties"]["code"] = "339901001001001"


def _malformed_grid(d: dict[str, Any]) -> None:
    _feature(d, "339901001001002")["properties"]["code"] = "33990100100102"


def _overlap(d: dict[str, Any]) -> None:
    a = _feature(d, "339901001001001")
    b = _feature(d, "339901001001002")
    b["geometry"] = json.loads(json.dumps(a["geometry"]))
    ring = b["geometry"]["coordinates"][0]
    for p in ring:
        p[0] += 0.001


def _target_outside(d: dict[str, Any]) -> None:
    d["cameras"][4]["zones"][0]["target"] = {"lon": 121.5, "lat": 31.2}


def _no_department(d: dict[str, Any]) -> None:
    del d["categories"][1]["department"]


def _unknown_zone_category(d: dict[str, Any]) -> None:
    d["cameras"][0]["zones"][0]["categories"].append("09999")


def _unknown_grid_person(d: dict[str, Any]) -> None:
    d["people"][0]["grid_code"] = "339901009009009"


CASES: list[tuple[str, str, Mutation, str]] = [
    (
        "unknown key",
        "cameras.yaml",
        _unknown_key,
        "cameras.yaml: cameras[cam-03].zones[ground].colour: got 'red': unknown key",
    ),
    (
        "out-of-range number",
        "sla.yaml",
        _out_of_range,
        "sla.yaml: profiles.routine_4h.accept_min: got 0: Input should be greater than or equal to 1",
    ),
    (
        "duplicate grid code",
        "grids.geojson",
        _duplicate_grid,
        "grids.geojson: features[339901001001001].properties.code: got '339901001001001': duplicate grid code",
    ),
    (
        "malformed grid code",
        "grids.geojson",
        _malformed_grid,
        "grids.geojson: features[33990100100102].properties.code: got '33990100100102': grid code must be 15 digits",
    ),
    ("overlapping polygons", "grids.geojson", _overlap, "polygon overlaps grid 339901001001001"),
    (
        "target outside every grid",
        "cameras.yaml",
        _target_outside,
        "cameras.yaml: cameras[cam-05].zones[ground].target: got [121.5, 31.2]: target point is outside every grid",
    ),
    (
        "category without department",
        "categories.yaml",
        _no_department,
        "categories.yaml: categories[06036].department: required key is missing",
    ),
    (
        "camera with unknown zone category",
        "cameras.yaml",
        _unknown_zone_category,
        "cameras.yaml: cameras[cam-01].zones[ground].categories: got '09999': unknown category",
    ),
    (
        "roster person for unknown grid",
        "roster.yaml",
        _unknown_grid_person,
        "roster.yaml: people[p-339901001001001-m].grid_code: got '339901009009009': unknown grid",
    ),
]


@pytest.fixture
def district_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "district"
    shutil.copytree(CONFIGS / "district", dest)
    return dest


def test_sample_district_is_valid() -> None:
    d = load_district(CONFIGS / "district")
    basic = [g for g in d.grids.values() if g.kind == "basic"]
    assert len(d.streets) == 4
    assert len(d.communities) >= 16
    assert len(basic) >= 150
    assert sum(g.kind == "professional" for g in d.grids.values()) == 2
    assert len(d.cameras) >= 24
    assert set(d.categories) == {"06010", "06036", "08004", "08006", "06901", "06902"}
    # A camera whose pole stands in one grid and whose zone looks into another.
    across = [
        c
        for c in d.cameras.values()
        if d.grid_index.locate(c.mount.lon, c.mount.lat)
        != d.grid_index.locate(c.zones[0].target.lon, c.zones[0].target.lat)
    ]
    assert across


@pytest.mark.parametrize(("case", "file", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_district(
    district_copy: Path, case: str, file: str, mutate: Mutation, expected: str
) -> None:
    path = district_copy / file
    data = _load(path)
    mutate(data)
    _save(path, data)
    with pytest.raises(ConfigError) as err:
        load_district(district_copy)
    lines = str(err.value).splitlines()
    assert any(expected in line for line in lines), f"{case}: got {lines}"


def test_duplicate_yaml_key_is_an_error(district_copy: Path) -> None:
    path = district_copy / "calendar.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "timezone: UTC\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"calendar.yaml: line \d+, column 1: .*'timezone' appears twice"
    ):
        load_district(district_copy)


def test_hub_settings_unknown_key_and_env_override(tmp_path: Path) -> None:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text("district_dir: d\nredis: {url: redis://x:1/0, pool: 3}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"redis.pool: got 3: unknown key"):
        load_hub_settings(cfg)
    cfg.write_text("district_dir: d\nmqtt: {url: 'tcp://x'}\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"mqtt.url: got 'tcp://x': broker URL 'tcp://x' must start"
    ):
        load_hub_settings(cfg)
    settings = load_hub_settings(
        CONFIGS / "hub.yaml", env={"GRIDWALL_REDIS_URL": "redis://127.0.0.1:6390/3"}
    )
    assert settings.redis.url == "redis://127.0.0.1:6390/3"
    assert settings.district_dir == (CONFIGS / "district").resolve()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_validate_sample() -> None:
    hub = _cli("hub", "validate-config", "configs/hub.yaml")
    assert hub.returncode == 0, hub.stderr
    assert "160 grids + 2 professional, 24 cameras" in hub.stdout
    for box in ("edge-01", "edge-02", "edge-03", "edge-04"):
        edge = _cli("edge", "validate-config", f"configs/edge/{box}.yaml")
        assert edge.returncode == 0, edge.stderr
        assert f"box {box}" in edge.stdout


def test_cli_reports_problems_without_traceback(district_copy: Path, tmp_path: Path) -> None:
    path = district_copy / "cameras.yaml"
    data = _load(path)
    _unknown_key(data)
    _target_outside(data)
    _save(path, data)
    out = _cli("hub", "validate-config", str(district_copy))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "cameras[cam-03].zones[ground].colour: got 'red': unknown key" in out.stderr
    # Schema errors are reported first; cross-file checks run once every file parses.
    assert "1 problem(s)" in out.stderr
    edge_cfg = tmp_path / "edge.yaml"
    edge_cfg.write_text(
        "box_id: edge-09\ncameras_file: "
        + str(CONFIGS / "district/cameras.yaml")
        + "\ncategories_file: "
        + str(CONFIGS / "district/categories.yaml")
        + "\nstats_interval_s: 0\n",
        encoding="utf-8",
    )
    out = _cli("edge", "validate-config", str(edge_cfg))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "stats_interval_s: got 0: Input should be greater than or equal to 1" in out.stderr
