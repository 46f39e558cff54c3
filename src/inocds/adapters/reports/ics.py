"""The patient's treatment calendar as an iCalendar file (RFC 5545).

One all-day VEVENT per dose of the course (`schedule.dose_schedule`): doses given
(STATUS:CONFIRMED) and doses ahead (STATUS:TENTATIVE, with the earliest and latest
date the dose may move to in the description). UIDs are stable across downloads —
built from the calendar id and the dose's cycle and day — so importing the file
again updates the events instead of duplicating them, and a planned dose becomes
the given one. Lines end in CRLF and are folded at 75 octets (RFC 5545 3.1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from inocds.adapters.reports.schedule import ScheduledDose, dose_schedule

__all__ = ["course_calendar"]

_DRUG = "Inotuzumab ozogamicin (Besponsa)"
_PRODID = "-//inocds//patient treatment calendar//EN"


def _text(value: str) -> str:
    """An iCalendar TEXT value: backslash, semicolon, comma and newline escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Folds a content line into chunks of at most 75 octets, never inside a character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    chunks: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with one space
        current += char
        size += width
    chunks.append(current)
    return "\r\n ".join(chunks)


def _day(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _long(value: dt.date) -> str:
    return f"{value.strftime('%A')} {value.day} {value.strftime('%B %Y')}"


def _calendar_id(document: Mapping[str, Any], patient_name: str) -> str:
    patient = document.get("patient")
    birth = patient.get("birth_date", "") if isinstance(patient, Mapping) else ""
    digest = hashlib.sha256(f"{patient_name}|{birth}".encode()).hexdigest()
    return f"course-{digest[:16]}"


def _event(dose: ScheduledDose, calendar_id: str, stamp: str) -> list[str]:
    slot = f"c{dose.cycle}d{dose.day}" if dose.cycle else f"{_day(dose.date)}"
    if dose.given:
        summary = f"Treatment given: {_DRUG}, {dose.label}"
        description = (
            f"{_DRUG} was given on {_long(dose.date)} ({dose.label}"
            + (f", {dose.dose_mg_per_m2:g} mg/m2" if dose.dose_mg_per_m2 else "")
            + ")."
        )
        status = "CONFIRMED"
    else:
        summary = f"Planned treatment: {_DRUG}, {dose.label}"
        description = f"Planned for {_long(dose.date)} ({dose.label})."
        if dose.earliest and dose.latest and dose.earliest != dose.latest:
            description += (
                f" It may move to any day from {_long(dose.earliest)} to "
                f"{_long(dose.latest)}, depending on blood tests and how you are."
            )
        description += (
            " Your care team confirms each dose; the infusion takes about an hour, and you "
            "stay afterwards to be watched."
        )
        status = "TENTATIVE"
    return [
        "BEGIN:VEVENT",
        f"UID:{calendar_id}-{slot}@inocds",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_day(dose.date)}",
        f"DTEND;VALUE=DATE:{_day(dose.date + dt.timedelta(days=1))}",
        f"SUMMARY:{_text(summary)}",
        f"DESCRIPTION:{_text(description)}",
        f"STATUS:{status}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def course_calendar(
    document: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    patient_name: str,
    *,
    calendar_id: str | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The course's doses as an RFC 5545 calendar (UTF-8 bytes, CRLF line endings).

    `document` is the contract's course document, `plan` the `plan` answer (or None).
    `calendar_id` keeps UIDs stable (e.g. "course-12"); by default it is derived from
    the patient's name and birth date. `now` sets DTSTAMP (default: the current time).
    """
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    ident = calendar_id or _calendar_id(document, patient_name)
    name = f"Treatment calendar - {patient_name}" if patient_name else "Treatment calendar"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(name)}",
    ]
    for dose in dose_schedule(document, plan):
        lines.extend(_event(dose, ident, stamp))
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
