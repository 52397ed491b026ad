"""Evidence media kept for their case's retention: one row per (case, media reference) with
the SHA-256 that names the object in the store (``hub.records.objects``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("case_no", sa.String(20), primary_key=True),
        sa.Column("ref", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("media_sha256", "media", ["sha256"])


def downgrade() -> None:
    op.drop_index("media_sha256", table_name="media")
    op.drop_table("media")
