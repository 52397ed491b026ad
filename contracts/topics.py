"""MQTT topics of contract v1.

Everything a box sends or receives lives under ``{prefix}/v1/edge/{box_id}/``, so a broker
ACL can confine a box to its own prefix. ``prefix`` is a deployment setting (``gridwall`` by
default; tests use their own so they never touch a running system).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from contracts.errors import ContractError

API_VERSION = "v1"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")


class TopicKind(StrEnum):
    """What a topic carries; the value is the topic's tail after the box id."""

    AVAILABILITY = "availability"
    EVENT = "event"
    SNAPSHOT = "snapshot"  # followed by /{snapshot_id}; payload is raw JPEG bytes
    STATS = "stats"
    CONFIG = "config"  # hub → box, retained
    CONFIG_ACK = "config/ack"
    VERIFY_REQUEST = "verify/request"  # hub → box
    VERIFY_RESPONSE = "verify/response"
    SENSOR = "sensor"  # followed by /{sensor_id}


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: its kind, the box it belongs to and the trailing id, if any."""

    kind: TopicKind
    box_id: str
    item_id: str | None = None


def check_prefix(prefix: str) -> str:
    if not _PREFIX.match(prefix):
        raise ContractError(f"topic prefix {prefix!r} must be letters, digits, '_', '-' and '/'")
    return prefix


def box_root(prefix: str, box_id: str) -> str:
    return f"{prefix}/{API_VERSION}/edge/{box_id}"


def topic_for(prefix: str, kind: TopicKind, box_id: str, item_id: str | None = None) -> str:
    """Build a topic; ``item_id`` is required for snapshots and sensors, refused otherwise."""
    if not _ID.match(box_id):
        raise ContractError(f"box id {box_id!r} is not a valid id")
    needs_item = kind in (TopicKind.SNAPSHOT, TopicKind.SENSOR)
    if needs_item != (item_id is not None):
        raise ContractError(f"topic kind {kind.value!r} {'needs' if needs_item else 'takes no'} id")
    base = f"{box_root(prefix, box_id)}/{kind.value}"
    return f"{base}/{item_id}" if item_id is not None else base


def subscription(prefix: str, kind: TopicKind, box_id: str = "+") -> str:
    """A subscription filter for one kind over one box or all boxes (``+``)."""
    base = f"{box_root(prefix, box_id)}/{kind.value}"
    return f"{base}/+" if kind in (TopicKind.SNAPSHOT, TopicKind.SENSOR) else base


def shared(group: str, topic_filter: str) -> str:
    """An MQTT 5 shared subscription, so several hub processes split one stream."""
    return f"$share/{group}/{topic_filter}"


_TAILS = sorted(TopicKind, key=lambda k: -len(k.value))


def parse_topic(prefix: str, topic: str) -> Topic:
    """Parse a contract topic; raises ContractError naming the topic when it is not one."""
    root = f"{prefix}/{API_VERSION}/edge/"
    if not topic.startswith(root):
        other = topic.removeprefix(f"{prefix}/").split("/", 1)[0]
        if topic.startswith(f"{prefix}/") and re.fullmatch(r"v[0-9]+", other):
            raise ContractError(f"unsupported contract version {other!r} in topic {topic!r}")
        raise ContractError(f"topic {topic!r} is not under {root!r}")
    box_id, _, tail = topic[len(root) :].partition("/")
    if not _ID.match(box_id):
        raise ContractError(f"topic {topic!r}: box id {box_id!r} is not a valid id")
    for kind in _TAILS:
        if kind in (TopicKind.SNAPSHOT, TopicKind.SENSOR):
            head, _, item = tail.partition("/")
            if head == kind.value and item:
                if "/" in item or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,95}", item):
                    raise ContractError(f"topic {topic!r}: bad {kind.value} id {item!r}")
                return Topic(kind, box_id, item)
        elif tail == kind.value:
            return Topic(kind, box_id)
    raise ContractError(f"topic {topic!r}: unknown message kind {tail!r}")


def responder_push_topic(prefix: str, person_id: str) -> str:
    """Where native apps of one responder read their pushes (QoS 1): an addition to v1."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", person_id):
        raise ContractError(f"person id {person_id!r} is not safe in a topic")
    return f"{prefix}/{API_VERSION}/responder/{person_id}/push"
