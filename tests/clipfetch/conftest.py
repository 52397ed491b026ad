"""Clip fetch tests share the case-history fixtures: a fresh PostgreSQL database per test,
the hub's settings, district and Redis."""

from __future__ import annotations

from tests.records.conftest import database_url, hub_settings, redis, test_district

__all__ = ["database_url", "hub_settings", "redis", "test_district"]
