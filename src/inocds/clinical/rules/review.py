"""Review triggers (data.*, hepatic.pretreatment_limits): where the label's tables do not settle it.

Each returns the reasons to add; any reason here sets needs_clinician_review.
"""

from __future__ import annotations

import datetime as dt

from inocds.clinical.course_state import CourseState
from inocds.clinical.documents import CourseDocument, Event, Labs
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids
from inocds.clinical.rules.hepatic import latest_liver, pretreatment_above_limits, severe_tests
from inocds.clinical.rules.text import say
from inocds.protocol.loader import rule_integer

__all__ = [
    "REVIEW_RULES",
    "active_before_first_dose",
    "answer_triggers",
    "response_missing_for_stop",
]

REVIEW_RULES = frozenset(
    {
        ids.DATA_TOXICITY_BEFORE_FIRST_DOSE,
        ids.DATA_RESPONSE_MISSING,
        ids.DATA_RESPONSE_LOST,
        ids.DATA_AGE_BELOW_INDICATED,
        ids.DATA_MRD_UNKNOWN,
        ids.HEPATIC_PRETREATMENT_LIMITS,
        ids.HEPATIC_SEVERE_LABS,
    }
)


def _birthday(birth: dt.date, years: int) -> dt.date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February
        return birth.replace(year=birth.year + years, day=28)


def _age(doc: CourseDocument) -> list[Reason]:
    years = rule_integer(ids.DATA_AGE_BELOW_INDICATED, "min_age_years")
    birth, today = doc.patient.birth_date, doc.today.date
    if today.year - birth.year > years:
        return []  # the birthday fell in an earlier year: today is after it
    if today >= _birthday(birth, years):
        return []
    return [say(ids.DATA_AGE_BELOW_INDICATED, age_days=(today - birth).days, date=today)]


def _lost(state: CourseState) -> list[Reason]:
    responses = state.responses()
    if not responses or responses[-1].status != "none":
        return []
    earlier = [e for e in responses[:-1] if e.status in ("CR", "CRi")]
    if not earlier:
        return []
    return [
        say(
            ids.DATA_RESPONSE_LOST,
            before=earlier[-1].status,
            before_date=earlier[-1].date,
            after_date=responses[-1].date,
        )
    ]


def _waived_severe(state: CourseState) -> list[Reason]:
    """Severe bilirubin set aside as Gilbert syndrome or hemolysis: still the clinician's call."""
    doc = state.doc
    if not doc.today.liver_abnormality_from_gilbert_or_hemolysis:
        return []
    bilirubin = latest_liver(doc, None, state.today).bilirubin
    if bilirubin is None or not severe_tests(Labs(bilirubin=bilirubin)):
        return []
    return [say(ids.HEPATIC_SEVERE_LABS, "waived", x_uln=bilirubin.x_uln)]


def _mrd(state: CourseState, cycle: int) -> list[Reason]:
    considered = rule_integer(ids.DURATION_HSCT, "considered_cycles")
    latest = state.latest_response()
    if not state.doc.patient.hsct_planned or cycle != considered or latest is None:
        return []
    if latest.status not in ("CR", "CRi") or latest.mrd is not None:
        return []
    return [say(ids.DATA_MRD_UNKNOWN, cycle=cycle, status=latest.status, date=latest.date)]


def answer_triggers(
    state: CourseState, cycle: int | None, day: int | None, dosing: bool = True
) -> list[Reason]:
    """The review reasons of an answer about (cycle, day) of a course still going.

    `dosing` is False when the answer ends the course (no dose of the cycle follows).
    """
    # Asked of every answer and nearly always empty: read the responses once and call each
    # check only when its precondition holds (data.response_lost needs a response,
    # hepatic.severe_labs' waiver its flag); one list, not three joined (~19.1 K -> ~17.6 K)
    doc = state.doc
    responses = state.responses()
    found = _age(doc)
    if responses:
        found += _lost(state)
    if doc.today.liver_abnormality_from_gilbert_or_hemolysis:
        found += _waived_severe(state)
    if cycle is None:
        return found
    if dosing and not responses:
        if cycle >= 2 and day == 1:
            found.append(say(ids.DATA_RESPONSE_MISSING, "doses", cycle=cycle))
        elif cycle == rule_integer(ids.DURATION_NO_CR_AFTER_3, "cycles_without_response"):
            found.extend(response_missing_for_stop(state, cycle + 1))
    if cycle == 1:
        pre = pretreatment_above_limits(state.doc)
        if pre is not None:
            found.append(cite(ids.HEPATIC_PRETREATMENT_LIMITS, pre))
    if day == 1:
        found.extend(_mrd(state, cycle))
    return found


def response_missing_for_stop(state: CourseState, cycle: int) -> list[Reason]:
    """data.response_missing when the stop after the limit rests on no assessment at all."""
    if state.responses():
        return []
    return [say(ids.DATA_RESPONSE_MISSING, "stop", cycles=cycle - 1)]


def active_before_first_dose(state: CourseState) -> list[Reason]:
    """data.toxicity_before_first_dose: grade 3+ toxicities active today, before any dose."""
    if state.first_dose_date is not None:
        return []
    grade = rule_integer(ids.DATA_TOXICITY_BEFORE_FIRST_DOSE, "grade")
    today = state.today
    found = []
    for e in state.doc.of_type("toxicity"):
        if (
            (e.grade or 0) >= grade
            and e.date <= today
            and (e.resolved is None or e.resolved > today)
        ):
            found.append(say(ids.DATA_TOXICITY_BEFORE_FIRST_DOSE, label=_label(e)))
    return found


def _label(e: Event) -> str:
    name = e.name or (e.category or "toxicity").replace("_", " ")
    return f"{name} grade {e.grade} (onset {e.date})"
