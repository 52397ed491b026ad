"""The case history: places, departments, people, cases, events, assignments, sources and
the copier's position.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("code", sa.String(15), primary_key=True),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16)),
        sa.Column("parent_code", sa.String(15)),
        sa.Column("street_code", sa.String(15)),
        sa.Column("community_code", sa.String(15)),
    )
    op.create_table(
        "departments",
        sa.Column("department_id", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("place_code", sa.String(15)),
        sa.Column("platform", sa.String(40)),
    )
    op.create_table(
        "people",
        sa.Column("person_id", sa.String(80), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("department_id", sa.String(80)),
    )
    op.create_table(
        "cases",
        sa.Column("case_no", sa.String(20), primary_key=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("category", sa.String(5), nullable=False),
        sa.Column("grid_code", sa.String(15), nullable=False),
        sa.Column("community_code", sa.String(15)),
        sa.Column("street_code", sa.String(15)),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("department_id", sa.String(80)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("tier", sa.SmallInteger, nullable=False),
        sa.Column("closing_tier", sa.SmallInteger),
        sa.Column("urgency", sa.String(16)),
        sa.Column("camera_id", sa.String(64)),
        sa.Column("alarm_key", sa.String(160)),
        _at("reported_at"),
        _at("dispatched_at"),
        _at("accepted_at"),
        _at("resolved_at"),
        _at("closed_at"),
        _at("dispatch_due_at"),
        _at("accept_due_at"),
        _at("dispose_due_at"),
        sa.Column("on_time", sa.Boolean),
        sa.Column("rework_count", sa.SmallInteger, nullable=False),
        sa.Column("reopen_count", sa.SmallInteger, nullable=False),
        sa.Column("escalations", sa.SmallInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        _at("last_event_at", nullable=False),
    )
    op.create_index("cases_reported_at", "cases", ["reported_at"])
    op.create_index("cases_closed_at", "cases", ["closed_at"])
    op.create_index("cases_grid", "cases", ["grid_code", "reported_at"])
    op.create_index("cases_community", "cases", ["community_code", "reported_at"])
    op.create_index("cases_street", "cases", ["street_code", "reported_at"])
    op.create_index("cases_open", "cases", ["is_open", "dispose_due_at"])
    op.create_table(
        "events",
        sa.Column("case_no", sa.String(20), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        _at("at", nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("data", JSONB, nullable=False),
    )
    op.create_index("events_at", "events", ["at"])
    op.create_index("events_action_at", "events", ["action", "at"])
    op.create_table(
        "assignments",
        sa.Column("case_no", sa.String(20), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("person_id", sa.String(80), primary_key=True),
        sa.Column("tier", sa.SmallInteger),
        _at("at", nullable=False),
    )
    op.create_index("assignments_person", "assignments", ["person_id", "at"])
    op.create_table(
        "sources",
        sa.Column("case_no", sa.String(20), primary_key=True),
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        _at("at", nullable=False),
    )
    op.create_index("sources_source_at", "sources", ["source", "at"])
    op.create_table(
        "records_position",
        sa.Column("stream", sa.String(80), primary_key=True),
        sa.Column("last_id", sa.String(40), nullable=False),
        _at("updated_at", nullable=False),
    )


def downgrade() -> None:
    for table in (
        "records_position",
        "sources",
        "assignments",
        "events",
        "cases",
        "people",
        "departments",
        "places",
    ):
        op.drop_table(table)
