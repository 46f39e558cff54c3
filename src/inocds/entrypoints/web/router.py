"""The care team's pages: login and first run, worklist, patients, courses, orders, rules.

Server-rendered HTML (Jinja2), readable without JavaScript. Every page calls the same
use cases as the JSON API (`inocds.services`), so roles, states and validation are the
API's. A browser logs in with the `inocds_session` cookie; every form carries the
session's CSRF token, checked by `kit.web_login`. A refused form comes back with
what was typed and each error beside its field; a form that succeeds redirects (303)
to the page showing the result. The routes stay out of the OpenAPI document.

One module per resource under `pages/`, each with its own `router`, over the shared
`kit` (templates, login, refusals as pages, form attempts). A new page: a module in
`pages/` with `router = page_router()`, listed in `PAGE_MODULES`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from inocds.entrypoints.web.kit import templates
from inocds.entrypoints.web.pages import (
    accounts,
    course_corrections,
    courses,
    orders,
    patients,
    rules,
    worklist,
)

__all__ = ["PAGE_MODULES", "STATIC_DIR", "install_web", "templates", "web_router"]

STATIC_DIR = Path(__file__).parent / "static"

PAGE_MODULES = (courses, worklist, accounts, patients, course_corrections, orders, rules)
"""The page modules, in the order their routes are matched: the course page, the busiest,
first (no path matches routes of two modules: `test_route_order.py`)."""


def web_router() -> APIRouter:
    """Every page of the web application."""
    router = APIRouter(include_in_schema=False)
    for module in PAGE_MODULES:
        router.include_router(module.router)
    return router


def install_web(app: FastAPI) -> None:
    """Adds the pages and the static files (/static) to the application."""
    app.include_router(web_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
