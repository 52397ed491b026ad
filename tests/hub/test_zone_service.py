"""The hub side of a zone push, on the real Redis: what goes to the box, and that the hub moves
a camera's placement only when the box says ``applied`` (and keeps it for a process started
later). The broker is replaced by a link that records what would be published: the edge half
and the whole loop are ``tests/field/test_zone_editor_browser.py``."""

from __future__ import annotations

import json
from typing import Any, Literal, cast

import pytest
from redis.asyncio import Redis

from contracts.codec import decode_json
from contracts.messages import ConfigAck, RemoteConfig
from hub.district import load_district
from hub.domain.clock import FakeClock
from hub.fleet.link import FleetLink
from hub.fleet.service import FleetService
from hub.fleet.settings import FleetSettings
from hub.services.context import HubContext
from hub.settings import HubSettings
from hub.store.keys import Keys
from hub.zones.service import ZoneRefused, ZoneService

NOW = 1_796_000_000_000


class RecordingLink:
    """Stands in for the fleet's MQTT link: keeps what it is asked to publish."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bool]] = []

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.sent.append((topic, payload, retain))


def _service(settings: HubSettings, redis: Redis, link: RecordingLink) -> ZoneService:
    district = load_district(settings.district_dir)
    keys = Keys.for_district(settings.redis.key_prefix, district.county.code)
    fleet = FleetService(
        redis,
        keys,
        district,
        FleetSettings(),
        FakeClock(NOW),
        settings.mqtt.topic_prefix,
        cast(FleetLink, link),
    )
    return ZoneService(redis, keys, district, HubContext(settings, district), fleet)


def _yard(lon: float, lat: float, **kw: Any) -> dict[str, Any]:
    return {
        "zone_id": "yard",
        "name": "yard",
        "polygon_norm": [[0.1, 0.5], [0.4, 0.5], [0.4, 0.9], [0.1, 0.9]],
        "categories": ["06901"],
        "target": {"lon": lon, "lat": lat},
    } | kw


async def test_placement_moves_only_when_the_box_applies(
    hub_settings: HubSettings, redis: Redis
) -> None:
    link = RecordingLink()
    zs = _service(hub_settings, redis, link)
    old = zs.district.cameras["cam-01"].zones[0].target
    grid_a = zs.locate(old.lon, old.lat)
    lon, lat = old.lon + 0.006, old.lat - 0.003
    grid_b = zs.locate(lon, lat)
    assert grid_a and grid_b and grid_a != grid_b

    # a bad drawing: refused with its words, nothing published, nothing pending
    bow_tie = _yard(lon, lat, polygon_norm=[[0.1, 0.5], [0.4, 0.9], [0.4, 0.5], [0.1, 0.9]])
    with pytest.raises(ZoneRefused, match="zone yard: edge 1–2 crosses edge 3–4"):
        await zs.push("cam-01", [bow_tie], "technician:t")
    assert link.sent == []

    got = await zs.push("cam-01", [_yard(lon, lat)], "technician:t")
    assert got["checks"][0]["grid_code"] == grid_b
    ((topic, payload, retain),) = link.sent
    assert topic.endswith("/edge-01/config") and retain
    remote = decode_json(RemoteConfig, payload)
    assert remote.config_id == got["config_id"]
    assert list(remote.config) == ["zones"]  # nothing else of the box's config is touched
    assert [z["zone_id"] for z in remote.config["zones"]["cam-01"]] == ["yard"]
    # sent, not yet applied: alerts still go by the old zones
    assert ("cam-01", "yard") not in zs.ctx.zones

    def ack(status: Literal["applied", "rejected"], reason: str | None = None) -> ConfigAck:
        return ConfigAck(
            box_id="edge-01", config_id=remote.config_id, status=status, reason=reason, at_ms=NOW
        )

    assert not await zs.on_ack(ack("rejected", "a newer box would take it"))
    assert ("cam-01", "yard") not in zs.ctx.zones
    assert await zs.on_ack(ack("applied"))
    assert zs.ctx.zones[("cam-01", "yard")].grid_code == grid_b
    assert [z.zone_id for z in zs.district.cameras["cam-01"].zones] == ["yard"]
    kept = json.loads(await redis.hget(zs.applied_key, "cam-01") or "{}")
    assert kept["config_id"] == remote.config_id and kept["by"] == "technician:t"

    # a hub process started later places the camera's alerts the same way
    later = _service(hub_settings, redis, RecordingLink())
    assert ("cam-01", "yard") not in later.ctx.zones
    assert await later.load() == 1
    assert later.ctx.zones[("cam-01", "yard")].grid_code == grid_b

    # the next push to the box carries every camera whose zones were set here
    other = next(
        c.camera_id
        for c in zs.district.cameras.values()
        if c.box_id == "edge-01" and c.camera_id != "cam-01"
    )
    await zs.push(other, [_yard(lon, lat)], "technician:t")
    sent = decode_json(RemoteConfig, link.sent[-1][1])
    assert sorted(sent.config["zones"]) == sorted(["cam-01", other])
