"""Case-history tests: each test gets its own PostgreSQL database, dropped after it.

Environment: ``GRIDWALL_TEST_DATABASE_URL`` names a database whose role may create databases
(default the one ``scripts/services`` makes: gridwall:gridwall@127.0.0.1:5432/gridwall).
The hub tests' settings, district and Redis fixtures are shared.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub.records.database import sqlalchemy_url
from tests.hub.conftest import hub_settings, redis, test_district

__all__ = ["database_url", "hub_settings", "redis", "test_district"]
DEFAULT = "postgresql://gridwall:gridwall@127.0.0.1:5432/gridwall"


@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh, empty database (``gridwall_test_<hex>``) as a ``postgresql://`` URL."""
    base = os.environ.get("GRIDWALL_TEST_DATABASE_URL", DEFAULT)
    name = f"gridwall_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sqlalchemy_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(sqlalchemy_url(base)).set(database=name)
    try:
        yield url.render_as_string(hide_password=False).replace(
            "postgresql+psycopg://", "postgresql://", 1
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
