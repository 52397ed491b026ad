"""1+1+X turnout through the API under a fake clock: a gas-cylinder alarm is dispatched with a
joint command; each named unit acknowledges; the case shows who is still to answer, then the
turnout time; someone not named is refused."""

from __future__ import annotations

from typing import Any

import pytest

from hub.api.auth import Principal
from tests.hub.conftest import MONDAY_9, OP, TOKENS, Hub, Publisher, wait_for

pytestmark = pytest.mark.integration
CMD, LEAD = "p-339901001-cmd", "p-339901001-gas"
MEMBER, DUTY = "p-339901001001007-m", "p-339901001001-duty"


def bearer(person: str) -> dict[str, str]:
    if person == MEMBER:
        return {"Authorization": "Bearer resp-token-0123456789abc"}  # the harness's own
    return {"Authorization": f"Bearer t-{person}-0123456789"}


@pytest.fixture(autouse=True)
def _unit_tokens() -> Any:
    """Tokens for the other named units, in the harness's token table for this test only."""
    added = {f"t-{p}-0123456789": Principal(p, "responder", p) for p in (CMD, LEAD, DUTY)}
    TOKENS.update(added)
    yield
    for t in added:
        TOKENS.pop(t, None)


async def _turnout(hub: Hub, no: str) -> dict[str, Any]:
    r = await hub.http.get(f"/api/cases/{no}", headers=OP)
    r.raise_for_status()
    return dict(r.json()["turnout"])


async def test_turnout_of_a_joint_command(hub: Hub, publisher: Publisher) -> None:
    publisher.alert("edge-01", camera_id="cam-01", category="06901", rule="gas_cylinder_stack")

    async def one() -> list[dict[str, Any]] | None:
        return await hub.cases() or None

    (case,) = await wait_for(one, 20)
    no = case["case_no"]
    t = await _turnout(hub, no)
    assert t["units"] == [CMD, LEAD, MEMBER, DUTY] and t["commanded_ms"] == MONDAY_9
    assert t["pending"] == t["units"] and t["on_time"] is None

    async def ack(person: str, after_min: float) -> int:
        hub.clock.set(MONDAY_9 + int(after_min * 60_000))
        r = await hub.http.post(
            f"/api/cases/{no}/actions", headers=bearer(person), json={"action": "joint_ack"}
        )
        return r.status_code

    assert await ack(CMD, 1.5) == 200
    assert await ack(MEMBER, 3) == 200
    r = await hub.http.post(
        f"/api/cases/{no}/actions", headers=bearer(MEMBER), json={"action": "joint_ack"}
    )
    assert r.status_code == 200  # again: the first acknowledgement stands
    t = await _turnout(hub, no)
    assert t["acked"] == {CMD: MONDAY_9 + 90_000, MEMBER: MONDAY_9 + 180_000}
    assert t["pending"] == [LEAD, DUTY] and t["elapsed_s"] == 180.0
    # an operator records the duty officer's answer by phone
    hub.clock.set(MONDAY_9 + 6 * 60_000)
    r = await hub.http.post(
        f"/api/cases/{no}/actions", headers=OP, json={"action": "joint_ack", "unit": DUTY}
    )
    assert r.status_code == 200, r.text
    # someone not named cannot acknowledge
    r = await hub.http.post(
        f"/api/cases/{no}/actions", headers=OP, json={"action": "joint_ack", "unit": "p-x"}
    )
    assert r.status_code == 422 and "not named" in r.text
    # past the ten minutes with the lead unit still silent: late
    hub.clock.set(MONDAY_9 + 11 * 60_000)
    t = await _turnout(hub, no)
    assert t["pending"] == [LEAD] and t["on_time"] is False and t["elapsed_s"] == 660.0
    assert await ack(LEAD, 12) == 200
    hub.clock.set(MONDAY_9 + 30 * 60_000)
    t = await _turnout(hub, no)
    assert t["pending"] == [] and t["turnout_s"] == 720.0 and t["on_time"] is False
    assert t["complete_ms"] == MONDAY_9 + 12 * 60_000
