"""The alert path's stage costs (``hub.services.stage_costs``) on ``/metrics``: one alert
through the real broker into a case moves every stage's counter, and the process's own CPU
is on the same page, so a benchmark can split a hub's time."""

from __future__ import annotations

import re

from hub.services.stage_costs import CPU_STAGES, WAIT_STAGES
from tests.hub.conftest import Hub, Publisher, wait_for


def _stages(text: str, kind: str) -> dict[str, float]:
    pattern = rf'gridwall_hub_stage_{kind}_seconds_total\{{stage="(\w+)"\}} (\S+)'
    return {m[1]: float(m[2]) for m in re.finditer(pattern, text)}


def _moved(before: str, after: str) -> dict[str, set[str]]:
    out = {}
    for kind in ("cpu", "wait"):
        was, now = _stages(before, kind), _stages(after, kind)
        out[kind] = {s for s, v in now.items() if v > was.get(s, 0.0)}
    return out


async def test_an_alert_moves_every_stage_counter(hub: Hub, publisher: Publisher) -> None:
    before = (await hub.http.get("/metrics")).text
    publisher.alert("edge-01", camera_id="cam-02")
    await wait_for(hub.cases)
    every = {"cpu": set(CPU_STAGES), "wait": set(WAIT_STAGES)}

    async def all_moved() -> str | None:  # a stage counts once its block has ended
        after = (await hub.http.get("/metrics")).text
        return after if _moved(before, after) == every else None

    try:
        after = await wait_for(all_moved, 5)
    except AssertionError:
        after = (await hub.http.get("/metrics")).text
        raise AssertionError(f"moved {_moved(before, after)}, expected {every}") from None
    assert set(_stages(after, "cpu")) == set(CPU_STAGES)
    assert re.search(r"^process_cpu_seconds_total \d", after, re.M)
