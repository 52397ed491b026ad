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


async def test_an_alert_moves_every_stage_counter(hub: Hub, publisher: Publisher) -> None:
    before = (await hub.http.get("/metrics")).text
    publisher.alert("edge-01", camera_id="cam-02")
    await wait_for(hub.cases)
    after = (await hub.http.get("/metrics")).text
    for kind, stages in (("cpu", CPU_STAGES), ("wait", WAIT_STAGES)):
        was, now = _stages(before, kind), _stages(after, kind)
        assert set(now) == set(stages), now
        moved = [s for s in stages if now[s] > was.get(s, 0.0)]
        assert moved == list(stages), (kind, was, now)
    assert re.search(r"^process_cpu_seconds_total \d", after, re.M)
