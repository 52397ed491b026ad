"""A real RTSP server for the tests: GStreamer's rtsp-server serving encoded clip files.

Test scaffolding, run with Debian's ``/usr/bin/python3`` (``python3-gst-1.0`` and
``gir1.2-gst-rtsp-server-1.0``), not the project's venv, which cannot import ``gi``:

    /usr/bin/python3 tests/rtsp/gst_server.py --port 8554 \
        --mount /street=street.h264:h264:5:loop --mount /site=site.h265:h265:5:once

Each mount serves one Annex B elementary stream file (H.264 or H.265) as it is, paced at the
given frame rate, looping or played once; nothing is decoded or encoded here. A stall or
garbage command holds for the mount's current sessions and for those opened after it, as a
camera whose encoder hangs or breaks stays that way across reconnects. Every client
gets its own pipeline from the clip's start. TCP (interleaved) and UDP transports are both
offered; the client chooses. Commands on stdin, one per line, each answered on stdout:

    stall /street     drop every buffer of that mount (sessions stay up, no data flows)
    resume /street    let the data flow again
    garbage /street   overwrite one byte in ten of every picture with a random one
    clean /street     stop doing that
    clients           the number of client connections
The line ``ready PORT`` on stdout says the server listens.
"""

from __future__ import annotations

import argparse
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PAYLOADERS = {"h264": ("h264parse", "rtph264pay"), "h265": ("h265parse", "rtph265pay")}


class Mount:
    def __init__(self, spec: str) -> None:
        path, _, rest = spec.partition("=")
        location, codec, fps, mode = rest.rsplit(":", 3)
        if not path.startswith("/") or codec not in PAYLOADERS or mode not in ("loop", "once"):
            raise SystemExit(f"bad --mount {spec!r}: want /path=FILE:h264|h265:FPS:loop|once")
        self.path = path
        self.stalled = False
        self.noise_probability = 0.0
        self.medias: list[Gst.Element] = []
        parse, pay = PAYLOADERS[codec]
        caps = f"video/x-{codec},stream-format=byte-stream,framerate={int(float(fps))}/1"
        loop = "true" if mode == "loop" else "false"
        self.launch = (
            f'( multifilesrc location="{location}" loop={loop} caps="{caps}" ! {parse} name=parse '
            f"! video/x-{codec},stream-format=byte-stream,alignment=au "
            "! breakmydata name=noise probability=0 skip=64 ! valve name=gate drop=false "
            f"! {pay} name=pay0 pt=96 config-interval=-1 )"
        )

    def configure(self, _factory: object, media: GstRtspServer.RTSPMedia) -> None:
        element = media.get_element()
        pad = element.get_by_name("parse").get_static_pad("src")
        pad.add_probe(Gst.PadProbeType.BUFFER, _stamp_pts)
        self.medias.append(element)
        self.apply()

    def apply(self) -> None:
        for element in self.medias:
            element.get_by_name("gate").set_property("drop", self.stalled)
            element.get_by_name("noise").set_property("probability", self.noise_probability)


def _stamp_pts(_pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
    """The parser times an elementary stream by decode time only; without B-frames the
    presentation time is the same, and the RTP timestamps come from it (a camera's do)."""
    buffer = info.get_buffer()
    if buffer.pts == Gst.CLOCK_TIME_NONE:
        buffer.pts = buffer.dts
    return Gst.PadProbeReturn.OK


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mount", action="append", default=[])
    args = parser.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts: dict[str, Mount] = {}
    for spec in args.mount:
        mount = Mount(spec)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(mount.launch)
        factory.set_shared(False)
        factory.connect("media-configure", mount.configure)
        server.get_mount_points().add_factory(mount.path, factory)
        mounts[mount.path] = mount
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", flush=True)
        return 1
    loop = GLib.MainLoop()

    def command(line: str) -> bool:
        verb, _, path = line.strip().partition(" ")
        if verb == "clients":
            print(f"ok clients {len(server.client_filter(None))}", flush=True)
        elif verb in ("stall", "resume", "garbage", "clean") and path in mounts:
            mount = mounts[path]
            if verb in ("stall", "resume"):
                mount.stalled = verb == "stall"
            else:
                mount.noise_probability = 0.1 if verb == "garbage" else 0.0
            mount.apply()
            print(f"ok {verb} {path}", flush=True)
        else:
            print(f"error unknown command {line.strip()!r}", flush=True)
        return False

    def read_stdin() -> None:
        for line in sys.stdin:
            GLib.idle_add(command, line)
        GLib.idle_add(loop.quit)  # the test closed our stdin: stop

    threading.Thread(target=read_stdin, daemon=True).start()
    print(f"ready {args.port}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
