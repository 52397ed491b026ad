"""ONVIF against the stand-in device: discovery, Profile S stream and snapshot URIs (the
stream is then read from the real RTSP server), PTZ presets, and the errors, each named."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.onvif.device import OnvifDevice
from edge.onvif.discovery import discover, parse_matches, probe_message
from edge.onvif.soap import OnvifError, Preset, Profile, body_of
from edge.sources.rtsp import RtspSource
from tests.onvif.standin import JPEG, OnvifStandIn
from tests.rtsp.server import RtspServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
def device() -> Iterator[OnvifStandIn]:
    standin = OnvifStandIn("rtsp://127.0.0.1:1/none").start()
    try:
        yield standin
    finally:
        standin.stop()


def _client(standin: OnvifStandIn, password: str = "s3cret") -> OnvifDevice:
    return OnvifDevice(f"{standin.base}/onvif/device_service", "admin", password, timeout_s=10)


def test_discovery_finds_the_camera_and_its_device_service(device: OnvifStandIn) -> None:
    found = discover(timeout_s=1.0, target=("127.0.0.1", device.discovery_port))
    assert len(found) == 1
    camera = found[0]
    assert camera.endpoint == device.endpoint
    assert camera.xaddrs == (f"{device.base}/onvif/device_service",)
    assert camera.scope("name") == "StandIn-PTZ" and camera.scope("location") == "gate-3"
    assert "dn:NetworkVideoTransmitter" in camera.types


def test_answers_to_another_probe_or_not_xml_are_skipped() -> None:
    assert parse_matches(b"not xml <", "urn:uuid:1") == []
    assert parse_matches(probe_message("urn:uuid:1"), "urn:uuid:1") == []  # a probe, no match


def test_profile_s_stream_uri_is_read_and_the_stream_plays(
    device: OnvifStandIn, rtsp: RtspServer
) -> None:
    device.stream_uri = rtsp.url("/h264")
    client = _client(device)
    assert set(client.services()) == {"device", "media", "ptz"}
    assert client.profiles() == [Profile("main", "MainStream", "H264", (640, 360))]
    uri = client.stream_uri("main")
    assert uri == rtsp.url("/h264")
    source = RtspSource(uri, timeout_s=5)
    source.open()
    try:
        assert source.read().image.shape == (360, 640, 3)
    finally:
        source.close()
    with urllib.request.urlopen(client.snapshot_uri("main"), timeout=10) as snapshot:
        assert snapshot.read() == JPEG


def test_ptz_presets_and_going_to_one(device: OnvifStandIn) -> None:
    client = _client(device)
    assert client.presets("main") == [Preset("1", "home"), Preset("2", "gate")]
    client.goto_preset("main", "2")
    client.goto_preset("main", "1")
    assert device.moves == ["2", "1"]
    with pytest.raises(OnvifError, match="ter:NoToken: no such preset"):
        client.goto_preset("main", "9")


def test_errors_are_named(device: OnvifStandIn) -> None:
    with pytest.raises(OnvifError, match="ter:NotAuthorized: Sender not authorized"):
        _client(device, password="wrong").profiles()
    with pytest.raises(OnvifError, match="ter:NoProfile"):
        _client(device).stream_uri("nope")
    with pytest.raises(OnvifError, match="Connection refused"):
        OnvifDevice("http://127.0.0.1:1/onvif/device_service", timeout_s=2).services()
    with pytest.raises(OnvifError, match="exceeds"):
        body_of(b"<x/>" * 70_000, "trt:GetProfilesResponse")
    with pytest.raises(OnvifError, match="not XML"):
        body_of(b"<s:Envelope", "trt:GetProfilesResponse")


@pytest.fixture
def rtsp(clips: dict[str, Path]) -> Iterator[RtspServer]:
    from tests.rtsp.conftest import street_mounts

    server = RtspServer(street_mounts(clips)).start()
    try:
        yield server
    finally:
        server.stop()


def test_the_technicians_survey_lists_streams_and_presets(
    device: OnvifStandIn, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from edge.cli import main

    monkeypatch.setenv("GW_TEST_ONVIF_USER", "admin")
    monkeypatch.setenv("GW_TEST_ONVIF_PASSWORD", "s3cret")
    code = main(
        [
            "onvif-discover",
            "--timeout-s",
            "1",
            "--target",
            f"127.0.0.1:{device.discovery_port}",
            "--username-env",
            "GW_TEST_ONVIF_USER",
            "--password-env",
            "GW_TEST_ONVIF_PASSWORD",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "name=StandIn-PTZ" in printed and "location=gate-3" in printed
    assert "profile main (MainStream, H264 640x360)" in printed
    assert "stream   rtsp://127.0.0.1:1/none" in printed
    assert "presets  1=home, 2=gate" in printed
    assert "1 camera(s) answered" in printed
