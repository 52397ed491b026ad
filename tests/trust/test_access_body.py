"""Item 9: a request body is capped before anything reads or parses it (an unauthenticated
57 MB POST is refused having read nothing, or no more than the anonymous cap when it comes
without a length); a 422 does not echo a large body back; a responder's after-photos are
stored only once the case is known to be theirs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from hub.settings import HubSettings
from tests.hub.conftest import Publisher, publisher, redis
from tests.trust.access_rig import JPEG, access_hub, bearer

pytestmark = pytest.mark.integration
__all__ = ["publisher", "redis"]
BIG = 57 * 2**20
CHUNK = 64 * 1024


MULTIPART = "multipart/form-data; boundary=b"
PART = (
    b'--b\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0"
)


class Body:
    """A request body of ``size`` bytes that counts how much of it the server pulled: one
    big photo in a form, or JSON-ish filler."""

    def __init__(self, size: int, head: bytes = b"") -> None:
        self.size = size
        self.head = head
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.size:
            chunk = (self.head if self.pulled == 0 else b"") + b"x" * CHUNK
            self.pulled += len(chunk)
            yield chunk


async def test_bodies_capped_before_reading(hub_settings: HubSettings, redis: Redis) -> None:
    anonymous_cap = 64 * 1024  # the hub's default http.anonymous_body_bytes
    async with access_hub(hub_settings) as h:
        routes = ["/api/responder/actions/resolve", "/api/enrol/redeem", "/api/cases/1/actions"]
        for path in routes:
            body = Body(BIG)
            r = await h.http.post(
                path,
                content=body,
                headers={"Content-Length": str(BIG), "Content-Type": "application/json"},
            )
            assert r.status_code == 413, (path, r.status_code, r.text[:200])
            assert body.pulled == 0, f"{path}: read {body.pulled:,} bytes of a refused body"
            # no length given: refused once the anonymous cap is passed, at the latest
            form = "resolve" in path
            body = Body(BIG, PART if form else b"")
            kind = MULTIPART if form else "application/json"
            r = await h.http.post(
                path,
                content=body,
                headers={"Content-Type": kind},
            )
            assert r.status_code in (401, 413), (path, r.status_code)
            assert body.pulled <= anonymous_cap + CHUNK, f"{path}: read {body.pulled:,} bytes"
        # a known responder may send photos, but not 57 MB of them
        me = bearer(h.rt.district.people[0].person_id)
        body = Body(BIG, PART)
        r = await h.http.post(
            "/api/responder/actions/resolve",
            content=body,
            headers={**me, "Content-Type": MULTIPART},
        )
        assert r.status_code == 413
        push = hub_settings.push
        cap = push.photos_max * push.photo_max_bytes + 2**20  # + default http.max_body_bytes
        assert body.pulled <= cap + CHUNK


async def test_validation_errors_do_not_echo_the_body(
    hub_settings: HubSettings, redis: Redis
) -> None:
    async with access_hub(hub_settings) as h:
        me = bearer(h.rt.district.people[0].person_id)
        note = "n" * 900_000  # under the 1 MiB cap, over the note's 2,000 characters
        body = {"action_id": "a" * 12, "case_no": "1" * 20, "action": "note", "note": note}
        r = await h.http.post("/api/responder/actions", json=body, headers=me)
        assert r.status_code == 422
        assert len(r.content) < 2000, f"a 422 of {len(r.content):,} bytes"
        detail: Any = r.json()["detail"]
        assert detail[0]["loc"] == ["body", "note"] and "900,000 characters" in detail[0]["input"]


async def test_photos_of_a_case_not_yours_are_not_stored(
    hub_settings: HubSettings, redis: Redis, publisher: Publisher
) -> None:
    async with access_hub(hub_settings) as h:
        case = await h.camera_case(publisher)
        stranger = h.outsider(case)
        r = await h.http.post(
            "/api/responder/actions/resolve",
            data={"action_id": uuid.uuid4().hex, "case_no": case["case_no"]},
            files=[("photos", ("after.jpg", JPEG, "image/jpeg"))],
            headers=bearer(stranger),
        )
        assert r.status_code == 404, r.text
        stored = [k async for k in redis.scan_iter(match=f"{h.rt.keys.prefix}:media:*")]
        assert stored == [], f"photos kept for a case not the caller's: {stored}"
