"""The open cases of a window, as ``/metrics`` and the supervision scan read them, over real
Redis: the script looks over the case hashes slice by slice and answers only the open ones
(a half-written hash with an empty number, so callers can skip it); closed cases, cases
reported before the window and numbers with no hash are left out; logs come back in the
order asked."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from hub.domain.case_state import CaseEvent
from hub.store.cases import CaseStore
from hub.store.keys import Keys

T0 = 1_700_000_000_000


def _event(seq: int, action: str, to_state: str) -> CaseEvent:
    return CaseEvent(seq, T0 + seq, "test", action, "", to_state, None, None, {})


async def test_open_records_picks_the_open_cases_of_the_window(
    redis: Redis, redis_prefix: str
) -> None:
    keys = Keys.for_district(redis_prefix, "339901")
    store = CaseStore(redis, keys, changes_max=100)
    states = {
        "c-open-1": ("dispatched", T0),
        "c-closed": ("closed", T0 + 1),
        "c-open-2": ("rework", T0 + 2),
        "c-merged": ("merged", T0 + 3),
        "c-open-3": ("reported", T0 + 4),
        "c-old": ("dispatched", T0 - 10_000),  # reported before the window
    }
    for no, (state, at) in states.items():
        await redis.hset(keys.case(no), mapping={"case_no": no, "state": state})
        await redis.rpush(keys.case_events(no), json.dumps(_event(1, "report", state).to_dict()))
        await redis.zadd(keys.cases, {no: at})
    await redis.hset(keys.case("c-ghost"), mapping={"state": "filed"})  # no case_no
    await redis.zadd(keys.cases, {"c-ghost": T0 + 5, "c-gone": T0 + 6})  # c-gone: no hash

    for chunk in (1, 2, 5_000):
        got = await store.open_records(T0, chunk=chunk)
        assert sorted((r["case_no"], r["state"]) for r in got) == [
            ("", "filed"),
            ("c-open-1", "dispatched"),
            ("c-open-2", "rework"),
            ("c-open-3", "reported"),
        ], chunk

    logs = await store.logs(["c-open-3", "c-closed", "c-none"])
    assert [[e.to_state for e in log] for log in logs] == [["reported"], ["closed"], []]
