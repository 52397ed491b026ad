"""The sample district (or a real one): schemas, loading and cross-file checks."""

from hub.district.load import District, load_district

__all__ = ["District", "load_district"]
