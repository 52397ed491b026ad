"""Change-stream ids from clients: what Redis accepts passes, anything else is a 422."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from hub.api.stream_ids import check_stream_id


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("0-0", None),
        ("1733540000000-3", None),
        ("1733540000000", None),
        ("18446744073709551615-18446744073709551615", None),
        ("18446744073709551616-0", "numbers below 2^64"),
        ("573681-181851840861108577519158771700", "numbers below 2^64"),  # found by the fuzz run
        ("1-2-3", "got '1-2-3'"),
        ("-1", "change-stream id"),
        ("abc", "since must be"),
        ("", "change-stream id"),
        ("9" * 200, "…"),  # a long value is cut in the answer
    ],
)
def test_stream_ids(value: str, error: str | None) -> None:
    if error is None:
        assert check_stream_id(value, "since") == value
        return
    with pytest.raises(HTTPException) as refused:
        check_stream_id(value, "since")
    assert refused.value.status_code == 422 and error in str(refused.value.detail)
