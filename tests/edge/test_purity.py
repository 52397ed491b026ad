"""The edge's pure core imports no I/O library: rules stay table-testable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

EDGE = Path(__file__).resolve().parents[2] / "edge"
PURE = [
    "detections.py",
    "tracker.py",
    "rules.py",
    "lifecycle.py",
    "zones.py",
    "haze.py",
    "gate.py",
    "sensors.py",
    "detect/letterbox.py",
    "scene_change.py",
    "verify_rule.py",
    "zone_verify.py",
    "recording/retention.py",
]
IO = {"paho", "sqlite3", "onnxruntime", "prometheus_client", "psutil", "socket", "ultralytics"}


@pytest.mark.parametrize("name", PURE)
def test_pure_module_imports_no_io(name: str) -> None:
    tree = ast.parse((EDGE / name).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    assert not found & IO, f"{name} imports {sorted(found & IO)}"
