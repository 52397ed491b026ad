"""hub/domain stays pure: no web, Redis, MQTT or WebRTC imports, no wall clock."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "hub" / "domain"
FORBIDDEN = {"fastapi", "starlette", "redis", "paho", "aiortc", "uvicorn", "httpx", "asyncio"}


def test_domain_imports_no_io_libraries() -> None:
    bad = []
    for path in sorted(DOMAIN.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert bad == []


def test_only_the_clock_reads_the_wall_clock() -> None:
    offenders = [
        p.name
        for p in DOMAIN.glob("*.py")
        if p.name != "clock.py"
        and ("time.time" in p.read_text() or "datetime.now" in p.read_text())
    ]
    assert offenders == []
