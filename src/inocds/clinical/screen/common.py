"""Values and helpers shared by the screen's sections: dose dates, calendar
arithmetic and the collector that gathers the rules applied, in order."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from inocds.clinical.documents import CourseDocument
from inocds.clinical.reasons import Reason
from inocds.protocol.loader import Protocol, Rule

__all__ = [
    "Collector",
    "DoseDate",
    "add_months",
    "age_in_years",
    "fmt_number",
    "pregnancy_relevant",
]


@dataclass(frozen=True)
class DoseDate:
    """A dose the checks are tied to: recorded, or planned by the course engine."""

    date: dt.date
    cycle: int | None
    day: int | None
    recorded: bool

    @property
    def label(self) -> str:
        """E.g. `recorded dose, cycle 1 day 8`."""
        kind = "recorded dose" if self.recorded else "planned dose"
        if self.cycle is None:
            return kind
        day = f" day {self.day}" if self.day is not None else ""
        return f"{kind}, cycle {self.cycle}{day}"


class Collector:
    """Gathers reasons in the order rules are applied."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.reasons: list[Reason] = []

    def rule(self, rule_id: str) -> Rule:
        """The protocol rule `rule_id` (KeyError if unknown)."""
        return self.protocol[rule_id]

    def add(self, rule_id: str, message: str) -> Reason:
        """Record that `rule_id` shaped the answer, with `message`."""
        reason = Reason(rule_id, message, self.protocol[rule_id].source)
        self.reasons.append(reason)
        return reason


def add_months(date: dt.date, months: int) -> dt.date:
    """`date` plus whole calendar months, the day clamped to the target month's end."""
    index = date.month - 1 + months
    year, month = date.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def age_in_years(birth: dt.date, on: dt.date) -> int:
    """Completed years of age on a date (a 29 February birthday counts from 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def fmt_number(value: float) -> str:
    """A count or lab value as shown in a message: `25,000`, `1.5`."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def pregnancy_relevant(doc: CourseDocument) -> bool | None:
    """True if the patient can become pregnant, None if it is not recorded for a non-male."""
    p = doc.patient
    if p.can_become_pregnant is not None:
        return p.can_become_pregnant
    return None if p.sex != "male" else False
