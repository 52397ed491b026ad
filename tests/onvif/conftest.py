"""The RTSP clips of tests/rtsp, for the stream an ONVIF profile points at."""

from tests.rtsp.conftest import clips

__all__ = ["clips"]
