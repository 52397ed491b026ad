"""The ``recording:`` section of a box config is checked at load, each error naming its
key and value; and a box that cannot record as configured refuses to start recording with
the reason (no video server to serve it; a camera without its own H.264 on a VP8 box)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.config_problems import ConfigError
from contracts.messages import RemoteConfig
from edge.agent import RESTART_KEYS, Agent
from edge.frame_tap import FrameTap
from edge.packet_tap import PacketTap
from edge.recording.service import own_h264, start_recording
from edge.recording.settings import RecordingSettings
from edge.settings import parse_edge_config
from edge.video.service import VideoService
from edge.video.settings import EdgeVideoSettings

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "edge"


def box_config(recording: dict[str, Any] | None) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CONFIGS / "edge-01.yaml").read_text())
    if recording is not None:
        data["recording"] = recording
    return data


def test_a_valid_section_loads_with_its_folder_beside_the_config() -> None:
    config = parse_edge_config(
        box_config({"segment_s": 30, "disk_budget_mb": 500, "cameras": ["cam-01"]}),
        "edge-01.yaml",
        CONFIGS,
        env={},
    )
    rec = config.settings.recording
    assert rec is not None and rec.segment_s == 30 and rec.cameras == ["cam-01"]
    assert rec.path == (CONFIGS / "../../var/edge/recordings").resolve()
    assert parse_edge_config(box_config(None), "x", CONFIGS, env={}).settings.recording is None


@pytest.mark.parametrize(
    ("section", "key", "says"),
    [
        ({"segment_s": 1}, "recording.segment_s", "greater than or equal to 2"),
        ({"disk_budget_mb": 0}, "recording.disk_budget_mb", "greater than or equal to 1"),
        ({"max_age_h": 0.01, "segment_s": 60}, "recording", "must exceed two segments"),
        ({"keep_after_close_h": 100, "max_protect_h": 50}, "recording", "exceeds max_protect_h"),
        ({"retention_s": 5}, "recording.retention_s", "unknown key"),
        ({"rendition": "main stream"}, "recording.rendition", "pattern"),
        ({"cameras": ["cam-99"]}, "recording.cameras", "not a camera of this box"),
    ],
)
def test_a_bad_section_is_refused_naming_the_key(
    section: dict[str, Any], key: str, says: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_edge_config(box_config(section), "edge-01.yaml", CONFIGS, env={})
    text = str(err.value)
    assert key in text and says in text, text


def test_recording_refuses_to_start_without_what_it_needs(tmp_path: Path) -> None:
    config = parse_edge_config(box_config({}), "edge-01.yaml", CONFIGS, env={})
    cams = config.cameras
    assert cams and not any(own_h264(c) for c in cams)  # synthetic cameras
    settings = RecordingSettings(path=tmp_path)
    with pytest.raises(ValueError, match=r"needs the box's video server"):
        start_recording(settings, cams, PacketTap(), None)
    vp8 = VideoService(EdgeVideoSettings(port=0, codec="vp8"), FrameTap(), "t").start()
    try:
        with pytest.raises(ValueError, match=r"set video codec h264 \(it is 'vp8'\)"):
            start_recording(settings, cams, PacketTap(), vp8)
    finally:
        vp8.stop()
    h264 = VideoService(EdgeVideoSettings(port=0, codec="h264"), FrameTap(), "t").start()
    try:
        with pytest.raises(ValueError, match=r"rendition 'big' is not one of"):
            start_recording(
                RecordingSettings(path=tmp_path, rendition="big"), cams, PacketTap(), h264
            )
    finally:
        h264.stop()
    assert not (tmp_path / "index.sqlite").exists()  # nothing started, nothing written


def test_a_remote_config_may_not_change_recording(tmp_path: Path) -> None:
    """``recording`` is a restart key: a remote config that changes it is refused with that
    reason (one that leaves it out keeps the box's own)."""
    data = box_config({"path": str(tmp_path / "rec"), "segment_s": 60})
    data["outbox_path"] = str(tmp_path / "outbox.sqlite")
    data["detector"] = {"backend": "truth"}
    config = parse_edge_config(data, "edge-01.yaml", CONFIGS, env={})
    agent = Agent(config, CONFIGS)
    try:
        kept = {k: v for k, v in data.items() if k not in ("recording", *RESTART_KEYS)}
        assert agent._validate_remote(RemoteConfig(config_id="cfg-0001", issued_ms=1, config=kept))
        changed = {**kept, "recording": {"path": str(tmp_path / "rec"), "segment_s": 30}}
        with pytest.raises(ValueError, match="recording cannot change without a restart"):
            agent._validate_remote(RemoteConfig(config_id="cfg-0002", issued_ms=1, config=changed))
    finally:
        agent.outbox.close()
        agent.alarm_frames.close()
