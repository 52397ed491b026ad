"""Must show: malformed, oversized and unknown-version payloads land in dead letters with
reasons; the hub keeps running. Also: a flooding box is rate-limited into dead letters."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from contracts.codec import encode
from contracts.topics import TopicKind, topic_for
from hub.settings import HubSettings
from tests.hub.conftest import OP, Publisher, make_alert, running_hub, wait_for

pytestmark = pytest.mark.integration
TECH = {"Authorization": "Bearer tech-token-0123456789abc"}


async def test_bad_input_is_parked_with_reasons(
    hub_settings: HubSettings, redis: Any, publisher: Publisher, topic_prefix: str
) -> None:
    event = topic_for(topic_prefix, TopicKind.EVENT, "edge-01")
    good = json.loads(encode(make_alert("edge-01")))
    cases: list[tuple[str, bytes, str]] = [
        (event, b"{not json", "message is not JSON"),
        (event, b"\xff\xfe\x00", "not UTF-8"),
        (event, b"x" * 20_000, "20000 bytes, over the 16384-byte cap"),
        (event, json.dumps(good | {"v": 2}).encode(), "unsupported contract version 2"),
        (event, json.dumps(good | {"confidence": 3}).encode(), "confidence: got 3"),
        (
            event,
            json.dumps(good | {"camera_id": "cam-77"}).encode(),
            "'cam-77' zone 'ground' is not",
        ),
        (event, json.dumps(good | {"box_id": "edge-02"}).encode(), "names box 'edge-02'"),
        (
            topic_for(topic_prefix, TopicKind.EVENT, "edge-02"),
            json.dumps(good | {"box_id": "edge-02"}).encode(),
            "belongs to box 'edge-01'",
        ),
        (f"{topic_prefix}/v1/edge/edge-01/snapshot/s1", b"GIF89a", "not a JPEG"),
        (
            f"{topic_prefix}/v2/edge/edge-01/event",
            encode(make_alert("edge-01")),
            f"unsupported contract version 'v2' in topic '{topic_prefix}/v2/edge/edge-01/event'",
        ),
        (f"{topic_prefix}/v17/edge/edge-01/thing/x", b"{}", "unsupported contract version 'v17'"),
    ]
    async with running_hub(hub_settings) as hub:
        # the hubs' own messages to boxes pass the wide subscription too: dropped, not parked
        publisher.raw(topic_for(topic_prefix, TopicKind.VERIFY_REQUEST, "edge-01"), b"{}")
        publisher.raw(topic_for(topic_prefix, TopicKind.CONFIG, "edge-01"), b"{}")
        for topic, payload, _ in cases:
            publisher.raw(topic, payload)
        publisher.alert("edge-01", camera_id="cam-02")  # the hub still works afterwards

        async def parked() -> list[dict[str, Any]] | None:
            r = await hub.http.get("/api/dead-letters", headers=TECH)
            rows = r.json()
            return rows if len(rows) >= len(cases) else None

        rows = await wait_for(parked)
        assert len(rows) == len(cases)
        reasons = [r["reason"] for r in reversed(rows)]
        for (topic, payload, expected), reason, row in zip(
            cases, reasons, reversed(rows), strict=True
        ):
            assert expected in reason, (expected, reason)
            assert base64.b64decode(row["raw_b64"]) == payload[:4096]
            assert row["size"] == len(payload) and row["topic"] == topic
        assert len(await wait_for(hub.cases)) == 1
        assert (await hub.http.get("/api/dead-letters", headers=OP)).status_code == 200
        resp = {"Authorization": "Bearer resp-token-0123456789abc"}
        assert (await hub.http.get("/api/dead-letters", headers=resp)).status_code == 403


async def test_flooding_box_is_rate_limited(
    hub_settings: HubSettings, redis: Any, publisher: Publisher
) -> None:
    ingest = hub_settings.ingest.model_copy(update={"rate_per_box_per_s": 1.0, "rate_burst": 5})
    settings = hub_settings.model_copy(update={"ingest": ingest})
    async with running_hub(settings) as hub:
        first = publisher.alert("edge-01", camera_id="cam-02")
        for seq in range(1, 20):
            publisher.alert(
                "edge-01", camera_id="cam-02", event_id=first.event_id, type="update", seq=seq
            )

        async def settled() -> list[dict[str, Any]] | None:
            # nothing lost: all 20 accepted or parked; a loaded machine may spread the burst
            # over more than a second, so the bucket can refill a token or two meanwhile
            rows = (await hub.http.get("/api/dead-letters", headers=TECH)).json()
            inbox = await redis.xlen(hub.rt.keys.inbox)
            return rows if inbox + len(rows) == 20 else None

        rows = await wait_for(settled)
        assert len(rows) >= 10, f"only {len(rows)} of 20 parked at 1/s with a burst of 5"
        assert all("over its rate limit" in r["reason"] for r in rows)
