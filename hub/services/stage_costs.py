"""Where a hub process's time goes on the alert path, as counters a benchmark can read.

Two kinds of stage, both cumulative seconds on ``/metrics``:
- CPU stages (``gridwall_hub_stage_cpu_seconds{stage}``), synchronous code timed with the
  thread's CPU clock: ``mqtt_read`` (paho reading and parsing packets off the socket),
  ``parse`` (ingest: topic, fast alert check or full contract decode, the inbox write queued),
  ``mqtt_ack`` (the batch's PUBACKs, once Redis has it),
  ``correlate_prep`` (the correlator decoding inbox entries and building the batch script's
  keys and records). Nothing awaits inside them, so no other task's CPU is counted.
- Wait stages (``gridwall_hub_stage_wait_seconds{stage}``), wall time around an ``await``:
  ``redis_ingest`` (the ingest pipeline's round trip), ``redis_correlate`` (the batch script,
  the intents read and the XACK), ``follow_up`` (cases created, merged, reopened: Redis round
  trips and the Python between them). A wait also holds whatever the loop ran meanwhile.

The process's whole CPU is ``process_cpu_seconds_total`` on the same page; what the CPU
stages do not hold is the rest (redis-py encoding commands and parsing replies, asyncio,
the fleet check, HTTP). ``bench/hub_ingest.py`` reads them per hub process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from hub.services.metrics import METRICS

CPU_STAGES = ("mqtt_read", "parse", "mqtt_ack", "correlate_prep")
WAIT_STAGES = ("redis_ingest", "redis_correlate", "follow_up")

_cpu = {s: METRICS.stage_cpu_s.labels(s) for s in CPU_STAGES}
_wait = {s: METRICS.stage_wait_s.labels(s) for s in WAIT_STAGES}


@contextmanager
def cpu(stage: str) -> Iterator[None]:
    """Count the thread CPU seconds of a synchronous block (no ``await`` inside)."""
    start = time.thread_time()
    try:
        yield
    finally:
        _cpu[stage].inc(time.thread_time() - start)


@contextmanager
def wait(stage: str) -> Iterator[None]:
    """Count the wall seconds of a block that awaits (Redis round trips)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        _wait[stage].inc(time.perf_counter() - start)
