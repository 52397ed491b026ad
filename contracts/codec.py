"""Bytes ↔ contract models, with size caps and clear rejections.

``decode`` never raises anything but ``ContractError``: random bytes, wrong types, huge
strings and deep nesting all become one readable reason that names the bad value.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from contracts.errors import ContractError
from contracts.messages import (
    CONTRACT_VERSION,
    AlertEvent,
    Availability,
    BoxStats,
    ConfigAck,
    RemoteConfig,
    SensorReading,
    VerifyRequest,
    VerifyResponse,
)
from contracts.topics import Topic, TopicKind, parse_topic

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_SNAPSHOT_BYTES",
    "ContractError",
    "decode",
    "decode_json",
    "decode_snapshot",
    "encode",
]

MAX_MESSAGE_BYTES = 16 * 1024
"""Cap on every JSON message but remote config."""
MAX_CONFIG_BYTES = 256 * 1024
"""Remote config carries a whole box config (cameras, zones): a larger cap of its own."""
MAX_SNAPSHOT_BYTES = 512 * 1024
"""Cap on one snapshot JPEG."""

M = TypeVar("M", bound=BaseModel)

MODEL_FOR_KIND: dict[TopicKind, type[BaseModel]] = {
    TopicKind.AVAILABILITY: Availability,
    TopicKind.EVENT: AlertEvent,
    TopicKind.STATS: BoxStats,
    TopicKind.CONFIG: RemoteConfig,
    TopicKind.CONFIG_ACK: ConfigAck,
    TopicKind.VERIFY_REQUEST: VerifyRequest,
    TopicKind.VERIFY_RESPONSE: VerifyResponse,
    TopicKind.SENSOR: SensorReading,
}


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def describe_validation_error(err: ValidationError, *, limit: int = 5) -> str:
    """One line per problem: ``key.path: got VALUE: reason``."""
    parts = []
    for item in err.errors(include_url=False)[:limit]:
        path = ".".join(str(p) for p in item["loc"]) or "(message)"
        if item["type"] == "missing":
            parts.append(f"{path}: missing")
        elif item["type"] == "extra_forbidden":
            parts.append(f"{path}: unknown key")
        else:
            parts.append(f"{path}: got {_show(item.get('input'))}: {item['msg']}")
    more = err.error_count() - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def decode_json(model: type[M], payload: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> M:
    """Parse one JSON message into ``model``; every failure is a ContractError."""
    if len(payload) > max_bytes:
        raise ContractError(f"message is {len(payload)} bytes, over the {max_bytes}-byte cap")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContractError(f"message is not UTF-8 (bad byte at {exc.start})") from None
    try:
        obj = json.loads(text)
    except RecursionError:
        raise ContractError("message JSON is nested too deeply") from None
    except ValueError as exc:
        raise ContractError(f"message is not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ContractError(f"message must be a JSON object, got {type(obj).__name__}")
    if "v" not in obj:
        raise ContractError("message has no contract version field 'v'")
    version = obj["v"]
    if version != CONTRACT_VERSION or isinstance(version, bool):
        raise ContractError(
            f"unsupported contract version {_show(version)}; this side speaks {CONTRACT_VERSION}"
        )
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise ContractError(f"{model.__name__}: {describe_validation_error(exc)}") from None
    except RecursionError:
        raise ContractError("message JSON is nested too deeply") from None


def decode_snapshot(payload: bytes) -> bytes:
    """Check a snapshot payload: a JPEG within the cap."""
    if len(payload) > MAX_SNAPSHOT_BYTES:
        raise ContractError(
            f"snapshot is {len(payload)} bytes, over the {MAX_SNAPSHOT_BYTES}-byte cap"
        )
    if not payload.startswith(b"\xff\xd8\xff"):
        raise ContractError(
            f"snapshot is not a JPEG (starts with {payload[:4].hex() or 'nothing'})"
        )
    return payload


def decode(prefix: str, topic: str, payload: bytes) -> tuple[Topic, BaseModel | bytes]:
    """Parse a message by its topic: a model for JSON kinds, checked bytes for snapshots."""
    parsed = parse_topic(prefix, topic)
    if parsed.kind is TopicKind.SNAPSHOT:
        return parsed, decode_snapshot(payload)
    model = MODEL_FOR_KIND[parsed.kind]
    cap = MAX_CONFIG_BYTES if parsed.kind is TopicKind.CONFIG else MAX_MESSAGE_BYTES
    message = decode_json(model, payload, max_bytes=cap)
    claimed = getattr(message, "box_id", parsed.box_id)
    if claimed != parsed.box_id:
        raise ContractError(
            f"message names box {claimed!r} but was published under box {parsed.box_id!r}"
        )
    return parsed, message


def encode(message: BaseModel, *, max_bytes: int | None = None) -> bytes:
    """Serialise a contract model to compact JSON, refusing anything over its cap."""
    data = message.model_dump_json(exclude_none=True).encode("utf-8")
    cap = max_bytes or (
        MAX_CONFIG_BYTES if isinstance(message, RemoteConfig) else MAX_MESSAGE_BYTES
    )
    if len(data) > cap:
        raise ContractError(
            f"{type(message).__name__} encodes to {len(data)} bytes, over the {cap}-byte cap"
        )
    return data
