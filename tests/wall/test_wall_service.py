"""The wall following the hub, against the real Redis with a fake clock: alerts go through
the hub's own correlation (inbox → alarm → queue or case → change stream), and the wall's
feed is stepped by hand. Deadlines are the hub's, on the working calendar."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contracts.codec import encode
from contracts.messages import AlertEvent, DetectionBox
from hub.district.load import District
from hub.domain.clock import FakeClock
from hub.fleet.service import alarms_key
from hub.runtime import HubRuntime
from hub.wall.alarm_desk import AlarmDesk
from hub.wall.alarm_view import current_deadline
from hub.wall.codec import ConfirmBody, RejectBody, SceneBody, TourBody, WallSpec
from hub.wall.hub_feed import HubFeed
from hub.wall.service import WallService
from hub.wall.store import WallStore
from tests.wall.conftest import hub_settings

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Asia/Shanghai")
# Saturday 2026-11-28 20:00 in the district: the next working minute is Monday 08:30
T0 = int(dt.datetime(2026, 11, 28, 20, 0, tzinfo=TZ).timestamp() * 1000)
MONDAY_0830 = int(dt.datetime(2026, 11, 30, 8, 30, tzinfo=TZ).timestamp() * 1000)


@dataclass
class Rig:
    rt: HubRuntime
    service: WallService
    desk: AlarmDesk
    feed: HubFeed
    clock: FakeClock
    seq: int = 0

    async def alert(
        self,
        cam: str,
        category: str,
        confidence: float = 0.6,
        boxes: tuple[DetectionBox, ...] = (),
        snapshot_id: str | None = None,
    ) -> str:
        """One alert through the hub's inbox and correlation, then the wall's feed (a later
        alert of the same camera and category is an update of the same event)."""
        c = self.service.district.cameras[cam]
        zone = next(z for z in c.zones if category in z.categories)
        self.seq += 1
        now = self.clock.now_ms()
        ev = AlertEvent(
            type="new",
            event_id=f"ev-{cam}-{category}",
            seq=self.seq,
            box_id=c.box_id,
            camera_id=cam,
            zone_id=zone.zone_id,
            category=category,
            rule="test",
            confidence=confidence,
            boxes=boxes,
            snapshot_id=snapshot_id,
            started_at_ms=now,
            updated_at_ms=now,
        )
        await self.rt.redis.xadd(self.rt.keys.inbox, {"k": "event", "p": encode(ev), "rx": 0})
        await self.rt.processor.step()
        await self.follow()
        return f"{cam}:{zone.zone_id}:{category}"

    async def follow(self) -> None:
        while await self.feed.step():
            pass

    async def tiles(self, wall: str) -> list[tuple[int, int, str]]:
        state = (await self.service.payload(wall))["state"]
        return [
            (m, s, t["alarm_id"])
            for m, mon in enumerate(state["monitors"])
            for s, t in enumerate(mon["tiles"])
            if t and t["kind"] == "alarm"
        ]


@pytest.fixture
async def rig(
    district: District, mqtt_url: str, redis_url: str, topic_prefix: str, redis_prefix: str
) -> AsyncIterator[Rig]:
    clock = FakeClock(T0)
    settings = hub_settings(mqtt_url, redis_url, topic_prefix, redis_prefix)
    rt = HubRuntime(
        settings, district=district, clock=clock, mqtt=False, workers=False, timer_loop=False
    )
    await rt.start()
    store = WallStore(rt.redis, redis_prefix)
    service = WallService(store, district, clock, alarms_key(redis_prefix))
    desk = AlarmDesk(service, rt)
    feed = HubFeed(rt, desk, "test-wall")
    await feed.ensure_group()
    try:
        yield Rig(rt, service, desk, feed, clock)
    finally:
        keys = [k async for k in rt.redis.scan_iter(f"{redis_prefix}:*")]
        if keys:
            await rt.redis.delete(*keys)
        await rt.stop()


async def test_queued_alarm_shows_on_every_wall_with_the_working_calendar_deadline(
    rig: Rig,
) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    await rig.service.define_wall("b", WallSpec(rows=1, cols=2, layout="1", alarm_monitors=[1]))
    key = await rig.alert("cam-01", "06010")
    [detail] = await rig.desk.verification_queue()
    assert (detail["alarm_id"], detail["status"], detail["case_no"]) == (key, "verifying", None)
    # cam-01 looks into 城关街道 for 06010: 30 working minutes, counted from Monday 08:30
    assert detail["deadline_ms"] == MONDAY_0830 + 30 * 60_000
    assert await rig.tiles("a") == [(0, 0, key)]
    assert await rig.tiles("b") == [(1, 0, key)]


async def test_auto_filed_case_shows_number_assignees_and_the_cases_own_deadline(
    rig: Rig,
) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    key = await rig.alert("cam-01", "06010", confidence=0.99)
    [detail] = await rig.desk.verification_queue()
    case_no = detail["case_no"]
    view = await rig.rt.store.view(case_no)
    assert detail["alarm_id"] == key and detail["status"] == "dispatched" == view.state
    assert len(case_no) == 20 and case_no[14] == "1"
    # dispatched: the wall counts down to the case's accept deadline, Monday 08:30 + 30 min
    assert detail["deadline_kind"] == "accept"
    assert detail["deadline_ms"] == view.facts["accept_due_ms"] == MONDAY_0830 + 30 * 60_000
    assert [p["person_id"] for p in detail["assignees"]] == list(view.assignees)
    assert all(p["name"] != p["person_id"] for p in detail["assignees"])  # roster names
    assert await rig.tiles("a") == [(0, 0, key)]


async def test_confirm_with_a_category_edit_files_a_case_of_the_edited_category(
    rig: Rig,
) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    key = await rig.alert("cam-01", "06010")
    shown = await rig.desk.confirm(key, ConfirmBody(category="06036", urgency="urgent"))
    case_no = shown["case_no"]
    view = await rig.rt.store.view(case_no)
    assert view.facts["category"] == "06036" and view.facts["detected_category"] == "06010"
    assert view.facts["urgency"] == "urgent"
    # urgent: the urgent categories' profile, on natural minutes (accept within 15)
    assert view.facts["policy"]["sla"]["clock"] == "natural"
    assert view.facts["accept_due_ms"] == T0 + 15 * 60_000
    assert (shown["category"], shown["status"], shown["severity"]) == ("06036", "dispatched", 2)
    assert shown["deadline_ms"] == T0 + 15 * 60_000
    with pytest.raises(ValueError, match="already dispatched"):
        await rig.desk.reject(key, RejectBody(reason="x"))
    other = await rig.alert("cam-02", "06010")
    with pytest.raises(ValueError, match="category '99999' is not in the district"):
        await rig.desk.confirm(other, ConfirmBody(category="99999"))


async def test_reject_keeps_feedback_clears_the_hub_alarm_and_leaves_the_wall(rig: Rig) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    key = await rig.alert("cam-01", "06010")
    out = await rig.desk.reject(key, RejectBody(reason="树影", actor="op7"))
    assert out["alarm_id"] == key and await rig.tiles("a") == []
    [fb] = await rig.service.store.feedback()
    assert (fb["alarm_id"], fb["reason"], fb["hub_cleared"]) == (key, "树影", True)
    assert await rig.rt.redis.zscore(rig.rt.keys.vqueue, key) is None
    last: Any = await rig.rt.redis.xrevrange(rig.rt.keys.changes, count=1)
    assert last[0][1][b"kind"] == b"alarm_rejected"
    assert json.loads(last[0][1][b"event"])["reason"] == "树影"


async def test_closed_case_leaves_the_wall_and_an_acknowledged_one_stays_off(rig: Rig) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    k1 = await rig.alert("cam-01", "06010", confidence=0.99)
    k2 = await rig.alert("cam-02", "06010", confidence=0.99)
    q = {a["alarm_id"]: a["case_no"] for a in await rig.desk.verification_queue()}
    await rig.desk.acknowledge(k2)
    cases = rig.rt.cases
    await cases.act(q[k2], "accept", "responder:x")  # a later change: still off the wall
    for action in ("accept", "resolve", "verify", "close"):
        await cases.act(q[k1], action, "operator:op1")
        await rig.follow()
        on_wall = [a for _, _, a in await rig.tiles("a")]
        assert on_wall == ([] if action in ("verify", "close") else [k1]), action
    assert await rig.desk.verification_queue() == []


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("filed", ("dispatch", 1)),
        ("dispatched", ("accept", 2)),
        ("accepted", ("dispose", 3)),
        ("in_progress", ("dispose", 3)),
        ("closed", (None, None)),
        ("rejected", (None, None)),
    ],
)
def test_current_deadline_follows_the_case_state(
    state: str, expected: tuple[str | None, int | None]
) -> None:
    facts = {"dispatch_due_ms": 1, "accept_due_ms": 2, "dispose_due_ms": 3}
    assert current_deadline(state, facts) == expected
    assert current_deadline("accepted", {"dispatch_due_ms": 1}) == ("dispatch", 1)


async def test_tour_cycles_scenes_on_the_clock(rig: Rig) -> None:
    service = rig.service
    await service.define_wall("a", WallSpec(rows=1, cols=1))
    cams = sorted(service.district.cameras)
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
    for _ in range(3):
        await service.tick_tours()
        p = await service.payload("a")
        seen.append((p["state"]["scene"], p["state"]["monitors"][0]["layout"]))
        rig.clock.advance(seconds=10)
    assert seen == [("one", "1"), ("four", "4"), ("one", "1")]


async def test_camera_tour_pages_through_a_query_a_wall_full_at_a_time(rig: Rig) -> None:
    """A tour of the cameras a query matches: one wall-full per period, in id order, over
    the wall's own layouts, wrapping around; an unknown place is refused when saved."""
    service = rig.service
    await service.define_wall("a", WallSpec(rows=1, cols=2, layout="4"))
    with pytest.raises(ValueError, match="unknown street '339901999'"):
        await service.save_tour("bad", TourBody(cameras={"area": "339901999"}))
    with pytest.raises(ValueError, match="either scenes"):
        TourBody(scenes=["one"], cameras={"q": "cam"})
    await service.save_tour("cams", TourBody(cameras={"q": "cam-"}, period_s=10))
    await service.start_tour("a", "cams")
    cams = sorted(c for c in service.district.cameras if "cam-" in c)
    pages = -(-len(cams) // 8)
    seen = []
    for _ in range(pages + 1):
        await service.tick_tours()
        p = await service.payload("a")
        tiles = [t["camera_id"] for m in p["state"]["monitors"] for t in m["tiles"] if t]
        seen.append((p["state"]["scene"], tiles))
        rig.clock.advance(seconds=10)
    assert [s for s, _ in seen] == [f"cams:{i % pages + 1}/{pages}" for i in range(pages + 1)]
    assert [c for _, tiles in seen[:pages] for c in tiles] == cams
    assert seen[pages] == seen[0]


async def test_a_crashed_workers_changes_are_claimed_by_another(rig: Rig) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    gone = HubFeed(rig.rt, rig.desk, "worker-that-crashed")
    c = rig.service.district.cameras["cam-01"]
    ev = AlertEvent(
        type="new",
        event_id="ev-crash",
        seq=1,
        box_id=c.box_id,
        camera_id="cam-01",
        zone_id=c.zones[0].zone_id,
        category="06010",
        rule="test",
        confidence=0.6,
        started_at_ms=T0,
        updated_at_ms=T0,
    )
    await rig.rt.redis.xadd(rig.rt.keys.inbox, {"k": "event", "p": encode(ev), "rx": 0})
    await rig.rt.processor.step()
    resp: Any = await rig.rt.redis.xreadgroup("wall", gone.consumer, {rig.rt.keys.changes: ">"})
    assert len(resp[0][1]) == 1  # read, then the worker died before applying it
    assert await rig.feed.step() == 0 and await rig.tiles("a") == []
    assert await rig.feed.claim_stale(idle_ms=0) == 1
    assert [a for _, _, a in await rig.tiles("a")] == [f"cam-01:{c.zones[0].zone_id}:06010"]


async def test_a_new_wall_group_shows_what_already_waits_in_the_hubs_queue(rig: Rig) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    key = await rig.alert("cam-02", "06010")
    await rig.desk.take_down(key)  # as if the wall had never seen it
    await rig.rt.redis.xgroup_destroy(rig.rt.keys.changes, "wall")
    await rig.feed.ensure_group()  # a new group: seeded from the hub's queue
    [detail] = await rig.desk.verification_queue()
    assert (detail["alarm_id"], detail["status"], detail["started_ms"]) == (key, "verifying", T0)
    assert await rig.tiles("a") == [(0, 0, key)]
    await rig.feed.ensure_group()  # an existing group: nothing seeded twice
    assert len(await rig.desk.verification_queue()) == 1


def _boxes(*xs: float) -> tuple[DetectionBox, ...]:
    return tuple(
        DetectionBox(xyxy_norm=(x, 0.2, x + 0.1, 0.5), confidence=0.8, class_name="gas_cylinder")
        for x in xs
    )


def _xyxy(detail: dict[str, Any]) -> list[list[float]]:
    return [b["xyxy_norm"] for b in detail["boxes"]]


async def test_auto_filed_case_shows_the_alarms_latest_boxes_on_their_snapshot(rig: Rig) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    key = await rig.alert(
        "cam-03", "06901", confidence=0.99, boxes=_boxes(0.1, 0.4), snapshot_id="sn-cam-03-0001"
    )
    [detail] = await rig.desk.verification_queue()
    assert detail["case_no"] and detail["status"] == "dispatched"  # never queued
    assert _xyxy(detail) == [[0.1, 0.2, 0.2, 0.5], [0.4, 0.2, 0.5, 0.5]]
    assert detail["snapshot_id"] == "sn-cam-03-0001"
    # a re-trigger updates the hub's alarm; the tile takes it at the case's next event
    rig.clock.advance(ms=60_000)
    await rig.alert(
        "cam-03", "06901", 0.99, boxes=_boxes(0.6, 0.7, 0.8), snapshot_id="sn-cam-03-0002"
    )
    assert _xyxy((await rig.desk.verification_queue())[0]) == _xyxy(detail)
    await rig.rt.cases.act(detail["case_no"], "note", "operator:op1", note="on our way")
    await rig.follow()
    [after] = await rig.desk.verification_queue()
    assert after["alarm_id"] == key
    assert _xyxy(after) == [[0.6, 0.2, 0.7, 0.5], [0.7, 0.2, 0.8, 0.5], [0.8, 0.2, 0.9, 0.5]]
    assert after["snapshot_id"] == "sn-cam-03-0002"


async def test_a_case_whose_alarm_has_no_boxes_keeps_the_queued_alarms(rig: Rig) -> None:
    """The queued alarm's boxes came with its alert; the case's view keeps them when the
    hub's record has none (a record written before the hub kept boxes)."""
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    key = await rig.alert("cam-01", "06010", boxes=_boxes(0.3), snapshot_id="sn-cam-01-0001")
    await rig.rt.redis.hdel(rig.rt.keys.alarm(key), "boxes", "boxes_ms", "boxes_snapshot_id")
    await rig.desk.confirm(key, ConfirmBody(actor="op1"))
    [detail] = await rig.desk.verification_queue()
    assert detail["case_no"] and _xyxy(detail) == [[0.3, 0.2, 0.4, 0.5]]
    assert detail["snapshot_id"] == "sn-cam-01-0001"


async def test_a_seeded_queued_alarm_has_its_boxes(rig: Rig) -> None:
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="4"))
    key = await rig.alert("cam-02", "06010", boxes=_boxes(0.5), snapshot_id="sn-cam-02-0001")
    await rig.desk.take_down(key)
    await rig.rt.redis.xgroup_destroy(rig.rt.keys.changes, "wall")
    await rig.feed.ensure_group()
    [detail] = await rig.desk.verification_queue()
    assert _xyxy(detail) == [[0.5, 0.2, 0.6, 0.5]] and detail["snapshot_id"] == "sn-cam-02-0001"


async def test_queued_alarms_of_one_batch_reach_the_wall_in_one_update(rig: Rig) -> None:
    """An alarm storm's queued alarms are read off the change stream in batches; each batch
    changes a wall once (one version), the storm rule placing them in order."""
    await rig.service.define_wall("a", WallSpec(rows=1, cols=1, layout="16"))
    before = (await rig.service.payload("a"))["state"]["version"]
    cams = [c for c in sorted(rig.service.district.cameras) if c.startswith("cam-")][:8]
    keys = []
    for cam in cams:  # through the hub's inbox and correlation, the wall's feed not yet
        c = rig.service.district.cameras[cam]
        category = c.zones[0].categories[0]
        rig.seq += 1
        now = rig.clock.now_ms()
        ev = AlertEvent(
            type="new",
            event_id=f"ev-{cam}",
            seq=rig.seq,
            box_id=c.box_id,
            camera_id=cam,
            zone_id=c.zones[0].zone_id,
            category=category,
            rule="test",
            confidence=0.6,
            started_at_ms=now,
            updated_at_ms=now,
        )
        await rig.rt.redis.xadd(rig.rt.keys.inbox, {"k": "event", "p": encode(ev), "rx": 0})
        keys.append(f"{cam}:{c.zones[0].zone_id}:{category}")
    while await rig.rt.processor.step():
        pass
    await rig.follow()
    p = await rig.service.payload("a")
    assert p["state"]["version"] == before + 1
    shown = {t["alarm_id"] for t in p["state"]["monitors"][0]["tiles"] if t} | {
        q["alarm_id"] for q in p["state"]["queue"]
    }
    assert shown == set(keys)
