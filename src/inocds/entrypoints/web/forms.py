"""Form state of the web pages: entered values, errors beside their fields, parsing helpers.

A `Form` keeps what the user typed (as text, so nothing is lost when the page comes
back with errors) and the errors by input name. Errors from the use cases
(`InputError` / `FieldError`, `ServiceError`) and from the API's pydantic models are
mapped onto input names; what matches no input is shown at the top of the form.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from inocds.clinical.documents import TOXICITY_CATEGORIES
from inocds.clinical.validation import FieldError, InputError
from inocds.services.errors import ServiceError

__all__ = [
    "COURSE_INPUTS",
    "EVENT_FORMS",
    "MEASUREMENT_INPUTS",
    "PATIENT_INPUTS",
    "Form",
    "event_payload",
    "field_label",
    "liver_tests",
    "local_zone",
    "parse_local_datetime",
    "patient_payload",
    "pydantic_errors",
    "to_local",
]


@dataclass
class Form:
    """One form on a page: its input names, entered values and errors."""

    name: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    inputs: frozenset[str] = frozenset()
    """Input names errors may be shown beside (others go to `general`)."""
    prefixes: tuple[str, ...] = ()
    """Prefixes of error field paths to strip before matching an input ("event.")."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Error field path -> input name, for paths that are not the input's name."""

    @property
    def failed(self) -> bool:
        """Whether anything was refused."""
        return bool(self.errors or self.general)

    def value(self, name: str, default: Any = "") -> str:
        """The entered value of an input, else `default` (as text)."""
        if name in self.values:
            return self.values[name]
        return "" if default is None else str(default)

    def checked(self, name: str, default: bool = False) -> bool:
        """Whether a checkbox is ticked (entered value wins over the default)."""
        if self.values:
            return self.values.get(name) in ("on", "true", "1", "yes")
        return default

    def error(self, name: str, message: str) -> None:
        """Adds an error beside input `name` (or at the top when there is no such input)."""
        target = self._input_for(name)
        if target is None:
            self.general.append(f"{name}: {message}" if name not in _QUIET else message)
        else:
            self.errors.setdefault(target, []).append(message)

    def _input_for(self, path: str) -> str | None:
        if path in self.aliases:
            return self.aliases[path]
        for prefix in self.prefixes:
            if path.startswith(prefix):
                path = path[len(prefix) :]
                break
        if path in self.aliases:
            return self.aliases[path]
        candidate = path.replace(".", "_").replace("[", "_").replace("]", "")
        if candidate in self.inputs:
            return candidate
        head = path.split(".", 1)[0]
        return head if head in self.inputs else None

    def add_field_errors(self, errors: Iterable[FieldError]) -> None:
        """Maps the use cases' field errors onto inputs."""
        for e in errors:
            self.error(e.field, e.message)

    def refuse(self, refusal: ServiceError | InputError) -> None:
        """Records a use case's refusal beside its field."""
        if isinstance(refusal, InputError):
            self.add_field_errors(refusal.errors)
        else:
            self.error(refusal.field, refusal.message)

    # ------------------------------------------------------------------ parsing

    def text(self, name: str, *, required: bool = False, max_length: int = 500) -> str | None:
        """The trimmed text of an input (None when empty); errors when required or too long."""
        raw = self.values.get(name, "").strip()
        if not raw:
            if required:
                self.error(name, "is required")
            return None
        if len(raw) > max_length:
            self.error(name, f"must have at most {max_length} characters")
            return None
        return raw

    def number(
        self,
        name: str,
        *,
        required: bool = False,
        integer: bool = False,
        low: float | None = None,
        high: float | None = None,
    ) -> float | None:
        """A number typed into an input (a decimal comma is accepted)."""
        raw = self.values.get(name, "").strip().replace(",", ".").replace(" ", "")
        if not raw:
            if required:
                self.error(name, "is required")
            return None
        try:
            value = float(raw)
        except ValueError:
            self.error(name, f"must be a number; got {raw!r}")
            return None
        if not math.isfinite(value):
            self.error(name, "must be a finite number")
            return None
        if integer and value != int(value):
            self.error(name, "must be a whole number")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(name, f"must be from {low:g} to {high:g}")
            return None
        return float(int(value)) if integer else value

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        """A date typed as YYYY-MM-DD (the browser's date input)."""
        raw = self.values.get(name, "").strip()
        if not raw:
            if required:
                self.error(name, "is required")
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.error(name, f"must be a date as YYYY-MM-DD; got {raw!r}")
            return None

    def moment(self, name: str, *, required: bool = False) -> dt.datetime | None:
        """A local date and time (the browser's datetime-local input), made timezone-aware."""
        raw = self.values.get(name, "").strip()
        if not raw:
            if required:
                self.error(name, "is required")
            return None
        try:
            return parse_local_datetime(raw)
        except ValueError:
            self.error(name, f"must be a date and time as YYYY-MM-DDTHH:MM; got {raw!r}")
            return None

    def choice(self, name: str, options: Iterable[str], *, required: bool = False) -> str | None:
        """One of `options` (None when empty and not required)."""
        raw = self.values.get(name, "").strip()
        allowed = tuple(options)
        if not raw:
            if required:
                self.error(name, "choose one")
            return None
        if raw not in allowed:
            self.error(name, f"must be one of {', '.join(allowed)}")
            return None
        return raw

    def tristate(self, name: str) -> bool | None:
        """A yes / no / unknown select: True, False or None."""
        return {"yes": True, "no": False}.get(self.values.get(name, ""))


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


_QUIET = frozenset({"(request)", "status", "version", "role", "order_id", "event_id"})
"""Error paths shown without their name (the message says enough)."""

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
        elif kind in ("literal_error", "enum"):
            message = f"must be one of {context.get('expected')}"
        else:
            message = str(item.get("msg", "is not valid"))
        found.append(FieldError(path, message))
    return found


def local_zone() -> dt.tzinfo | None:
    """The ward's time zone: `INOCDS_TIMEZONE` (IANA name) or else the server's local zone.

    None stands for the server's local zone (`datetime.astimezone()` without argument).
    """
    name = os.environ.get("INOCDS_TIMEZONE", "").strip()
    return ZoneInfo(name) if name else None


def parse_local_datetime(raw: str) -> dt.datetime:
    """`YYYY-MM-DDTHH:MM` in the ward's time zone, as an aware datetime (ValueError if bad)."""
    moment = dt.datetime.fromisoformat(raw)
    if moment.tzinfo is not None:
        return moment
    zone = local_zone()
    return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()


def to_local(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp (naive means UTC, as SQLite hands it back) in the ward's zone."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(local_zone())


# ------------------------------------------------------------------ the pages' forms

PATIENT_INPUTS = frozenset(
    {
        "mrn",
        "family_name",
        "given_name",
        "birth_date",
        "sex",
        "height_cm",
        "weight_kg",
        "measured_on",
        "can_become_pregnant",
        "bsa_formula",
        "history_prior_hsct",
        "history_liver_disease",
        "history_prior_vod",
        "history_salvage_line",
        "diagnosis_cd22_positive",
        "diagnosis_b_cell_precursor_all",
        "diagnosis_relapsed_or_refractory",
        "medications",
        "allergies",
    }
)
MEASUREMENT_INPUTS = frozenset({"measured_on", "height_cm", "weight_kg"})
COURSE_INPUTS = frozenset(
    {
        "hsct_planned",
        "anc_per_mm3",
        "platelets_per_mm3",
        "peripheral_blasts_per_mm3",
        "bilirubin_value",
        "bilirubin_uln",
        "ast_value",
        "ast_uln",
        "alt_value",
        "alt_uln",
    }
)


EVENT_FORMS: dict[str, frozenset[str]] = {
    "labs": frozenset(
        {
            "date",
            "anc_per_mm3",
            "platelets_per_mm3",
            "bilirubin_value",
            "bilirubin_uln",
            "ast_value",
            "ast_uln",
            "alt_value",
            "alt_uln",
        }
    ),
    "toxicity": frozenset({"category", "name", "grade", "onset", "resolved", "cycle"}),
    "response": frozenset({"date", "status", "mrd", "cycle"}),
    "cycle_start": frozenset({"date", "cycle", "anc_per_mm3", "platelets_per_mm3"}),
    "discontinued": frozenset({"date", "reason"}),
    "dose": frozenset({"date", "cycle", "day", "dose_mg_per_m2"}),
}


def patient_payload(form: Form) -> dict[str, Any]:
    """The API's PatientCreate body from the form (empty inputs left out)."""
    v = form.values
    data: dict[str, Any] = {
        key: v[key].strip()
        for key in (
            "mrn",
            "family_name",
            "given_name",
            "birth_date",
            "sex",
            "height_cm",
            "weight_kg",
            "measured_on",
            "bsa_formula",
        )
        if v.get(key, "").strip()
    }
    for key in ("height_cm", "weight_kg"):
        if key in data:
            data[key] = data[key].replace(",", ".")
    data["can_become_pregnant"] = form.tristate("can_become_pregnant")
    data["history"] = {
        "prior_hsct": form.checked("history_prior_hsct"),
        "liver_disease": form.checked("history_liver_disease"),
        "prior_vod": form.checked("history_prior_vod"),
        "salvage_line": v.get("history_salvage_line", "").strip() or None,
    }
    data["diagnosis"] = {
        key: form.tristate(f"diagnosis_{key}")
        for key in ("cd22_positive", "b_cell_precursor_all", "relapsed_or_refractory")
    }
    data["medications"] = [
        line.strip() for line in v.get("medications", "").replace(",", "\n").splitlines()
    ]
    data["medications"] = [m for m in data["medications"] if m]
    data["allergies"] = [a.strip() for a in v.get("allergies", "").splitlines() if a.strip()]
    return data


def liver_tests(form: Form) -> dict[str, Any]:
    """Bilirubin, AST and ALT as {value, uln}, for each test whose value was typed.

    A value needs its upper limit of normal. An upper limit alone is left out: the
    forms pre-fill the laboratory's limits, so a test not measured has one.
    """
    found: dict[str, Any] = {}
    for key in ("bilirubin", "ast", "alt"):
        if not form.values.get(f"{key}_value", "").strip():
            continue
        value = form.number(f"{key}_value", low=0)
        uln = form.number(f"{key}_uln", low=0)
        if not form.values.get(f"{key}_uln", "").strip():
            form.error(f"{key}_uln", "give the upper limit of normal with the value")
        elif value is not None and uln is not None:
            if uln <= 0:
                form.error(f"{key}_uln", "must be above 0")
            else:
                found[key] = {"value": value, "uln": uln}
    return found


def event_payload(kind: str, form: Form) -> dict[str, Any] | None:
    """The contract event typed into a course page form (None when a value is unreadable)."""
    payload: dict[str, Any] = {"type": kind}
    if kind == "toxicity":
        payload["category"] = form.choice("category", TOXICITY_CATEGORIES, required=True)
        payload["grade"] = form.number("grade", required=True, integer=True, low=1, high=5)
        onset = form.date("onset", required=True)
        resolved = form.date("resolved")
        payload["onset"] = onset.isoformat() if onset else None
        payload["resolved"] = resolved.isoformat() if resolved else None
        payload["name"] = form.text("name", max_length=200)
        cycle = form.number("cycle", integer=True, low=1, high=12)
        if cycle is not None:
            payload["cycle"] = int(cycle)
        if payload["grade"] is not None:
            payload["grade"] = int(payload["grade"])
    else:
        when = form.date("date", required=True)
        payload["date"] = when.isoformat() if when else None
    if kind == "labs":
        for key in ("anc_per_mm3", "platelets_per_mm3"):
            value = form.number(key, low=0)
            if value is not None:
                payload[key] = value
        payload.update(liver_tests(form))
        if len(payload) == 2 and not form.failed:
            form.error("anc_per_mm3", "enter at least one value")
    elif kind == "cycle_start":
        cycle = form.number("cycle", required=True, integer=True, low=1, high=12)
        payload["cycle"] = int(cycle) if cycle is not None else None
        for key in ("anc_per_mm3", "platelets_per_mm3"):
            value = form.number(key, low=0)
            if value is not None:
                payload[key] = value
    elif kind == "response":
        payload["status"] = form.choice("status", ("CR", "CRi", "none"), required=True)
        payload["mrd"] = form.choice("mrd", ("negative", "positive"))
        cycle = form.number("cycle", integer=True, low=1, high=12)
        if cycle is not None:
            payload["cycle"] = int(cycle)
    elif kind == "discontinued":
        payload["reason"] = form.text("reason", max_length=500)
    elif kind == "dose":
        cycle = form.number("cycle", required=True, integer=True, low=1, high=12)
        day = form.choice("day", ("1", "8", "15"), required=True)
        payload["cycle"] = int(cycle) if cycle is not None else None
        payload["day"] = int(day) if day is not None else None
        payload["dose_mg_per_m2"] = form.number("dose_mg_per_m2", required=True, low=0, high=2)
    return None if form.failed else payload
