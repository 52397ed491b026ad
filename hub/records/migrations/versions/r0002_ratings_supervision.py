"""Cases carry their latest rating (satisfaction, 1-5) and how many supervision notices and
orders they had, so reports need not read the events for them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("satisfaction", sa.SmallInteger))
    for name in ("supervision_notices", "supervision_orders"):
        op.add_column("cases", sa.Column(name, sa.SmallInteger, nullable=False, server_default="0"))
    # rows copied before this revision: their counts from their events
    op.execute(
        """
        UPDATE cases c SET
          satisfaction = (SELECT (e.data->>'score')::smallint FROM events e
                          WHERE e.case_no = c.case_no AND e.action = 'evaluate'
                          ORDER BY e.seq DESC LIMIT 1),
          supervision_notices = (SELECT count(*) FROM events e WHERE e.case_no = c.case_no
                                 AND e.action = 'note' AND e.data->>'supervision' = 'notice'),
          supervision_orders = (SELECT count(*) FROM events e WHERE e.case_no = c.case_no
                                AND e.action = 'note' AND e.data->>'supervision' = 'order')
        """
    )


def downgrade() -> None:
    for name in ("supervision_orders", "supervision_notices", "satisfaction"):
        op.drop_column("cases", name)
