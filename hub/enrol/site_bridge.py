"""A site broker for boxes behind NAT, bridged to the central broker. Rendering is pure.

A site (a town office, a community room) runs Mosquitto on its LAN; its boxes connect there as
they would to the central broker (same login, same per-box ACL, rendered here by the hub's own
``broker_files``). The site broker holds one bridge per box, logging in to the central broker
*as that box*, so the central ACL confines each bridge exactly as it confines a box connected
directly: out go the box's publications, in come its config and verify requests, QoS 1, with
``cleansession false`` so what the box sent while the uplink was down waits, queued at the
site broker (bounded by bytes), and is delivered when the bridge is back.

    python -m hub.enrol.site_bridge --central hub.example:8883 --ca-file ca.pem \\
        --listen 0.0.0.0:1883 --prefix gridwall --folder /etc/mosquitto/site --box edge-07

writes ``mosquitto.conf``, ``passwd`` and ``acl`` into ``--folder``; each box's password
comes from ``$GRIDWALL_SITE_PASSWORD_<BOX>`` (``edge-07`` → ``GRIDWALL_SITE_PASSWORD_EDGE_07``),
the password the hub enrolled it with. The bridge passwords are in ``mosquitto.conf`` in
clear (Mosquitto takes them no other way): the file is written mode 0600.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from contracts.topics import box_root, check_prefix
from hub.enrol.broker_files import (
    BOX_PUBLISHES,
    Account,
    hash_password,
    render_acl,
    render_password_file,
)

BRIDGE_IN = ("config", "verify/request")
"""What the hubs send a box: retained config and verify requests (the central ACL's box reads,
less its own availability, which the site broker has first-hand)."""
PASSWORD_ENV = "GRIDWALL_SITE_PASSWORD_{}"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HOST = re.compile(r"^[A-Za-z0-9.:_-]+$")


@dataclass(frozen=True)
class SiteBroker:
    """What a site broker needs: where it listens, where the central broker is, its boxes."""

    listen_host: str
    listen_port: int
    central_host: str
    central_port: int
    prefix: str
    folder: Path
    boxes: tuple[tuple[str, str], ...]  # (box id, its broker password)
    ca_file: str | None = None
    restart_s: tuple[int, int] = (1, 10)  # the bridge retries after 1 s, backing off to 10 s

    def __post_init__(self) -> None:
        check_prefix(self.prefix)
        for host in (self.listen_host, self.central_host):
            if not _HOST.match(host):
                raise ValueError(f"host {host!r} is not a plain host name or address")
        for port in (self.listen_port, self.central_port):
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} is not 1-65535")
        if not self.boxes:
            raise ValueError("a site broker needs at least one box")
        seen: set[str] = set()
        for box, password in self.boxes:
            if not _ID.match(box):
                raise ValueError(f"box id {box!r} is not a valid id")
            if box in seen:
                raise ValueError(f"box {box!r} is listed twice")
            if len(password) < 12 or any(c.isspace() for c in password):
                raise ValueError(f"box {box!r}: password must be 12+ characters, no spaces")
            seen.add(box)


def render_conf(site: SiteBroker) -> str:
    """The site broker's ``mosquitto.conf``: its listener and one bridge per box."""
    folder = str(site.folder).rstrip("/")
    out = [
        "# Site broker, bridged to the central broker (rendered by hub.enrol.site_bridge).",
        f"listener {site.listen_port} {site.listen_host}",
        "allow_anonymous false",
        f"password_file {folder}/passwd",
        f"acl_file {folder}/acl",
        "persistence true",
        f"persistence_location {folder}/",
        "autosave_interval 60",
        "set_tcp_nodelay true",
        "max_connections -1",
        "# what waits for a box or for the uplink is bounded by bytes (a count of 0 makes",
        "# Mosquitto 2.0.11 drop a client after refusing its publish)",
        "max_queued_messages 1000000",
        "max_queued_bytes 268435456",
    ]
    low, high = site.restart_s
    for box, password in site.boxes:
        root = box_root(site.prefix, box)
        out += [
            "",
            f"# {box}: logs in to the central broker as the box, under its per-box ACL",
            f"connection gw-{box}",
            f"address {site.central_host}:{site.central_port}",
            f"remote_username {box}",
            f"remote_password {password}",
            f"remote_clientid gw-site-{box}",
            f"local_clientid gw-site-local-{box}",
            "cleansession false",
            "bridge_protocol_version mqttv311",
            "try_private true",
            "notifications false",
            "start_type automatic",
            f"restart_timeout {low} {high}",
            "keepalive_interval 30",
        ]
        if site.ca_file:
            out.append(f"bridge_cafile {site.ca_file}")
        out += [f"topic {root}/{tail} out 1" for tail in BOX_PUBLISHES]
        out += [f"topic {root}/{tail} in 1" for tail in BRIDGE_IN]
    return "\n".join(out) + "\n"


def render_files(site: SiteBroker) -> dict[str, str]:
    """``mosquitto.conf``, ``passwd`` and ``acl`` for the site broker, by file name."""
    accounts = [Account(box, "box", hash_password(pw)) for box, pw in site.boxes]
    return {
        "mosquitto.conf": render_conf(site),
        "passwd": render_password_file(accounts),
        "acl": render_acl(site.prefix, accounts),
    }


def _host_port(text: str, what: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{what} {text!r}: expected HOST:PORT")
    return host, int(port)


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--central", required=True, help="the central broker, HOST:PORT")
    ap.add_argument("--listen", default="0.0.0.0:1883", help="the site broker, HOST:PORT")
    ap.add_argument("--prefix", default="gridwall", help="the deployment's topic prefix")
    ap.add_argument("--folder", required=True, type=Path, help="where the files go")
    ap.add_argument("--box", action="append", required=True, help="a box at this site")
    ap.add_argument("--ca-file", help="CA of the central broker's TLS certificate")
    args = ap.parse_args(argv)
    env = dict(os.environ) if env is None else env
    try:
        boxes = []
        for box in args.box:
            name = PASSWORD_ENV.format(re.sub(r"[^A-Z0-9]", "_", box.upper()))
            if not env.get(name):
                raise ValueError(f"box {box!r}: set ${name} to the box's broker password")
            boxes.append((box, env[name]))
        site = SiteBroker(
            *_host_port(args.listen, "--listen"),
            *_host_port(args.central, "--central"),
            prefix=args.prefix,
            folder=args.folder.resolve(),
            boxes=tuple(boxes),
            ca_file=args.ca_file,
        )
    except ValueError as exc:
        print(f"site_bridge: {exc}", file=sys.stderr)
        return 2
    args.folder.mkdir(parents=True, exist_ok=True)
    for name, text in render_files(site).items():
        path = args.folder / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
    print(f"site_bridge: wrote {', '.join(render_files(site))} for {len(boxes)} box(es)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
