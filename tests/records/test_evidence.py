"""Evidence bundles: a real case (an alert with its snapshot through the inbox and the
correlation step, a resolve with a photo, a camera's verification with its after frame)
exported from the real Redis, verified offline; one altered byte anywhere, an added file or
another hub's key fails the check, naming what failed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis as redis_sync
from redis.asyncio import Redis

from contracts.codec import encode
from hub.cli import main as hub_main
from hub.domain.clock import FakeClock
from hub.records.evidence import export
from hub.records.signing import generate, public_pem
from hub.records.verify import main as verify_main
from hub.records.verify import verify
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from hub.store.keys import text
from tests.hub.conftest import MONDAY_9, make_alert

pytestmark = pytest.mark.integration
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"


@pytest.fixture
async def rt(hub_settings: HubSettings, redis: Redis) -> AsyncIterator[HubRuntime]:
    runtime = HubRuntime(
        hub_settings, clock=FakeClock(MONDAY_9), mqtt=False, workers=False, timer_loop=False
    )
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
def settings(hub_settings: HubSettings, tmp_path: Path) -> HubSettings:
    key = tmp_path / "keys" / "evidence.key"
    generate(key)
    records = hub_settings.records.model_copy(update={"signing_key_file": key})
    return hub_settings.model_copy(update={"records": records})


@pytest.fixture
def sync_r(hub_settings: HubSettings) -> Iterator[redis_sync.Redis]:
    r = redis_sync.Redis.from_url(hub_settings.redis.url)
    yield r
    r.close()


async def a_case(rt: HubRuntime, r: Redis) -> str:
    clock = rt.clock
    assert isinstance(clock, FakeClock)
    cam = next(iter(rt.district.cameras.values()))
    zone = cam.zones[0]
    await r.set(rt.keys.snapshot("snap-alarm1"), JPEG)
    alert = make_alert(
        cam.box_id,
        camera_id=cam.camera_id,
        zone_id=zone.zone_id,
        category=zone.categories[0],
        confidence=0.99,
        snapshot_id="snap-alarm1",
        started_at_ms=clock.now_ms(),
        updated_at_ms=clock.now_ms(),
    )
    await r.xadd(rt.keys.inbox, {"k": "event", "p": encode(alert), "rx": 0})
    while await rt.processor.step():
        pass
    no = text((await r.zrange(rt.keys.cases, 0, -1))[0])
    await r.hset(
        f"{rt.keys.prefix}:media:m-photo1",
        mapping={"type": "image/jpeg", "data": JPEG[::-1], "case_no": no},
    )
    await r.set(rt.keys.snapshot("req1.verify"), JPEG + b"after")
    await r.set(rt.keys.snapshot("req1.alarm"), JPEG + b"alarm")
    for action in ("accept", "start"):
        clock.advance(minutes=5)
        await rt.cases.act(no, action, "operator:op1")
    await rt.cases.act(no, "resolve", "operator:op1", data={"media": ["m-photo1"]})
    check = {"request_id": "req1", "result": "clear", "snapshot_id": "req1.verify"}
    check["reference_snapshot_id"] = "req1.alarm"
    await rt.cases.act(no, "verify", f"camera:{cam.camera_id}", data={"checks": [check]})
    return no


def flip(path: Path, at: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


async def test_bundle_verifies_and_any_altered_byte_fails(
    rt: HubRuntime,
    redis: Redis,
    sync_r: redis_sync.Redis,
    settings: HubSettings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    no = await a_case(rt, redis)
    out = tmp_path / "bundle"
    names = export(settings, sync_r, no, out, MONDAY_9 + 3_600_000)
    media = sorted(n for n in names if n.startswith("media/"))
    assert media == [
        "media/m-photo1.jpg",
        "media/snapshot-req1.alarm.jpg",
        "media/snapshot-req1.verify.jpg",
        "media/snapshot-snap-alarm1.jpg",
    ]
    assert (out / "media/snapshot-req1.verify.jpg").read_bytes() == JPEG + b"after"
    timeline = json.loads((out / "timeline.json").read_text())
    actions = [e["action"] for e in timeline["events"]]
    assert actions[-1] == "verify" and "resolve" in actions
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["case_no"] == no and manifest["missing"] == []
    assert manifest["retention_days"] == 730
    assert (out / "case-qr.svg").read_bytes().startswith(b"<?xml")
    assert verify(out) == []
    assert verify_main([str(out), "--public-key", str(out / "public-key.pem")]) == 0
    assert "OK:" in capsys.readouterr().out

    # one byte in a photo
    flip(out / "media/m-photo1.jpg")
    assert verify(out) == [
        "media/m-photo1.jpg: SHA-256 differs from the manifest (the file was altered)"
    ]
    flip(out / "media/m-photo1.jpg")
    # one byte in the timeline
    flip(out / "timeline.json", 40)
    assert verify(out) == [
        "timeline.json: SHA-256 differs from the manifest (the file was altered)"
    ]
    flip(out / "timeline.json", 40)
    # one byte in the manifest: the signature fails
    flip(out / "manifest.json", 30)
    assert verify_main([str(out)]) == 1
    assert "manifest.json: the signature does not match" in capsys.readouterr().err
    flip(out / "manifest.json", 30)
    # a file added after signing
    (out / "media" / "extra.jpg").write_bytes(JPEG)
    assert verify(out) == ["media/extra.jpg: not in the manifest (added after signing)"]
    (out / "media" / "extra.jpg").unlink()
    assert verify(out) == []

    # another hub's key
    other = tmp_path / "other.key"
    (tmp_path / "other.pem").write_bytes(public_pem(generate(other).public_key()))
    problems = verify(out, tmp_path / "other.pem")
    assert len(problems) == 1 and "signature does not match" in problems[0]

    # retention by category: recorded in the signed manifest
    cat = manifest["category"]
    longer = settings.records.model_copy(update={"retention_days_by_category": {cat: 3650}})
    out2 = tmp_path / "bundle2"
    export(settings.model_copy(update={"records": longer}), sync_r, no, out2, MONDAY_9)
    m2 = json.loads((out2 / "manifest.json").read_text())
    assert m2["retention_days"] == 3650
    assert m2["keep_until_ms"] == m2["last_event_ms"] + 3650 * 86_400_000  # after its last
    assert verify(out2) == []


def test_commands_keygen_export_and_missing_case(
    settings: HubSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "hub.yaml"  # the hub_settings fixture's file
    key = tmp_path / "var" / "cli.key"
    text_cfg = cfg.read_text() + f"records:\n  signing_key_file: {key}\n"
    cfg.write_text(text_cfg)
    assert hub_main(["records", "keygen", "--config", str(cfg)]) == 0
    assert "fingerprint:" in capsys.readouterr().out
    assert key.stat().st_mode & 0o077 == 0
    assert hub_main(["records", "keygen", "--config", str(cfg)]) == 2  # never replaced
    assert "exists" in capsys.readouterr().err
    args = ["records", "evidence", "NO-SUCH", str(tmp_path / "b"), "--config", str(cfg)]
    assert hub_main(args) == 1
    assert "no case 'NO-SUCH'" in capsys.readouterr().err
    cfg.write_text(text_cfg + "  retention_days_by_category: {'99999': 30}\n")
    assert hub_main(args) == 2
    assert "'99999' is not in categories.yaml" in capsys.readouterr().err
