"""Every Lua script of the hub declares every key it touches (``hub.store.script_keys``), so
Redis Cluster can route it; the scripts are found, not listed: every string in a hub module
that calls ``redis.call``. The checker itself is table-tested on what it must refuse."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from hub.store.script_keys import undeclared_keys

REPO = Path(__file__).resolve().parents[2]


def _hub_scripts() -> dict[str, str]:
    found = {}
    for path in sorted((REPO / "hub").rglob("*.py")):
        if "redis.call(" not in path.read_text(encoding="utf-8") or path.stem == "script_keys":
            continue
        module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
        for name, value in vars(module).items():
            # a fragment (``_ATTACH``) is checked inside the scripts made of it
            if isinstance(value, str) and "redis.call(" in value and not name.startswith("_"):
                found[f"{module.__name__}.{name}"] = value
    return found


SCRIPTS = _hub_scripts()


def test_the_scripts_are_found() -> None:
    assert {"hub.store.scripts.ALARM_BATCH", "hub.intake.script.INTAKE_FILE"} <= set(SCRIPTS)
    assert len(SCRIPTS) >= 6, sorted(SCRIPTS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_hub_script_touches_only_declared_keys(name: str) -> None:
    assert undeclared_keys(SCRIPTS[name]) == []


@pytest.mark.parametrize(
    ("lua", "expected"),
    [
        ("redis.call('GET', KEYS[1])", []),
        ("local a = KEYS[2]\nredis.call('HSET', a, 'f', 1)", []),
        ("local k = {x = KEYS[1]}\nk.y = KEYS[2]\nredis.call('DEL', k.x, k.y)", []),
        ("redis.call('TIME')", []),
        ("for i, key in ipairs(KEYS) do redis.call('HMGET', key, 'a') end", []),
        ("redis.call('ZADD', KEYS[2 + m * SET[t[1]]], 1, 'x')", []),
        ("redis.call('GET', KEYS[1] .. KEYS[2])", ["line 1: key 'KEYS[1] .. KEYS[2]' is built"]),
        (
            "redis.call('GET', ARGV[1] .. ':alarm')",
            ["line 1: key \"ARGV[1] .. ':alarm'\" is built"],
        ),
        ("redis.call('GET', 'gw:inbox')", ["line 1: key \"'gw:inbox'\" is built"]),
        ("local a = ARGV[1]\nredis.pcall('GET', a)", ["line 2: key 'a' is assigned ARGV[1]"]),
        (
            "local function f(a)\n  return redis.call('GET', a)\nend",
            ["line 2: key 'a' is assigned nothing"],
        ),
        (
            "local a = KEYS[1]\na = ARGV[1]\nredis.call('GET', a)",
            ["line 3: key 'a' is assigned ARGV[1]"],
        ),
        (
            "local k = {}\nk.x = ARGV[2]\nredis.call('GET', k.x)",
            ["line 3: key 'k.x' is assigned ARGV[2]"],
        ),
        (
            "for _, c in ipairs(cmds) do redis.call(unpack(c)) end",
            ["line 1: unpack(c) runs a command"],
        ),
        (
            "if not declared[c[2]] then return end\nredis.call(unpack(c))",
            [],
        ),
    ],
)
def test_the_checker_refuses_keys_not_declared(lua: str, expected: list[str]) -> None:
    got = undeclared_keys(lua)
    assert len(got) == len(expected), got
    for line, start in zip(got, expected, strict=True):
        assert line.startswith(start), (line, start)
