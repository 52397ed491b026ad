"""Where the time of a run went, per hub process and for Redis and the broker, for
``bench/hub_ingest.py``: snapshots taken before and after a phase, and their difference.

Per hub process (its ``/metrics``, ``hub.services.stage_costs``): the process's CPU seconds
(``process_cpu_seconds_total``), the CPU seconds of each CPU stage (MQTT reads, ingest
parsing, acknowledgements, correlation prep) and the rest ("python other": redis-py encoding
commands and parsing replies, asyncio, the fleet check, HTTP), and the wall seconds spent
awaiting each wait stage (Redis round trips, case follow-ups). Redis: its main thread's CPU
seconds (``INFO cpu``, ``used_cpu_*_main_thread``: Redis runs commands on that one thread) and
the server time of the commands it ran (``INFO commandstats``). The broker: its CPU seconds
from ``/proc``. For every process, the time it was ready to run and waited for a core
(``/proc/PID/schedstat``'s run delay): on a machine with more runnable processes than cores
that, not Redis or Python, is where a round trip's time goes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from redis.asyncio import Redis

_TICKS = os.sysconf("SC_CLK_TCK")
_STAGE = re.compile(r'gridwall_hub_stage_(cpu|wait)_seconds_total\{stage="(\w+)"\} (\S+)')
_CPU = re.compile(r"^process_cpu_seconds_total (\S+)", re.M)


def run_delay_s(pid: int) -> float:
    """Seconds a process has been runnable but waiting for a core (``/proc/PID/schedstat``)."""
    with open(f"/proc/{pid}/schedstat", encoding="ascii") as f:
        return int(f.read().split()[1]) / 1e9


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (``/proc/PID/stat``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass
class Snapshot:
    hubs: list[dict[str, float]] = field(default_factory=list)
    redis_main_cpu_s: float = 0.0
    redis_cmd_s: float = 0.0
    redis_calls: int = 0
    broker_cpu_s: float | None = None
    run_delay_s: dict[str, float] = field(default_factory=dict)  # process name → s


async def snapshot(
    ports: list[int], r: Redis, broker_pid: int | None, pids: dict[str, int] | None = None
) -> Snapshot:
    """``pids``: processes whose run delay to read (hub-0, redis, broker...)."""
    out = Snapshot()
    for name, pid in (pids or {}).items():
        out.run_delay_s[name] = run_delay_s(pid)
    async with httpx.AsyncClient(timeout=10) as c:
        for port in ports:
            text = (await c.get(f"http://127.0.0.1:{port}/metrics")).text
            hub = {f"{m[1]}:{m[2]}": float(m[3]) for m in _STAGE.finditer(text)}
            cpu = _CPU.search(text)
            hub["process_cpu"] = float(cpu[1]) if cpu else 0.0
            out.hubs.append(hub)
    info: Any = await r.info("cpu")
    out.redis_main_cpu_s = float(info.get("used_cpu_user_main_thread", 0.0)) + float(
        info.get("used_cpu_sys_main_thread", 0.0)
    )
    stats: Any = await r.info("commandstats")
    out.redis_cmd_s = sum(float(v["usec"]) for v in stats.values()) / 1e6
    out.redis_calls = sum(int(v["calls"]) for v in stats.values())
    if broker_pid is not None:
        out.broker_cpu_s = proc_cpu_s(broker_pid)
    return out


def breakdown(before: Snapshot, after: Snapshot, seconds: float, alerts: int) -> dict[str, Any]:
    """The phase's costs: per hub process (CPU % of one core, CPU seconds per stage and the
    rest, wall seconds awaiting), Redis's main thread and the broker as % of one core, and
    per alert (µs of hub CPU, of Redis main-thread CPU, of Redis command time: the last is
    wall time inside commands, so it grows when Redis waits for a core)."""
    hubs = []
    total_cpu = 0.0
    for b, a in zip(before.hubs, after.hubs, strict=True):
        d = {k: a.get(k, 0.0) - b.get(k, 0.0) for k in a}
        cpu = d.pop("process_cpu")
        total_cpu += cpu
        stages = {k.split(":", 1)[1]: round(v, 3) for k, v in d.items() if k.startswith("cpu:")}
        waits = {k.split(":", 1)[1]: round(v, 3) for k, v in d.items() if k.startswith("wait:")}
        hubs.append(
            {
                "cpu_pct": round(100 * cpu / seconds, 1),
                "cpu_s": round(cpu, 3),
                "cpu_s_by_stage": stages | {"python_other": round(cpu - sum(stages.values()), 3)},
                "wait_s": waits,
            }
        )
    redis_s = after.redis_main_cpu_s - before.redis_main_cpu_s
    cmd_s = after.redis_cmd_s - before.redis_cmd_s
    out: dict[str, Any] = {
        "hub_processes": hubs,
        "hub_cpu_us_per_alert": round(1e6 * total_cpu / alerts, 1) if alerts else None,
        "redis_main_thread_pct": round(100 * redis_s / seconds, 1),
        "redis_cpu_us_per_alert": round(1e6 * redis_s / alerts, 1) if alerts else None,
        "redis_command_us_per_alert": round(1e6 * cmd_s / alerts, 1) if alerts else None,
        "redis_calls": after.redis_calls - before.redis_calls,
    }
    waited = {
        name: round(100 * (after.run_delay_s[name] - s) / seconds, 1)
        for name, s in before.run_delay_s.items()
        if name in after.run_delay_s
    }
    if waited:
        out["waiting_for_a_core_pct"] = waited  # of the phase's wall time, per process
    if before.broker_cpu_s is not None and after.broker_cpu_s is not None:
        out["broker_pct"] = round(100 * (after.broker_cpu_s - before.broker_cpu_s) / seconds, 1)
    return out
