"""Alembic migrations of the case history (``python -m hub records migrate``)."""
