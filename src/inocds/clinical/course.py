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
from collections.abc import Callable
from typing import Any

from inocds.clinical.course_state import CourseState, Cycle, LogEntry, Span, timing
from inocds.clinical.documents import CourseDocument, Event
from inocds.clinical.rules import ids
from inocds.clinical.rules.episodes import Episode, interruption_episodes
from inocds.clinical.rules.history import dose_above_level
from inocds.clinical.rules.omissions import (
    interruption_omits,
    missed_after_window,
    missed_before_cycle,
    missed_before_day,
    omitted_from,
    omitted_interrupted,
    omitted_recovered,
    resumed,
)
from inocds.clinical.rules.reduction import not_tolerated_warning
from inocds.clinical.rules.regimen import cycle_regimen
from inocds.clinical.validation import FieldError, InputError

__all__ = ["CourseState", "LogEntry", "Span", "build_course"]

DAY = dt.timedelta(days=1)


def _day_after(day: dt.date) -> dt.date:
    return day + DAY if day < dt.date.max else day


def _started(number: int, level: str) -> str:
    """The log's note of a cycle's start."""
    return f"cycle {number} starts ({level})"


def _given(number: int, day: int, amount: float) -> str:
    """The log's note of a dose given."""
    return f"cycle {number} day {day}: {amount:g} mg/m2 given"


def _window_end(slot_day: int, latest: dt.date) -> dt.date:
    """The day after a day 8/15's window (`latest` its last day); a day 1 waits however long."""
    return _day_after(latest) if slot_day != 1 else dt.date.max


def _next_slot(days: tuple[int, ...], number: int, day: int) -> tuple[int, int]:
    """The slot after (number, day): the cycle's next scheduled day (of `days`), else the
    next cycle's day 1."""
    for later in days:
        if later > day:
            return number, later
    return number + 1, 1


class _Walker:
    """Walks the course and leaves a CourseState.

    It looks at each event day and at each day on which the pointer's slot may change
    (its window opens or ends, an interruption starts, ends or reaches the omission
    length); the days between are quiet (the same answer each day) and are not looked at.
    """

    skips_quiet_days = True
    """False: every day is looked at (tests/unit/test_walk_quiet_days.py's reference walk,
    which checks the skipping against it)."""

    def __init__(self, doc: CourseDocument) -> None:
        self.events_by_day: dict[dt.date, list[Event]] = {}
        for e in doc.events:
            if e.type == "cycle_start" or e.type == "dose":
                self.events_by_day.setdefault(e.date, []).append(e)
        self.event_days = sorted(self.events_by_day)
        first = self.event_days[0] if self.event_days else None
        self.doc = doc
        self.errors: list[FieldError] = []
        episodes = interruption_episodes(doc)
        # positional, in CourseState's field order (doc, cycles, pointer, pointer_since,
        # slot_interruption_start, delayed_from, spans, open_span, last_dose, log,
        # warnings, episodes): binding 12 keywords cost more than the state's making
        self.state = CourseState(
            doc,
            {},
            (1, 1),
            first or doc.today.date,
            None,
            None,
            [],
            None,
            None,
            [],
            [],
            episodes,
        )
        self.start = first or doc.today.date
        self.turns: list[dt.date] = []
        """The days on which an episode starts or ends (the active ones change)."""
        if episodes:
            ends = {e.end for e in episodes if e.end is not None}
            self.turns = sorted({e.start for e in episodes} | ends)

    # --------------------------------------------------------------- helpers
    def _move(self, slot: tuple[int, int], today: dt.date) -> None:
        s = self.state
        s.pointer = slot
        s.pointer_since = today
        s.slot_interruption_start = None
        s.delayed_from = None

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
            s.warnings.append(not_tolerated_warning(number, day))
        counts = (
            (event.labs.anc_per_mm3, event.labs.platelets_per_mm3)
            if event and event.labs
            else (None, None)
        )
        log = s.log
        # doses of earlier cycles never given are omitted for good
        for earlier in s.cycles.values():
            days = earlier.regimen.days
            if earlier.number > number or len(earlier.given) + len(earlier.omitted) == len(days):
                continue  # a later cycle, or every dose given or omitted (never both)
            for d in days:
                if d not in earlier.given and d not in earlier.omitted:
                    earlier.omitted[d] = ids.SCHEDULE_MISSED
                    log.append(
                        LogEntry(
                            day,
                            "skipped",
                            earlier.number,
                            d,
                            ids.SCHEDULE_MISSED,
                            missed_before_cycle,
                            (earlier.number, d, number),
                        )
                    )
        s.cycles[number] = Cycle(number, day, regimen, counts)
        self._move((number, 1), day)
        args = (number, regimen.level)
        log.append(LogEntry(day, "started", number, 1, regimen.rules[0], _started, args))

    def _cycle_of_dose(self, e: Event) -> Cycle | None:
        """The cycle a recorded dose belongs to (started on its day 1 if not recorded);
        None, with an input error, when the cycle's level has no such day."""
        s = self.state
        assert e.cycle is not None and e.day is not None
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
            return None
        return cycle

    def _check_recorded_dose(self, e: Event, cycle: Cycle) -> None:
        """Warnings on a recorded dose: above its level, or given after it was omitted."""
        s = self.state
        assert e.day is not None and e.dose_mg_per_m2 is not None
        found = dose_above_level(e, cycle.regimen.amounts[e.day], cycle.regimen.level)
        if found is not None:
            s.warnings.append(found)
        if e.day in cycle.omitted:
            del cycle.omitted[e.day]
            s.warnings.append(
                {
                    "code": "dose_given_after_omission",
                    "message": f"cycle {e.cycle} day {e.day} was given on {e.date} after "
                    "the protocol would have omitted it",
                }
            )

    def _record_dose(self, e: Event) -> None:
        s = self.state
        number, day, date = e.cycle, e.day, e.date
        assert number is not None and day is not None and e.dose_mg_per_m2 is not None
        cycle = self._cycle_of_dose(e)
        if cycle is None:
            return
        self._check_recorded_dose(e, cycle)
        given, omitted = cycle.given, cycle.omitted
        given[day] = (date, e.dose_mg_per_m2)
        days = cycle.regimen.days
        for d in days:
            if d < day and d not in given and d not in omitted:
                omitted[d] = ids.SCHEDULE_MISSED
                args: tuple[Any, ...] = (number, d, day)
                s.log.append(
                    LogEntry(
                        date, "skipped", number, d, ids.SCHEDULE_MISSED, missed_before_day, args
                    )
                )
        if s.open_span is not None:
            self._close_span(date)
        s.last_dose = date
        args = (number, day, e.dose_mg_per_m2)
        s.log.append(LogEntry(date, "given", number, day, cycle.regimen.rules[0], _given, args))
        self._move(_next_slot(days, number, day), date)

    def _take_events(self, events: list[Event]) -> None:
        """The day's events: its cycle starts, then its doses (each in input order)."""
        for e in events:
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
        for e in events:
            if e.type == "dose":
                self._record_dose(e)

    # ------------------------------------------------------------------ walk
    def _omit(
        self, day: dt.date, rule: str, text: Callable[..., str], args: tuple[Any, ...]
    ) -> None:
        """Omits the pointer's slot; the log tells it as `text(*args)`."""
        s = self.state
        number, slot_day = s.pointer
        cycle = s.cycles[number]
        cycle.omitted[slot_day] = rule
        s.log.append(LogEntry(day, "omitted", number, slot_day, rule, text, args))
        self._move(_next_slot(cycle.regimen.days, number, slot_day), day)

    def _quiet(self, day: dt.date, until: dt.date) -> dt.date:
        """The day to look again: `until`, or the first day after `day` on which an episode
        starts or ends if sooner (an event day comes first: the walk stops on event days)."""
        turns = self.turns
        if turns:
            upcoming = bisect.bisect_right(turns, day)
            if upcoming < len(turns) and turns[upcoming] < until:
                return turns[upcoming]
        return until

    def _interrupted(
        self, day: dt.date, earliest: dt.date, active: list[Episode]
    ) -> dt.date | None:
        """The slot while `active` episodes interrupt it: None when it was omitted
        (interruption.ge7), else the day to look again."""
        s = self.state
        # interruption.length: from the first day the dose was due, or the onset if later
        began = max(earliest, min(e.start for e in active))
        if s.slot_interruption_start is None:
            s.slot_interruption_start = began
        if s.open_span is None:
            s.open_span = Span(
                began, None, tuple(e.label for e in active), tuple(e.rule for e in active)
            )
        number, slot_day = s.pointer
        since = s.slot_interruption_start
        length = (day - since).days
        if not interruption_omits(slot_day, length):
            # waits: the same answer each day until the interruption would omit the dose
            return self._quiet(day, omitted_from(slot_day, since) or dt.date.max)
        args = (number, slot_day, length, since, active[0].label)
        self._omit(day, ids.INTERRUPTION_GE7, omitted_interrupted, args)
        return None

    def _recovered(self, day: dt.date, since: dt.date, latest: dt.date) -> tuple[bool, dt.date]:
        """The slot on the day its interruption (from `since`) ended: (omitted?, the
        window's new end)."""
        s = self.state
        number, slot_day = s.pointer
        length = (day - since).days
        self._close_span(day)
        if interruption_omits(slot_day, length):
            args: tuple[Any, ...] = (number, slot_day, length, since, day)
            self._omit(day, ids.INTERRUPTION_GE7, omitted_recovered, args)
            return True, latest
        rule = ids.INTERRUPTION_LT7 if slot_day != 1 else ids.NONHEME_GRADE2
        args = (number, slot_day, length, since)
        s.log.append(LogEntry(day, "resumed", number, slot_day, rule, resumed, args))
        s.slot_interruption_start = None
        s.delayed_from = day
        return False, max(latest, day + timing().window)

    def _step(self, day: dt.date) -> dt.date | None:
        """One look at the pointer's slot on `day`: None when it moved (look again), else
        the day to look again."""
        s = self.state
        number, slot_day = s.pointer
        if slot_day != 1:
            cycle = s.cycles.get(number)
            if cycle is None or cycle.start is None:
                return _day_after(day)
        earliest, _, latest = s.due_window(number, slot_day)
        if day < earliest:
            if (
                s.slot_interruption_start is None
                and s.open_span is None
                and not (s.episodes and s.active_episodes(day))
            ):
                # nothing holds the slot: the window's opening changes nothing either (an
                # episode starting first is a day to look again), on to its end (a day on
                # the 6-cycle course's walk fewer per dose: -55 K instructions of 1.30 M)
                return self._quiet(day, _window_end(slot_day, latest))
            return self._quiet(day, earliest)
        if s.episodes:
            active = s.active_episodes(day)
            if active:
                return self._interrupted(day, earliest, active)
        if s.slot_interruption_start is not None:
            omitted, latest = self._recovered(day, s.slot_interruption_start, latest)
            if omitted:
                return None
        if s.open_span is not None:
            self._close_span(day)
        if slot_day != 1 and day > latest:
            args = (number, slot_day, latest)
            self._omit(day, ids.SCHEDULE_MISSED, missed_after_window, args)
            return None
        # due and waiting for its dose: the same answer each day until (day 8/15) the
        # window ends
        return self._quiet(day, _window_end(slot_day, latest))

    def _evaluate(self, day: dt.date) -> dt.date:
        """Moves the pointer as the protocol would on `day` (omissions, delays, recovery);
        returns the day to look again (nothing changes before it but by an event)."""
        s = self.state
        if s.open_span is not None and not s.active_episodes(day):
            self._close_span(day)  # the interruption ends when the toxicity resolves
        for _ in range(4):  # an omission may make the next slot due the same day
            wake = self._step(day)
            if wake is not None:
                return wake
        return _day_after(day)

    def run(self) -> CourseState:
        day = self.start
        today = self.doc.today.date
        event_days = self.event_days
        upcoming = 0  # event_days[upcoming]: the first event day after `day`
        while day <= today:
            todays = self.events_by_day.get(day)
            if todays is not None:
                self._take_events(todays)
            wake = self._evaluate(day)
            if not self.skips_quiet_days:
                day += DAY
                continue
            # the days before `wake` are quiet: on to it, or to the next event day if sooner
            while upcoming < len(event_days) and event_days[upcoming] <= day:
                upcoming += 1
            if upcoming < len(event_days) and event_days[upcoming] < wake:
                wake = event_days[upcoming]
            day = max(day + DAY, wake)
        if self.errors:
            raise InputError(self.errors)
        return self.state


def build_course(doc: CourseDocument) -> CourseState:
    """Folds the document's events into the course state as of today.date."""
    return _Walker(doc).run()
