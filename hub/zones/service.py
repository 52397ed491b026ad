"""Zone pushes: check, send through the fleet's remote config, and follow the box's answer.

A push sends the box ``{"zones": {camera: [...]}}`` for every camera of that box whose zones
were set here (a remote config replaces the box's ``zones`` key as a whole). Until the box
acknowledges ``applied`` nothing changes on the hub; then the camera's zones are kept in
Redis (``{prefix}:zones:applied``, camera → zones) and this process's placement of the
camera's alerts (``HubContext.zones``) and its district copy move to the new targets. Every
hub process hears every acknowledgement on its own fleet link, so each moves its own; a
process starting later reads the kept zones (``load``). A zone that is removed keeps its old
placement for alerts still in flight; the box sends no new ones for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any

from redis.asyncio import Redis

from contracts.cameras import Camera, Zone
from contracts.messages import ConfigAck
from hub.district import District
from hub.fleet.service import FleetService
from hub.services.context import HubContext, ZonePlace
from hub.store.keys import Keys
from hub.zones.draft import ZONES, ZoneCheck, check_zones, refusal

log = logging.getLogger(__name__)
PENDING_TTL_S = 86_400


class ZoneRefused(ValueError):
    """Drawn zones the hub will not send; ``checks`` says what is wrong with each."""

    def __init__(self, checks: list[ZoneCheck]) -> None:
        super().__init__(refusal(checks))
        self.checks = checks


def _s(x: bytes | str) -> str:
    return x.decode() if isinstance(x, bytes) else x


class ZoneService:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        district: District,
        ctx: HubContext,
        fleet: FleetService,
    ) -> None:
        self.r, self.k, self.district, self.ctx, self.fleet = redis, keys, district, ctx, fleet
        self.grid_names = {code: g.name_zh for code, g in district.grids.items()}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def applied_key(self) -> str:
        return f"{self.k.prefix}:zones:applied"

    def _pending_key(self, config_id: str) -> str:
        return f"{self.k.prefix}:zones:pending:{config_id}"

    def camera(self, camera_id: str) -> Camera | None:
        return self.district.cameras.get(camera_id)

    def locate(self, lon: float, lat: float) -> str | None:
        return self.district.grid_index.locate(lon, lat)

    def check(self, camera: Camera, drawn: list[Any]) -> tuple[list[Zone] | None, list[ZoneCheck]]:
        return check_zones(camera, drawn, self.district.categories, self.locate)

    # --- placement ----------------------------------------------------------------------
    def apply(self, camera_id: str, zones: list[Zone]) -> None:
        """Place this camera's alerts by ``zones`` from now on (this process)."""
        cam = self.district.cameras.get(camera_id)
        if cam is None:
            log.warning("zones for camera %s, which is not in the district: ignored", camera_id)
            return
        self.district.cameras[camera_id] = cam.model_copy(update={"zones": zones})
        for z in zones:
            grid = self.locate(z.target.lon, z.target.lat)
            self.ctx.zones[(camera_id, z.zone_id)] = ZonePlace(
                cam.box_id, z.target.lon, z.target.lat, grid
            )

    async def load(self) -> int:
        """Apply the zones kept in Redis (a hub process starting); how many cameras."""
        raw = await self.r.hgetall(self.applied_key)
        for cam, body in raw.items():
            self.apply(_s(cam), ZONES.validate_python(json.loads(body)["zones"]))
        return len(raw)

    async def applied(self, camera_id: str) -> dict[str, Any] | None:
        raw = await self.r.hget(self.applied_key, camera_id)
        return json.loads(raw) if raw else None

    # --- pushes -------------------------------------------------------------------------
    async def push(self, camera_id: str, drawn: list[Any], issued_by: str) -> dict[str, Any]:
        cam = self.camera(camera_id)
        if cam is None:
            raise KeyError(camera_id)
        zones, checks = self.check(cam, drawn)
        if zones is None:
            raise ZoneRefused(checks)
        mine = {c.camera_id for c in self.district.cameras.values() if c.box_id == cam.box_id}
        kept = {
            _s(k): json.loads(v)["zones"]
            for k, v in (await self.r.hgetall(self.applied_key)).items()
            if _s(k) in mine
        }
        kept[camera_id] = [z.model_dump(mode="json") for z in zones]
        now = self.fleet.clock.now_ms()
        config_id = f"zones-{now}-{secrets.token_hex(4)}"
        pending = {"camera_id": camera_id, "zones": kept[camera_id], "by": issued_by}
        # written before the box can answer, so the acknowledgement always finds it
        await self.r.set(self._pending_key(config_id), json.dumps(pending), ex=PENDING_TTL_S)
        rollout = await self.fleet.push_config(
            {"zones": kept}, issued_by, boxes=[cam.box_id], config_id=config_id
        )
        return rollout | {"checks": [c.to_dict(self.grid_names) for c in checks]}

    async def on_ack(self, ack: ConfigAck) -> bool:
        """Move the placement when the box applied a zone push; whether it did."""
        if ack.status != "applied":
            return False
        raw = await self.r.get(self._pending_key(ack.config_id))
        if raw is None:
            return False  # not a zone push
        pending = json.loads(raw)
        zones = ZONES.validate_python(pending["zones"])
        kept = {
            "zones": pending["zones"],
            "config_id": ack.config_id,
            "at_ms": ack.at_ms,
            "by": pending["by"],
        }
        await self.r.hset(self.applied_key, pending["camera_id"], json.dumps(kept))
        self.apply(pending["camera_id"], zones)
        log.info("zones of %s applied by %s (%s)", pending["camera_id"], ack.box_id, ack.config_id)
        return True

    def hear(self, ack: ConfigAck) -> None:
        """The fleet link's listener (on the event loop): follow up without blocking it."""
        task = asyncio.get_running_loop().create_task(self._safe_ack(ack))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _safe_ack(self, ack: ConfigAck) -> None:
        try:
            await self.on_ack(ack)
        except Exception:
            log.exception("zones: could not follow ack %s", ack)

    # --- the picture to draw on ---------------------------------------------------------
    async def newest_snapshot(self, camera_id: str, scan: int = 500) -> bytes | None:
        """The newest alarm snapshot this camera sent (each alert carries one), if any."""
        keys: list[Any] = await self.r.zrevrange(self.k.alarms, 0, scan - 1)
        for key in (_s(k) for k in keys):
            if not key.startswith(f"{camera_id}:"):
                continue
            snap = await self.r.hget(self.k.alarm(key), "snapshot_id")
            if snap:
                data = await self.r.get(self.k.snapshot(_s(snap)))
                if data is not None:
                    return data if isinstance(data, bytes) else str(data).encode()
        return None
