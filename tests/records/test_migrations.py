"""The migrations create exactly the tables ``hub.records.schema`` describes, and the
settings take the database URL from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from contracts.config_problems import ConfigError
from hub.records.database import current_revision, head_revision, migrate, open_engine
from hub.records.schema import metadata
from hub.settings import load_hub_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_migrations_match_the_schema_and_run_twice(database_url: str) -> None:
    engine = open_engine(database_url)
    try:
        assert current_revision(engine) is None
        assert migrate(engine) == head_revision()
        assert migrate(engine) == head_revision()  # a second start changes nothing
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("env", "want"),
    [
        ({}, None),
        (
            {"GRIDWALL_DATABASE_URL": "postgresql://u:p@db:5432/gw"},
            "postgresql://u:p@db:5432/gw",
        ),
        ({"GRIDWALL_DATABASE_URL": "mysql://u:secret@db/gw"}, "must start with postgresql://"),
    ],
)
def test_the_database_url_comes_from_the_environment(env: dict[str, str], want: str | None) -> None:
    cfg = REPO / "configs" / "hub.yaml"
    if want and "must" in want:
        with pytest.raises(ConfigError, match=want):
            load_hub_settings(cfg, env=env)
        return
    assert load_hub_settings(cfg, env=env).records.database_url == want
