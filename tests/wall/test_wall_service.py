"""The wall service against the real Redis, with a fake clock: alarms on every wall,
end/update in place, availability, scenes and tours, confirm and reject."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from contracts.messages import AlertEvent
from hub.district.load import District
from hub.domain.clock import FakeClock
from hub.wall.alarm_view import sla_minutes
from hub.wall.codec import ConfirmBody, RejectBody, SceneBody, TourBody, WallSpec
from hub.wall.service import WallService
from hub.wall.store import WallStore

pytestmark = pytest.mark.integration
T0 = 1_790_000_000_000


@pytest.fixture
async def service(
    redis_url: str, redis_prefix: str, district: District
) -> AsyncIterator[WallService]:
    redis = Redis.from_url(redis_url)
    yield WallService(WallStore(redis, redis_prefix), district, FakeClock(T0))
    keys = [k async for k in redis.scan_iter(f"{redis_prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def alert(district: District, cam: str, kind: str = "new", seq: int = 0) -> AlertEvent:
    c = district.cameras[cam]
    return AlertEvent(
        type=kind,  # type: ignore[arg-type]
        event_id=f"ev-{cam}-0001",
        seq=seq,
        box_id=c.box_id,
        camera_id=cam,
        zone_id=c.zones[0].zone_id,
        category=c.zones[0].categories[0],
        rule="test",
        confidence=0.5,
        started_at_ms=T0,
        updated_at_ms=T0 + seq,
        ended_at_ms=T0 + seq if kind == "end" else None,
    )


def alarm_tiles(payload: dict[str, object]) -> list[tuple[int, int, str]]:
    state = payload["state"]
    assert isinstance(state, dict)
    return [
        (m, s, t["alarm_id"])
        for m, mon in enumerate(state["monitors"])
        for s, t in enumerate(mon["tiles"])
        if t and t["kind"] == "alarm"
    ]


async def test_alarm_goes_on_every_wall_updates_in_place_and_survives_its_end(
    service: WallService, district: District
) -> None:
    await service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    await service.define_wall("b", WallSpec(rows=1, cols=2, layout="1", alarm_monitors=[1]))
    cam = sorted(district.cameras)[0]
    detail = await service.on_alert(alert(district, cam))
    assert detail is not None
    # cam-01 looks into 城关街道 (339901001) for 06010: the street override gives 30 minutes
    assert (detail["grid_code"][:9], detail["category"]) == ("339901001", "06010")
    assert detail["deadline_ms"] - T0 == 30 * 60_000
    assert detail["grid_code"] is not None and detail["grid_code"] in district.grids
    await service.on_alert(alert(district, cam, "update", 1))
    await service.on_alert(alert(district, cam, "end", 2))
    a, b = await service.payload("a"), await service.payload("b")
    assert alarm_tiles(a) == [(0, 0, detail["alarm_id"])]
    assert alarm_tiles(b) == [(1, 0, detail["alarm_id"])]
    assert a["alarms"][detail["alarm_id"]]["ended_ms"] == T0 + 2  # still shown until acknowledged
    await service.acknowledge(detail["alarm_id"])
    assert alarm_tiles(await service.payload("a")) == []
    assert await service.on_alert(alert(district, cam, "end", 3)) is None  # late end: ignored


@pytest.mark.parametrize(
    ("street", "category", "minutes"),
    [("339901001", "06010", 30), ("339901002", "06010", 60), ("339901001", "06901", 10)],
)
def test_sla_minutes_take_the_street_override(
    district: District, street: str, category: str, minutes: int
) -> None:
    assert sla_minutes(district, street, category) == minutes


async def test_unknown_camera_is_parked_not_placed(
    service: WallService, district: District
) -> None:
    await service.define_wall("a", WallSpec(rows=1, cols=1))
    event = alert(district, sorted(district.cameras)[0]).model_copy(update={"camera_id": "cam-zz"})
    assert await service.on_alert(event) is None
    assert alarm_tiles(await service.payload("a")) == []


async def test_box_offline_marks_its_cameras(service: WallService, district: District) -> None:
    await service.define_wall("a", WallSpec(rows=1, cols=1))
    cam = sorted(district.cameras)[0]
    box = district.cameras[cam].box_id
    await service.on_availability(box, "offline")
    cams = (await service.payload("a"))["cameras"]
    assert cams[cam]["online"] is False
    assert all(c["online"] for c in cams.values() if c["box_id"] != box)


async def test_confirm_numbers_cases_in_sequence_and_reject_needs_verifying(
    service: WallService, district: District
) -> None:
    await service.define_wall("a", WallSpec(rows=1, cols=1))
    cams = sorted(district.cameras)
    d1 = await service.on_alert(alert(district, cams[0]))
    d2 = await service.on_alert(alert(district, cams[1]))
    assert d1 and d2
    c1 = await service.confirm(d1["alarm_id"], ConfirmBody(urgency="urgent"))
    c2 = await service.confirm(d2["alarm_id"], ConfirmBody())
    assert c1["case_no"][-5:] == "00001" and c2["case_no"][-5:] == "00002"
    assert c1["severity"] == 2 and c1["status"] == "filed"
    with pytest.raises(ValueError, match="already filed"):
        await service.reject(d1["alarm_id"], RejectBody(reason="x"))
    with pytest.raises(ValueError, match="category '99999' is not in the district"):
        d3 = await service.on_alert(alert(district, cams[2]))
        assert d3
        await service.confirm(d3["alarm_id"], ConfirmBody(category="99999"))


async def test_tour_cycles_scenes_on_the_clock(service: WallService, district: District) -> None:
    await service.define_wall("a", WallSpec(rows=1, cols=1))
    cams = sorted(district.cameras)
    await service.save_scene(
        "one", SceneBody.model_validate({"monitors": [{"layout": "1", "cameras": [cams[0]]}]})
    )
    await service.save_scene(
        "four", SceneBody.model_validate({"monitors": [{"layout": "4", "cameras": cams[1:5]}]})
    )
    with pytest.raises(ValueError, match="unknown scene 'nine'"):
        await service.save_tour("t", TourBody(scenes=["one", "nine"], period_s=10))
    await service.save_tour("t", TourBody(scenes=["one", "four"], period_s=10))
    await service.start_tour("a", "t")
    seen = []
    clock = service.clock
    assert isinstance(clock, FakeClock)
    for _ in range(3):
        await service.tick_tours()
        p = await service.payload("a")
        seen.append((p["state"]["scene"], p["state"]["monitors"][0]["layout"]))
        clock.advance(seconds=10)
    assert seen == [("one", "1"), ("four", "4"), ("one", "1")]
