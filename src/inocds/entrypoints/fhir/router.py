"""The FHIR R4 routes at /fhir: parse, call one service, render (application/fhir+json).

Behind the same login as the JSON API (bearer token or session), for the clinical
roles. Reads and searches answer Bundles of type `searchset`; refusals answer an
OperationOutcome (400 bad search, 404 unknown resource, 422 import refused).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from inocds.adapters.fhir.build import operation_outcome
from inocds.adapters.fhir.definitions import capability_statement
from inocds.adapters.fhir.resources import bundle
from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import Clinician, SessionDep
from inocds.services.errors import ServiceError
from inocds.services.fhir_api import everything, read
from inocds.services.fhir_import import ImportRefused, import_bundle
from inocds.services.fhir_search import search

__all__ = ["FHIR_JSON", "fhir_router"]

FHIR_JSON = "application/fhir+json"
_ISSUE_CODE = {400: "invalid", 403: "forbidden", 404: "not-found", 409: "conflict"}


def _fhir(resource: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(resource, status_code=status_code, media_type=FHIR_JSON)


def _outcome(status_code: int, issues: list[tuple[str, str, str]]) -> JSONResponse:
    return _fhir(operation_outcome(issues), status_code)


def _refused(error: ServiceError) -> JSONResponse:
    code = _ISSUE_CODE.get(error.status_code, "processing")
    return _outcome(error.status_code, [("error", code, f"{error.field}: {error.message}")])


def _base(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}/fhir"


_FHIR_JSON = {"application/fhir+json": {"schema": {"type": "object"}}}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "A FHIR R4 resource or Bundle", "content": _FHIR_JSON},
    **{
        status: {
            "description": "An OperationOutcome naming the problem (FHIR), or the service's "
            "`{errors}` answer where the login or the role refuses first",
            "content": {**_FHIR_JSON, "application/json": {"schema": {"type": "object"}}},
        }
        for status in (400, 403, 404, 409, 412, 422)
    },
}
"""What the FHIR routes answer, as the OpenAPI document says it (application/fhir+json)."""


def fhir_router() -> APIRouter:
    """The FHIR R4 routes."""
    router = APIRouter(prefix="/fhir", tags=["fhir"], responses=_ANSWERS)
    _register_service(router)
    _register_reads(router)
    return router


def _register_service(router: APIRouter) -> None:
    """The capability statement and the lab import."""

    @router.get("/metadata", summary="CapabilityStatement")
    def metadata(request: Request, user: Clinician) -> JSONResponse:
        return _fhir(capability_statement(_base(request)))

    @router.post("", summary="Import a transaction or batch Bundle of lab Observations")
    def import_labs(
        request: Request,
        session: SessionDep,
        user: Clinician,
        today: Today,
        body: Annotated[Any, Body()] = None,
    ) -> JSONResponse:
        try:
            return _fhir(import_bundle(session, user, body, today))
        except ImportRefused as error:
            return _outcome(error.status_code, error.issues)
        except ServiceError as error:
            return _refused(error)


def _register_reads(router: APIRouter) -> None:
    """Reading: a patient's everything, search and read by id."""

    @router.get("/Patient/{patient_id}/$everything", summary="Everything about one patient")
    def patient_everything(
        patient_id: int, request: Request, session: SessionDep, user: Clinician, today: Today
    ) -> JSONResponse:
        try:
            found = everything(session, user, patient_id, today)
        except ServiceError as error:
            return _refused(error)
        return _fhir(bundle("searchset", found, _base(request), str(request.url)))

    @router.get("/{resource_type}", summary="Search")
    def search_type(
        resource_type: str, request: Request, session: SessionDep, user: Clinician, today: Today
    ) -> JSONResponse:
        params = list(request.query_params.multi_items())
        strict = "handling=strict" in request.headers.get("prefer", "").replace(" ", "")
        try:
            found = search(session, user, resource_type, params, today, strict)
        except ServiceError as error:
            return _refused(error)
        result = bundle("searchset", found.resources, _base(request), str(request.url))
        if found.ignored:
            text = f"search parameter(s) not supported, ignored: {', '.join(found.ignored)}"
            outcome = operation_outcome([("warning", "not-supported", text)])
            result.setdefault("entry", []).append(
                {"resource": outcome, "search": {"mode": "outcome"}}
            )
        return _fhir(result)

    @router.get("/{resource_type}/{resource_id}", summary="Read")
    def read_one(
        resource_type: str,
        resource_id: str,
        session: SessionDep,
        user: Clinician,
        today: Today,
    ) -> JSONResponse:
        try:
            return _fhir(read(session, user, resource_type, resource_id, today))
        except ServiceError as error:
            return _refused(error)
