"""The FastAPI application factory. The hub keeps no state outside its database, so any number of
these processes can serve one PostgreSQL database behind a load balancer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi

from clinic_hub import __version__, attachment_prune, errors, limits, logs, web
from clinic_hub.db import make_engine
from clinic_hub.routers import attachments, desk, health, indicators, lab, own, remote, sync
from clinic_hub.settings import Settings
from clinic_tui.sync.wire import PushRecord, PushRequest

TAGS = [
    {"name": "sync", "description": "Push, pull and reconcile, for clinics (clinic tokens). See docs/protocol.md."},
    {
        "name": "attachments",
        "description": "Files of remote requests (PDF, JPEG, PNG) sent in chunks that resume after a cut, for "
        "clinics (clinic tokens). See docs/protocol.md, 'Attachments'.",
    },
    {"name": "desk", "description": "The referral desk, for hospital staff with the desk or admin role."},
    {
        "name": "remote",
        "description": "Remote consultations and ECG, imaging and pathology reads: the hospital's answers "
        "(desk, doctor, admin; the report: doctor, admin).",
    },
    {
        "name": "lab",
        "description": "Tests at the lead hospital's lab: receive the clinics' specimens, reject them with a reason, "
        "enter the results per test with their flags and critical values (desk, doctor, admin).",
    },
    {"name": "indicators", "description": "Monthly indicators, for staff (viewer, desk, admin)."},
    {"name": "health", "description": "Liveness and the hub's epoch; no token needed."},
]


def create_app(settings: Settings | None = None, engine=None) -> FastAPI:
    settings = settings or Settings()
    logs.configure()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Abandoned uploads go at start-up and then now and then (docs/hub.md, "Attachments").
        task = asyncio.create_task(attachment_prune.keep_pruning(settings, app.state.engine))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        lifespan=lifespan,
        title="clinic-hub",
        version=__version__,
        openapi_tags=TAGS,
        description="The lead hospital's sync server and referral desk. All endpoints but "
        "/api/v1/health need `Authorization: Bearer <token>`.",
    )
    errors.install(app)
    # Honours Accept-Encoding. Level 6, not 9: a 500-answer push reply comes out the same size
    # (within 1%) for a third less CPU.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(logs.RequestLogMiddleware)
    # Read through clinic_hub.dependencies (get_settings, get_engine), never by routes directly.
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    for module in (sync, own, attachments, desk, remote, lab, indicators, health):
        app.include_router(module.router)
    for router in web.routers:  # the desk's pages, the administrator's, everyone's own password
        app.include_router(router)
    web.install(app)  # the web desk's HTML pages for 'sign in first' and 'not allowed'

    def openapi():
        # The push body is read by hand (gzip, size limits); its schema is added here for the docs.
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes, tags=TAGS
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (PushRequest, PushRecord):
                model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(model_schema.pop("$defs", {}))
                components[model.__name__] = model_schema
            limits.state_in_openapi(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend its schema
    return app
