"""12345 hotline and department records: a JSON import, the same as a CSV upload, and the
change feed that reports status back to each source.

Idempotent on (source, system, external reference): a record imported twice is one case.
Every record of a batch is checked first; one bad record refuses the whole batch (422, each
problem listed by record or CSV line) and nothing is stored.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.api.deps import Operator, Runtime
from hub.api.stream_ids import check_stream_id
from hub.intake.api import Ref, result
from hub.intake.deps import Intake
from hub.intake.rules import IntakeRejected, Report, check_category, check_ref, place_in_grid
from hub.runtime import HubRuntime
from hub.store.keys import text

router = APIRouter(tags=["intake"])
CSV_COLUMNS = ("external_ref", "category", "lon", "lat", "note", "phone", "reported_at_ms")
MAX_RECORDS = 500


class ImportRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_ref: Ref
    category: str
    lon: float
    lat: float
    note: str | None = Field(default=None, max_length=2000)
    phone: str | None = Field(default=None, pattern=r"^[0-9+ -]{3,20}$")
    reported_at_ms: int | None = Field(default=None, ge=0)


SourceKind = Literal["hotline", "department"]
SystemId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class ImportBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: SourceKind
    system: SystemId = "12345"
    """The sending system (12345, or a department's system id); part of the reference."""
    records: Annotated[list[ImportRecord], Field(min_length=1, max_length=MAX_RECORDS)]


async def _file_all(
    rt: HubRuntime,
    intake: Intake,
    source: str,
    system: str,
    records: list[tuple[str, ImportRecord]],
    problems: list[str],
) -> dict[str, Any]:
    """Check every record (``where`` names it in a problem), then file them all, or none."""
    reports = []
    for where, rec in records:
        try:
            check_category(rec.category, rt.district.categories)
            grid = place_in_grid(rec.lon, rec.lat, rt.district.grid_index.locate)
            ref = check_ref(f"{system}:{rec.external_ref}")
        except IntakeRejected as exc:
            problems.append(f"{where} ({rec.external_ref}): {exc}")
            continue
        facts: dict[str, Any] = {"external_ref": rec.external_ref, "system": system}
        if rec.phone:
            facts["phone"] = rec.phone
        if rec.reported_at_ms is not None:
            facts["external_reported_ms"] = rec.reported_at_ms
        reports.append(
            Report(
                source=source,
                ref=ref,
                category=rec.category,
                lon=rec.lon,
                lat=rec.lat,
                grid_code=grid,
                actor=f"import:{system}",
                note=rec.note,
                facts=facts,
            )
        )
    if problems:
        raise HTTPException(422, {"problems": problems, "stored": 0})
    out = []
    for r in reports:
        out.append({"external_ref": r.facts["external_ref"]} | result(await intake.file(r, [])))
    return {"records": out}


@router.post("/api/intake/import")
async def import_records(body: ImportBatch, rt: Runtime, intake: Intake, p: Operator) -> Any:
    """12345 hotline or department records (JSON)."""
    records = [(f"records[{i}]", rec) for i, rec in enumerate(body.records)]
    return await _file_all(rt, intake, body.source, body.system, records, [])


@router.post("/api/intake/import.csv")
async def import_csv(
    request: Request,
    rt: Runtime,
    intake: Intake,
    p: Operator,
    source: SourceKind,
    system: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = "12345",
) -> Any:
    """The same records as a CSV upload (``Content-Type: text/csv``, UTF-8, a header row
    naming ``external_ref, category, lon, lat`` and optionally ``note, phone,
    reported_at_ms``), as the console sends a file an operator picked."""
    try:
        body = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = f"{exc.reason} at byte {exc.start}"
        raise HTTPException(422, f"the CSV is not UTF-8 text: {where}") from None
    rows = csv.DictReader(io.StringIO(body))
    header = rows.fieldnames or []
    missing = [c for c in CSV_COLUMNS[:4] if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        raise HTTPException(
            422,
            f"CSV header {header}: missing {missing}, unknown {unknown}; "
            f"columns are {list(CSV_COLUMNS)}",
        )
    records: list[tuple[str, ImportRecord]] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        if len(records) + len(problems) >= MAX_RECORDS:
            raise HTTPException(422, f"at most {MAX_RECORDS} records per upload")
        values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        try:
            records.append((f"line {line}", ImportRecord.model_validate(values)))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(x) for x in first["loc"])
            problems.append(f"line {line}: {field}: {first['msg']}")
    if not records and not problems:
        raise HTTPException(422, "the CSV holds a header and no records")
    return await _file_all(rt, intake, source, system, records, problems)


@router.get("/api/intake/feed/{source}")
async def change_feed(
    source: Literal["hotline", "department", "public", "grid_member", "operator"],
    rt: Runtime,
    intake: Intake,
    p: Operator,
    after: Annotated[str, Query(pattern=r"^[0-9]+-[0-9]+$")] = "0-0",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Status back to a source: the case events of its cases after the cursor ``after`` (a
    change-stream id), each with the source's reference; ``next`` is the cursor to send next
    time (it moves on past events of other cases too)."""
    check_stream_id(after, "after")
    refs: Any = await rt.redis.hgetall(intake.sources_key(source))
    mine = {text(k): text(v) for k, v in refs.items()}
    entries: Any = await rt.redis.xrange(rt.keys.changes, f"({after}", "+", count=limit)
    changes, cursor = [], after
    for sid, fields in entries:
        cursor = text(sid)
        no = text(fields.get(b"case_no", b""))
        if fields.get(b"kind") != b"case" or no not in mine:
            continue
        ev = json.loads(fields[b"event"])
        changes.append(
            {
                "id": cursor,
                "case_no": no,
                "ref": mine[no],
                "action": ev["action"],
                "state": ev["to_state"],
                "at_ms": ev["at_ms"],
                "reason": ev.get("reason"),
            }
        )
    return {"source": source, "changes": changes, "next": cursor}
