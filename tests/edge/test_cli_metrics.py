"""The command line (validate-config, run, detect) and the box's Prometheus endpoint and
particulate sensor input."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import cv2
import pytest

from contracts.codec import encode
from contracts.messages import Availability, SensorReading
from contracts.topics import TopicKind, topic_for
from edge.agent import Agent
from edge.cli import main
from edge.settings import parse_edge_config
from edge.synth import SceneScript, SyntheticScene
from tests.edge.helpers import (
    MODEL_FP32,
    REPO,
    Recorder,
    box_config,
    camera,
    publish,
    wait_for,
    write_config,
)


@pytest.mark.parametrize("name", ["edge-01.yaml", "edge-02.yaml", "edge-03.yaml", "edge-04.yaml"])
def test_shipped_box_configs_validate(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-config", str(REPO / "configs" / "edge" / name)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_run_refuses_a_bad_config_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = box_config(
        tmp_path, "mqtt://127.0.0.1:1883", "x", [camera("cam-a", {"kind": "usb", "device": 0})]
    )
    data["pipeline"] = {"full_scan_s": 5.0, "track_max_age_s": 2.0, "queue_sise": 3}
    assert main(["run", "--config", str(write_config(tmp_path, data))]) == 2
    err = capsys.readouterr().err
    assert "pipeline.queue_sise: got 3: unknown key" in err


def test_detect_reports_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tmp_path / "nope.jpg"), "--model", str(tmp_path / "m.onnx")]) == 2
    assert "m.onnx" in capsys.readouterr().err


@pytest.mark.skipif(not MODEL_FP32.is_file(), reason="shipped model not committed yet")
def test_detect_writes_an_annotated_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = SyntheticScene(SceneScript.preset("construction_site"), (640, 360), 1.0, seed=1)
    frame = scene.render_at(70.0)
    image = tmp_path / "site.jpg"
    cv2.imwrite(str(image), frame.image)
    assert main(["detect", str(image), "--model", str(MODEL_FP32)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "site.detected.jpg").is_file()
    truth = {t.class_name for t in frame.truth}
    assert any(line.split()[0] in truth for line in out.splitlines()), out


@pytest.mark.integration
def test_metrics_endpoint_and_pm10_input(tmp_path: Path, mqtt_url: str, topic_prefix: str) -> None:
    main_stream = {"kind": "synthetic", "preset": "street_corner", "seed": 1, "speed": 1.0}
    data = box_config(
        tmp_path, mqtt_url, topic_prefix, [camera("cam-a", main_stream, wh=(320, 180))]
    )
    data["stats_interval_s"] = 1.0
    data["metrics_port"] = 0
    agent = Agent(parse_edge_config(data, "test", tmp_path), tmp_path)
    agent.start()
    rec = Recorder(mqtt_url, topic_prefix, "edge-t1", (TopicKind.AVAILABILITY,))
    try:
        assert wait_for(lambda: [a.state for a in rec.of(Availability)] == ["online"], 10.0)
        assert agent.metrics_port
        url = f"http://127.0.0.1:{agent.metrics_port}/metrics"

        def scraped() -> str:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return str(resp.read().decode())

        online = 'gridwall_edge_camera_state{camera="cam-a",state="online"} 1.0'
        assert wait_for(lambda: online in scraped(), 15.0, 0.3)
        assert "gridwall_edge_outbox_depth" in scraped()
        reading = SensorReading(
            box_id="edge-t1",
            sensor_id="pm-1",
            camera_id="cam-a",
            quantity="pm10",
            value=420.0,
            unit="ug/m3",
            measured_ms=int(time.time() * 1000),
        )
        topic = topic_for(topic_prefix, TopicKind.SENSOR, "edge-t1", "pm-1")
        publish(mqtt_url, topic, encode(reading))
        assert wait_for(lambda: agent.sensors.pm10("cam-a") == 420.0, 10.0)
        publish(mqtt_url, topic, b'{"v": 1, "value": "lots"}')  # bad: parked, never fatal
        assert wait_for(lambda: agent.link.bad_messages >= 1, 10.0)
        assert online in scraped()
    finally:
        agent.stop()
    try:

        def states() -> list[str]:
            return [a.state for a in rec.of(Availability)]

        assert wait_for(lambda: states() == ["online", "offline"], 10.0), states()
    finally:
        rec.close()
        publish(mqtt_url, topic_for(topic_prefix, TopicKind.AVAILABILITY, "edge-t1"), b"", True)
