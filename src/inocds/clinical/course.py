"""Course state: the events folded, day by day, into cycles, doses and interruptions.

The walk runs from the first event (or today) to today. A `Slot` is one scheduled
dose (cycle, day). The pointer is the next slot to give; it moves when a dose is
recorded, when a later cycle starts, when an interruption reaches the omission
length (interruption.ge7) or when a day 8/15 dose outlives its window
(schedule.missed). Interruptions by non-hematologic toxicity are measured from
the first day the dose was due (interruption.length); spans of 14 days or more
set the dose level of later cycles (reduction.*).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from inocds.clinical.documents import CourseDocument, Event
from inocds.clinical.episodes import Episode, interruption_episodes
from inocds.clinical.regimen import CycleRegimen, cycle_regimen, level_for_interruptions
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import ge14_days, warning
from inocds.clinical.validation import FieldError, InputError
from inocds.protocol.loader import load_protocol

__all__ = ["CourseState", "LogEntry", "Span", "build_course"]

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """A non-hematologic interruption: from the first blocked due day to recovery (or ongoing)."""

    start: dt.date
    end: dt.date | None
    causes: tuple[str, ...]
    rules: tuple[str, ...]

    def length_days(self, today: dt.date) -> int:
        """Days from start to recovery, or to today while ongoing."""
        return ((self.end or today) - self.start).days


@dataclass(frozen=True)
class LogEntry:
    """One step of the course narrative."""

    date: dt.date
    kind: str  # started | given | omitted (today's decision) | skipped (history) | resumed
    cycle: int
    day: int
    rule: str
    message: str


@dataclass
class _Cycle:
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
    cycles: dict[int, _Cycle]
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

    # ------------------------------------------------------------------ views
    @property
    def today(self) -> dt.date:
        """The day of the decision."""
        return self.doc.today.date

    def ge14_spans(self, before: dt.date | None = None) -> list[Span]:
        """Interruptions of >= 14 days that began before `before` (default: today).

        A closed span counts by its length; the open one by its length up to `before`
        (the reduction applies once the patient has recovered, to the cycles after it).
        """
        limit = load_protocol()[ids.INTERRUPTION_GE14].integer("days")
        until = before or self.today
        found = [s for s in self.spans if s.start < until and s.length_days(until) >= limit]
        span = self.open_span
        if span is not None and span.start < until and (until - span.start).days >= limit:
            found.append(span)
        return found

    def responses(self, until: dt.date | None = None) -> list[Event]:
        """Response events up to a date, in date order."""
        return [e for e in self.doc.of_type("response") if until is None or e.date <= until]

    def latest_response(self, until: dt.date | None = None) -> Event | None:
        """The most recent response on or before `until` (regimen.response_latest)."""
        found = self.responses(until)
        return found[-1] if found else None

    def cr_reached(self, until: dt.date | None = None) -> bool:
        """True when the latest response is CR or CRi."""
        latest = self.latest_response(until)
        return latest is not None and latest.status in ("CR", "CRi")

    def ever_cr(self) -> bool:
        """True when CR or CRi was recorded at any time."""
        return any(e.status in ("CR", "CRi") for e in self.responses())

    def active_episodes(self, day: dt.date) -> list[Episode]:
        """Episodes interrupting dosing on `day` (toxicities before the first dose excluded)."""
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

    def level_for(self, number: int, start: dt.date) -> str | None:
        """The dose level of a cycle starting on `start` (None: not tolerated)."""
        if number == 1:
            return "full"
        previous = self.cycles.get(number - 1)
        count = len(self.ge14_spans(before=start))
        level = level_for_interruptions(count)
        if level is None:
            return None
        if previous is not None:  # reduction.no_reescalation
            order = ("full", "reduced_25", "two_doses")
            level = order[max(order.index(level), order.index(previous.regimen.level))]
        return level

    def regimen_for(self, number: int, start: dt.date) -> CycleRegimen | None:
        """The regimen of cycle `number` starting on `start` (None: not tolerated)."""
        level = self.level_for(number, start)
        if level is None:
            return None
        return cycle_regimen(number, self.cr_reached(start), level)

    def due_window(self, number: int, day: int) -> tuple[dt.date, dt.date, dt.date]:
        """(earliest, scheduled, latest) of a slot given what has happened so far."""
        window, gap = _timing().window, _timing().gap
        cycle = self.cycles.get(number)
        if day == 1:
            if cycle is not None and cycle.start is not None:
                return cycle.start, cycle.start, cycle.start
            previous = self.cycles.get(number - 1)
            if previous is None or previous.start is None:
                return self.pointer_since, self.pointer_since, self.pointer_since
            due = previous.start + dt.timedelta(days=previous.regimen.length_days)
            if self.last_dose is not None:
                due = max(due, self.last_dose + gap)
            return due, due, due
        assert cycle is not None and cycle.start is not None
        scheduled = cycle.start + dt.timedelta(days=day - 1)
        earliest = scheduled - window
        if self.last_dose is not None:
            earliest = max(earliest, self.last_dose + gap)
        latest = max(scheduled + window, earliest)
        if self.delayed_from is not None:
            latest = max(latest, self.delayed_from + window)
        return earliest, scheduled, latest


@dataclass(frozen=True)
class _Timing:
    """The schedule's numbers, read once from the protocol (the walk runs them every day)."""

    window: dt.timedelta
    gap: dt.timedelta
    omit_after_days: int


@lru_cache(maxsize=1)
def _timing() -> _Timing:
    p = load_protocol()
    return _Timing(
        window=dt.timedelta(days=p[ids.SCHEDULE_WINDOW].integer("window_days")),
        gap=dt.timedelta(days=p[ids.SCHEDULE_MIN_INTERVAL].integer("min_days_between_doses")),
        omit_after_days=p[ids.INTERRUPTION_GE7].integer("days"),
    )


def _next_slot(state: CourseState, number: int, day: int) -> tuple[int, int]:
    days = state.cycles[number].regimen.days
    later = [d for d in days if d > day]
    return (number, later[0]) if later else (number + 1, 1)


class _Walker:
    """Walks the course day by day and leaves a CourseState."""

    def __init__(self, doc: CourseDocument) -> None:
        first = min([e.date for e in doc.events if e.type in ("cycle_start", "dose")], default=None)
        self.doc = doc
        self.errors: list[FieldError] = []
        self.state = CourseState(
            doc=doc,
            cycles={},
            pointer=(1, 1),
            pointer_since=first or doc.today.date,
            slot_interruption_start=None,
            delayed_from=None,
            spans=[],
            open_span=None,
            last_dose=None,
            log=[],
            warnings=[],
            episodes=interruption_episodes(doc),
        )
        self.start = first or doc.today.date
        self._quiet_key: object = None
        self._quiet_until = dt.date.min
        self.events_by_day: dict[dt.date, list[Event]] = {}
        for e in doc.events:
            if e.type in ("cycle_start", "dose"):
                self.events_by_day.setdefault(e.date, []).append(e)
        self.event_days = sorted(self.events_by_day)

    # --------------------------------------------------------------- helpers
    def _log(self, date: dt.date, kind: str, slot: tuple[int, int], rule: str, msg: str) -> None:
        self.state.log.append(LogEntry(date, kind, slot[0], slot[1], rule, msg))

    def _move(self, slot: tuple[int, int], today: dt.date) -> None:
        self.state.pointer = slot
        self.state.pointer_since = today
        self.state.slot_interruption_start = None
        self.state.delayed_from = None

    def _close_span(self, day: dt.date) -> None:
        span = self.state.open_span
        if span is not None:
            self.state.spans.append(Span(span.start, day, span.causes, span.rules))
            self.state.open_span = None

    def _start_cycle(self, number: int, day: dt.date, event: Event | None) -> None:
        s = self.state
        if number in s.cycles:
            return
        self._close_span(day)  # a cycle starting ends any interruption before its level is set
        regimen = s.regimen_for(number, day)
        if regimen is None:
            regimen = cycle_regimen(number, s.cr_reached(day), "two_doses")
            s.warnings.append(
                {
                    "code": "cycle_after_not_tolerated",
                    "message": f"cycle {number} started on {day} although a third interruption "
                    f"of {ge14_days()} days or more ends the course (reduction.not_tolerated)",
                }
            )
        counts = (
            (event.labs.anc_per_mm3, event.labs.platelets_per_mm3)
            if event and event.labs
            else (None, None)
        )
        s.cycles[number] = _Cycle(number, day, regimen, counts)
        # doses of earlier cycles never given are omitted for good
        for earlier in s.cycles.values():
            if earlier.number < number:
                for d in earlier.regimen.days:
                    if d not in earlier.given and d not in earlier.omitted:
                        earlier.omitted[d] = ids.SCHEDULE_MISSED
                        self._log(
                            day,
                            "skipped",
                            (earlier.number, d),
                            ids.SCHEDULE_MISSED,
                            f"cycle {earlier.number} day {d} was not given "
                            f"before cycle {number} began",
                        )
        self._close_span(day)
        self._move((number, 1), day)
        self._log(
            day,
            "started",
            (number, 1),
            regimen.rules[0],
            f"cycle {number} starts ({regimen.level})",
        )

    def _record_dose(self, e: Event) -> None:
        s = self.state
        assert e.cycle is not None and e.day is not None and e.dose_mg_per_m2 is not None
        if e.cycle not in s.cycles:
            # history.dose_without_cycle_start: the cycle is taken to start on its day 1
            inferred = e.date - dt.timedelta(days=e.day - 1)
            self._start_cycle(e.cycle, max(inferred, s.last_dose or inferred), None)
        cycle = s.cycles[e.cycle]
        if e.day not in cycle.regimen.days:
            self.errors.append(
                FieldError(
                    f"events[{e.position}].day",
                    f"cycle {e.cycle} at level {cycle.regimen.level} has no day {e.day} dose "
                    f"(scheduled days: {', '.join(str(d) for d in cycle.regimen.days)})",
                )
            )
            return
        allowed = cycle.regimen.amount(e.day)
        tolerance = load_protocol()[ids.HISTORY_DOSE_ABOVE_LEVEL].number("tolerance_fraction")
        if e.dose_mg_per_m2 > allowed * (1 + tolerance):
            s.warnings.append(
                warning(
                    ids.HISTORY_DOSE_ABOVE_LEVEL,
                    cycle=e.cycle,
                    day=e.day,
                    given=e.dose_mg_per_m2,
                    date=e.date,
                    allowed=allowed,
                    level=cycle.regimen.level,
                )
            )
        if e.day in cycle.omitted:
            del cycle.omitted[e.day]
            s.warnings.append(
                {
                    "code": "dose_given_after_omission",
                    "message": f"cycle {e.cycle} day {e.day} was given on {e.date} after "
                    "the protocol would have omitted it",
                }
            )
        cycle.given[e.day] = (e.date, e.dose_mg_per_m2)
        for d in cycle.regimen.days:
            if d < e.day and d not in cycle.given and d not in cycle.omitted:
                cycle.omitted[d] = ids.SCHEDULE_MISSED
                self._log(
                    e.date,
                    "skipped",
                    (e.cycle, d),
                    ids.SCHEDULE_MISSED,
                    f"cycle {e.cycle} day {d} was not given before day {e.day}",
                )
        self._close_span(e.date)
        s.last_dose = e.date
        self._log(
            e.date,
            "given",
            (e.cycle, e.day),
            cycle.regimen.rules[0],
            f"cycle {e.cycle} day {e.day}: {e.dose_mg_per_m2:g} mg/m2 given",
        )
        self._move(_next_slot(s, e.cycle, e.day), e.date)

    # ------------------------------------------------------------------ walk
    def _omit(self, day: dt.date, rule: str, message: str) -> None:
        s = self.state
        number, slot_day = s.pointer
        s.cycles[number].omitted[slot_day] = rule
        self._log(day, "omitted", s.pointer, rule, message)
        self._move(_next_slot(s, number, slot_day), day)

    def _is_quiet(self, day: dt.date) -> bool:
        """True when nothing can change on `day`: no interruption open, nothing due yet."""
        s = self.state
        key = (s.pointer, s.last_dose, s.delayed_from, len(s.cycles))
        return s.open_span is None and key == self._quiet_key and day < self._quiet_until

    def _evaluate(self, day: dt.date) -> None:
        """Moves the pointer as the protocol would on `day` (omissions, delays, recovery)."""
        s = self.state
        if self._is_quiet(day):
            return  # nothing can change before the pending dose falls due
        omit_after = _timing().omit_after_days
        window = _timing().window
        if s.open_span is not None and not s.active_episodes(day):
            self._close_span(day)  # the interruption ends when the toxicity resolves
        for _ in range(4):  # an omission may make the next slot due the same day
            number, slot_day = s.pointer
            cycle = s.cycles.get(number)
            if slot_day != 1 and (cycle is None or cycle.start is None):
                return
            earliest, _, latest = s.due_window(number, slot_day)
            if day < earliest:
                self._quiet_key = (s.pointer, s.last_dose, s.delayed_from, len(s.cycles))
                self._quiet_until = earliest
                return
            active = s.active_episodes(day)
            if active:
                # interruption.length: from the first day the dose was due, or the onset if later
                began = max(earliest, min(e.start for e in active))
                if s.slot_interruption_start is None:
                    s.slot_interruption_start = began
                if s.open_span is None:
                    s.open_span = Span(
                        began, None, tuple(e.label for e in active), tuple(e.rule for e in active)
                    )
                length = (day - s.slot_interruption_start).days
                if slot_day != 1 and length >= omit_after:
                    self._omit(
                        day,
                        ids.INTERRUPTION_GE7,
                        f"cycle {number} day {slot_day} omitted: interrupted {length} days "
                        f"(since {s.slot_interruption_start}) by {active[0].label}",
                    )
                    continue
                return
            if s.slot_interruption_start is not None:
                length = (day - s.slot_interruption_start).days
                since = s.slot_interruption_start
                self._close_span(day)
                if slot_day != 1 and length >= omit_after:
                    self._omit(
                        day,
                        ids.INTERRUPTION_GE7,
                        f"cycle {number} day {slot_day} omitted: interrupted {length} days "
                        f"(from {since} to recovery on {day})",
                    )
                    continue
                self._log(
                    day,
                    "resumed",
                    s.pointer,
                    ids.INTERRUPTION_LT7 if slot_day != 1 else ids.NONHEME_GRADE2,
                    f"cycle {number} day {slot_day} may be given again after a "
                    f"{length}-day interruption (from {since})",
                )
                s.slot_interruption_start = None
                s.delayed_from = day
                latest = max(latest, day + window)
            self._close_span(day)
            if slot_day != 1 and day > latest:
                self._omit(
                    day,
                    ids.SCHEDULE_MISSED,
                    f"cycle {number} day {slot_day} not given by {latest}, the end of its window",
                )
                continue
            return

    def run(self) -> CourseState:
        day = self.start
        today = self.doc.today.date
        while day <= today:
            todays = self.events_by_day.get(day)
            if todays is None and self._is_quiet(day):
                # jump to the next day on which something can happen
                upcoming = bisect.bisect_right(self.event_days, day)
                nxt = self._quiet_until
                if upcoming < len(self.event_days):
                    nxt = min(nxt, self.event_days[upcoming])
                day = max(day + DAY, min(nxt, today + DAY))
                continue
            for e in self.events_by_day.get(day, []):
                if e.type == "cycle_start":
                    assert e.cycle is not None
                    if e.cycle in self.state.cycles:
                        cycle = self.state.cycles[e.cycle]
                        if cycle.start != e.date:
                            self.errors.append(
                                FieldError(
                                    f"events[{e.position}].date",
                                    f"cycle {e.cycle} already began on {cycle.start}",
                                )
                            )
                        elif e.labs:
                            cycle.counts = (e.labs.anc_per_mm3, e.labs.platelets_per_mm3)
                    else:
                        self._start_cycle(e.cycle, e.date, e)
            for e in self.events_by_day.get(day, []):
                if e.type == "dose":
                    self._record_dose(e)
            self._evaluate(day)
            day += DAY
        if self.errors:
            raise InputError(self.errors)
        return self.state


def build_course(doc: CourseDocument) -> CourseState:
    """Folds the document's events into the course state as of today.date."""
    return _Walker(doc).run()
