"""Every error answer in the contract's shape: `{"errors": [{"field": …, "message": …}]}`.

HTTP errors (401, 403, 404, 405, 409 …), request validation (422, every bad field
named by its dotted path), the use cases' refusals (`ServiceError` with its status)
and the strict validator's `InputError` (422).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from inocds.clinical.validation import InputError
from inocds.services.errors import ServiceError

__all__ = ["install_error_handlers", "validation_errors"]

_WWW_AUTHENTICATE = {"WWW-Authenticate": "Bearer"}


def _is_field_list(detail: Any) -> bool:
    return isinstance(detail, list) and all(
        isinstance(item, dict) and {"field", "message"} <= item.keys() for item in detail
    )


def _dotted(location: Sequence[Any]) -> str:
    """('body', 'patient', 'weight_kg') -> 'patient.weight_kg'; ('body', 'x', 0) -> 'x[0]'."""
    path = ""
    for part in location[1:]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(body)"


def validation_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """The bad fields of a request, one entry each, named by dotted path."""
    errors = []
    for item in error.errors():
        kind = item.get("type", "")
        if kind == "json_invalid":
            errors.append({"field": "(body)", "message": f"not valid JSON: {item.get('msg')}"})
        elif kind == "extra_forbidden":
            errors.append({"field": _dotted(item["loc"]), "message": "unknown field"})
        else:
            errors.append({"field": _dotted(item["loc"]), "message": str(item.get("msg"))})
    return errors


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail
    errors = detail if _is_field_list(detail) else [{"field": "(request)", "message": detail}]
    return JSONResponse({"errors": errors}, error.status_code, headers=error.headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"errors": validation_errors(error)}, 422)


async def _service_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    headers = _WWW_AUTHENTICATE if error.status_code == 401 else None
    return JSONResponse(error.to_dict(), error.status_code, headers=headers)


async def _input_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InputError)
    return JSONResponse(error.to_dict(), 422)


def install_error_handlers(app: FastAPI) -> None:
    """Registers the handlers that give every error answer the contract's shape."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(InputError, _input_error)
