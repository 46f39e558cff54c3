"""Words of the forms' errors: each input's own label, and pydantic's refusals in plain words."""

from __future__ import annotations

from pydantic import ValidationError

from inocds.clinical.validation import FieldError

__all__ = ["FIELD_LABELS", "field_label", "pydantic_errors"]


FIELD_LABELS = {
    "mrn": "MRN",
    "height_cm": "Height (cm)",
    "weight_kg": "Weight (kg)",
    "birth_date": "Birth date",
    "measured_on": "Measured on",
    "bsa_formula": "BSA formula",
    "can_become_pregnant": "Can become pregnant",
    "history_salvage_line": "Salvage line",
    "hsct_planned": "Transplant planned",
    "anc_per_mm3": "ANC",
    "platelets_per_mm3": "Platelets",
    "peripheral_blasts_per_mm3": "Peripheral blasts",
    "bilirubin_value": "Total bilirubin",
    "bilirubin_uln": "Total bilirubin ULN",
    "ast_value": "AST",
    "ast_uln": "AST ULN",
    "alt_value": "ALT",
    "alt_uln": "ALT ULN",
    "grade": "CTCAE grade",
    "status": "Response",
    "mrd": "Minimal residual disease",
    "dose_mg_per_m2": "Dose (mg/m²)",
    "scheduled_on": "To be given on",
    "override_reason": "Override reason",
    "weight_change_acknowledged": "Weight change checked",
    "reconstituted_at": "Reconstituted at",
    "diluted_at": "Diluted at",
    "refrigerated": "Storage of the diluted solution",
    "vial_lots": "Vial lot numbers",
    "started_at": "Infusion started at",
    "ended_at": "Infusion ended at",
    "reaction_grade": "Infusion reaction",
    "reaction_name": "Reaction",
    "password_again": "Password again",
    "on": "Decision date",
}


def field_label(name: str) -> str:
    """The label of an input, for the error summary ("weight_kg" -> "Weight (kg)")."""
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


_PYDANTIC_MESSAGES = {
    "missing": "is required",
    "float_parsing": "must be a number",
    "int_parsing": "must be a whole number",
    "date_from_datetime_parsing": "must be a date as YYYY-MM-DD",
    "date_parsing": "must be a date as YYYY-MM-DD",
    "bool_parsing": "must be yes or no",
}


def pydantic_errors(error: ValidationError) -> list[FieldError]:
    """A pydantic ValidationError as field errors with short, plain messages."""
    found: list[FieldError] = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        kind = item.get("type", "")
        context = item.get("ctx") or {}
        if kind in _PYDANTIC_MESSAGES:
            message = _PYDANTIC_MESSAGES[kind]
        elif kind == "greater_than_equal":
            message = f"must be at least {context.get('ge')}"
        elif kind == "greater_than":
            message = f"must be above {context.get('gt')}"
        elif kind == "less_than_equal":
            message = f"must be at most {context.get('le')}"
        elif kind == "less_than":
            message = f"must be below {context.get('lt')}"
        elif kind == "string_too_short":
            message = "is required"
        elif kind == "string_too_long":
            message = f"must have at most {context.get('max_length')} characters"
        elif kind == "too_long":
            message = f"may list at most {context.get('max_length')} entries"
        elif kind in ("literal_error", "enum"):
            message = f"must be one of {context.get('expected')}"
        else:
            message = str(item.get("msg", "is not valid"))
        found.append(FieldError(path, message))
    return found
