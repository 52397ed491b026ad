"""The hub tests' settings, district and Redis fixtures, shared with the trust tests."""

from __future__ import annotations

from tests.hub.conftest import hub_settings, redis, test_district

__all__ = ["hub_settings", "redis", "test_district"]
