"""Shared helpers of the edge tests: box configs, a recording MQTT consumer, bounded waits."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel

from contracts.codec import decode
from contracts.topics import Topic, TopicKind, subscription

REPO = Path(__file__).resolve().parents[2]
CATEGORIES = REPO / "configs" / "district" / "categories.yaml"
MODEL_FP32 = Path(
    os.environ.get("GRIDWALL_EDGE_TEST_MODEL", str(REPO / "models" / "gridwall-det-320.onnx"))
)
"""The shipped model; ``GRIDWALL_EDGE_TEST_MODEL`` points the tests at a candidate instead."""
GROUND = [[0.02, 0.42], [0.98, 0.42], [0.98, 0.99], [0.02, 0.99]]


def wait_for(predicate: Callable[[], bool], timeout_s: float, poll_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll_s)
    return predicate()


def camera(
    camera_id: str,
    main: dict[str, Any],
    *,
    box_id: str = "edge-t1",
    categories: tuple[str, ...] = ("06010", "06901", "08004"),
    fps: float = 5.0,
    detect_fps: float = 5.0,
    wh: tuple[int, int] = (640, 360),
    rules: dict[str, Any] | None = None,
) -> dict[str, Any]:
    zone: dict[str, Any] = {
        "zone_id": "ground",
        "name": "ground",
        "polygon_norm": GROUND,
        "categories": list(categories),
        "target": {"lon": 120.3, "lat": 30.1},
    }
    if rules:
        zone["rules"] = rules
    return {
        "camera_id": camera_id,
        "name": camera_id,
        "box_id": box_id,
        "mount": {"lon": 120.3, "lat": 30.1},
        "stream": {
            "main": main,
            "resolution_wh": list(wh),
            "fps": fps,
            "detect_resolution_wh": list(wh),
            "detect_fps": detect_fps,
        },
        "zones": [zone],
    }


def box_config(
    tmp: Path,
    mqtt_url: str,
    prefix: str,
    cameras: list[dict[str, Any]],
    *,
    box_id: str = "edge-t1",
    backend: str = "truth",
    stats_interval_s: float = 30.0,
    pipeline: dict[str, Any] | None = None,
) -> dict[str, Any]:
    detector: dict[str, Any] = {"backend": backend}
    if backend == "onnx":
        detector["model_path"] = str(MODEL_FP32)
    return {
        "box_id": box_id,
        "mqtt": {"url": mqtt_url, "topic_prefix": prefix},
        "categories_file": str(CATEGORIES),
        "detector": detector,
        "outbox_path": str(tmp / "outbox.sqlite"),
        "stats_interval_s": stats_interval_s,
        "pipeline": pipeline or {},
        "cameras": cameras,
    }


def write_config(tmp: Path, data: dict[str, Any]) -> Path:
    path = tmp / "edge.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


class Recorder:
    """A consumer that records every contract message of one box, decoded, in arrival order."""

    def __init__(
        self,
        url: str,
        prefix: str,
        box_id: str,
        kinds: tuple[TopicKind, ...],
        *,
        client_id: str = "",
        persistent: bool = False,
    ) -> None:
        self.prefix = prefix
        self.messages: list[tuple[Topic, BaseModel | bytes]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        parts = urlsplit(url)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent,
            protocol=mqtt.MQTTv311,
        )
        subs = [(subscription(prefix, k, box_id), 1) for k in kinds]
        self.client.on_connect = lambda c, *_: c.subscribe(subs)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 2)
        self.client.connect_async(parts.hostname or "127.0.0.1", parts.port or 1883, 30)
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:
            return
        try:
            item = decode(self.prefix, msg.topic, bytes(msg.payload))
        except Exception as exc:  # recorded and asserted on by the tests
            self.errors.append(f"{msg.topic}: {exc}")
            return
        with self._lock:
            self.messages.append(item)

    def of(self, kind: type[BaseModel]) -> list[Any]:
        with self._lock:
            return [m for _, m in self.messages if isinstance(m, kind)]

    def snapshots(self) -> dict[str, bytes]:
        with self._lock:
            return {
                t.item_id or "": m
                for t, m in self.messages
                if t.kind is TopicKind.SNAPSHOT and isinstance(m, bytes)
            }

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def publish(url: str, topic: str, payload: bytes, retain: bool = False) -> None:
    parts = urlsplit(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883, 30)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()
