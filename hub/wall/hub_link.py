"""When the wall is mounted in the hub, confirming and rejecting go through the hub's own
verification queue and case service, so case numbers come from the hub's one counter and a
rejection clears the hub's alarm too. Alone (tests, a wall server), the wall numbers cases
itself."""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI, HTTPException

from hub.api import alarms as hub_alarms
from hub.api.auth import Principal


class CaseDesk(Protocol):
    async def confirm(self, alarm_key: str, actor: str) -> str | None:
        """File (or join) a case for a queued alarm; None if the hub has no such alarm queued."""
        ...

    async def reject(self, alarm_key: str, actor: str, reason: str) -> bool:
        """Clear the hub's alarm; False if it was not waiting for verification there."""
        ...


class HubCaseDesk:
    """The hub's processor and verification queue, reached through the app's runtime."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def confirm(self, alarm_key: str, actor: str) -> str | None:
        no: str | None = await self.app.state.runtime.processor.confirm(
            alarm_key, f"operator:{actor}"
        )
        return no

    async def reject(self, alarm_key: str, actor: str, reason: str) -> bool:
        try:
            await hub_alarms.reject(
                alarm_key, self.app.state.runtime, Principal(actor, "operator"), reason
            )
        except HTTPException as exc:
            if exc.status_code == 404:
                return False
            raise
        return True
