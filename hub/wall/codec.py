"""Wall state ↔ JSON, and the request models of the wall API. Pure: no I/O.

The JSON shape is what the browser renders: ``monitors[i].tiles[j]`` is ``null``,
``{"kind": "camera", ...}`` or ``{"kind": "alarm", ...}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.domain.wall_rules import (
    LAYOUTS,
    AlarmTile,
    CameraTile,
    Content,
    Monitor,
    QueuedAlarm,
    SceneMonitor,
    WallState,
)

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
CameraId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WallSpec(Strict):
    """A wall's shape: rows × cols monitors of ``monitor_wh`` pixels."""

    rows: Annotated[int, Field(ge=1, le=8)]
    cols: Annotated[int, Field(ge=1, le=8)]
    monitor_wh: tuple[Annotated[int, Field(ge=320)], Annotated[int, Field(ge=240)]] = (1920, 1080)
    layout: str = "4"
    alarm_monitors: list[Annotated[int, Field(ge=0, le=63)]] = []
    # a street's, community's or grid's room: only its place's alarms, cases and cameras
    # (hub/wall/area.py); none: the county's wall, every place
    area: Annotated[str, Field(pattern=r"^[0-9]{6,15}$")] | None = None


class SceneBody(Strict):
    monitors: Annotated[list[SceneMonitorBody], Field(min_length=1, max_length=64)]


class SceneMonitorBody(Strict):
    layout: str
    cameras: list[CameraId | None] = []


class TourCameras(Strict):
    """A camera tour's query: every camera it matches, one wall-full per period."""

    q: Annotated[str, Field(max_length=64)] = ""
    area: Annotated[str, Field(pattern=r"^[0-9]{6,15}$")] | None = None
    status: Literal["online", "offline", "not_started"] | None = None


class TourBody(Strict):
    """A tour of saved scenes, or (``cameras``) of the cameras a query matches."""

    scenes: Annotated[list[Name], Field(max_length=32)] = []
    cameras: TourCameras | None = None
    period_s: Annotated[float, Field(ge=2, le=3600)] = 20

    @model_validator(mode="after")
    def _one_kind(self) -> TourBody:
        if bool(self.scenes) == (self.cameras is not None):
            raise ValueError("a tour names either scenes (at least one) or a camera query")
        return self


class LayoutBody(Strict):
    layout: str


class AssignBody(Strict):
    camera_id: CameraId | None = None
    alarm_id: str | None = None


class ConfirmBody(Strict):
    category: Annotated[str, Field(pattern=r"^[0-9]{5}$")] | None = None
    urgency: Literal["routine", "urgent"] | None = None
    actor: Annotated[str, Field(min_length=1, max_length=64)] = "operator"


class RejectBody(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    actor: Annotated[str, Field(min_length=1, max_length=64)] = "operator"


def _tile_json(c: Content) -> dict[str, Any] | None:
    if isinstance(c, CameraTile):
        return {"kind": "camera", "camera_id": c.camera_id, "since_ms": c.since_ms}
    if isinstance(c, AlarmTile):
        return {
            "kind": "alarm",
            "alarm_id": c.alarm_id,
            "camera_id": c.camera_id,
            "severity": c.severity,
            "since_ms": c.since_ms,
            "displaced": _tile_json(c.displaced),
            "grid_code": c.grid_code,
        }
    return None


def _tile_from(d: dict[str, Any] | None) -> Content:
    if d is None:
        return None
    if d["kind"] == "camera":
        return CameraTile(d["camera_id"], int(d["since_ms"]))
    displaced = _tile_from(d.get("displaced"))
    assert displaced is None or isinstance(displaced, CameraTile)
    return AlarmTile(
        d["alarm_id"],
        d["camera_id"],
        int(d["severity"]),
        int(d["since_ms"]),
        displaced,
        d.get("grid_code"),
    )


def state_to_json(state: WallState) -> dict[str, Any]:
    return {
        "rows": state.rows,
        "cols": state.cols,
        "version": state.version,
        "scene": state.scene,
        "alarm_monitors": list(state.alarm_monitors),
        "monitors": [
            {"layout": m.layout, "tiles": [_tile_json(t) for t in m.tiles]} for m in state.monitors
        ],
        "queue": [
            {
                "alarm_id": q.alarm_id,
                "camera_id": q.camera_id,
                "severity": q.severity,
                "since_ms": q.since_ms,
                "grid_code": q.grid_code,
            }
            for q in state.queue
        ],
        "takeovers": [list(t) for t in state.takeovers],
    }


def state_from_json(d: dict[str, Any]) -> WallState:
    return WallState(
        rows=int(d["rows"]),
        cols=int(d["cols"]),
        monitors=tuple(
            Monitor(m["layout"], tuple(_tile_from(t) for t in m["tiles"])) for m in d["monitors"]
        ),
        alarm_monitors=tuple(int(i) for i in d["alarm_monitors"]),
        queue=tuple(
            QueuedAlarm(
                q["alarm_id"],
                q["camera_id"],
                int(q["severity"]),
                int(q["since_ms"]),
                q.get("grid_code"),
            )
            for q in d["queue"]
        ),
        scene=d.get("scene"),
        version=int(d["version"]),
        takeovers=tuple((int(m), int(t)) for m, t in d.get("takeovers", [])),
    )


def scene_monitors(body: SceneBody) -> list[SceneMonitor]:
    return [SceneMonitor(m.layout, tuple(m.cameras)) for m in body.monitors]


def layouts_json() -> dict[str, Any]:
    """The layout table, so the browser draws exactly the slots the rule places alarms in."""
    return {
        name: {
            "cols": lay.cols,
            "rows": lay.rows,
            "slots": [
                {"col": s.col, "row": s.row, "w": s.w, "h": s.h, "kind": s.kind} for s in lay.slots
            ],
        }
        for name, lay in LAYOUTS.items()
    }
