"""The composition root of the HTTP service: settings, database, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from inocds import __version__
from inocds.adapters.db.engine import make_engine, make_session_factory
from inocds.adapters.db.migrate import upgrade
from inocds.entrypoints.api.audit_router import audit_router
from inocds.entrypoints.api.auth_router import auth_router
from inocds.entrypoints.api.calculations_router import calculations_router
from inocds.entrypoints.api.contract_asgi import ContractFastPath
from inocds.entrypoints.api.courses_router import courses_router
from inocds.entrypoints.api.deps import document_security
from inocds.entrypoints.api.error_handlers import install_error_handlers
from inocds.entrypoints.api.idempotency import IdempotencyMiddleware
from inocds.entrypoints.api.orders_router import orders_router
from inocds.entrypoints.api.patients_router import patients_router
from inocds.entrypoints.api.users_router import users_router
from inocds.entrypoints.web.documents_router import documents_router
from inocds.entrypoints.web.router import install_web
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
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    document_security(app)
    app.include_router(calculations_router())
    app.include_router(auth_router())
    app.include_router(users_router())
    app.include_router(audit_router())
    app.include_router(patients_router())
    app.include_router(courses_router())
    app.include_router(orders_router())
    app.include_router(documents_router())
    install_web(app)  # the care team's pages and /static
    app.add_middleware(ContractFastPath)  # outermost: the stateless commands skip the stack

    @app.get("/healthz", tags=["service"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": settings.database_kind}

    return app
