"""Fuzzing the decoder: whatever arrives, the answer is a model or a ContractError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.codec import ContractError, decode, encode
from contracts.topics import TopicKind, topic_for
from tests.foundation.test_contract import SAMPLES

P = "gridwall"
TOPICS = [topic_for(P, kind, "edge-01") for kind, _ in SAMPLES] + [
    topic_for(P, TopicKind.SENSOR, "edge-01", "pm-1"),
    topic_for(P, TopicKind.SNAPSHOT, "edge-01", "snap-000000000001"),
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)


def _decode_or_reject(topic: str, payload: bytes) -> None:
    try:
        decode(P, topic, payload)
    except ContractError as exc:
        assert str(exc), "a rejection must say why"


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.sampled_from(TOPICS), st.binary(max_size=2048))
def test_random_bytes(topic: str, payload: bytes) -> None:
    _decode_or_reject(topic, payload)


@FUZZ
@given(st.sampled_from(TOPICS), json_values)
def test_random_json(topic: str, value: Any) -> None:
    _decode_or_reject(topic, json.dumps(value).encode())


@FUZZ
@given(st.sampled_from(range(len(SAMPLES))), st.data())
def test_wrong_types_in_valid_messages(index: int, data: st.DataObject) -> None:
    """Take a valid message and replace one field's value with anything at all."""
    kind, message = SAMPLES[index]
    obj = json.loads(encode(message))
    key = data.draw(st.sampled_from(sorted(obj)))
    obj[key] = data.draw(json_values)
    _decode_or_reject(topic_for(P, kind, "edge-01"), json.dumps(obj).encode())


@FUZZ
@given(st.sampled_from(TOPICS), st.integers(min_value=1, max_value=200_000), st.sampled_from("[{"))
def test_deep_nesting(topic: str, depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    body = (
        ('{"a":' * depth + "1" + closer * depth) if opener == "{" else ("[" * depth + "]" * depth)
    )
    _decode_or_reject(topic, body.encode())


@FUZZ
@given(st.sampled_from(range(len(SAMPLES))), st.integers(min_value=0, max_value=1_000_000))
def test_huge_strings(index: int, size: int) -> None:
    kind, message = SAMPLES[index]
    obj = json.loads(encode(message))
    for key, value in obj.items():
        if isinstance(value, str):
            obj[key] = "x" * size
    _decode_or_reject(topic_for(P, kind, "edge-01"), json.dumps(obj).encode())
