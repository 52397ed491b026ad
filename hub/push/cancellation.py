"""The push fan-out's guard against a lost cancel, now shared by every hub loop: see
``hub.services.cancellation``."""

from __future__ import annotations

from hub.services.cancellation import raise_if_cancelled, stop_tasks

__all__ = ["raise_if_cancelled", "stop_tasks"]
