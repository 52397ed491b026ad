"""Must show: the broker stops for 30 s mid-run and the agent is killed and restarted during the
outage; once the broker is back every alert arrives, in order, exactly once after dedup by id.

Runs the real agent as a process (``python -m edge run``) against a private Mosquitto with
persistence, and a consumer with a persistent session. "Every alert" is checked against the
box's own record: the outbox's ``seq`` counter says how many messages the box numbered.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from contracts.messages import AlertEvent
from contracts.topics import TopicKind
from tests.edge.broker import PrivateBroker
from tests.edge.helpers import REPO, Recorder, box_config, camera, wait_for, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT: dict[str, Any] = {
    "background": "street",
    "duration_s": 20.0,
    "loop": True,
    "episodes": [
        {
            "kind": "gas_cylinder_stack",
            "start_s": 1.0,
            "end_s": 9.0,
            "region_norm": (0.12, 0.58, 0.36, 0.82),
            "count": 3,
        },
        {
            "kind": "waste_dump",
            "start_s": 10.0,
            "end_s": 19.0,
            "region_norm": (0.6, 0.6, 0.8, 0.8),
        },
    ],
}


def _agent(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "edge", "run", "--config", str(config)],
            cwd=REPO,
            stdout=out,
            stderr=out,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _numbered(outbox: Path) -> tuple[int, int]:
    """(messages the box numbered, rows still waiting) from the box's own outbox file."""
    db = sqlite3.connect(str(outbox))
    try:
        row = db.execute("SELECT value FROM counters WHERE name='seq'").fetchone()
        depth = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    finally:
        db.close()
    return (int(row[0]) if row else 0), int(depth)


def test_outage_and_restart_lose_nothing(tmp_path: Path, topic_prefix: str) -> None:
    broker = PrivateBroker(tmp_path / "broker")
    broker.start()
    main = {"kind": "synthetic", "script": SCRIPT, "seed": 5, "speed": 2.0}
    rules = {"cylinder_min_count": 3, "cylinder_hold_s": 1.0, "waste_still_s": 2.0}
    cam = camera("cam-o", main, wh=(320, 180), categories=("06010", "06901"), rules=rules)
    data = box_config(
        tmp_path,
        broker.url,
        topic_prefix,
        [cam],
        pipeline={"clear_s": 1.0, "update_interval_s": 2.0, "full_scan_s": 1.0},
    )
    config = write_config(tmp_path, data)
    log = tmp_path / "agent.log"
    rec = Recorder(
        broker.url,
        topic_prefix,
        "edge-t1",
        # what the hubs take: a box keeps a message nobody subscribes to (PUBACK reason 16)
        (TopicKind.EVENT, TopicKind.SNAPSHOT),
        client_id=f"consumer-{topic_prefix}",
        persistent=True,
    )
    agent = _agent(config, log)
    procs = [agent]
    try:
        assert wait_for(lambda: len(rec.of(AlertEvent)) >= 2, 60.0, 0.2), log.read_text()
        before = len(rec.of(AlertEvent))
        broker.stop()
        outage_start_ms = int(time.time() * 1000)
        time.sleep(12.0)  # the scenario itself: alerts pile up while the broker is away
        agent.send_signal(signal.SIGKILL)  # an abrupt restart in the middle of the outage
        agent.wait(10)
        agent = _agent(config, log)
        procs.append(agent)
        time.sleep(max(0.0, 30.0 - (time.time() * 1000 - outage_start_ms) / 1000))
        broker.start()
        outage_end_ms = int(time.time() * 1000)
        time.sleep(6.0)  # new alerts keep coming after the outage, too
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(20) == 0, log.read_text()[-3000:]
        numbered, waiting = _numbered(tmp_path / "outbox.sqlite")
        assert waiting == 0, f"{waiting} messages never reached the broker"

        def complete() -> bool:
            return {e.seq for e in rec.of(AlertEvent)} >= set(range(numbered))

        got = {e.seq for e in rec.of(AlertEvent)}
        assert wait_for(complete, 20.0, 0.2), sorted(set(range(numbered)) - got)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        rec.close()
        broker.stop()
    events: list[AlertEvent] = rec.of(AlertEvent)
    assert not rec.errors
    unique: dict[tuple[str, str, int], AlertEvent] = {}
    first_seen: list[int] = []
    for e in events:
        key = (e.event_id, e.type, e.seq)
        if key not in unique:
            unique[key] = e
            first_seen.append(e.seq)
    assert sorted(s for _, _, s in unique) == list(range(numbered)), "each message exactly once"
    assert first_seen == sorted(first_seen), "alerts arrive in the order the box raised them"
    during = [e for e in unique.values() if outage_start_ms <= e.updated_at_ms <= outage_end_ms]
    assert len(during) >= 3, "alerts raised during the outage were delivered afterwards"
    assert before >= 2
    restarted = [e for e in unique.values() if e.attributes.get("ended_by") == "agent_restart"]
    by_id: dict[str, list[str]] = {}
    for e in sorted(unique.values(), key=lambda e: e.seq):
        by_id.setdefault(e.event_id, []).append(e.type)
    for event_id, types in by_id.items():
        assert types[0] == "new" and types.count("new") == 1, (event_id, types)
        assert "end" not in types[:-1], (event_id, types)
    assert len(restarted) <= 1 + len(by_id)
