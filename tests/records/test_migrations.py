"""The migrations create exactly the tables ``hub.records.schema`` describes, and the
settings take the database URL from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

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


@pytest.mark.integration
def test_revision_0002_fills_ratings_and_supervision_of_cases_copied_before(
    database_url: str,
) -> None:
    engine = open_engine(database_url)
    try:
        migrate(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO cases (case_no, source, category, grid_code, county_code, "
                    "state, is_open, tier, rework_count, reopen_count, escalations, events, "
                    "last_event_at) VALUES ('c1', 'video_ai', '06010', 'g', '339901', "
                    "'evaluated', false, 0, 0, 0, 0, 4, now()), ('c2', 'video_ai', '06010', "
                    "'g', '339901', 'dispatched', true, 0, 0, 0, 0, 1, now())"
                )
            )
            for seq, action, data in (
                (1, "note", '{"supervision": "notice"}'),
                (2, "note", '{"supervision": "order"}'),
                (3, "evaluate", '{"score": 1}'),
                (4, "evaluate", '{"score": 4}'),
            ):
                conn.execute(
                    text(
                        "INSERT INTO events VALUES ('c1', :seq, now(), 'x', :action, 'a', "
                        "'b', NULL, NULL, CAST(:data AS jsonb))"
                    ),
                    {"seq": seq, "action": action, "data": data},
                )
        assert migrate(engine, "0002") == "0002"
        with engine.connect() as conn:
            got = conn.execute(
                text(
                    "SELECT case_no, satisfaction, supervision_notices, supervision_orders "
                    "FROM cases ORDER BY case_no"
                )
            ).all()
        assert [tuple(r) for r in got] == [("c1", 4, 1, 1), ("c2", None, 0, 0)]
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
