"""The one-shot rename of keys from before the district hash tag (``hub.store.rename_keys``):
a stream keeps its consumer group, a key its TTL; tagged keys (this district's, another's)
are left alone; a second run finds nothing; a dry run renames nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from hub.settings import HubSettings
from hub.store.keys import Keys
from hub.store.rename_keys import main


def test_old_keys_move_under_the_district_root(
    hub_settings: HubSettings, tmp_path: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    p = hub_settings.redis.key_prefix
    root = Keys.for_district(p, "339901")
    r = redis.Redis.from_url(redis_url)
    try:
        r.xadd(f"{p}:inbox", {"k": "event", "p": "{}"})
        r.xgroup_create(f"{p}:inbox", "correlate", id="0")
        r.hset(f"{p}:case:33990120261123100001", "state", "dispatched")
        r.set(f"{p}:recent:cam-01:ground:06010", "33990120261123100001", px=600_000)
        r.set(f"{p}:{{339902}}:inbox", "another district's")
        cfg = str(tmp_path / "hub.yaml")
        assert main([cfg]) == 0
        assert "3 key(s) to rename" in capsys.readouterr().out
        assert r.exists(f"{p}:inbox")  # a dry run renames nothing
        assert main([cfg, "--apply"]) == 0
        assert r.xinfo_groups(root.inbox)[0]["name"] == b"correlate"
        assert r.hget(root.case("33990120261123100001"), "state") == b"dispatched"
        assert 0 < r.pttl(root.recent("cam-01:ground:06010")) <= 600_000
        assert r.get(f"{p}:{{339902}}:inbox") == b"another district's"
        assert not r.exists(f"{p}:inbox")
        capsys.readouterr()
        assert main([cfg, "--apply"]) == 0
        assert "renamed 0 of 0" in capsys.readouterr().out
    finally:
        keys = list(r.scan_iter(match=f"{p}:*"))
        if keys:
            r.delete(*keys)
        r.close()
