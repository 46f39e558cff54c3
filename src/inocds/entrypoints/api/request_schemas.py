"""The clinical commands' request bodies as JSON Schema, read from the validators themselves.

The strict validator (`inocds.clinical.validation`) stays the only judge of a request;
this module only describes its field specifications in the OpenAPI document, so the
description cannot drift from what is enforced. Cross-field checks (e.g. bsa_m2 or
height and weight, not both) are not expressible here and are named in the 422 answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from inocds.clinical.validation import (
    Bool,
    Choice,
    Date,
    Enum,
    ListOf,
    Num,
    Obj,
    Spec,
    Text,
    Timestamp,
    Union,
)

__all__ = ["command_request_schema", "document_error_answers", "spec_schema"]


def _number(spec: Num) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer" if spec.integer else "number"}
    schema["exclusiveMinimum" if spec.lo_open else "minimum"] = spec.lo
    schema["maximum"] = spec.hi
    return schema


def _object(spec: Obj) -> dict[str, Any]:
    properties = {}
    for name, field in spec.known.items():
        schema = spec_schema(field)
        if name in spec.nullable:
            schema = {"anyOf": [schema, {"type": "null"}]}
        properties[name] = schema
    out: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if spec.required:
        out["required"] = sorted(spec.required)
    return out


def spec_schema(spec: Spec) -> dict[str, Any]:
    """The JSON Schema describing what `spec` accepts."""
    if isinstance(spec, Num):
        return _number(spec)
    if isinstance(spec, Text):
        return {"type": "string", "maxLength": spec.max_length}
    if isinstance(spec, Bool):
        return {"type": "boolean"}
    if isinstance(spec, Enum):
        return {"type": "string", "enum": list(spec.values)}
    if isinstance(spec, Choice):
        return {"type": "integer", "enum": list(spec.values)}
    if isinstance(spec, Date):
        return {"type": "string", "format": "date"}
    if isinstance(spec, Timestamp):
        return {"type": "string", "format": "date-time"}
    if isinstance(spec, ListOf):
        return {"type": "array", "items": spec_schema(spec.item), "maxItems": spec.max_items}
    if isinstance(spec, Obj):
        return _object(spec)
    if isinstance(spec, Union):
        return {"oneOf": [spec_schema(choice) for choice in spec.choices.values()]}
    return {}


def command_request_schema(name: str) -> dict[str, Any]:
    """The request body of the clinical command `name` (dose, prepare, or a course command)."""
    if name == "dose":
        from inocds.clinical.dose import dose_request_spec

        return spec_schema(dose_request_spec())
    if name == "prepare":
        from inocds.clinical.dose import dose_request_spec
        from inocds.clinical.preparation import PREPARE_OPTIONAL, PREPARE_REQUIRED

        return spec_schema(dose_request_spec(PREPARE_REQUIRED, PREPARE_OPTIONAL))
    from inocds.clinical.documents import course_spec

    return spec_schema(course_spec())


def _error_answers(schema: dict[str, Any], error_body: dict[str, Any]) -> None:
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            responses["422"] = {"description": "Bad input: every bad field named", **error_body}
            responses.setdefault(
                "default",
                {"description": "Refused (404, 409, 413, 429, 503 …): why, by field", **error_body},
            )
    schemas = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def document_error_answers(app: FastAPI, error_body: dict[str, Any]) -> None:
    """Every operation's error answers in the OpenAPI document have the contract's shape.

    FastAPI documents its own 422 shape (`detail`); the service answers
    `{"errors": [{field, message}]}` for 422 and every other refusal (`default`).
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        _error_answers(schema, error_body)  # idempotent: the document is built once, cached
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend
