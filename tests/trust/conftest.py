"""The hub tests' settings and district fixtures, shared with the trust tests."""

from __future__ import annotations

from tests.hub.conftest import hub_settings, test_district

__all__ = ["hub_settings", "test_district"]
