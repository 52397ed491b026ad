"""The hub: alerts to numbered cases in the right grid, dispatched, escalated and verified."""

__version__ = "0.1.0"
