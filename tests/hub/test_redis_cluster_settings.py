"""Redis Cluster in the hub's settings (``GRIDWALL_REDIS_CLUSTER``): the list the environment
gives, the errors a bad one gets at start, and the district's hash tag in every key root."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.config_problems import ConfigError
from hub.settings import load_hub_settings
from hub.store.keys import Keys, key_root

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_the_environment_names_the_cluster_nodes() -> None:
    env = {"GRIDWALL_REDIS_CLUSTER": "10.0.0.1:7000, 10.0.0.2:7001,10.0.0.3:7002"}
    s = load_hub_settings(CONFIGS / "hub.yaml", env=env).redis
    assert s.cluster == ["10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002"]
    assert load_hub_settings(CONFIGS / "hub.yaml", env={}).redis.cluster == []


@pytest.mark.parametrize(
    ("cluster", "redis", "error"),
    [
        ("10.0.0.1", "{url: 'redis://x'}", r"cluster node '10.0.0.1' must be host:port"),
        ("a:7000,b:70000", "{url: 'redis://x'}", r"cluster node 'b:70000' must be host:port"),
        ("a:7000,a:7000", "{url: 'redis://x'}", r"name one twice"),
        ("a:7000", "{url: 'unix:///run/redis.sock'}", r"with cluster the Redis URL"),
        ("a:7000", "{url: 'redis://x/3'}", r"database 0 only"),
        ("a:7000", "{sentinels: ['s:26379']}", r"either behind sentinels or a cluster"),
    ],
)
def test_a_bad_cluster_setting_is_named_at_start(
    tmp_path: Path, cluster: str, redis: str, error: str
) -> None:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text(f"district_dir: d\nredis: {redis}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=error):
        load_hub_settings(cfg, env={"GRIDWALL_REDIS_CLUSTER": cluster})


@pytest.mark.parametrize(
    ("root", "error"),
    [
        ("gw:{339901}", None),
        ("t-abc:{339901}", None),
        ("gw", "has no hash tag"),
        ("gw:339901", "has no hash tag"),
        ("{gw:339901", "has no hash tag"),
    ],
)
def test_a_key_root_carries_one_hash_tag(root: str, error: str | None) -> None:
    if error is None:
        assert Keys(root).case("1").startswith(root + ":")
    else:
        with pytest.raises(ValueError, match=error):
            Keys(root)


def test_the_root_is_the_prefix_and_the_county_code() -> None:
    assert key_root("gw", "339901") == "gw:{339901}"
    assert Keys.for_district("gw", "339901").inbox == "gw:{339901}:inbox"
    with pytest.raises(ValueError, match="cannot be a hash tag"):
        key_root("gw", "33{99}")
