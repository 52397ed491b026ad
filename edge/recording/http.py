"""The box's recording routes, served by its video server (``edge/video/server.py``) behind
the same bearer token; the hub proxies them (``hub/video/recordings.py``).

| method, path | answer |
|---|---|
| ``GET /recordings/{camera}?start_ms=&end_ms=`` | JSON: segments and alarm marks overlapping the window |
| ``GET /recordings/{camera}/segments/{id}.mp4`` | the segment file; ``Range: bytes=`` honoured (206) |
| ``GET /recordings/{camera}/clip.mp4?start_ms=&end_ms=`` | an MP4 of the window, remuxed, keyframe-aligned |
| ``POST /recordings/{camera}/closed?zone_id=&category=&from_ms=&closed_ms=`` | a case of that zone and category closed: its alarms' keep period starts |

Bad input is answered 400/404/416 with the reason in the body; nothing is written.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from edge.recording.clip import Clip, export_clip
from edge.recording.recorder import Recorder
from edge.recording.retention import clip_window, protected_until
from edge.recording.segment import RecordingError

PREFIX = "/recordings/"
_LIST = re.compile(r"^/recordings/([A-Za-z0-9_-]{1,64})$")
_SEGMENT = re.compile(r"^/recordings/([A-Za-z0-9_-]{1,64})/segments/([0-9]{1,18})\.mp4$")
_CLIP = re.compile(r"^/recordings/([A-Za-z0-9_-]{1,64})/clip\.mp4$")
_CLOSED = re.compile(r"^/recordings/([A-Za-z0-9_-]{1,64})/closed$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None  # stream this file's [start, end] instead of body
    span: tuple[int, int] = (0, -1)
    remove_after: bool = False  # the file is a clip made for this answer


def _text(status: int, reason: str) -> Answer:
    return Answer(status, reason.encode(), {"Content-Type": "text/plain; charset=utf-8"})


def _json(data: Any) -> Answer:
    return Answer(
        200,
        json.dumps(data, separators=(",", ":")).encode(),
        {"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def _window(
    query: dict[str, list[str]], need: bool, names: tuple[str, str] = ("start_ms", "end_ms")
) -> tuple[int, int]:
    def one(name: str, default: int | None) -> int:
        raw = query.get(name, [None])[0]
        if raw is None:
            if default is None:
                raise ValueError(f"{name} is required (Unix ms)")
            return default
        if not raw.isdigit() or len(raw) > 17:
            raise ValueError(f"{name} must be Unix milliseconds, got {raw[:40]!r}")
        return int(raw)

    start = one(names[0], None if need else 0)
    end = one(names[1], None if need else 2**62)
    if end <= start:
        raise ValueError(f"{names[1]} {end} must come after {names[0]} {start}")
    return start, end


class RecordingRoutes:
    def __init__(self, recorder: Recorder, max_clip_s: float = 600.0) -> None:
        self.recorder = recorder
        self.max_clip_ms = round(max_clip_s * 1000)

    async def answer(self, method: str, target: str, headers: dict[str, str]) -> Answer:
        path, _, raw_query = target.partition("?")
        query = parse_qs(raw_query)
        try:
            if method == "POST" and (m := _CLOSED.match(path)):
                return self._closed(m[1], query)
            if method != "GET":
                return _text(405, f"{method} is not served on {path[:80]!r}")
            if m := _LIST.match(path):
                return self._list(m[1], *_window(query, need=False))
            if m := _SEGMENT.match(path):
                return self._segment(m[1], int(m[2]), headers.get("range"))
            if m := _CLIP.match(path):
                return await self._clip(m[1], *_window(query, need=True))
        except ValueError as exc:
            return _text(400, str(exc))
        return _text(404, f"path {path[:80]!r} is not a recording route")

    def _list(self, camera_id: str, start_ms: int, end_ms: int) -> Answer:
        if camera_id not in self.recorder.cameras:
            return _text(404, f"camera {camera_id!r} is not recorded on this box")
        index, policy = self.recorder.index, self.recorder.policy
        segments = [
            {
                "id": s.info.segment_id,
                "start_ms": s.info.start_ms,
                "end_ms": s.info.end_ms,
                "bytes": s.info.size_bytes,
                "open": s.info.open,
            }
            for s in index.segments(camera_id, start_ms, end_ms)
        ]
        alarms = []
        for a in index.alarms(camera_id, start_ms, end_ms):
            t0, t1 = clip_window(a.mark, policy)
            alarms.append(
                {
                    "event_id": a.event_id,
                    "zone_id": a.zone_id,
                    "category": a.category,
                    "started_ms": a.mark.started_ms,
                    "ended_ms": a.mark.ended_ms,
                    "closed_ms": a.mark.closed_ms,
                    "clip_start_ms": t0,
                    "clip_end_ms": t1 if a.mark.ended_ms is not None else None,
                    "protected_until_ms": protected_until(a.mark, policy),
                }
            )
        return _json({"camera_id": camera_id, "segments": segments, "alarms": alarms})

    def _segment(self, camera_id: str, segment_id: int, byte_range: str | None) -> Answer:
        seg = self.recorder.index.segment(segment_id)
        if seg is None or seg.info.camera_id != camera_id:
            return _text(404, f"camera {camera_id!r} has no segment {segment_id}")
        path = self.recorder.root / seg.path
        try:
            size = path.stat().st_size
        except OSError:
            return _text(404, f"segment {segment_id} is gone (retention deleted it)")
        head = {"Content-Type": "video/mp4", "Accept-Ranges": "bytes", "Cache-Control": "no-store"}
        if byte_range is None:
            return Answer(200, headers=head, file=path, span=(0, size - 1))
        m = _RANGE.match(byte_range.strip())
        if m is None or (not m[1] and not m[2]):
            return _text(416, f"unsupported Range {byte_range[:60]!r}: one bytes=A-B only")
        if m[1]:
            start, end = int(m[1]), min(int(m[2]) if m[2] else size - 1, size - 1)
        else:
            start, end = max(0, size - int(m[2])), size - 1
        if start >= size or start > end:
            answer = _text(416, f"range {byte_range[:60]!r} outside {size} bytes")
            answer.headers["Content-Range"] = f"bytes */{size}"
            return answer
        head["Content-Range"] = f"bytes {start}-{end}/{size}"
        return Answer(206, headers=head, file=path, span=(start, end))

    async def _clip(self, camera_id: str, start_ms: int, end_ms: int) -> Answer:
        """Written to a file under the recording folder, streamed, then removed: a long clip
        never sits in the box's memory."""
        if camera_id not in self.recorder.cameras:
            return _text(404, f"camera {camera_id!r} is not recorded on this box")
        if end_ms - start_ms > self.max_clip_ms:
            return _text(400, f"a clip is at most {self.max_clip_ms // 1000} s")
        try:
            clip, out = await asyncio.to_thread(self._make_clip, camera_id, start_ms, end_ms)
        except RecordingError as exc:
            return _text(404, str(exc))
        return Answer(
            200,
            headers={
                "Content-Type": "video/mp4",
                "Content-Disposition": f'attachment; filename="{camera_id}-{start_ms}-{end_ms}.mp4"',
                "X-Clip-First-Ms": str(clip.first_ms),
                "X-Clip-Last-Ms": str(clip.last_ms),
                "X-Clip-Packets": str(clip.packets),
            },
            file=out,
            span=(0, clip.size_bytes - 1),
            remove_after=True,
        )

    def _make_clip(self, camera_id: str, start_ms: int, end_ms: int) -> tuple[Clip, Path]:
        segments = self.recorder.index.segments(camera_id, start_ms - 60_000, end_ms)
        exports = self.recorder.root / ".exports"
        exports.mkdir(exist_ok=True)
        fd, name = tempfile.mkstemp(suffix=".mp4", dir=exports)
        os.close(fd)
        out = Path(name)
        try:
            return export_clip(self.recorder.root, segments, start_ms, end_ms, out), out
        except BaseException:
            out.unlink(missing_ok=True)
            raise

    def _closed(self, camera_id: str, query: dict[str, list[str]]) -> Answer:
        if camera_id not in self.recorder.cameras:
            return _text(404, f"camera {camera_id!r} is not recorded on this box")
        names = {k: query.get(k, [""])[0] for k in ("zone_id", "category")}
        for key, value in names.items():
            if not _NAME.match(value):
                return _text(400, f"{key} must be a zone or category name, got {value[:40]!r}")
        from_ms, closed_ms = _window(query, need=True, names=("from_ms", "closed_ms"))
        n = self.recorder.index.close_alarms(
            camera_id, names["zone_id"], names["category"], from_ms, closed_ms
        )
        return _json({"camera_id": camera_id, **names, "closed_ms": closed_ms, "alarms": n})


async def write_answer(writer: asyncio.StreamWriter, answer: Answer) -> None:
    titles = {
        200: "OK",
        206: "Partial Content",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        405: "Method Not Allowed",
        416: "Range Not Satisfiable",
    }
    start, end = answer.span
    length = end - start + 1 if answer.file is not None else len(answer.body)
    head = {**answer.headers, "Content-Length": str(length), "Connection": "close"}
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
    writer.write(
        f"HTTP/1.1 {answer.status} {titles.get(answer.status, 'Error')}\r\n{lines}\r\n".encode()
    )
    if answer.file is None:
        writer.write(answer.body)
        await writer.drain()
        return
    try:
        with answer.file.open("rb") as f:
            f.seek(start)
            left = length
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    break
                writer.write(chunk)
                left -= len(chunk)
                await writer.drain()
    finally:
        if answer.remove_after:
            answer.file.unlink(missing_ok=True)
