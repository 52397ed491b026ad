"""``python -m edge enrol --hub URL --token T``: spend a one-time token, write the box's files.

Writes into ``--dir`` (default ``/etc/gridwall``):

- ``edge.yaml``: the box config (box id, broker, detector, outbox), validated before it is kept;
- ``cameras.yaml`` and ``categories.yaml``: this box's cameras and the district's categories;
- ``credentials.env``: ``GRIDWALL_EDGE_USER`` / ``GRIDWALL_EDGE_PASSWORD`` (mode 0600), read by
  the systemd unit (``EnvironmentFile=``) and by ``python -m edge supervise``.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from contracts.config_problems import ConfigError
from edge.settings import load_edge_config

USER_ENV = "GRIDWALL_EDGE_USER"
PASSWORD_ENV = "GRIDWALL_EDGE_PASSWORD"


class EnrolFailed(RuntimeError):
    pass


def redeem(hub_url: str, token: str, timeout_s: float = 15.0) -> dict[str, Any]:
    """Ask the hub for this box's bundle; the error names what the hub said."""
    url = hub_url.rstrip("/") + "/api/enrol/redeem"
    if not url.startswith(("http://", "https://")):
        raise EnrolFailed(f"hub URL {hub_url!r} must start with http:// or https://")
    req = urllib.request.Request(
        url,
        data=json.dumps({"token": token}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            body: dict[str, Any] = json.loads(resp.read())
            return body
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        raise EnrolFailed(f"hub refused the token ({exc.code}): {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise EnrolFailed(f"cannot reach the hub at {url}: {exc}") from None


def box_config(bundle: dict[str, Any], data_dir: Path, model_path: Path) -> dict[str, Any]:
    mqtt = bundle["mqtt"]
    return {
        "box_id": bundle["box_id"],
        "mqtt": {
            "url": mqtt["url"],
            "topic_prefix": mqtt["topic_prefix"],
            "username_env": USER_ENV,
            "password_env": PASSWORD_ENV,
        },
        "cameras_file": "cameras.yaml",
        "categories_file": "categories.yaml",
        "detector": {"model_path": str(model_path)},
        "outbox_path": str(data_dir / "outbox.sqlite"),
    }


def write_files(
    bundle: dict[str, Any],
    folder: Path,
    data_dir: Path,
    model_path: Path,
    detector: dict[str, Any] | None = None,
) -> Path:
    """Write the four files; the config is checked before anything replaces an old one."""
    folder.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    cfg = box_config(bundle, data_dir, model_path)
    if detector:
        cfg["detector"] = {**cfg["detector"], **detector}
    staged = folder / ".enrol-staged"
    staged.mkdir(exist_ok=True)
    files = {
        "edge.yaml": cfg,
        "cameras.yaml": bundle["cameras"],
        "categories.yaml": bundle["categories"],
    }
    for name, content in files.items():
        (staged / name).write_text(
            yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    try:
        load_edge_config(staged / "edge.yaml", env={})
    except ConfigError as exc:
        raise EnrolFailed(
            "the hub's config does not validate on this box: "
            + "; ".join(str(p) for p in exc.problems)
        ) from None
    for name in files:
        os.replace(staged / name, folder / name)
    staged.rmdir()
    creds = folder / "credentials.env"
    fd = os.open(creds, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{USER_ENV}={mqtt_field(bundle, 'username')}\n")
        f.write(f"{PASSWORD_ENV}={mqtt_field(bundle, 'password')}\n")
    return folder / "edge.yaml"


def mqtt_field(bundle: dict[str, Any], key: str) -> str:
    value = str(bundle["mqtt"][key])
    if "\n" in value or ("=" in value and key == "username"):
        raise EnrolFailed(f"hub sent an unusable broker {key}")
    return value


def read_env_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value
    return out


def main(
    hub: str, token: str, folder: Path, data_dir: Path, model: Path, backend: str | None
) -> int:
    try:
        bundle = redeem(hub, token)
        path = write_files(
            bundle, folder, data_dir, model, {"backend": backend} if backend else None
        )
    except (EnrolFailed, KeyError) as exc:
        print(f"enrolment failed: {exc}", file=sys.stderr)
        return 2
    cams = len(bundle["cameras"]["cameras"])
    print(f"enrolled box {bundle['box_id']}: {cams} cameras; config {path}")
    return 0
