"""Jinja filters of the pages: numbers, dates and times as a ward writes them, source titles."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from markupsafe import Markup, escape

from inocds.entrypoints.web.forms import field_label, local_zone, to_local
from inocds.protocol.loader import load_protocol

__all__ = ["FILTERS", "SOURCE_TITLES", "rule_param", "time_hint"]


def num(value: Any, digits: int | None = None) -> str:
    """A number as a person writes it: 1.34, 80000 → 80,000; '—' for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if digits is not None:
        return f"{value:,.{digits}f}"
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:g}"


def date(value: Any) -> str:
    """A date with its weekday, kept on one line: 2026-05-04 Mon."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Markup(f'<span class="nowrap">{value.isoformat()} {value.strftime("%a")}</span>')
    return str(value)


def clock(value: Any) -> str:
    """A timestamp in the ward's zone: 2026-05-04 14:05."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = to_local(value)
    return local.strftime("%Y-%m-%d %H:%M")


def iso(value: dt.datetime) -> str:
    """A timestamp in the ward's zone, ISO 8601 (for `<time datetime>`)."""
    return to_local(value).isoformat(timespec="seconds")


def local_input(value: dt.datetime) -> str:
    """The value of a datetime-local input."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M")


SOURCE_TITLES = {
    "000": "Clinician drug monograph (2025)",
    "001": "Patient monograph (US, 2025)",
    "002": "Patient summary",
    "003": "Label summary page",
    "004": "Pharmacy administration guide (2025)",
    "FACTS.md": "Prescribing-information facts",
}
"""Short titles of the seed documents, by file-name prefix (the file name stays as a tooltip)."""

_SOURCE_FILE = re.compile(r"\b(?:(\d{3})_[0-9a-f]+\.txt|(FACTS\.md))")


def source(value: Any) -> str:
    """Source references with document titles; the file name in a `title` attribute."""
    text = str(value or "")
    parts: list[str] = []
    last = 0
    for found in _SOURCE_FILE.finditer(text):
        key = found.group(1) or found.group(2)
        title = SOURCE_TITLES.get(key)
        if title is None:
            continue
        parts.append(str(escape(text[last : found.start()])))
        parts.append(f'<abbr class="doc" title="{escape(found.group(0))}">{escape(title)}</abbr>')
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def time_hint() -> str:
    """What a time typed into the forms means: 24-hour clock, the ward's time zone."""
    zone = local_zone()
    name = str(zone) if zone is not None else (dt.datetime.now().astimezone().tzname() or "")
    return f"24-hour clock, {name} time." if name else "24-hour clock, the ward's local time."


def path_label(path: Any) -> str:
    """A field path of the engine's validation in words ("patient.weight_kg" -> "Weight (kg)")."""
    leaf = re.sub(r"\[\d+\]", "", str(path)).rsplit(".", 1)[-1]
    return field_label(leaf)


def percent(fraction: float) -> str:
    """A fraction as a whole percentage (0.05 -> "5%"), as the protocol data give it."""
    return f"{fraction * 100:.0f}%"


def rule_param(rule_id: str, name: str) -> Any:
    """A parameter of a protocol rule, for a page that states it (`{{ rule_param(...) }}`)."""
    return load_protocol()[rule_id].params[name]


FILTERS = {
    "num": num,
    "percent": percent,
    "date": date,
    "clock": clock,
    "iso": iso,
    "local_input": local_input,
    "source": source,
    "path_label": path_label,
}
"""The filters by the name the templates use."""
