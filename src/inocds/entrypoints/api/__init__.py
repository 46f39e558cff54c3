"""The HTTP API (FastAPI): one router per resource, one composition root."""

from inocds.entrypoints.api.app import create_app

__all__ = ["create_app"]
