"""``make demo``: the whole system on the sample district with synthetic cameras.

Checks every config, writes the demo's tokens and video settings under ``var/demo/``, starts
its own Mosquitto (127.0.0.1, ``DEMO_MQTT_PORT``, default 1884) with passwords and the
per-box ACL the hub renders, then the hub (its own broker login) and the edge boxes (one
login each) as child processes, prints the wall, console, responder and fleet URLs, and
keeps everything running until Ctrl-C. No anonymous client can reach the demo's broker.

Each synthetic camera costs real CPU (rendering, encoding, detection), so by default the demo
runs box ``edge-01`` (5 cameras); ``DEMO_BOXES=edge-01,edge-03`` or ``DEMO_BOXES=all`` runs
more on a bigger machine. The hub always serves the whole district.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from hub.district import load_district
from hub.enrol.local_broker import LocalBroker, prepare
from hub.records.database import safe_url
from hub.settings import load_hub_settings

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
HUB_CONFIG = REPO / "configs" / "hub.yaml"
EDGE_CONFIGS = {p.stem: p for p in sorted((REPO / "configs" / "edge").glob("edge-*.yaml"))}
DEMO = REPO / "var" / "demo"
HUB_URL = "http://127.0.0.1:8080"
DEMO_DATABASE = "postgresql://gridwall:gridwall@127.0.0.1:5432/gridwall"  # scripts/services
VIDEO_PORT0 = 8554
HUB_USER_ENV = "GRIDWALL_HUB_MQTT_USER"
HUB_PASSWORD_ENV = "GRIDWALL_HUB_MQTT_PASSWORD"


def _validate() -> bool:
    ok = True
    for module, path in [("hub", HUB_CONFIG), *(("edge", p) for p in EDGE_CONFIGS.values())]:
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


def _boxes() -> list[str]:
    wanted = os.environ.get("DEMO_BOXES", "").strip() or "edge-01"
    if wanted == "all":
        return list(EDGE_CONFIGS)
    boxes = [b.strip() for b in wanted.split(",") if b.strip()]
    unknown = [b for b in boxes if b not in EDGE_CONFIGS]
    if unknown:
        raise SystemExit(
            f"demo: DEMO_BOXES names unknown boxes {unknown}; known: {list(EDGE_CONFIGS)}"
        )
    return boxes


def _write_demo_files(boxes: list[str]) -> dict[str, str]:
    """Tokens and video settings for this run; returns the environment to run with."""
    district = load_district(REPO / "configs" / "district")
    DEMO.mkdir(parents=True, exist_ok=True)
    cam01 = district.cameras["cam-01"]
    grid = district.grid_index.locate(cam01.zones[0].target.lon, cam01.zones[0].target.lat)
    tokens = {
        role: f"demo-{role}-{secrets.token_hex(8)}"
        for role in ("operator", "technician", "admin", "responder")
    }
    token_lines = [f"{tokens[r]} {r}" for r in ("operator", "technician", "admin")]
    token_lines.append(f"{tokens['responder']} responder p-{grid}-m")
    cameras = {}
    for i, box in enumerate(boxes):
        port = VIDEO_PORT0 + i
        (DEMO / f"{box}-video.yaml").write_text(
            yaml.safe_dump({"video": {"host": "127.0.0.1", "port": port}}), encoding="utf-8"
        )
        for cam in district.cameras.values():
            if cam.box_id == box:
                cameras[cam.camera_id] = {"url": f"http://127.0.0.1:{port}"}
    (DEMO / "hub-video.yaml").write_text(
        yaml.safe_dump({"video": {"cameras": cameras}}), encoding="utf-8"
    )
    return {
        "GRIDWALL_HUB_TOKENS": ",".join(token_lines),
        "GRIDWALL_VIDEO_CONFIG": str(DEMO / "hub-video.yaml"),
        "GRIDWALL_VIDEO_TOKEN": secrets.token_hex(16),
        **{f"DEMO_TOKEN_{r.upper()}": t for r, t in tokens.items()},
    }


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _hub_config(broker_dir: Path, mqtt_url: str) -> Path:
    """``configs/hub.yaml`` with the demo broker: the hub logs in as itself and keeps the
    broker's files (and reloads it) when a box is enrolled during the demo."""
    data = yaml.safe_load(HUB_CONFIG.read_text(encoding="utf-8"))
    data["district_dir"] = str((HUB_CONFIG.parent / data["district_dir"]).resolve())
    data["mqtt"] = {
        **data.get("mqtt", {}),
        "url": mqtt_url,
        "username_env": HUB_USER_ENV,
        "password_env": HUB_PASSWORD_ENV,
    }
    data["enrol"] = {
        **data.get("enrol", {}),
        "broker_dir": str(broker_dir),
        "box_broker_url": mqtt_url,
        "reload": "pidfile",
        "broker_pid_file": str(broker_dir / "mosquitto.pid"),
    }
    path = DEMO / "hub.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _start_broker(
    boxes: list[str], env: dict[str, str]
) -> tuple[Path, LocalBroker, subprocess.Popen[bytes]]:
    """The demo's Mosquitto: passwords and the per-box ACL, on 127.0.0.1 only."""
    port = int(os.environ.get("DEMO_MQTT_PORT", "").strip() or "1884")
    if _listening(port):
        raise SystemExit(
            f"demo: port {port} is taken (an older demo still running?); "
            "stop it or set DEMO_MQTT_PORT to a free port"
        )
    mqtt_url = f"mqtt://127.0.0.1:{port}"
    config = _hub_config((DEMO / "broker").resolve(), mqtt_url)
    settings = load_hub_settings(config, env={**env, "GRIDWALL_MQTT_URL": mqtt_url})
    broker = asyncio.run(prepare(settings, load_district(settings.district_dir), boxes, port))
    proc = subprocess.Popen(["mosquitto", "-c", str(broker.conf)], cwd=REPO)
    deadline = time.monotonic() + 10
    while not _listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            log = broker.folder / "mosquitto.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            proc.kill()
            raise SystemExit(f"demo: the broker did not start on port {port}\n{tail}")
        time.sleep(0.1)
    return config, broker, proc


def _wait_http(url: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answers, even if it wants a token
        except OSError:
            time.sleep(0.5)
    return False


def main() -> int:
    if not _validate():
        print("demo: fix the configuration problems above first", file=sys.stderr)
        return 2
    boxes = _boxes()
    extra = _write_demo_files(boxes)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    hub_config, broker, broker_proc = _start_broker(boxes, env)
    env |= {
        "GRIDWALL_MQTT_URL": broker.url,
        HUB_USER_ENV: broker.hub_username,
        HUB_PASSWORD_ENV: broker.hub_password,
    }
    hub_env = {k: v for k, v in env.items() if not k.startswith("GRIDWALL_EDGE_")}
    # the case history in PostgreSQL (hub/records): the database scripts/services made
    hub_env["GRIDWALL_DATABASE_URL"] = os.environ.get("GRIDWALL_DATABASE_URL") or DEMO_DATABASE
    children: list[subprocess.Popen[bytes]] = [
        subprocess.Popen(
            [PY, "-m", "hub", "run", "--config", str(hub_config)], cwd=REPO, env=hub_env
        )
    ]
    if not _wait_http(f"{HUB_URL}/wall/", 60):
        print("demo: the hub did not answer within 60 s", file=sys.stderr)
    for box in boxes:
        box_env = {
            **{k: v for k, v in env.items() if not k.startswith(("GRIDWALL_HUB_", "DEMO_TOKEN_"))},
            "GRIDWALL_EDGE_VIDEO": str(DEMO / f"{box}-video.yaml"),
            "GRIDWALL_EDGE_USER": box,
            "GRIDWALL_EDGE_PASSWORD": broker.box_passwords[box],
        }
        children.append(
            subprocess.Popen(
                [PY, "-m", "edge", "run", "--config", str(EDGE_CONFIGS[box])], cwd=REPO, env=box_env
            )
        )
    op, tech, resp = (
        extra["DEMO_TOKEN_OPERATOR"],
        extra["DEMO_TOKEN_TECHNICIAN"],
        extra["DEMO_TOKEN_RESPONDER"],
    )
    print(
        f"\nGridwall demo running: hub + {len(boxes)} edge box(es) ({', '.join(boxes)}). Ctrl-C stops it."
    )
    print(f"  wall, whole 2x2 in one window: {HUB_URL}/wall/?wall=main&monitor=all#token={op}")
    for m in range(4):
        print(
            f"  wall monitor {m}:                {HUB_URL}/wall/?wall=main&monitor={m}#token={op}"
        )
    print(f"  operator console:              {HUB_URL}/console/#token={op}")
    print(f"  responder app (phone):         {HUB_URL}/m/#access_token={resp}")
    print(f"  fleet page (technician):       {HUB_URL}/fleet#access_token={tech}")
    print(f"  API docs:                      {HUB_URL}/docs")
    print(f"  broker (logins only, per-box ACL): {broker.url}, files in {broker.folder}")
    db = hub_env["GRIDWALL_DATABASE_URL"]
    shown = db if db == DEMO_DATABASE else safe_url(db)  # the demo's password is no secret
    print(
        f"  case history in PostgreSQL:    GRIDWALL_DATABASE_URL={shown} "
        ".venv/bin/python -m hub records status\n"
    )
    stop = False

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop:
            for child in [*children, broker_proc]:
                if child.poll() is not None:
                    print(f"demo: {child.args!r} exited with {child.returncode}", file=sys.stderr)
                    stop = True
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in [*children, broker_proc]:
            if child is broker_proc and child.poll() is None:
                child.terminate()  # last: the boxes and the hub have said goodbye
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
