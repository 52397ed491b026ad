"""``python -m hub records evidence CASE_NO OUT_DIR`` and ``keygen``: export a case's signed
evidence bundle: the case log from Redis, its snapshots, photos and verification frames from
the object store where records keep them (``hub.records.media``), else from Redis, and the
clips of its camera alarm fetched from the box into the store (``hub.clipfetch``)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import redis

from contracts.config_problems import ConfigError
from hub.district import load_district
from hub.district.load import county_code
from hub.domain.case_state import CaseEvent, fold
from hub.records.bundle import (
    DAY_MS,
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    encode_signature,
    evidence_ids,
    make_manifest,
    retention_days,
    retention_problems,
)
from hub.records.case_qr import svg_file
from hub.records.database import open_engine
from hub.records.media import kept
from hub.records.objects import open_store
from hub.records.signing import (
    SigningKeyError,
    fingerprint,
    generate,
    load_private,
    public_pem,
)
from hub.settings import HubSettings, load_hub_settings
from hub.store.keys import Keys, text, text_map
from hub.store.redis_client import sync_redis

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4"}


def collect(
    r: redis.Redis, keys: Keys, no: str, kept: Mapping[str, tuple[bytes, str]] | None = None
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """A case's files (path → bytes) and what the manifest says besides them: each medium
    from the object store (``kept``: ``snapshot:{id}`` / ``media:{id}`` → bytes, content
    type) where it is kept there, else from Redis. KeyError if the hub has no such case."""
    kept = kept or {}
    raw: Any = r.lrange(keys.case_events(no), 0, -1)
    events = [json.loads(x) for x in raw]
    if not events:
        raise KeyError(no)
    view = fold([CaseEvent.from_dict(e) for e in events])
    record = text_map(r.hgetall(keys.case(no)))
    alarms = {a: text_map(r.hgetall(keys.alarm(a))) for a in view.alarms}
    timeline = {"case_no": no, "record": record, "alarms": alarms, "events": events}
    files = {"timeline.json": _json(timeline)}
    snaps, media = evidence_ids([events, view.facts, alarms])
    missing = []
    for sid in snaps:
        data: Any = kept[f"snapshot:{sid}"][0] if f"snapshot:{sid}" in kept else None
        if data is None:
            data = r.get(keys.snapshot(sid))
        if data is None:
            missing.append(f"snapshot {sid}")
        else:
            files[f"media/snapshot-{sid}.jpg"] = bytes(data)
    for mid in media:
        m: Any = (
            {b"data": kept[f"media:{mid}"][0], b"type": kept[f"media:{mid}"][1].encode()}
            if f"media:{mid}" in kept
            else r.hgetall(f"{keys.prefix}:media:{mid}")
        )
        if not m or b"data" not in m:
            missing.append(f"media {mid}")
        else:
            ext = EXTENSIONS.get(text(m.get(b"type", b"")), ".bin")
            files[f"media/{mid}{ext}"] = bytes(m[b"data"])
    for ref in sorted(kept):
        if ref.startswith("clip:"):  # fetched from the camera's box (hub.clipfetch)
            files[f"media/{ref.replace(':', '-')}.mp4"] = kept[ref][0]
    files["case-qr.svg"] = svg_file(no)
    category = str(view.facts.get("category") or "") or None
    about = {"category": category, "missing": missing, "reported_ms": view.reported_ms}
    return files, about | {"last_event_ms": int(events[-1]["at_ms"])}


def export(settings: HubSettings, r: redis.Redis, no: str, out: Path, now_ms: int) -> list[str]:
    """Write the bundle of case ``no`` into ``out`` (new or empty); returns its file names."""
    rs = settings.records
    key = load_private(rs.signing_key_file)
    keys = Keys.for_district(settings.redis.key_prefix, county_code(settings.district_dir))
    files, about = collect(r, keys, no, kept_media(settings, no))
    days = retention_days(about["category"], rs.retention_days, rs.retention_days_by_category)
    # kept for the retention after the case's last event (hub.records.sweep)
    start = about["last_event_ms"]
    extra = about | {"retention_days": days, "keep_until_ms": start + days * DAY_MS}
    manifest = make_manifest(no, files, now_ms, extra)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    for path, data in files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    (out / MANIFEST).write_bytes(manifest)
    (out / SIGNATURE).write_bytes(encode_signature(key.sign(manifest)))
    (out / PUBLIC_KEY).write_bytes(public_pem(key.public_key()))
    return sorted([*files, MANIFEST, SIGNATURE, PUBLIC_KEY])


def kept_media(settings: HubSettings, no: str) -> dict[str, tuple[bytes, str]]:
    """What the object store keeps of the case (none while records are off)."""
    url = settings.records.database_url
    if not url:
        return {}
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return kept(conn, open_store(settings.records), no)
    finally:
        engine.dispose()


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def run(settings: HubSettings, action: str, operands: list[str]) -> int:
    path = settings.records.signing_key_file
    try:
        if action == "keygen":
            if operands:
                print("keygen takes no operands", file=sys.stderr)
                return 2
            pub = generate(path).public_key()
            print(f"signing key written to {path}; public key (give it to the enforcement office):")
            print(public_pem(pub).decode(), end="")
            print(f"fingerprint: {fingerprint(pub)}")
            return 0
        if action == "public-key":
            pub = load_private(path).public_key()
            print(public_pem(pub).decode(), end="")
            print(f"fingerprint: {fingerprint(pub)}")
            return 0
        if len(operands) != 2:
            print("usage: python -m hub records evidence CASE_NO OUT_DIR", file=sys.stderr)
            return 2
        no, out = operands[0], Path(operands[1])
        r = sync_redis(settings.redis, socket_timeout=60)
        try:
            names = export(settings, r, no, out, int(time.time() * 1000))
        finally:
            r.close()
    except SigningKeyError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyError:
        print(f"no case {operands[0]!r} in Redis", file=sys.stderr)
        return 1
    except FileExistsError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"case {no}: {len(names)} files in {out}; verify with python -m hub.records.verify {out}")
    return 0


def run_command(config: Path, action: str, operands: list[str]) -> int:
    """The command line's entry: settings from ``config`` (no database needed)."""
    try:
        settings = load_hub_settings(config)
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    problems = retention_problems(
        settings.records.retention_days_by_category,
        load_district(settings.district_dir).categories,
    )
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    return run(settings, action, operands)
