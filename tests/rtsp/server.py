"""Start and steer the GStreamer RTSP server (``gst_server.py``) from the tests.

The server runs under Debian's ``/usr/bin/python3`` (``GRIDWALL_TEST_GST_PYTHON`` to choose
another), since the venv cannot import ``gi``. Tests skip, saying what to install, when it
or the GStreamer packages are missing; CI installs them (``scripts/services --rtsp``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

HERE = Path(__file__).resolve().parent
GST_PYTHON = os.environ.get("GRIDWALL_TEST_GST_PYTHON", "/usr/bin/python3")
PACKAGES = (
    "gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-plugins-base "
    "gstreamer1.0-plugins-good gstreamer1.0-plugins-bad"
)


def gst_missing() -> str | None:
    """Why the server cannot run here, or None."""
    probe = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
        "from gi.repository import Gst; Gst.init(None);"
        "missing = [e for e in ('h264parse', 'h265parse', 'rtph264pay', 'rtph265pay',"
        " 'multifilesrc', 'breakmydata', 'valve') if Gst.ElementFactory.find(e) is None];"
        "print(' '.join(missing))"
    )
    try:
        done = subprocess.run(
            [GST_PYTHON, "-c", probe], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{GST_PYTHON} cannot run: {exc}"
    if done.returncode != 0 or done.stdout.strip():
        why = done.stdout.strip() or done.stderr.strip().splitlines()[-1:]
        return f"GStreamer RTSP server unavailable ({why}); apt-get install {PACKAGES}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class MountSpec:
    path: str  # "/street"
    clip: Path
    codec: str  # h264 | h265
    fps: int
    loop: bool = True

    def arg(self) -> str:
        return f"{self.path}={self.clip}:{self.codec}:{self.fps}:{'loop' if self.loop else 'once'}"


class RtspServer:
    """One server process on ``port``; ``kill`` and ``start`` again act a camera reboot."""

    def __init__(self, mounts: list[MountSpec], port: int | None = None) -> None:
        self.mounts = mounts
        self.port = port or free_port()
        self._proc: subprocess.Popen[str] | None = None

    def url(self, path: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}{path}"

    def start(self, timeout_s: float = 30.0) -> RtspServer:
        argv = [GST_PYTHON, str(HERE / "gst_server.py"), "--port", str(self.port)]
        for m in self.mounts:
            argv += ["--mount", m.arg()]
        deadline = time.monotonic() + timeout_s
        while True:  # the port may still be held a moment after a kill
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
            )
            line = _stdout(proc).readline().strip()
            if line.startswith("ready"):
                self._proc = proc
                return self
            _end(proc)
            if time.monotonic() > deadline:
                raise RuntimeError(f"RTSP server did not start: {line!r}")
            time.sleep(0.2)

    def command(self, line: str) -> str:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()
        answer = _stdout(self._proc).readline().strip()
        if not answer.startswith("ok"):
            raise RuntimeError(f"RTSP server refused {line!r}: {answer!r}")
        return answer

    def kill(self) -> None:
        """SIGKILL: connections drop without a TEARDOWN, as when a camera loses power."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGKILL)
            _end(self._proc)
            self._proc = None

    def stop(self) -> None:
        if self._proc is None:
            return
        assert self._proc.stdin is not None
        self._proc.stdin.close()  # the server stops when its stdin closes
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        _end(self._proc)
        self._proc = None


def _end(proc: subprocess.Popen[str]) -> None:
    """Kill if still running, reap, and close our ends of its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None and not pipe.closed:
            with contextlib.suppress(BrokenPipeError):
                pipe.close()


def _stdout(proc: subprocess.Popen[str]) -> IO[str]:
    assert proc.stdout is not None
    return proc.stdout


def require_gst() -> None:
    why = gst_missing()
    if why is not None:
        pytest.skip(why)
