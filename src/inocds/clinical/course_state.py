"""The course state the walk leaves: cycles, doses, interruption spans, the narrative log.

`clinical.course` builds it (the day-by-day walk); every decision module reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from inocds.clinical.documents import CourseDocument, Event
from inocds.clinical.rules import ids
from inocds.clinical.rules.episodes import Episode
from inocds.clinical.rules.reduction import level_after
from inocds.clinical.rules.regimen import CycleRegimen, cycle_regimen
from inocds.clinical.types import RESPONDED, DoseLevel, LogKind
from inocds.protocol.loader import load_protocol

__all__ = ["CourseState", "Cycle", "LogEntry", "Span", "Timing", "offset", "timing"]


@dataclass(frozen=True)
class Span:
    """A non-hematologic interruption: from the first blocked due day to recovery (or ongoing)."""

    start: dt.date
    end: dt.date | None
    causes: tuple[str, ...]
    rules: tuple[str, ...]

    def __init__(
        self, start: dt.date, end: dt.date | None, causes: tuple[str, ...], rules: tuple[str, ...]
    ) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["start"] = start
        fields["end"] = end
        fields["causes"] = causes
        fields["rules"] = rules

    def length_days(self, today: dt.date) -> int:
        """Days from start to recovery, or to today while ongoing."""
        return ((self.end or today) - self.start).days


@dataclass(frozen=True)
class LogEntry:
    """One step of the course narrative. Its `message` is `text(*args)`, written when first
    read: an answer reads the messages of omissions and resumptions only, so the walk's
    other entries are never formatted on the assess path (~2.5 K instructions an entry)."""

    date: dt.date
    kind: LogKind
    cycle: int
    day: int
    rule: str
    text: Callable[..., str]
    args: tuple[Any, ...]

    def __init__(
        self,
        date: dt.date,
        kind: LogKind,
        cycle: int,
        day: int,
        rule: str,
        text: Callable[..., str],
        args: tuple[Any, ...],
    ) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["date"] = date
        fields["kind"] = kind
        fields["cycle"] = cycle
        fields["day"] = day
        fields["rule"] = rule
        fields["text"] = text
        fields["args"] = args

    @cached_property
    def message(self) -> str:
        """The entry as the narrative tells it."""
        return self.text(*self.args)


@dataclass
class Cycle:
    number: int
    start: dt.date | None
    regimen: CycleRegimen
    counts: tuple[float | None, float | None]
    given: dict[int, tuple[dt.date, float]] = field(default_factory=dict)
    omitted: dict[int, str] = field(default_factory=dict)


@dataclass
class CourseState:
    """The course as of today.date."""

    doc: CourseDocument
    cycles: dict[int, Cycle]
    pointer: tuple[int, int]
    pointer_since: dt.date
    slot_interruption_start: dt.date | None
    delayed_from: dt.date | None
    spans: list[Span]
    open_span: Span | None
    last_dose: dt.date | None
    log: list[LogEntry]
    warnings: list[dict[str, str]]
    episodes: list[Episode]
    today: dt.date = field(init=False)
    """The day of the decision: doc.today.date (read ~15 times per answer; the document
    is frozen, so it is copied once)."""

    def __post_init__(self) -> None:
        self.today = self.doc.today.date

    # ------------------------------------------------------------------ views

    def ge14_spans(self, before: dt.date | None = None) -> list[Span]:
        """Interruptions of >= 14 days that began before `before` (default: today).

        A closed span counts by its length; the open one by its length up to `before`
        (the reduction applies once the patient has recovered, to the cycles after it).
        """
        span = self.open_span
        if not self.spans and span is None:
            return []
        limit = timing().ge14_days
        until = before or self.today
        found = [s for s in self.spans if s.start < until and s.length_days(until) >= limit]
        if span is not None and span.start < until and (until - span.start).days >= limit:
            found.append(span)
        return found

    def responses(self, until: dt.date | None = None) -> Sequence[Event]:
        """Response events up to a date, in date order (all of them: the document's own)."""
        if until is None:
            return self.doc.of_type("response")
        return [e for e in self.doc.of_type("response") if e.date <= until]

    def latest_response(self, until: dt.date | None = None) -> Event | None:
        """The most recent response on or before `until` (regimen.response_latest): the
        last of `responses(until)`, found from the end without making that list."""
        for e in reversed(self.doc.of_type("response")):
            if until is None or e.date <= until:
                return e
        return None

    def cr_reached(self, until: dt.date | None = None) -> bool:
        """True when the latest response is CR or CRi."""
        latest = self.latest_response(until)
        return latest is not None and latest.status in RESPONDED

    def ever_cr(self) -> bool:
        """True when CR or CRi was recorded at any time."""
        return any(e.status in RESPONDED for e in self.doc.of_type("response"))

    def active_episodes(self, day: dt.date) -> list[Episode]:
        """Episodes interrupting dosing on `day` (toxicities before the first dose excluded)."""
        if not self.episodes:
            return []
        first = self.first_dose_date
        return [
            e for e in self.episodes if e.active(day) and (first is not None and e.start >= first)
        ]

    @property
    def first_dose_date(self) -> dt.date | None:
        """The date of the course's first dose."""
        c1 = self.cycles.get(1)
        if c1 and 1 in c1.given:
            return c1.given[1][0]
        return None

    def cycle_length(self, number: int) -> int:
        """Length in days of cycle `number` (as planned)."""
        cycle = self.cycles.get(number)
        if cycle is not None:
            return cycle.regimen.length_days
        return cycle_regimen(number, False, "full").length_days

    def level_for(self, number: int, start: dt.date) -> DoseLevel | None:
        """The dose level of a cycle starting on `start` (None: not tolerated)."""
        if number == 1:
            return "full"
        previous = self.cycles.get(number - 1)
        count = len(self.ge14_spans(before=start))
        return level_after(count, previous.regimen.level if previous is not None else None)

    def regimen_for(self, number: int, start: dt.date) -> CycleRegimen | None:
        """The regimen of cycle `number` starting on `start` (None: not tolerated)."""
        level = self.level_for(number, start)
        if level is None:
            return None
        return cycle_regimen(number, self.cr_reached(start), level)

    def due_window(self, number: int, day: int) -> tuple[dt.date, dt.date, dt.date]:
        """(earliest, scheduled, latest) of a slot given what has happened so far."""
        steps = timing()
        cycle = self.cycles.get(number)
        last = self.last_dose
        if day == 1:
            if cycle is not None and cycle.start is not None:
                return cycle.start, cycle.start, cycle.start
            previous = self.cycles.get(number - 1)
            if previous is None or previous.start is None:
                return self.pointer_since, self.pointer_since, self.pointer_since
            due = previous.start + offset(previous.regimen.length_days)
            if last is not None and last + steps.gap > due:
                due = last + steps.gap
            return due, due, due
        assert cycle is not None and cycle.start is not None
        scheduled = cycle.start + offset(day - 1)
        earliest = scheduled - steps.window
        if last is not None and last + steps.gap > earliest:
            earliest = last + steps.gap
        latest = scheduled + steps.window
        if earliest > latest:
            latest = earliest
        if self.delayed_from is not None and self.delayed_from + steps.window > latest:
            latest = self.delayed_from + steps.window
        return earliest, scheduled, latest


_OFFSETS = tuple(dt.timedelta(days=n) for n in range(64))


def offset(n: int) -> dt.timedelta:
    """timedelta(days=n), the common ones made once."""
    return _OFFSETS[n] if 0 <= n < 64 else dt.timedelta(days=n)


@dataclass(frozen=True)
class Timing:
    """The schedule's numbers, read once from the protocol (the walk runs them every day)."""

    window: dt.timedelta
    gap: dt.timedelta
    omit_after_days: int
    ge14_days: int


@lru_cache(maxsize=1)
def timing() -> Timing:
    p = load_protocol()
    return Timing(
        window=dt.timedelta(days=p[ids.SCHEDULE_WINDOW].integer("window_days")),
        gap=dt.timedelta(days=p[ids.SCHEDULE_MIN_INTERVAL].integer("min_days_between_doses")),
        omit_after_days=p[ids.INTERRUPTION_GE7].integer("days"),
        ge14_days=p[ids.INTERRUPTION_GE14].integer("days"),
    )
