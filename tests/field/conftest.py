"""Field tests reuse the hub harness's fixtures (sample district, settings, Redis cleanup)."""

from tests.hub.conftest import hub_settings, publisher, redis, test_district

__all__ = ["hub_settings", "publisher", "redis", "test_district"]
