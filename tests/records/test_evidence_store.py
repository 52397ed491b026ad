"""Evidence that lasts: a case's media copied into the object store with its events (real
PostgreSQL, real Redis; the store a directory or S3 on moto's S3 server), exported after Redis
let them expire, the bundle verifying and one altered byte failing; the retention sweep
removing only what is past retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
import redis as redis_sync
from redis.asyncio import Redis
from sqlalchemy import select, text

from hub.cli import main as hub_main
from hub.district import load_district
from hub.records.commands import copy_pending
from hub.records.copier import Copier
from hub.records.database import migrate, open_engine
from hub.records.evidence import export
from hub.records.media import MediaKeeper
from hub.records.objects import DirectoryStore, ObjectError, open_store
from hub.records.s3_store import S3Store
from hub.records.schema import media
from hub.records.sweep import sweep
from hub.records.verify import verify
from hub.runtime import HubRuntime
from hub.services.context import HubContext
from hub.settings import HubSettings, RecordsSettings, S3Settings
from tests.hub.conftest import MONDAY_9
from tests.records.s3_server import s3_bucket, s3_endpoint
from tests.records.test_evidence import JPEG, a_case, flip, rt, settings, sync_r

__all__ = ["rt", "s3_bucket", "s3_endpoint", "settings", "sync_r"]
pytestmark = pytest.mark.integration


def test_directory_store_is_content_addressed_and_checks_what_it_reads(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    sha = store.put(b"evidence")
    assert sha == hashlib.sha256(b"evidence").hexdigest()
    assert store.path(sha) == tmp_path / sha[:2] / sha[2:4] / sha
    assert store.put(b"evidence") == sha and store.get(sha) == b"evidence"
    assert not list(store.path(sha).parent.glob(".part-*"))  # no temporary file left
    flip(store.path(sha), 0)
    with pytest.raises(ObjectError, match="no longer match"):
        store.get(sha)
    with pytest.raises(ObjectError, match="not a lower-case hex SHA-256"):
        store.path("../etc/passwd")
    assert store.delete(sha) and store.get(sha) is None and not store.delete(sha)


def test_s3_store_is_content_addressed_and_checks_what_it_reads(s3_bucket: S3Settings) -> None:
    store = S3Store.connect(s3_bucket.endpoint_url, "us-east-1", s3_bucket.bucket, "ev/")
    sha = store.put(b"evidence")
    assert sha == hashlib.sha256(b"evidence").hexdigest()
    assert store.put(b"evidence") == sha and store.get(sha) == b"evidence"
    listed = store.client.list_objects_v2(Bucket=s3_bucket.bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"ev/{sha[:2]}/{sha[2:4]}/{sha}"]  # stored once
    store.client.put_object(Bucket=s3_bucket.bucket, Key=store.key(sha), Body=b"evidencf")
    with pytest.raises(ObjectError, match="no longer match"):
        store.get(sha)
    assert store.delete(sha) and store.get(sha) is None and not store.delete(sha)


@pytest.mark.parametrize("kind", ["directory", "s3"])
async def test_media_outlive_redis_and_the_bundle_still_exports(
    kind: str,
    rt: HubRuntime,
    redis: Redis,
    sync_r: redis_sync.Redis,
    settings: HubSettings,
    database_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    no = await a_case(rt, redis)
    where: dict[str, object] = {"media_dir": tmp_path / "media"}
    if kind == "s3":
        where = {"media_store": "s3", "s3": request.getfixturevalue("s3_bucket")}
    records = settings.records.model_copy(update={"database_url": database_url, **where})
    on = settings.model_copy(update={"records": records})
    engine = open_engine(database_url)
    try:
        migrate(engine)
        store = open_store(records)
        copier = Copier(engine, sync_r, rt.keys, 50, MediaKeeper(sync_r, rt.keys, store))
        assert copy_pending(copier) > 0
        with engine.connect() as conn:
            rows = {r.ref: r for r in conn.execute(select(media)).all()}
        assert sorted(rows) == [
            "media:m-photo1",
            "snapshot:req1.alarm",
            "snapshot:req1.verify",
            "snapshot:snap-alarm1",
        ]
        after = rows["snapshot:req1.verify"]
        assert after.sha256 == hashlib.sha256(JPEG + b"after").hexdigest()
        assert (rows["media:m-photo1"].kind, after.kind) == ("photo", "snapshot")
        assert store.get(after.sha256) == JPEG + b"after"
        assert copy_pending(copier) == 0  # nothing new: nothing stored twice

        # Redis lets them expire (a snapshot lives days there)
        for key in [rt.keys.snapshot(s) for s in ("snap-alarm1", "req1.verify", "req1.alarm")] + [
            f"{rt.keys.prefix}:media:m-photo1"
        ]:
            await redis.pexpire(key, 1)
        await asyncio.sleep(0.05)
        assert await redis.exists(rt.keys.snapshot("req1.verify")) == 0

        out = tmp_path / "bundle"
        names = export(on, sync_r, no, out, MONDAY_9 + 3_600_000)
        assert "media/snapshot-req1.verify.jpg" in names and "media/m-photo1.jpg" in names
        assert (out / "media/snapshot-req1.verify.jpg").read_bytes() == JPEG + b"after"
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["missing"] == []
        assert "case-qr.svg" in [f["path"] for f in manifest["files"]]
        assert verify(out) == []
        flip(out / "media/snapshot-req1.verify.jpg")
        assert verify(out) == [
            "media/snapshot-req1.verify.jpg: SHA-256 differs from the manifest "
            "(the file was altered)"
        ]
        # without the store the same export has lost them
        off = tmp_path / "bundle-off"
        export(settings, sync_r, no, off, MONDAY_9 + 3_600_000)
        assert len(json.loads((off / "manifest.json").read_text())["missing"]) == 4
    finally:
        engine.dispose()


CASES = """
INSERT INTO cases (case_no, source, category, grid_code, county_code, state, is_open, tier,
  rework_count, reopen_count, escalations, events, last_event_at)
VALUES (:no, 'video_ai', :cat, 'g', '339901', :state, :open, 0, 0, 0, 0, 7, :last)
"""


def test_sweep_removes_only_media_past_retention(database_url: str, tmp_path: Path) -> None:
    now = dt.datetime(2028, 12, 1, tzinfo=dt.UTC)
    store = DirectoryStore(tmp_path / "media")
    shared, own, kept_open, recent, long_cat = (
        store.put(x) for x in (b"shared", b"own", b"open", b"recent", b"long")
    )
    days = dt.timedelta(days=1)
    cases = [  # case, category, state, open, last event, its objects
        ("old-closed", "06010", "closed", False, now - 800 * days, [shared, own]),
        ("old-open", "06010", "dispatched", True, now - 800 * days, [kept_open]),
        ("new-closed", "06010", "closed", False, now - 10 * days, [shared, recent]),
        ("long-closed", "06036", "closed", False, now - 800 * days, [long_cat]),
    ]
    engine = open_engine(database_url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            for no, cat, state, is_open, last, shas in cases:
                conn.execute(
                    text(CASES),
                    {"no": no, "cat": cat, "state": state, "open": is_open, "last": last},
                )
                for i, sha in enumerate(shas):
                    conn.execute(
                        media.insert().values(
                            case_no=no,
                            ref=f"snapshot:s{i}",
                            kind="snapshot",
                            content_type="image/jpeg",
                            sha256=sha,
                            bytes=1,
                            stored_at=last,
                        )
                    )
        by_category = {"06036": 3650}
        dry = sweep(engine, store, 730, by_category, now, dry_run=True)
        assert (dry.rows, dry.objects) == (2, 0) and store.get(own) == b"own"
        done = sweep(engine, store, 730, by_category, now)
        assert (done.rows, done.objects, done.shared) == (2, 1, 1)
        assert store.get(own) is None  # only old-closed named it
        for sha in (shared, kept_open, recent, long_cat):
            assert store.get(sha) is not None
        with engine.connect() as conn:
            gone = conn.execute(
                select(media.c.case_no, media.c.ref).where(media.c.deleted_at.is_not(None))
            ).all()
        assert sorted(tuple(r) for r in gone) == [
            ("old-closed", "snapshot:s0"),
            ("old-closed", "snapshot:s1"),
        ]
        assert sweep(engine, store, 730, by_category, now).rows == 0  # a second run: nothing
    finally:
        engine.dispose()


def test_a_retention_for_an_unknown_category_stops_the_hub(hub_settings: HubSettings) -> None:
    records = hub_settings.records.model_copy(update={"retention_days_by_category": {"99999": 30}})
    settings = hub_settings.model_copy(update={"records": records})
    problems = HubContext(settings, load_district(settings.district_dir)).problems()
    assert "records.retention_days_by_category: '99999' is not in categories.yaml" in problems


def test_an_s3_store_without_its_bucket_is_refused(hub_settings: HubSettings) -> None:
    with pytest.raises(ValueError, match=r"records\.s3"):
        RecordsSettings.model_validate({"media_store": "s3"})
    with pytest.raises(ValueError, match="bucket"):
        RecordsSettings.model_validate({"media_store": "s3", "s3": {"bucket": "A_B"}})
    assert RecordsSettings.model_validate({"media_store": "s3", "s3": {"bucket": "gw-ev"}})


def test_the_sweep_command(
    hub_settings: HubSettings,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = tmp_path / "hub.yaml"  # the hub_settings fixture's file
    media_dir = tmp_path / "cli-media"
    cfg.write_text(
        cfg.read_text() + f"records:\n  database_url: {database_url}\n  media_dir: {media_dir}\n"
    )
    assert hub_main(["records", "migrate", "--config", str(cfg)]) == 0
    assert hub_main(["records", "sweep", "--config", str(cfg)]) == 0
    assert "0 media past retention swept, 0 objects deleted" in capsys.readouterr().out
