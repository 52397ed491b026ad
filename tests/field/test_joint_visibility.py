"""The 1+1+X command on a case, over real HTTP with real tokens: the people it names who are
not assignees see the case, its timeline and its changes on the live stream, and may add a
note; only the assignees accept or resolve it. Someone named nowhere still gets a 404."""

from __future__ import annotations

import time
from typing import Any

import pytest

from hub.settings import HubSettings
from tests.field.harness import field_hub
from tests.field.test_stream_scope import OPERATOR, brief, read_stream
from tests.hub.conftest import Publisher, wait_for

pytestmark = pytest.mark.integration


async def test_joint_command_sees_the_case_and_only_assignees_work_it(
    hub_settings: HubSettings, publisher: Publisher
) -> None:
    async with field_hub(hub_settings) as h:
        op = {"Authorization": f"Bearer {OPERATOR}"}
        now = int(time.time() * 1000)
        publisher.alert("edge-01", camera_id="cam-01", started_at_ms=now, updated_at_ms=now)

        async def one_case() -> dict[str, Any] | None:
            cases = (await h.http.get("/api/cases", headers=op)).json()
            return cases[0] if len(cases) == 1 and cases[0]["assignees"] else None

        case = await wait_for(one_case, 10)
        no, assignee = case["case_no"], case["assignees"][0]
        everyone = [p.person_id for p in h.rt.district.people]
        coop, outsider = [p for p in everyone if p not in case["assignees"]][:2]

        def as_(person: str) -> dict[str, str]:
            return {"Authorization": f"Bearer resp-{person}"}

        assert (await h.http.get(f"/api/cases/{no}", headers=as_(coop))).status_code == 404
        joint = {"action": "joint", "commander": assignee, "lead": assignee, "cooperating": [coop]}
        r = await h.http.post(f"/api/cases/{no}/actions", json=joint, headers=op)
        assert r.status_code == 200, r.text

        detail = await h.http.get(f"/api/cases/{no}", headers=as_(coop))
        assert detail.status_code == 200, detail.text
        assert (await h.http.get(f"/api/cases/{no}/timeline", headers=as_(coop))).status_code == 200
        listed = (await h.http.get("/api/cases", headers=as_(coop))).json()
        assert [c["case_no"] for c in listed] == [no]
        assert coop in listed[0]["people"] and coop not in listed[0]["assignees"]

        act = f"/api/cases/{no}/actions"
        refused = await h.http.post(act, json={"action": "accept"}, headers=as_(coop))
        assert refused.status_code == 403, refused.text
        assert "'accept'" in refused.json()["detail"]
        note = {"action": "note", "note": "cooperating unit on the way"}
        assert (await h.http.post(act, json=note, headers=as_(coop))).status_code == 200
        assert (await h.http.post(act, json={"action": "accept"}, headers=as_(assignee))).is_success

        seen = brief(await read_stream(h.base_url, f"resp-{coop}", since="0"))
        assert seen == [(no, "joint"), (no, "note"), (no, "accept")]
        assert (await h.http.get(f"/api/cases/{no}", headers=as_(outsider))).status_code == 404
        assert await read_stream(h.base_url, f"resp-{outsider}", since="0") == []
