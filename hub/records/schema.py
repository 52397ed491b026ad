"""The case history's tables in PostgreSQL (SQLAlchemy Core), as reporting queries them.

``events`` is the case log as the hub wrote it, one row per event, keyed by its event id
(case number, sequence number): copying an event twice leaves one row. ``cases``,
``assignments`` and ``sources`` are derived from ``events`` alone (``hub.records.rows``), so a
rebuild from the log gives the same rows. ``places``, ``departments`` and ``people`` come from
the district configuration. ``media`` names each evidence object a case keeps (revision
0003; not derived from ``events``: a rebuild leaves it). ``records_position`` is where the
copier stands in the hub's change stream. Alembic's migrations (``hub/records/migrations``) create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()


def _at(name: str, nullable: bool = True) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


places = Table(
    "places",
    metadata,
    Column("code", String(15), primary_key=True),
    Column("level", String(12), nullable=False),  # county, street, community, grid
    Column("name", Text, nullable=False),
    Column("kind", String(16)),  # grids: basic or professional
    Column("parent_code", String(15)),
    Column("street_code", String(15)),
    Column("community_code", String(15)),
)

departments = Table(
    "departments",
    metadata,
    Column("department_id", String(80), primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("name", Text, nullable=False),
    Column("place_code", String(15)),
    Column("platform", String(40)),
)

people = Table(
    "people",
    metadata,
    Column("person_id", String(80), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(24), nullable=False),
    Column("department_id", String(80)),
)

cases = Table(
    "cases",
    metadata,
    Column("case_no", String(20), primary_key=True),
    Column("source", String(20), nullable=False),
    Column("category", String(5), nullable=False),
    Column("grid_code", String(15), nullable=False),
    Column("community_code", String(15)),
    Column("street_code", String(15)),
    Column("county_code", String(6), nullable=False),
    Column("department_id", String(80)),
    Column("state", String(20), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("tier", SmallInteger, nullable=False),
    Column("closing_tier", SmallInteger),
    Column("urgency", String(16)),
    Column("camera_id", String(64)),
    Column("alarm_key", String(160)),
    _at("reported_at"),
    _at("dispatched_at"),
    _at("accepted_at"),
    _at("resolved_at"),
    _at("closed_at"),
    _at("dispatch_due_at"),
    _at("accept_due_at"),
    _at("dispose_due_at"),
    Column("on_time", Boolean),  # closed and resolved by dispose_due_at; null while not closed
    Column("rework_count", SmallInteger, nullable=False),
    Column("reopen_count", SmallInteger, nullable=False),
    Column("escalations", SmallInteger, nullable=False),
    Column("events", Integer, nullable=False),
    _at("last_event_at", nullable=False),
    # revision 0002: the latest rating, supervision notices and orders
    Column("satisfaction", SmallInteger),
    Column("supervision_notices", SmallInteger, nullable=False, server_default="0"),
    Column("supervision_orders", SmallInteger, nullable=False, server_default="0"),
    Index("cases_reported_at", "reported_at"),
    Index("cases_closed_at", "closed_at"),
    Index("cases_grid", "grid_code", "reported_at"),
    Index("cases_community", "community_code", "reported_at"),
    Index("cases_street", "street_code", "reported_at"),
    Index("cases_open", "is_open", "dispose_due_at"),
)

events = Table(
    "events",
    metadata,
    Column("case_no", String(20), primary_key=True),
    Column("seq", Integer, primary_key=True),
    _at("at", nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", String(20), nullable=False),
    Column("to_state", String(20), nullable=False),
    Column("reason", Text),
    Column("note", Text),
    Column("data", JSONB, nullable=False),
    Index("events_at", "at"),
    Index("events_action_at", "action", "at"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("case_no", String(20), primary_key=True),
    Column("seq", Integer, primary_key=True),  # the event that put the person on the case
    Column("role", String(16), primary_key=True),  # assignee, commander, lead, cooperating
    Column("person_id", String(80), primary_key=True),
    Column("tier", SmallInteger),
    _at("at", nullable=False),
    Index("assignments_person", "person_id", "at"),
)

sources = Table(
    "sources",
    metadata,
    Column("case_no", String(20), primary_key=True),
    Column("source", String(20), primary_key=True),  # video_ai, grid_member, hotline, ...
    Column("seq", Integer, nullable=False),  # the first event that named it
    _at("at", nullable=False),
    Index("sources_source_at", "source", "at"),
)

media = Table(
    "media",
    metadata,
    Column("case_no", String(20), primary_key=True),
    # snapshot:{id} or media:{id}, as the case's events, facts and alarms name it
    Column("ref", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),  # snapshot, photo, clip, file
    Column("content_type", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),  # the object's name in the store
    Column("bytes", Integer, nullable=False),
    _at("stored_at", nullable=False),
    _at("deleted_at"),  # the retention sweep removed the object
    Index("media_sha256", "sha256"),
)

records_position = Table(
    "records_position",
    metadata,
    Column("stream", String(80), primary_key=True),
    Column("last_id", String(40), nullable=False),
    _at("updated_at", nullable=False),
)

DERIVED = (cases, assignments, sources)
"""Tables computed from ``events`` (rewritten for every case an event touches)."""
