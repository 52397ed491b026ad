"""Redis memory of a hub's keys by kind: each key under a district's root is named by its
kind (``case:*``, ``case:*:events``, ``alarm:*``, ``opencases:*``, the streams...), and
``MEMORY USAGE`` (all of a key's elements sampled: ``SAMPLES 0``) is summed per kind, with the
number of keys and bytes per key; the server's ``used_memory`` beside them. For
``bench/hub_ingest.py --memory`` and ``bench/county.py --memory``, or on its own::

    .venv/bin/python bench/redis_memory.py redis://127.0.0.1:6379/0 'gw:{339901}'
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Any

from redis.asyncio import Redis

# an id inside a key name: case numbers, alarm keys, box ids, grid codes, snapshot ids
_KINDS = [
    (re.compile(r"^case:[^:]+:events$"), "case:*:events"),
    (re.compile(r"^case:[^:]+:[^:]+$"), "case:*:<other>"),
    (re.compile(r"^case:[^:]+$"), "case:*"),
    (re.compile(r"^(alarm|recent|edge|snap|verify|deptq|push|media|intake|caseseq):.*"), r"\1:*"),
    (re.compile(r"^opencases:.*"), "opencases:*"),
    (re.compile(r"^fleet:.*"), "fleet:*"),
    (re.compile(r"^kpi:.*"), "kpi:*"),
    (re.compile(r"^wall:([a-z_]+):.+"), r"wall:\1:*"),
]


def kind(rest: str) -> str:
    for pattern, name in _KINDS:
        if pattern.match(rest):
            return pattern.sub(name, rest) if "\\" in name else name
    return rest


async def memory_by_kind(url: str, root: str) -> dict[str, Any]:
    r = Redis.from_url(url)
    try:
        kinds: dict[str, dict[str, int]] = {}
        async for raw in r.scan_iter(match=f"{root}:*", count=1000):
            key = raw.decode()
            k = kind(key[len(root) + 1 :])
            used = await r.memory_usage(key, samples=0) or 0
            entry = kinds.setdefault(k, {"keys": 0, "bytes": 0})
            entry["keys"] += 1
            entry["bytes"] += int(used)
        for entry in kinds.values():
            entry["bytes_per_key"] = round(entry["bytes"] / entry["keys"])
        for stream in ("inbox", "changes", "audit", "dead"):
            if stream in kinds:
                n = int(await r.xlen(f"{root}:{stream}"))
                kinds[stream]["entries"] = n
                kinds[stream]["bytes_per_entry"] = round(kinds[stream]["bytes"] / max(n, 1))
        info: Any = await r.info("memory")
        return {
            "used_memory": int(info["used_memory"]),
            "keys_bytes": sum(e["bytes"] for e in kinds.values()),
            "kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1]["bytes"])),
        }
    finally:
        await r.aclose()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(memory_by_kind(sys.argv[1], sys.argv[2]))))
