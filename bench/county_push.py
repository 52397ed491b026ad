"""The push side of ``bench/county.py --alarm-storm``: a push service of the bench's own and a
browser subscription for every responder of the district, and what arrived.

The push service is ``tests/field/pushservice.py``'s stand-in for a browser vendor's: it
takes real Web Push requests (aes128gcm, VAPID-signed) and answers 201. Each responder gets
one subscription whose private half the bench keeps, so every arrival is checked the way a
browser would: its VAPID signature, then decrypted into the ``ResponderPush`` the hub sent.
Also counted: storm alarms in the hubs' Redis (their ``new`` event in the inbox stream).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from county_boxes import STORM_EVENT
from redis.asyncio import Redis

from hub.district import load_district
from hub.push.subscriptions import SubscriptionStore
from hub.push.webpush import Subscription, VapidKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package
from tests.field.pushservice import BrowserSubscription, PushService, verify_vapid

SUBJECT = "mailto:bench@gridwall.invalid"


class StormPush:
    def __init__(self, tmp: Path, district: Path) -> None:
        self.key_file = tmp / "vapid.pem"
        self.key = VapidKey.generate(SUBJECT)
        self.key.save(self.key_file)
        self.people = [p.person_id for p in load_district(district).people]
        self.service = PushService()
        self.browsers: dict[str, BrowserSubscription] = {}

    def hub_config(self) -> dict[str, Any]:
        """The ``push:`` section of each hub's settings."""
        return {"vapid_key_file": str(self.key_file), "vapid_subject": SUBJECT}

    async def subscribe_all(self, r: Redis, key_root: str) -> None:
        """Start the push service; one browser subscription per responder, as the responder
        app's ``POST /api/push/subscriptions`` stores it."""
        url = self.service.start()
        store = SubscriptionStore(r, key_root)
        for person in self.people:
            browser = BrowserSubscription(f"{url}/push/{person}")
            self.browsers[person] = browser
            await store.add(person, Subscription.model_validate(browser.to_json()))

    def arrivals(self) -> dict[str, Any]:
        """What reached the push service: each request's VAPID signature is checked and its
        body decrypted with the receiving browser's key; latency is the push's ``sent_ms``
        (the hub built it) to its arrival."""
        ok, bad, ids, delay_ms = 0, 0, set(), []
        kinds: dict[str, int] = {}
        for req in list(self.service.received):
            person = req.path.rsplit("/", 1)[-1]
            browser = self.browsers.get(person)
            try:
                assert browser is not None, f"no subscription {req.path}"
                verify_vapid(req.headers["authorization"], self.key.public_b64)
                push = browser.decrypt(req.body)
            except Exception:
                bad += 1
                continue
            ok += 1
            ids.add(push["push_id"])
            kinds[push["kind"]] = kinds.get(push["kind"], 0) + 1
            delay_ms.append(req.at_s * 1000 - push["sent_ms"])
        q = statistics.quantiles(delay_ms, n=100) if len(delay_ms) >= 2 else [None] * 99
        return {
            "push_subscriptions": len(self.browsers),
            "pushes_arrived": ok + bad,
            "pushes_decrypted": ok,
            "pushes_bad": bad,
            "pushes_distinct": len(ids),
            "pushes_by_kind": kinds,
            "push_delivery_p50_ms": None if q[49] is None else round(q[49], 1),
            "push_delivery_p99_ms": None if q[98] is None else round(q[98], 1),
        }

    def stop(self) -> None:
        if self.service.url:
            self.service.stop()


async def storm_alarms_in_redis(r: Redis, inbox: str) -> int:
    """Distinct storm alarms whose ``new`` event is in the hubs' inbox stream."""
    seen: set[str] = set()
    start = "-"
    while True:
        rows: Any = await r.xrange(inbox, min=start, count=5000)
        for _entry_id, fields in rows:
            for v in fields.values():
                if not v.startswith(b"{"):
                    continue
                try:
                    ev = json.loads(v)
                except ValueError:
                    continue
                eid = str(ev.get("event_id", ""))
                if ev.get("type") == "new" and STORM_EVENT.search(eid):
                    seen.add(eid)
        if len(rows) < 5000:
            return len(seen)
        start = "(" + rows[-1][0].decode()
