"""Alembic's entry point for the case history; ``hub.records.database.migrate`` runs it on
the connection it opens (no alembic.ini: ``python -m hub records migrate``)."""

from __future__ import annotations

from alembic import context

from hub.records.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run the migrations with 'python -m hub records migrate'")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
