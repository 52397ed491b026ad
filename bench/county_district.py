"""A county-sized district for ``bench/county.py``: the sample district with its cameras
replaced by ``boxes × cameras_per_box`` made from them.

Every other file (grids, categories, roster, SLA, calendar, ...) is copied as it is, so the
hubs run the sample county's rules. Camera ``k`` of box ``b`` takes the stream and zones of
one of the sample's cameras (round robin) and a zone target moved by up to ``JITTER_DEG`` in
each direction, kept only where it still falls in a grid, so alarms spread over the cells
instead of piling on the sample's 24 points. Seeded: the same arguments make the same file.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hub.district import District, load_district

JITTER_DEG = 0.004  # about 400 m: a cell of the sample district is about 1 km across


@dataclass(frozen=True)
class SimCamera:
    """What a simulated box needs to know of one of its cameras."""

    camera_id: str
    zone_id: str
    categories: tuple[str, ...]


def box_id(b: int) -> str:
    return f"box-{b:04d}"


def camera_id(b: int, k: int) -> str:
    return f"{box_id(b)}-c{k:02d}"


def write_district(
    sample: Path, out: Path, boxes: int, cameras_per_box: int, seed: int = 7
) -> dict[str, list[SimCamera]]:
    """Write the district into ``out``; return each box's cameras."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(sample, out, ignore=shutil.ignore_patterns("cameras.yaml"))
    base = load_district(sample)
    templates = [
        base.cameras[c].model_dump(mode="json", exclude_unset=True) for c in sorted(base.cameras)
    ]
    rng = random.Random(seed)
    cameras: list[dict[str, Any]] = []
    plan: dict[str, list[SimCamera]] = {}
    for b in range(1, boxes + 1):
        plan[box_id(b)] = []
        for k in range(1, cameras_per_box + 1):
            t = templates[(len(cameras)) % len(templates)]
            cam = _clone(t, b, k, base, rng)
            cameras.append(cam)
            z = cam["zones"][0]
            plan[box_id(b)].append(
                SimCamera(cam["camera_id"], z["zone_id"], tuple(z["categories"]))
            )
    header = "# Written by bench/county_district.py for a benchmark run; not a real district.\n"
    body = yaml.safe_dump({"cameras": cameras}, allow_unicode=True, sort_keys=False)
    (out / "cameras.yaml").write_text(header + body, encoding="utf-8")
    return plan


def _clone(
    template: dict[str, Any], b: int, k: int, base: District, rng: random.Random
) -> dict[str, Any]:
    cam = {**template, "camera_id": camera_id(b, k), "name": f"B{b:04d}-C{k:02d}"}
    cam["box_id"] = box_id(b)
    zones = []
    for zone in template["zones"]:
        zones.append({**zone, "target": _moved(zone["target"], base, rng)})
    cam["zones"] = zones
    return cam


def _moved(target: dict[str, float], base: District, rng: random.Random) -> dict[str, float]:
    """The target moved at random, staying inside a grid (the original point if 20 tries
    all land outside)."""
    for _ in range(20):
        lon = round(target["lon"] + rng.uniform(-JITTER_DEG, JITTER_DEG), 6)
        lat = round(target["lat"] + rng.uniform(-JITTER_DEG, JITTER_DEG), 6)
        if base.grid_index.locate(lon, lat) is not None:
            return {"lon": lon, "lat": lat}
    return dict(target)
