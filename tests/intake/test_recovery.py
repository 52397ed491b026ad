"""A report whose first attempt died after the atomic step (the reference taken, the case not
written) is finished by the app's retry: the case is created with the number the first attempt
took, or the report is attached to the case it merged with; never two cases, never lost."""

from __future__ import annotations

import pytest

from hub.intake.script import INTAKE_FILE
from tests.hub.conftest import Hub
from tests.intake.conftest import OWN_MEMBER, PILE, patrol_form
from tests.intake.jpeg import jpeg

pytestmark = pytest.mark.integration
PHOTO = [("photos", ("p.jpg", jpeg(), "image/jpeg"))]


async def _step_only(hub: Hub, ref: str, lon: float) -> tuple[str, str]:
    """What a first attempt did before it died: the atomic step alone."""
    intake = hub.rt.redis.register_script(INTAKE_FILE)
    k = hub.rt.keys
    out = await intake(
        keys=[
            k.intake_ref("grid_member", ref),
            k.open_cases("339901001001007", "06010"),
            k.case_seq("339901:20261123"),
        ],
        args=[
            repr(lon),
            repr(PILE[1]),
            60,
            "33990120261123" + "2",
            "1",
            3600,
        ],
    )
    return out[0].decode(), out[1].decode()


async def test_a_retry_finishes_a_crashed_create_and_a_crashed_merge(hub: Hub) -> None:
    outcome, no = await _step_only(hub, "rep-crash-0001", PILE[0])
    assert outcome == "create" and await hub.cases() == []  # number taken, no case
    r = await hub.http.post(
        "/api/intake/patrol", headers=OWN_MEMBER, data=patrol_form("rep-crash-0001"), files=PHOTO
    )
    assert r.status_code == 200, r.text
    assert (r.json()["case_no"], r.json()["outcome"]) == (no, "created")
    assert [c["case_no"] for c in await hub.cases()] == [no]
    # a second report merged into that case, then died before attaching
    outcome, merged = await _step_only(hub, "rep-crash-0002", PILE[0] + 0.0001)
    assert (outcome, merged) == ("merge", no)
    assert (await hub.rt.store.view(no)).sources == ("grid_member",)
    events_before = len(await hub.rt.store.events(no))
    r = await hub.http.post(
        "/api/intake/patrol", headers=OWN_MEMBER, data=patrol_form("rep-crash-0002"), files=PHOTO
    )
    assert (r.json()["case_no"], r.json()["outcome"]) == (no, "merged")
    events = await hub.rt.store.events(no)
    assert len(events) == events_before + 1 and events[-1].data["ref"] == "rep-crash-0002"
    # and a third retry changes nothing
    r = await hub.http.post(
        "/api/intake/patrol", headers=OWN_MEMBER, data=patrol_form("rep-crash-0002"), files=PHOTO
    )
    assert r.json()["outcome"] == "duplicate"
    assert len(await hub.rt.store.events(no)) == events_before + 1
