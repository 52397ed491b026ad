"""Item 10: the edge agent's Prometheus endpoint (no auth) listens on loopback by default,
so nothing else on the box's network reads it; ``metrics_host`` opens it on purpose."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from edge.agent import Agent
from edge.settings import parse_edge_config
from tests.edge.helpers import box_config, camera

pytestmark = pytest.mark.integration


def _other_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (a connection to them does not use lo)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    found = {str(i[4][0]) for i in infos}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: picks the outgoing interface
            found.add(str(s.getsockname()[0]))
        except OSError:
            pass
    return sorted(a for a in found if not a.startswith("127."))


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def test_metrics_listen_on_loopback_only(tmp_path: Path, mqtt_url: str, topic_prefix: str) -> None:
    stream = {"kind": "synthetic", "preset": "street_corner", "seed": 1, "speed": 1.0}
    data = box_config(tmp_path, mqtt_url, topic_prefix, [camera("cam-a", stream, wh=(320, 180))])
    data["metrics_port"] = 0
    agent = Agent(parse_edge_config(data, "test", tmp_path), tmp_path)
    agent.start()
    try:
        port = agent.metrics_port
        assert port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            assert b"gridwall_edge_outbox_depth" in resp.read()
        others = _other_addresses()
        if not others:
            pytest.skip("this machine has no address besides loopback to try")
        reached = [a for a in others if _reachable(a, port)]
        assert reached == [], f"metrics answered on {reached} (port {port})"
    finally:
        agent.stop()
