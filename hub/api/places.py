"""Grids (GeoJSON), cameras and edge boxes with their health."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException

from hub.api.deps import Anyone, Runtime, Technician
from hub.api.scope import camera_in_area
from hub.store.keys import text_map

router = APIRouter(tags=["places"])


@router.get("/api/grids")
async def grids(rt: Runtime, _p: Anyone) -> dict[str, Any]:
    """The district's grid cells as a GeoJSON FeatureCollection."""
    return rt.district.raw_geojson


@router.get("/api/grids/{code}")
async def grid(code: str, rt: Runtime, _p: Anyone) -> dict[str, Any]:
    g = rt.district.grids.get(code)
    if g is None:
        raise HTTPException(404, f"no grid {code!r}")
    return {"code": g.code, "name_zh": g.name_zh, "kind": g.kind, "parent_code": g.parent_code}


@router.get("/api/cameras")
async def cameras(rt: Runtime, p: Anyone) -> list[dict[str, Any]]:
    """The district's cameras; a token with an area gets those with a zone looking into it."""
    out = []
    for cam in rt.district.cameras.values():
        if not camera_in_area(rt, p, cam.camera_id):
            continue
        d = cam.model_dump(mode="json")
        d["zones"] = [
            z | {"grid_code": rt.ctx.zones[(cam.camera_id, z["zone_id"])].grid_code}
            for z in d["zones"]
        ]
        out.append(d)
    return out


@router.get("/api/edges")
async def edges(rt: Runtime, _p: Technician) -> list[dict[str, Any]]:
    boxes = sorted({c.box_id for c in rt.district.cameras.values()})
    out = []
    for box in boxes:
        raw = await rt.redis.hgetall(rt.keys.edge(box))
        h = text_map(raw)
        out.append(
            {
                "box_id": box,
                "state": h.get("state", "unknown"),
                "last_seen_ms": int(h["last_seen_ms"]) if "last_seen_ms" in h else None,
                "stats": json.loads(h["stats"]) if "stats" in h else None,
            }
        )
    return out
