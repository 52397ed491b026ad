"""The hub's FastAPI app factory; the lifespan owns Redis and MQTT through ``HubRuntime``.

Routers are listed in ``ROUTERS``; the video router is mounted beside them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError

from hub.api import (
    alarms,
    cases,
    departments,
    desk,
    ops,
    places,
    redact,
    scope,
    stream,
    ticket_api,
)
from hub.api.auth import Principal, check_areas, known_bearer, load_tokens
from hub.api.body_limit import BodyLimit
from hub.api.deps import get_principal, require
from hub.api.errors import validation_error
from hub.api.limits import FailureLimit
from hub.api.openapi_errors import with_documented_errors
from hub.api.tickets import Tickets, ticket_key
from hub.district import load_district
from hub.domain.clock import Clock
from hub.enrol import api as enrol_api
from hub.evaluation import api as evaluation_api
from hub.fleet import api as fleet_api
from hub.fleet.wiring import FieldServices
from hub.intake import api as intake_api
from hub.intake import imports as intake_imports
from hub.intake import public as intake_public
from hub.push import responder_api
from hub.records import api as records_api
from hub.reports import api as reports_api
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from hub.supervision import api as supervision_api
from hub.video.mount import mount_video, with_video
from hub.wall.app import attach_wall
from hub.webhooks import api as webhooks_api
from hub.webhooks.service import for_runtime as webhooks_for
from hub.webhooks.service import load_secrets
from hub.zones import api as zones_api

ROUTERS: list[APIRouter] = [
    places.router,
    alarms.router,
    cases.router,
    ops.router,
    stream.router,
    ticket_api.router,
    responder_api.router,
    fleet_api.router,
    zones_api.router,
    enrol_api.router,
    intake_api.router,
    intake_imports.router,
    intake_public.router,
    departments.router,
    desk.router,
    supervision_api.router,
    evaluation_api.router,
    records_api.router,
    reports_api.router,
    webhooks_api.router,
]


def create_app(
    settings: HubSettings,
    *,
    runtime: HubRuntime | None = None,
    clock: Clock | None = None,
    tokens: dict[str, Principal] | None = None,
) -> FastAPI:
    """Build the app. With ``runtime`` given, the caller owns it (tests); otherwise the
    lifespan starts one and stops it on shutdown."""
    auth = settings.auth
    tokens = (
        tokens
        if tokens is not None
        else load_tokens(auth.tokens_env, auth.tokens_file, settings.demo_mode)
    )
    district = runtime.district if runtime is not None else load_district(settings.district_dir)
    check_areas(tokens, district)  # an unknown street or community stops the hub here
    secrets = load_secrets(settings.intake.webhooks)  # a missing secret stops it too

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        rt = HubRuntime(settings, district=district, clock=clock)
        await rt.start()
        app.state.runtime = rt
        field = FieldServices(rt)
        await field.start(app)
        hooks = webhooks_for(rt, secrets)
        await hooks.start()
        try:
            yield
        finally:
            await hooks.stop()
            await field.stop()
            await rt.stop()

    app = FastAPI(title="Gridwall hub", version="0.1.0", lifespan=with_video(lifespan))
    app.state.tokens = tokens
    push, intake = settings.push, settings.intake
    photos_cap = 2 * intake.photos_max * intake.photo_max_bytes + settings.http.max_body_bytes
    app.add_middleware(
        BodyLimit,
        default_bytes=settings.http.max_body_bytes,
        anonymous_bytes=settings.http.anonymous_body_bytes,
        route_caps={
            responder_api.RESOLVE_PATH: push.photos_max * push.photo_max_bytes
            + settings.http.max_body_bytes,
            intake_api.PATROL_PATH: photos_cap,
            intake_api.OPERATOR_PATH: photos_cap,
        },
        anonymous_route_caps={
            intake_public.REPORT_PATH: intake.photos_max * intake.photo_max_bytes
            + settings.http.anonymous_body_bytes
        },
        authenticated=known_bearer(tokens),
    )
    app.add_exception_handler(RequestValidationError, validation_error)
    with_documented_errors(app)
    app.state.tickets = Tickets(ticket_key(tokens))
    app.state.auth_limit = FailureLimit(auth.failures_allowed, auth.failure_window_s)
    redact.install()
    if runtime is not None:
        app.state.runtime = runtime
    for r in ROUTERS:
        app.include_router(r)
    mount_video(
        app,
        get_principal,
        camera_scope=scope.camera_in_scope,
        case_scope=scope.case_in_scope,
        staff_scope=scope.staff_only,
    )
    attach_wall(app, settings, require("operator"), clock)
    responder_api.mount_responder_ui(app)
    intake_public.mount_report_page(app)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
