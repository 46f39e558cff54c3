"""The patient's treatment calendar as an iCalendar file (RFC 5545), written by `icalendar`.

One all-day VEVENT per dose of the course (`schedule.dose_schedule`): doses given
(STATUS:CONFIRMED) and doses ahead (STATUS:TENTATIVE, with the earliest and latest
date the dose may move to in the description). UIDs are stable across downloads —
built from the calendar id and the dose's cycle and day — so importing the file
again updates the events instead of duplicating them, and a planned dose becomes
the given one. Each planned dose carries a reminder the day before (VALARM,
calendar.reminder), and the calendar names the site's time zone (X-WR-TIMEZONE), in
which its all-day dates are meant. Appointment times are not in the course record, so
the events stay all-day. The `icalendar` library escapes every text value (a CR or LF in a
patient's name becomes `\\n` inside its value, never a new line), folds lines at 75
octets and ends them in CRLF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from icalendar import Alarm, Calendar, Event, vText

from inocds.adapters.reports.schedule import ScheduledDose, dose_schedule
from inocds.protocol.loader import load_protocol

__all__ = ["course_calendar"]

_DRUG = "Inotuzumab ozogamicin (Besponsa)"
_PRODID = "-//inocds//patient treatment calendar//EN"


def _day(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _long(value: dt.date) -> str:
    return f"{value.strftime('%A')} {value.day} {value.strftime('%B %Y')}"


def _calendar_id(document: Mapping[str, Any], patient_name: str) -> str:
    patient = document.get("patient")
    birth = patient.get("birth_date", "") if isinstance(patient, Mapping) else ""
    digest = hashlib.sha256(f"{patient_name}|{birth}".encode()).hexdigest()
    return f"course-{digest[:16]}"


def _event(dose: ScheduledDose, calendar_id: str, stamp: dt.datetime) -> Event:
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
    event = Event()
    event.add("uid", f"{calendar_id}-{slot}@inocds")
    event.add("dtstamp", stamp)
    event.add("dtstart", dose.date)
    event.add("dtend", dose.date + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", status)
    event.add("transp", "TRANSPARENT")
    if not dose.given:
        event.add_component(_reminder(dose))
    return event


def _reminder(dose: ScheduledDose) -> Alarm:
    """A display alarm the day before the dose day (calendar.reminder)."""
    hours = load_protocol()["calendar.reminder"].integer("hours_before_dose_day")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"Tomorrow: {_DRUG}, {dose.label}. Blood tests come first.")
    alarm.add("trigger", dt.timedelta(hours=-hours))
    return alarm


def course_calendar(
    document: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    patient_name: str,
    *,
    calendar_id: str | None = None,
    now: dt.datetime | None = None,
    zone_name: str | None = None,
) -> bytes:
    """The course's doses as an RFC 5545 calendar (UTF-8 bytes, CRLF line endings).

    `document` is the contract's course document, `plan` the `plan` answer (or None).
    `calendar_id` keeps UIDs stable (e.g. "course-12"); by default it is derived from
    the patient's name and birth date. `now` sets DTSTAMP (default: the current time).
    `zone_name` (an IANA name, e.g. the site's) is written as X-WR-TIMEZONE.
    """
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    ident = calendar_id or _calendar_id(document, patient_name)
    name = f"Treatment calendar - {patient_name}" if patient_name else "Treatment calendar"
    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(name))  # an X- property: say it is TEXT, to be escaped
    if zone_name:
        calendar.add("x-wr-timezone", vText(zone_name))
    for dose in dose_schedule(document, plan):
        calendar.add_component(_event(dose, ident, stamp))
    written: bytes = calendar.to_ical()
    return written
