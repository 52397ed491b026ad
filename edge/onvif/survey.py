"""``python -m edge onvif-discover``: what a technician runs on a new site: every ONVIF
camera that answers a WS-Discovery probe, and with credentials its media profiles, stream
and snapshot URIs and PTZ presets, ready to copy into the box's camera config."""

from __future__ import annotations

import os
from typing import TextIO

from edge.onvif.device import OnvifDevice
from edge.onvif.discovery import MULTICAST, discover
from edge.onvif.soap import OnvifError


def survey(
    out: TextIO,
    timeout_s: float = 3.0,
    target: tuple[str, int] = MULTICAST,
    username_env: str | None = None,
    password_env: str | None = None,
) -> int:
    """Print the cameras found; 0 if any answered, 1 if none did."""
    user = os.environ.get(username_env) if username_env else None
    password = os.environ.get(password_env, "") if password_env else ""
    found = discover(timeout_s, target)
    for camera in found:
        print(
            f"{camera.endpoint}  name={camera.scope('name') or '?'}  "
            f"location={camera.scope('location') or '?'}  device={camera.xaddrs[0]}",
            file=out,
        )
        if user is None:
            continue
        device = OnvifDevice(camera.xaddrs[0], user, password)
        try:
            for profile in device.profiles():
                size = "x".join(map(str, profile.resolution_wh or ()))
                print(
                    f"  profile {profile.token} ({profile.name}, {profile.encoding} {size})",
                    file=out,
                )
                print(f"    stream   {device.stream_uri(profile.token)}", file=out)
                print(f"    snapshot {device.snapshot_uri(profile.token)}", file=out)
                if "ptz" in device.services():
                    presets = ", ".join(
                        f"{p.token}={p.name}" for p in device.presets(profile.token)
                    )
                    print(f"    presets  {presets or 'none'}", file=out)
        except OnvifError as exc:
            print(f"  cannot read it: {exc}", file=out)
    print(f"{len(found)} camera(s) answered within {timeout_s:g} s", file=out)
    return 0 if found else 1
