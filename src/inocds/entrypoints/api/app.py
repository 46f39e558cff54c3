"""The composition root of the HTTP service: settings, database, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from inocds import __version__
from inocds.adapters.db.engine import make_engine, make_session_factory, pool_settings
from inocds.adapters.db.migrate import upgrade
from inocds.adapters.reports.handout import handout_style_hash
from inocds.entrypoints.api.access_middleware import AccessLogMiddleware
from inocds.entrypoints.api.audit_router import audit_router
from inocds.entrypoints.api.auth_router import auth_router
from inocds.entrypoints.api.calculations_router import calculations_router
from inocds.entrypoints.api.contract_asgi import ContractFastPath
from inocds.entrypoints.api.courses_router import courses_router
from inocds.entrypoints.api.deps import ERROR_BODY, SESSION_COOKIE, document_security
from inocds.entrypoints.api.error_handlers import install_error_handlers
from inocds.entrypoints.api.guard import RequestGuard, RetryGuard
from inocds.entrypoints.api.idempotency import IdempotencyMiddleware
from inocds.entrypoints.api.login_guard import LoginGuardMiddleware
from inocds.entrypoints.api.order_steps_router import order_steps_api
from inocds.entrypoints.api.orders_router import orders_router
from inocds.entrypoints.api.patients_router import patients_router
from inocds.entrypoints.api.request_schemas import document_error_answers
from inocds.entrypoints.api.security import SecurityMiddleware, content_security_policy
from inocds.entrypoints.api.stored_assess_asgi import StoredAssessFastPath
from inocds.entrypoints.api.users_router import users_router
from inocds.entrypoints.api.waste_router import waste_router
from inocds.entrypoints.cds_hooks import cds_hooks_router
from inocds.entrypoints.fhir import fhir_router
from inocds.entrypoints.web.audit_pages import audit_pages
from inocds.entrypoints.web.course_page_asgi import CoursePageFastPath
from inocds.entrypoints.web.documents_router import documents_router
from inocds.entrypoints.web.order_pages import order_steps_router
from inocds.entrypoints.web.patient_edit_pages import patient_edit_pages
from inocds.entrypoints.web.pharmacy_pages import pharmacy_router
from inocds.entrypoints.web.router import install_web
from inocds.entrypoints.web.user_admin_pages import user_admin_pages
from inocds.services.access_log import AccessLogWriter
from inocds.services.course_snapshot import stored_reads
from inocds.services.login_throttle import LoginThrottle
from inocds.settings import Settings, load_settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the application; nothing runs at import."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        upgrade(settings.database_url)  # the service applies pending migrations at start
        yield
        access_log.stop()  # the reads still queued are written before the engine closes
        if app.state.stored_reads is not None:
            app.state.stored_reads.dispose()
        engine.dispose()

    app = FastAPI(
        title="inocds",
        version=__version__,
        description="Clinical decision support for inotuzumab ozogamicin (Besponsa).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.stored_reads = stored_reads(settings.database_url)  # the stored assess's pool
    access_log = AccessLogWriter(app.state.session_factory)
    app.state.access_log = access_log
    _install_middleware(app, settings, access_log)
    document_security(app)
    document_error_answers(app, ERROR_BODY)
    _include_routers(app)
    app.add_middleware(StoredAssessFastPath)  # a plain stored assess in one step, and
    app.add_middleware(ContractFastPath)  # the stateless commands: in front of the stack

    @app.get("/healthz", tags=["service"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": settings.database_kind}

    return app


def _install_middleware(app: FastAPI, settings: Settings, access_log: AccessLogWriter) -> None:
    """The error handlers and the request stack, innermost first (the fast paths aside)."""
    install_error_handlers(app)
    app.add_middleware(CoursePageFastPath)  # innermost: a logged-in course page, before the routing
    app.add_middleware(RetryGuard)  # re-runs a transaction that met a passing error
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(AccessLogMiddleware, writer=access_log)
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(LoginGuardMiddleware, throttle=app.state.login_throttle)
    # refuses cross-site writes first and heads every answer, 429s included
    style_hashes = (handout_style_hash(),)
    app.state.content_security_policy = content_security_policy(style_hashes)
    app.add_middleware(
        SecurityMiddleware,
        settings=settings,
        session_cookie=SESSION_COOKIE,
        style_hashes=style_hashes,
    )
    pool = pool_settings()
    in_flight = pool["pool_size"] + pool["max_overflow"]  # one connection per request at most
    app.add_middleware(RequestGuard, max_in_flight=in_flight)  # never a traceback


def _include_routers(app: FastAPI) -> None:
    """The web, API, FHIR and CDS Hooks routes, in matching order. The care team's pages
    come first: a request tries the routes one by one, and the course page, 107th of 127
    when the pages came last, cost ~0.2 ms to find. No path matches routes of two of these
    routers (`test_route_order.py`), so their order changes no answer."""
    install_web(app)  # the care team's pages and /static
    app.include_router(calculations_router())
    app.include_router(auth_router())
    app.include_router(users_router())
    app.include_router(audit_router())
    app.include_router(patients_router())
    app.include_router(courses_router())
    app.include_router(orders_router())
    app.include_router(waste_router())
    app.include_router(order_steps_api())
    app.include_router(documents_router())
    app.include_router(patient_edit_pages())  # /patients/{id}/edit
    app.include_router(user_admin_pages())  # /users/{id}/active, unlock, password, role
    app.include_router(audit_pages())  # /audit, /audit/verify
    app.include_router(cds_hooks_router())  # CDS Hooks 2.0 (client JWT)
    app.include_router(fhir_router())  # FHIR R4 at /fhir
    app.include_router(pharmacy_router())  # the pharmacist's day and the waste ledger
    app.include_router(order_steps_router())  # blind check, return, re-sign, completion
