"""The composition root of the HTTP service: settings, database, routers."""

from __future__ import annotations

from fastapi import FastAPI

from inocds import __version__
from inocds.entrypoints.api.calculations_router import calculations_router
from inocds.settings import Settings, load_settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the application; nothing runs at import."""
    settings = settings or load_settings()
    app = FastAPI(
        title="inocds",
        version=__version__,
        description="Clinical decision support for inotuzumab ozogamicin (Besponsa).",
    )
    app.state.settings = settings
    app.include_router(calculations_router())

    @app.get("/healthz", tags=["service"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": settings.database_kind}

    return app
