"""``make demo``: the whole system on the sample district with synthetic cameras.

Checks every config, then starts the hub and the edge boxes of the sample district as child
processes, prints the wall URL and keeps them running until Ctrl-C. Parts that are not built
yet are reported and skipped, so the demo always runs what exists.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
HUB_CONFIG = REPO / "configs" / "hub.yaml"
EDGE_CONFIGS = sorted((REPO / "configs" / "edge").glob("edge-*.yaml"))


def _has_command(module: str, command: str) -> bool:
    out = subprocess.run(
        [PY, "-m", module, "--help"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return command in out.stdout


def _validate() -> bool:
    ok = True
    for module, path in [("hub", HUB_CONFIG), *(("edge", p) for p in EDGE_CONFIGS)]:
        out = subprocess.run(
            [PY, "-m", module, "validate-config", str(path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        print((out.stdout or out.stderr).strip())
        ok = ok and out.returncode == 0
    return ok


def main() -> int:
    if not _validate():
        print("demo: fix the configuration problems above first", file=sys.stderr)
        return 2
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    (REPO / "var").mkdir(exist_ok=True)
    children: list[subprocess.Popen[bytes]] = []
    if _has_command("hub", "run"):
        children.append(
            subprocess.Popen(
                [PY, "-m", "hub", "run", "--config", str(HUB_CONFIG)], cwd=REPO, env=env
            )
        )
    else:
        print("demo: the hub service is not built yet; skipping it")
    if _has_command("edge", "run"):
        for cfg in EDGE_CONFIGS:
            children.append(
                subprocess.Popen([PY, "-m", "edge", "run", "--config", str(cfg)], cwd=REPO, env=env)
            )
    else:
        print("demo: the edge agent is not built yet; skipping the synthetic cameras")
    if not children:
        print("demo: nothing to run yet beyond the configuration checks above")
        return 0
    print("\nGridwall demo running. Wall: http://127.0.0.1:8080/wall/   (Ctrl-C stops it)\n")
    stop = False

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop:
            for child in children:
                if child.poll() is not None:
                    print(f"demo: {child.args!r} exited with {child.returncode}", file=sys.stderr)
                    stop = True
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
