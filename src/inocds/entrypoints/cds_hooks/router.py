"""The CDS Hooks 2.0 routes: parse the request, call the service, render its cards.

`GET /cds-services` (discovery), `POST /cds-services/{id}` (a hook call) and
`POST /cds-services/{id}/feedback`. The calls carry the CDS client's JWT (checked
by services/cds_auth.py); their own discovery document describes them, so they are
left out of the OpenAPI document (whose routes all log in as users).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse

from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import SessionDep
from inocds.services.cds_auth import ClientKeys, JwtRejected, ReplayGuard, auth_required, verify
from inocds.services.cds_hooks import HookCall, HookError, discovery, record_feedback, run_hook
from inocds.services.cds_hooks import service_for as _service_for

__all__ = ["cds_hooks_router"]

BodyDep = Annotated[Any, Body()]


CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Expose-Headers": "WWW-Authenticate",
}
"""CORS for browser-based CDS clients (the spec asks services to allow them); the calls carry
the client's JWT, never a cookie, so any origin may call."""


def _json(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers={**CORS, **(headers or {})})


def _error(status_code: int, field: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status_code == 401 else None
    return _json({"errors": [{"field": field, "message": message}]}, status_code, headers)


def _check_client(request: Request) -> None:
    """Raises JwtRejected unless the request may proceed (JWT verified, or not required)."""
    settings = request.app.state.settings
    client = request.client.host if request.client else None
    if not auth_required(settings.cds_auth, client):
        return
    state = request.app.state
    if not hasattr(state, "cds_keys"):
        state.cds_keys = ClientKeys.from_file(settings.cds_clients_file)
        state.cds_replay = ReplayGuard()
    base = str(request.base_url).rstrip("/")
    audiences = [str(request.url).split("?")[0], f"{base}/cds-services", base]
    verify(request.headers.get("authorization"), state.cds_keys, audiences, state.cds_replay)


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise HookError(422, "(body)", "the request body must be a JSON object")
    return body


def _hook_call(body: dict[str, Any]) -> HookCall:
    errors = []
    for name, kind in (("hook", str), ("hookInstance", str), ("context", dict)):
        if not isinstance(body.get(name), kind):
            errors.append(name)
    if errors:
        raise HookError(422, errors[0], f"required: {', '.join(errors)}")
    prefetch = body.get("prefetch") or {}
    auth = body.get("fhirAuthorization") or {}
    if not isinstance(prefetch, dict) or not isinstance(auth, dict):
        raise HookError(422, "prefetch", "prefetch and fhirAuthorization must be objects")
    server = body.get("fhirServer")
    token = auth.get("access_token")
    return HookCall(
        hook=body["hook"],
        context=body["context"],
        prefetch=prefetch,
        fhir_server=server if isinstance(server, str) and server else None,
        fhir_token=token if isinstance(token, str) else None,
    )


def cds_hooks_router() -> APIRouter:
    """The CDS Hooks routes."""
    router = APIRouter(tags=["cds-hooks"], include_in_schema=False)

    @router.get("/cds-services")
    def services() -> JSONResponse:
        return _json(discovery())

    @router.options("/cds-services")
    @router.options("/cds-services/{path:path}")
    def preflight(path: str = "") -> Response:
        return Response(status_code=204, headers=CORS)

    # Plain (not async) handlers: they run in the thread pool, so a call that reads this
    # same server's FHIR API as its fhirServer does not block the event loop.
    @router.post("/cds-services/{service_id}")
    def call(
        service_id: str, request: Request, session: SessionDep, today: Today, body: BodyDep = None
    ) -> JSONResponse:
        try:
            known = _service_for(service_id)
            _check_client(request)
            hook_call = _hook_call(_body(body))
            base = str(request.base_url).rstrip("/")
            return _json(run_hook(session, known, hook_call, today, base))
        except JwtRejected as error:
            return _error(401, "Authorization", str(error))
        except HookError as error:
            return _error(error.status_code, error.field, error.message)

    @router.post("/cds-services/{service_id}/feedback")
    def feedback(
        service_id: str, request: Request, session: SessionDep, body: BodyDep = None
    ) -> JSONResponse:
        try:
            known = _service_for(service_id)
            _check_client(request)
            count = record_feedback(session, known, _body(body))
            return _json({"recorded": count})
        except JwtRejected as error:
            return _error(401, "Authorization", str(error))
        except HookError as error:
            return _error(error.status_code, error.field, error.message)

    return router
