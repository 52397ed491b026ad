"""Prometheus metrics of the box, on their own registry (one per agent)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from contracts.messages import BoxStats

STATES = ("starting", "online", "reconnecting", "offline")


class EdgeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        cam = ["camera"]
        self.capture_fps = Gauge(
            "gridwall_edge_capture_fps", "Frames captured per second", cam, registry=self.registry
        )
        self.detect_fps = Gauge(
            "gridwall_edge_detect_fps", "Detections run per second", cam, registry=self.registry
        )
        self.inference_ms = Gauge(
            "gridwall_edge_inference_ms", "Last inference time", cam, registry=self.registry
        )
        self.skipped = Gauge(
            "gridwall_edge_skipped_frames",
            "Frames not detected (rate, gating, queue)",
            cam,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "gridwall_edge_queue_depth", "Frames waiting for inference", cam, registry=self.registry
        )
        self.camera_state = Gauge(
            "gridwall_edge_camera_state",
            "1 for the camera's current state",
            ["camera", "state"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "gridwall_edge_outbox_depth",
            "Messages not yet acknowledged by the broker",
            registry=self.registry,
        )
        self.cpu_percent = Gauge(
            "gridwall_edge_cpu_percent", "System CPU percent", registry=self.registry
        )
        self.cpu_temp = Gauge(
            "gridwall_edge_cpu_temp_celsius", "CPU temperature", registry=self.registry
        )
        self.mem_used = Gauge(
            "gridwall_edge_mem_used_bytes", "Memory in use", registry=self.registry
        )
        self.disk_free = Gauge(
            "gridwall_edge_disk_free_bytes", "Free disk at the outbox", registry=self.registry
        )
        self.alerts = Gauge(
            "gridwall_edge_alert_messages",
            "Alert messages queued, by type",
            ["type"],
            registry=self.registry,
        )
        self.puback_kept = Gauge(
            "gridwall_edge_puback_kept",
            "Outbox messages a PUBACK did not deliver (kept, sent again), by MQTT 5 reason code"
            " (16: no matching subscribers; 128 and above: refused)",
            ["reason"],
            registry=self.registry,
        )
        self._server: Any = None

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Start the HTTP endpoint (no auth: loopback unless told otherwise); port 0 picks
        a free one, which is returned."""
        server, _thread = start_http_server(port, host, registry=self.registry)
        self._server = server
        return int(server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def observe_kept(self, kept: dict[int, int]) -> None:
        """The MQTT link's count of PUBACKs that kept their row, by reason code."""
        for code, n in list(kept.items()):
            self.puback_kept.labels(str(code)).set(n)

    def observe(self, stats: BoxStats) -> None:
        self.outbox_depth.set(stats.outbox_depth)
        self.cpu_percent.set(stats.cpu_percent)
        if stats.cpu_temp_c is not None:
            self.cpu_temp.set(stats.cpu_temp_c)
        self.mem_used.set(stats.mem_used_bytes)
        self.disk_free.set(stats.disk_free_bytes)
        for cam in stats.cameras:
            c = cam.camera_id
            self.capture_fps.labels(c).set(cam.capture_fps)
            self.detect_fps.labels(c).set(cam.detect_fps)
            self.inference_ms.labels(c).set(cam.inference_ms)
            self.skipped.labels(c).set(cam.skipped_frames)
            self.queue_depth.labels(c).set(cam.queue_depth)
            for s in STATES:
                self.camera_state.labels(c, s).set(1 if cam.state == s else 0)
