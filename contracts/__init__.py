"""Gridwall message contract v1: the frozen models and MQTT topics shared by edge and hub.

Nothing in this package does I/O. ``edge`` and ``hub`` both import it; they never import
each other.
"""

from contracts.codec import ContractError, decode_json, encode
from contracts.messages import (
    CONTRACT_VERSION,
    AlertEvent,
    Availability,
    BoxStats,
    ConfigAck,
    DetectionBox,
    RemoteConfig,
    SensorReading,
    VerifyRequest,
    VerifyResponse,
)

__all__ = [
    "CONTRACT_VERSION",
    "AlertEvent",
    "Availability",
    "BoxStats",
    "ConfigAck",
    "ContractError",
    "DetectionBox",
    "RemoteConfig",
    "SensorReading",
    "VerifyRequest",
    "VerifyResponse",
    "decode_json",
    "encode",
]
