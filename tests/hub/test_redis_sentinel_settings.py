"""Redis behind Sentinel in the hub's settings: the environment's comma-separated list, the
errors a bad list gets at start, and what the client takes from the URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.config_problems import ConfigError
from hub.settings import RedisSettings, load_hub_settings
from hub.store.redis_client import SentinelRedis, _url_kwargs, async_redis, sentinel_addresses

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_the_environment_names_the_sentinels_and_the_primary() -> None:
    env = {
        "GRIDWALL_REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379,10.0.0.3:26380",
        "GRIDWALL_REDIS_MASTER": "county-1",
    }
    s = load_hub_settings(CONFIGS / "hub.yaml", env=env).redis
    assert s.sentinels == ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26380"]
    assert s.sentinel_master == "county-1"
    assert sentinel_addresses(s)[2] == ("10.0.0.3", 26380)
    assert load_hub_settings(CONFIGS / "hub.yaml", env={}).redis.sentinels == []


@pytest.mark.parametrize(
    ("sentinels", "url", "error"),
    [
        ("10.0.0.1", "redis://x/0", r"sentinel '10.0.0.1' must be host:port"),
        ("10.0.0.1:0", "redis://x/0", r"sentinel '10.0.0.1:0' must be host:port"),
        ("a:26379,b:99999", "redis://x/0", r"sentinel 'b:99999' must be host:port"),
        ("a:26379,a:26379", "redis://x/0", r"name one twice"),
        ("a:26379", "unix:///run/redis.sock", r"cannot be unix://"),
    ],
)
def test_a_bad_sentinel_setting_is_named_at_start(
    tmp_path: Path, sentinels: str, url: str, error: str
) -> None:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text(f"district_dir: d\nredis: {{url: '{url}'}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=error):
        load_hub_settings(cfg, env={"GRIDWALL_REDIS_SENTINELS": sentinels})


def test_a_bad_primary_name_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text("district_dir: d\nredis: {sentinel_master: 'a b'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"redis.sentinel_master"):
        load_hub_settings(cfg, env={})


async def test_with_sentinels_the_url_gives_only_database_and_credentials() -> None:
    s = RedisSettings(url="redis://hub:s3cret@ignored:1/4", sentinels=["127.0.0.1:1"])
    kw = _url_kwargs(s.url)
    assert kw == {"db": 4, "username": "hub", "password": "s3cret"}
    client = async_redis(s)
    assert isinstance(client, SentinelRedis) and client.sentinels is not None
    await client.aclose()
