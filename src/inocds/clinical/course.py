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
from inocds.clinical.types import LogKind
from inocds.clinical.validation import FieldError, InputError

__all__ = ["CourseState", "LogEntry", "Span", "build_course"]

DAY = dt.timedelta(days=1)


def _day_after(day: dt.date) -> dt.date:
    return day + DAY if day < dt.date.max else day


def _next_slot(state: CourseState, number: int, day: int) -> tuple[int, int]:
    """The slot after (number, day): the cycle's next scheduled day, else the next day 1."""
    for later in state.cycles[number].regimen.days:
        if later > day:
            return number, later
    return number + 1, 1


class _Walker:
    """Walks the course day by day and leaves a CourseState."""

    def __init__(self, doc: CourseDocument) -> None:
        self.events_by_day: dict[dt.date, list[Event]] = {}
        for e in doc.events:
            if e.type == "cycle_start" or e.type == "dose":
                self.events_by_day.setdefault(e.date, []).append(e)
        self.event_days = sorted(self.events_by_day)
        first = self.event_days[0] if self.event_days else None
        self.doc = doc
        self.errors: list[FieldError] = []
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
            interruption_episodes(doc),
        )
        self.start = first or doc.today.date
        self._quiet_key: object = None
        self._quiet_until = dt.date.min

    # --------------------------------------------------------------- helpers
    def _log(
        self, date: dt.date, kind: LogKind, slot: tuple[int, int], rule: str, msg: str
    ) -> None:
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
            s.warnings.append(not_tolerated_warning(number, day))
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
                            missed_before_cycle(earlier.number, d, number),
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
        found = dose_above_level(e, cycle.regimen.amount(e.day), cycle.regimen.level)
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
        assert e.cycle is not None and e.day is not None and e.dose_mg_per_m2 is not None
        cycle = self._cycle_of_dose(e)
        if cycle is None:
            return
        self._check_recorded_dose(e, cycle)
        cycle.given[e.day] = (e.date, e.dose_mg_per_m2)
        for d in cycle.regimen.days:
            if d < e.day and d not in cycle.given and d not in cycle.omitted:
                cycle.omitted[d] = ids.SCHEDULE_MISSED
                self._log(
                    e.date,
                    "skipped",
                    (e.cycle, d),
                    ids.SCHEDULE_MISSED,
                    missed_before_day(e.cycle, d, e.day),
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
        """True when nothing can change on `day`: the state is the one `_quiet` saw and
        `day` is before the day it named."""
        return day < self._quiet_until and self._key() == self._quiet_key

    def _key(self) -> object:
        s = self.state
        return (
            s.pointer,
            s.last_dose,
            s.delayed_from,
            len(s.cycles),
            s.open_span,
            s.slot_interruption_start,
        )

    def _quiet(self, day: dt.date, until: dt.date) -> None:
        """Nothing changes after `day` before `until` or the first day on which an
        episode starts or ends (unless an event comes: the walk stops on event days)."""
        for episode in self.state.episodes:
            if day < episode.start < until:
                until = episode.start
            if episode.end is not None and day < episode.end < until:
                until = episode.end
        self._quiet_key = self._key()
        self._quiet_until = until

    def _interrupted(self, day: dt.date, earliest: dt.date, active: list[Episode]) -> bool:
        """The slot while `active` episodes interrupt it: True when it was omitted
        (interruption.ge7), False when it waits."""
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
            self._quiet(day, omitted_from(slot_day, since) or dt.date.max)
            return False
        note = omitted_interrupted(number, slot_day, length, since, active[0].label)
        self._omit(day, ids.INTERRUPTION_GE7, note)
        return True

    def _recovered(self, day: dt.date, since: dt.date, latest: dt.date) -> tuple[bool, dt.date]:
        """The slot on the day its interruption (from `since`) ended: (omitted?, the
        window's new end)."""
        s = self.state
        number, slot_day = s.pointer
        length = (day - since).days
        self._close_span(day)
        if interruption_omits(slot_day, length):
            note = omitted_recovered(number, slot_day, length, since, day)
            self._omit(day, ids.INTERRUPTION_GE7, note)
            return True, latest
        rule = ids.INTERRUPTION_LT7 if slot_day != 1 else ids.NONHEME_GRADE2
        self._log(day, "resumed", s.pointer, rule, resumed(number, slot_day, length, since))
        s.slot_interruption_start = None
        s.delayed_from = day
        return False, max(latest, day + timing().window)

    def _step(self, day: dt.date) -> bool:
        """One look at the pointer's slot on `day`; True when it moved (look again)."""
        s = self.state
        number, slot_day = s.pointer
        cycle = s.cycles.get(number)
        if slot_day != 1 and (cycle is None or cycle.start is None):
            return False
        earliest, _, latest = s.due_window(number, slot_day)
        if day < earliest:
            self._quiet(day, earliest)
            return False
        active = s.active_episodes(day)
        if active:
            return self._interrupted(day, earliest, active)
        if s.slot_interruption_start is not None:
            omitted, latest = self._recovered(day, s.slot_interruption_start, latest)
            if omitted:
                return True
        self._close_span(day)
        if slot_day != 1 and day > latest:
            self._omit(day, ids.SCHEDULE_MISSED, missed_after_window(number, slot_day, latest))
            return True
        # due and waiting for its dose: the same answer each day until (day 8/15) the
        # window ends
        self._quiet(day, _day_after(latest) if slot_day != 1 else dt.date.max)
        return False

    def _evaluate(self, day: dt.date) -> None:
        """Moves the pointer as the protocol would on `day` (omissions, delays, recovery)."""
        s = self.state
        if self._is_quiet(day):
            return  # nothing can change before the pending dose falls due
        if s.open_span is not None and not s.active_episodes(day):
            self._close_span(day)  # the interruption ends when the toxicity resolves
        for _ in range(4):  # an omission may make the next slot due the same day
            if not self._step(day):
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
            events = todays or ()
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
            self._evaluate(day)
            day += DAY
        if self.errors:
            raise InputError(self.errors)
        return self.state


def build_course(doc: CourseDocument) -> CourseState:
    """Folds the document's events into the course state as of today.date."""
    return _Walker(doc).run()
