"""The contract's stateless commands under /api/v1 and the protocol's rules.

Bodies are validated by the same strict validator as the CLI, so a request gets
the same answer, and the same named errors (HTTP 422), over either transport.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from inocds.clinical.json_limits import loads
from inocds.clinical.validation import InputError
from inocds.entrypoints.api.deps import ERROR_BODY
from inocds.entrypoints.api.request_schemas import command_request_schema
from inocds.protocol.loader import load_protocol
from inocds.services.commands import COMMANDS, run_command

__all__ = ["calculations_router"]


def _described_body(name: str) -> dict[str, Any]:
    """The command's request body (from its validator) and its 422 answer, for OpenAPI."""
    schema = command_request_schema(name)
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"422": {"description": "Bad input: every bad field named", **ERROR_BODY}},
    }


def _unprocessable(errors: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=422)


async def _json_body(request: Request) -> Any:
    return loads(await request.body())


def _add_command(app: APIRouter, name: str, summary: str) -> None:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            document = await _json_body(request)
            return JSONResponse(run_command(name, document))
        except InputError as error:
            return _unprocessable([e.to_dict() for e in error.errors])

    endpoint.__name__ = f"post_{name}"
    app.add_api_route(
        f"/api/v1/{name}",
        endpoint,
        methods=["POST"],
        summary=summary,
        tags=["calculations"],
        openapi_extra=_described_body(name),
        response_class=JSONResponse,
    )


def _rule_json(rule_id: str) -> dict[str, Any]:
    r = load_protocol()[rule_id]
    return {
        "id": r.id,
        "statement": r.statement,
        "source": r.source,
        "status": r.status,
        "params": dict(r.params),
    }


def calculations_router() -> APIRouter:
    """The stateless calculators, the rules and the health check: open, no login."""
    router = APIRouter()
    for name, (_, summary) in COMMANDS.items():
        _add_command(router, name, summary)

    @router.get("/api/v1/rules", tags=["protocol"], summary="Every rule with statement and source")
    def list_rules() -> list[dict[str, Any]]:
        return [_rule_json(r.id) for r in load_protocol().all()]

    @router.get(
        "/api/v1/rules/{rule_id}", tags=["protocol"], summary="One rule", response_model=None
    )
    def get_rule(rule_id: str) -> Any:
        if rule_id not in load_protocol():
            return JSONResponse(
                {"errors": [{"field": "rule_id", "message": f"no rule {rule_id!r}"}]},
                status_code=404,
            )
        return _rule_json(rule_id)

    return router
