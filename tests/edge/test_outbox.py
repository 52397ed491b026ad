"""The SQLite outbox: order, acknowledgement, seq surviving a reopen, open alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.outbox import Outbox


def test_order_ack_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "box" / "outbox.sqlite"
    ob = Outbox(path)
    for i in range(5):

        def build(seq: int, i: int = i) -> list[tuple[str, bytes]]:
            return [("t/event", f"{seq}:{i}".encode())]

        ob.enqueue_numbered(build)
    rows = ob.after(0, 10)
    assert [r.payload for r in rows] == [f"{i}:{i}".encode() for i in range(5)]
    ob.ack(rows[0].row_id)
    ob.ack(rows[2].row_id)
    assert ob.depth() == 3
    ob.remember_open("e1", b"body")
    ob.close()
    again = Outbox(path)  # an agent restart
    assert [r.payload[:1] for r in again.after(0, 10)] == [b"1", b"3", b"4"]
    seq = again.enqueue_numbered(lambda seq: [("t/event", b"x")])
    assert seq == 5, "seq keeps growing across restarts"
    assert again.open_alerts() == [b"body"]
    again.remember_open("e1", None)
    assert again.open_alerts() == []
    mode = again._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    synchronous = again._db.execute("PRAGMA synchronous").fetchone()[0]
    assert synchronous == 2, "FULL: a commit is on the disk before enqueue returns"
    again.close()


def test_failed_build_takes_no_seq(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.sqlite")

    def bad(seq: int) -> list[tuple[str, bytes]]:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        ob.enqueue_numbered(bad)
    assert ob.enqueue_numbered(lambda seq: [("t", b"ok")]) == 0
    assert ob.depth() == 1
    ob.close()


def test_an_unknown_synchronous_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous must be NORMAL or FULL, got 'OFF'"):
        Outbox(tmp_path / "o.sqlite", synchronous="OFF")  # type: ignore[arg-type]
