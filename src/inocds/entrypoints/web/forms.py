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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from inocds.clinical.validation import FieldError, InputError
from inocds.entrypoints.web.messages import field_label, pydantic_errors
from inocds.protocol.loader import load_protocol
from inocds.services.errors import ServiceError

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "COUNT_UNITS",
    "COUNT_UNIT_OPTIONS",
    "DEFAULT_COUNT_UNIT",
    "Form",
    "field_label",
    "local_zone",
    "parse_local_datetime",
    "pydantic_errors",
    "read_number",
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
    conflict: bool = False
    """A use case refused the form because the record changed meanwhile (409)."""
    notes: list[str] = field(default_factory=list)
    """What the form did with the entries: conversions, warnings (shown above the form)."""

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
            leaf = re.sub(r"\[\d+\]", "", name).rsplit(".", 1)[-1]
            quiet = name in _QUIET or leaf in _QUIET
            self.general.append(message if quiet else f"{field_label(leaf)}: {message}")
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
            self.conflict = refusal.status_code == 409
            self.error(refusal.field, refusal.message)

    def validated(self, model: type[M], data: dict[str, Any]) -> M | None:
        """`data` checked by the API's pydantic `model`; None (errors beside their inputs)
        when refused or when the form already failed. An input that already has an error
        (an unreadable number left out of `data`) gets no second one."""
        try:
            body = model.model_validate(data)
        except ValidationError as error:
            for item in pydantic_errors(error):
                target = self._input_for(item.field)
                if target is None or target not in self.errors:
                    self.error(item.field, item.message)
            return None
        return None if self.failed else body

    def count(self, name: str, *, required: bool = False) -> float | None:
        """A cell count, stored per mm³, typed in the unit chosen in `<name>_unit`.

        /mm³ takes a whole number (thousands separators as shown: "1,500"); 10^3/µL and
        10^9/L are the same unit, 1,000/mm³ each, and take decimals ("1.5" is 1,500/mm³).
        The conversion is noted in `notes` so the page can show it.
        """
        unit = self.values.get(f"{name}_unit", "").strip() or DEFAULT_COUNT_UNIT
        if unit not in COUNT_UNITS:
            self.error(name, f"choose the unit: {', '.join(u for u, _ in COUNT_UNITS.values())}")
            return None
        shown, factor = COUNT_UNITS[unit]
        value = self.number(name, required=required, low=0, count=factor == 1)
        if value is None:
            return None
        if factor == 1 and value != int(value):
            self.error(
                name,
                f"is a count per mm³ and takes a whole number; for {value:g} × 10^9/L "
                "choose that unit",
            )
            return None
        if factor != 1:
            converted = round(value * factor)
            self.notes.append(f"{field_label(name)} {value:g} {shown} = {converted:,}/mm³")
            return float(converted)
        return value

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
        count: bool = False,
    ) -> float | None:
        """A number typed into an input; None (with an error beside the input) if unreadable.

        A count (`count=True`: cells per mm³) accepts thousands separators as the pages
        show them ("1,500" and "1 500" are 1500); a decimal comma there is refused. Other
        numbers accept a decimal comma ("70,5" is 70.5); "1,500" there is ambiguous (1.5
        or 1500?) and refused, never guessed.
        """
        raw = self.values.get(name, "").strip()
        if not raw:
            if required:
                self.error(name, "is required")
            return None
        text, problem = read_number(raw, count=count)
        if problem:
            self.error(name, problem)
            return None
        try:
            value = float(text)
        except ValueError:
            self.error(name, f"must be a number, such as {_EXAMPLE[count]}; got {raw!r}")
            return None
        if not math.isfinite(value):
            self.error(name, "must be a finite number")
            return None
        if integer and value != int(value):
            self.error(name, "must be a whole number")
            return None
        if low is not None and value < low:
            self.error(name, _range_message(low, high, value))
            return None
        if high is not None and value > high:
            self.error(name, _range_message(low, high, value))
            return None
        return float(int(value)) if integer else value

    def date(
        self,
        name: str,
        *,
        required: bool = False,
        not_after: dt.date | None = None,
        not_before: dt.date | None = None,
        before_what: str = "the birth date",
    ) -> dt.date | None:
        """A date typed as YYYY-MM-DD (the browser's date input), optionally bounded:
        not after `not_after` (today: no future dates), not before `not_before`."""
        raw = self.values.get(name, "").strip()
        if not raw:
            if required:
                self.error(name, "is required")
            return None
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            self.error(name, f"must be a date as YYYY-MM-DD, such as 2026-05-04; got {raw!r}")
            return None
        if not_after is not None and value > not_after:
            self.error(name, f"must not be after today ({not_after}): {value} is in the future")
            return None
        if not_before is not None and value < not_before:
            self.error(name, f"{value} is before {before_what} ({not_before})")
            return None
        return value

    def moment(
        self, name: str, *, required: bool = False, not_after: dt.datetime | None = None
    ) -> dt.datetime | None:
        """A local date and time (the browser's datetime-local input), made timezone-aware;
        refused after `not_after` (the server's clock plus a little slack)."""
        raw = self.values.get(name, "").strip()
        if not raw:
            if required:
                self.error(name, "is required")
            return None
        try:
            value = parse_local_datetime(raw)
        except ValueError:
            self.error(
                name,
                f"must be a date and time as YYYY-MM-DDTHH:MM, such as 2026-05-04T14:30; "
                f"got {raw!r}",
            )
            return None
        if not_after is not None and value > not_after:
            self.error(name, "must not be in the future")
            return None
        return value

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


_EXAMPLE = {True: "1500 or 1,500", False: "70.5"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def read_number(raw: str, *, count: bool) -> tuple[str, str | None]:
    """`raw` as Python reads a number, or an error message with a suggestion."""
    text = raw.replace("\u00a0", " ").replace("\u202f", " ").strip()
    if _THOUSANDS.match(text):
        plain = text.replace(",", "").replace(" ", "")
        if count or " " in text or "." in text:
            return plain, None
        return text, (
            f"{raw!r} is ambiguous: write {plain} for {int(plain):,} "
            f"or {text.replace(',', '.')} with a decimal point"
        )
    if _DECIMAL_COMMA.match(text):
        if count:
            return text, (
                f"is a count of cells per mm³: {raw!r} is not one; write it in full, "
                f"such as 1500 or 1,500 (or choose the unit 10^9/L for {text.replace(',', '.')})"
            )
        return text.replace(",", "."), None
    return text.replace(" ", "") if count else text, None


def _range_message(low: float | None, high: float | None, value: float) -> str:
    if low is not None and value < low and low == 0:
        return "must not be negative"
    if high is None:
        return f"must be at least {low:g}"
    if low is None:
        return f"must be at most {high:g}"
    return f"must be from {low:g} to {high:g}"


_PER_10E3_PER_UL = int(load_protocol()["data.count_units"].number("per_mm3_per_10e3_per_ul"))
DEFAULT_COUNT_UNIT = "per_mm3"
COUNT_UNITS = {
    DEFAULT_COUNT_UNIT: ("/mm³", 1),
    "e3_per_uL": ("× 10^3/µL", _PER_10E3_PER_UL),
    "e9_per_L": ("× 10^9/L", _PER_10E3_PER_UL),
}
"""Units a count may be typed in: (as shown, cells per mm³ in one unit; data.count_units)."""
COUNT_UNIT_OPTIONS = [
    (unit, shown.replace("10^3", "10³").replace("10^9", "10⁹"))
    for unit, (shown, _) in COUNT_UNITS.items()
]
"""The units as the options of a select."""

_QUIET = frozenset({"(request)", "status", "version", "role", "order_id", "event_id"})
"""Error paths shown without their name (the message says enough)."""


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
