"""The edge agent: camera streams → detections → rules → MQTT alerts, losing nothing."""

__version__ = "0.1.0"
