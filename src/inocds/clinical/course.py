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

from inocds.clinical.course_state import CourseState, Cycle, LogEntry, Span, timing
from inocds.clinical.documents import CourseDocument, Event
from inocds.clinical.episodes import interruption_episodes
from inocds.clinical.regimen import cycle_regimen
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import ge14_days, warning
from inocds.clinical.validation import FieldError, InputError
from inocds.protocol.loader import load_protocol

__all__ = ["CourseState", "LogEntry", "Span", "build_course"]

DAY = dt.timedelta(days=1)


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
        s.cycles[number] = Cycle(number, day, regimen, counts)
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
        omit_after = timing().omit_after_days
        window = timing().window
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
