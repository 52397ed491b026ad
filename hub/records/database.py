"""Connecting to the case history's PostgreSQL and bringing its schema to the newest
revision (Alembic, run from code: no alembic.ini)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).with_name("migrations")
COPY_LOCK = 0x67726964  # pg advisory lock: one copier (or a rebuild) writes at a time


class RecordsError(Exception):
    """The case history cannot be used as configured (reached, migrated)."""


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` (libpq's form) as SQLAlchemy's URL for the psycopg 3 driver."""
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    raise RecordsError(f"database URL must start with postgresql://, got {safe_url(url)!r}")


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def open_engine(url: str) -> Engine:
    return create_engine(
        sqlalchemy_url(url),
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=2,
        connect_args={"connect_timeout": 5},
    )


def _config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if head is None:
        raise RecordsError(f"no migration in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, target: str = "head") -> str:
    """Upgrade the schema to ``target`` (the newest revision by default; under the copy
    lock); returns the revision reached."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": COPY_LOCK})
        command.upgrade(_config(conn), target)
    return head_revision() if target == "head" else target
