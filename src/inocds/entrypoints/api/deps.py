"""Request-scoped dependencies: the database session, the logged-in user, role guards.

A request is authenticated by a bearer token (`Authorization: Bearer …`) or by the
browser-session cookie `inocds_session`. A cookie-authenticated unsafe request (POST,
PUT, PATCH, DELETE) must also carry the session's CSRF token in the `X-CSRF-Token`
header or the `csrf_token` form field. Errors use the contract's shape
`{"errors": [{"field", "message"}]}` (see `error_handlers.py`).

Role guards made by `require_roles` are found again by `route_roles`, which reads a
route's dependency graph: the OpenAPI document shows each route's roles as `x-roles`,
and the route-access test walks them, so routes added later are covered without a list.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import fastapi.routing
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import ROLES, User
from inocds.services.auth import WEB_SESSION_TTL, user_for_session_cookie, user_for_token
from inocds.services.records import CLINICAL_ROLES, RECORDER_ROLES, Role

__all__ = [
    "CSRF_FORM_FIELD",
    "CSRF_HEADER",
    "ERROR_BODY",
    "SESSION_COOKIE",
    "Admin",
    "Clinician",
    "Credential",
    "CurrentUser",
    "Nurse",
    "Pharmacist",
    "Physician",
    "Recorder",
    "RoleGuard",
    "SessionDep",
    "api_error",
    "api_routes",
    "clear_session_cookie",
    "current_user",
    "document_security",
    "get_session",
    "require_roles",
    "route_requires_login",
    "route_roles",
    "set_session_cookie",
]

SESSION_COOKIE = "inocds_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
ERROR_BODY: dict[str, Any] = {  # the OpenAPI shape of {"errors": [{field, message}]}
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    }
                },
            }
        }
    }
}


def api_error(
    status_code: int, field: str, message: str, headers: dict[str, str] | None = None
) -> HTTPException:
    """An HTTPException that the app's handler answers as `{"errors": [{field, message}]}`."""
    return HTTPException(status_code, [{"field": field, "message": message}], headers)


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the handler returns, rolled back on error.

    Used with `scope="function"`, so the commit happens before the answer is sent: an
    acknowledged write is a committed write.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    with transaction(factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
"""The request's SQLAlchemy session (commit on success, rollback on exception)."""


@dataclass(frozen=True)
class Credential:
    """How the current request logged in (kept on `request.state.credential` for logout)."""

    kind: Literal["bearer", "cookie"]
    secret: str


def _unauthorized(message: str) -> HTTPException:
    return api_error(401, "Authorization", message, {"WWW-Authenticate": "Bearer"})


async def _form_csrf_token(request: Request) -> str | None:
    """The `csrf_token` form field of an unsafe form post (None for anything else)."""
    content_type = request.headers.get("content-type", "")
    if request.method not in _UNSAFE_METHODS or not content_type.startswith(_FORM_TYPES):
        return None
    if CSRF_HEADER in request.headers or SESSION_COOKIE not in request.cookies:
        return None
    value = (await request.form()).get(CSRF_FORM_FIELD)
    return value if isinstance(value, str) else None


def current_user(
    request: Request,
    session: SessionDep,
    form_csrf: Annotated[str | None, Depends(_form_csrf_token)],
) -> User:
    """The logged-in user (bearer token first, else session cookie with CSRF), else 401."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("expected 'Authorization: Bearer <token>'")
        user = user_for_token(session, token.strip())
        if user is None:
            raise _unauthorized("the token is unknown, expired or revoked")
        request.state.credential = Credential("bearer", token.strip())
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        raise _unauthorized("log in: send a bearer token or the session cookie")
    login = user_for_session_cookie(session, cookie)
    if login is None:
        raise _unauthorized("the session has expired or ended; log in again")
    if request.method in _UNSAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or form_csrf or ""
        if not hmac.compare_digest(sent.encode(), login.csrf_token.encode()):
            raise api_error(
                403, CSRF_HEADER, f"missing or wrong CSRF token (header or {CSRF_FORM_FIELD})"
            )
    request.state.credential = Credential("cookie", cookie)
    return login.user


CurrentUser = Annotated[User, Depends(current_user)]
"""The logged-in user; 401 (with `WWW-Authenticate: Bearer`) when there is none."""


class RoleGuard:
    """A dependency admitting the logged-in user only with one of `roles` (else 403)."""

    def __init__(self, roles: frozenset[str]) -> None:
        self.roles = roles

    def __call__(self, user: CurrentUser) -> User:
        if user.role not in self.roles:
            allowed = " or ".join(sorted(self.roles))
            raise api_error(403, "role", f"only {allowed} may do this; you are {user.role}")
        return user

    def __repr__(self) -> str:
        return f"require_roles({', '.join(sorted(self.roles))})"


def require_roles(*roles: str) -> RoleGuard:
    """A dependency for a route open to `roles` only: `Annotated[User, Depends(require_roles(…))]`.

    Raises ValueError at import for a role that does not exist (a typo would lock everyone out).
    """
    names = frozenset(str(role) for role in roles)
    unknown = sorted(names - set(ROLES))
    if not roles or unknown:
        raise ValueError(f"require_roles needs roles among {ROLES}; got {roles!r}")
    return RoleGuard(names)


# The role dependencies, defined once for every router (API, documents, FHIR).
Clinician = Annotated[User, Depends(require_roles(*CLINICAL_ROLES))]
"""A logged-in physician, pharmacist or nurse (401 / 403 otherwise)."""
Physician = Annotated[User, Depends(require_roles(Role.PHYSICIAN))]
Pharmacist = Annotated[User, Depends(require_roles(Role.PHARMACIST))]
Nurse = Annotated[User, Depends(require_roles(Role.NURSE))]
Recorder = Annotated[User, Depends(require_roles(*RECORDER_ROLES))]
"""A physician or nurse: registers patients, records their details and measurements."""
Admin = Annotated[User, Depends(require_roles(Role.ADMIN))]


def _walk(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _walk(sub)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route of `app` as served (with the prefixes and dependencies of its routers).

    FastAPI 0.13x+ keeps included routers nested; `iter_route_contexts` flattens them. Each
    item has `path_format`, `methods` and `dependant`.
    """
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    for route in app.routes if iterate is None else iterate(app.routes):
        if isinstance(getattr(route, "original_route", route), APIRoute):
            yield route


def route_requires_login(route: Any) -> bool:
    """Whether any dependency of `route` is `current_user` (directly or through a guard)."""
    return any(call is current_user for call in _walk(route.dependant))


def route_roles(route: Any) -> frozenset[str] | None:
    """The roles admitted by the route's guards (intersected); None when it has no guard."""
    roles: frozenset[str] | None = None
    for call in _walk(route.dependant):
        if isinstance(call, RoleGuard):
            roles = call.roles if roles is None else roles & call.roles
    return roles


def _annotate(app: FastAPI, schema: dict[str, Any]) -> None:
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer"}
    schemes["session"] = {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE}
    for route in api_routes(app):
        if not route_requires_login(route):
            continue
        roles = route_roles(route)
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            operation["security"] = [{"bearer": []}, {"session": []}]
            operation["x-roles"] = sorted(ROLES if roles is None else roles)
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", {"description": "Not logged in", **ERROR_BODY})
            if roles is not None and roles != set(ROLES):
                responses.setdefault("403", {"description": "Role not allowed", **ERROR_BODY})


def document_security(app: FastAPI) -> None:
    """Shows, in the OpenAPI document, how each route logs in and which roles it admits.

    Each login-protected operation gets `security` (bearer token or session cookie), the
    extension `x-roles` (the roles it admits) and its 401/403 answers. Computed whenever
    the document is built, so it covers routers included afterwards.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        _annotate(app, schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend


def set_session_cookie(response: Response, cookie: str, *, secure: bool = True) -> None:
    """Sets the browser-session cookie: HttpOnly, SameSite=Strict, Secure unless told."""
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(WEB_SESSION_TTL.total_seconds()),
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    """Removes the browser-session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
