"""The blood-count gates of a new cycle (heme.*): cycle 2 and later, on day 1 only.

With ANC >= 1,000 and platelets >= 50,000/mm3 before treatment, the next cycle waits
for those values (heme.anc_gate, heme.platelet_gate); with lower pretreatment counts
it waits for the prior cycle's starting counts, or those values, or a stable marrow
with disease-related cytopenia (heme.low_baseline_gate). Counts low for more than
28 days after the cycle was due: discontinue if drug-related (heme.persisting_28d).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from inocds.clinical.course_state import CourseState
from inocds.clinical.gates import PASSED, GateResult, counts_today
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import render, say
from inocds.protocol.loader import rule_integer, rule_number

__all__ = ["count_gate_closed", "heme_gate", "low_counts_note"]

Counts = tuple[float | None, float | None]


@lru_cache(maxsize=1)  # protocol data is immutable
def _limits() -> tuple[float, float]:
    return (
        rule_number(ids.HEME_ANC_GATE, "anc_per_mm3"),
        rule_number(ids.HEME_PLATELET_GATE, "platelets_per_mm3"),
    )


def _standard_baseline(pretreatment: Counts) -> bool:
    anc_limit, plt_limit = _limits()
    return (pretreatment[0] or 0.0) >= anc_limit and (pretreatment[1] or 0.0) >= plt_limit


def _back_to_prior(counts: tuple[float, float], prior: Counts) -> bool:
    return (
        prior[0] is not None
        and prior[1] is not None
        and counts[0] >= prior[0]
        and counts[1] >= prior[1]
    )


def count_gate_closed(
    pretreatment: Counts, counts: tuple[float, float], prior: Counts
) -> str | None:
    """The count gate a new cycle's counts fail (rule ids), or None when it is open.

    The disease-related exception of heme.low_baseline_gate is a clinician's judgment
    of that day and is not known for past cycles.
    """
    anc_limit, plt_limit = _limits()
    anc, plt = counts
    if _standard_baseline(pretreatment):
        low = ((ids.HEME_ANC_GATE, anc < anc_limit), (ids.HEME_PLATELET_GATE, plt < plt_limit))
        return ", ".join(rule for rule, failed in low if failed) or None
    if (anc >= anc_limit and plt >= plt_limit) or _back_to_prior(counts, prior):
        return None
    return ids.HEME_LOW_BASELINE_GATE


def _prior_cycle_counts(state: CourseState, number: int) -> Counts:
    previous = state.cycles.get(number - 1)
    anc, plt = previous.counts if previous else (None, None)
    if number - 1 == 1:
        pre = state.doc.patient.pretreatment
        anc = anc if anc is not None else pre.anc_per_mm3
        plt = plt if plt is not None else pre.platelets_per_mm3
    return anc, plt


def _standard(number: int, counts: tuple[float, float], pretreatment: Counts) -> list[Reason]:
    anc_limit, plt_limit = _limits()
    anc, plt = counts
    pre_anc, pre_plt = pretreatment[0] or 0.0, pretreatment[1] or 0.0
    failing = []
    if anc < anc_limit:
        failing.append(say(ids.HEME_ANC_GATE, anc=anc, pretreatment=pre_anc, cycle=number))
    if plt < plt_limit:
        failing.append(
            say(ids.HEME_PLATELET_GATE, platelets=plt, pretreatment=pre_plt, cycle=number)
        )
    return failing


def _low_baseline(
    state: CourseState, number: int, counts: tuple[float, float], pretreatment: Counts
) -> tuple[list[Reason], list[Reason]]:
    """(failing, passing) reasons of heme.low_baseline_gate."""
    anc_limit, plt_limit = _limits()
    anc, plt = counts
    if anc >= anc_limit and plt >= plt_limit:
        return [], []
    prior = _prior_cycle_counts(state, number)
    rule = ids.HEME_LOW_BASELINE_GATE
    shown = render(
        rule,
        "counts",
        anc=anc,
        platelets=plt,
        pre_anc=pretreatment[0] or 0.0,
        pre_platelets=pretreatment[1] or 0.0,
        previous=number - 1,
        prior_anc=prior[0] if prior[0] is not None else "unknown",
        prior_platelets=prior[1] if prior[1] is not None else "unknown",
    )
    if _back_to_prior(counts, prior):
        return [], [say(rule, "back", counts=shown)]
    if state.doc.today.cytopenia_from_disease_with_stable_marrow:
        return [], [say(rule, "disease", counts=shown)]
    return [say(rule, "waits", counts=shown, cycle=number)], []


def _persisting(state: CourseState, number: int, due: dt.date) -> GateResult | None:
    """heme.persisting_28d once the counts have kept the cycle waiting too long."""
    today = state.doc.today
    waited = (today.date - due).days
    limit = rule_integer(ids.HEME_PERSISTING_28D, "max_days")
    if waited <= limit:
        return None
    disease = today.cytopenia_from_disease_with_stable_marrow
    reason = say(
        ids.HEME_PERSISTING_28D,
        "wait" if disease else "discontinue",
        waited=waited,
        cycle=number,
        due=due,
    )
    return GateResult(False, (reason,), needs_review=True, discontinue=not disease)


def heme_gate(state: CourseState, number: int, due: dt.date) -> GateResult:
    """heme.anc_gate / heme.platelet_gate / heme.low_baseline_gate / heme.persisting_28d.

    The counts are the day's (labs.missing answers when they are not there).
    """
    anc, plt = counts_today(state)
    if number < 2 or anc is None or plt is None:  # heme.gates_day1_only
        return PASSED
    pre = state.doc.patient.pretreatment
    pretreatment = (pre.anc_per_mm3, pre.platelets_per_mm3)
    passing: list[Reason] = []
    if _standard_baseline(pretreatment):
        failing = _standard(number, (anc, plt), pretreatment)
    else:
        failing, passing = _low_baseline(state, number, (anc, plt), pretreatment)
    if not failing:
        return GateResult(True, tuple(passing))
    persisting = _persisting(state, number, due)
    if persisting is not None:
        return GateResult(False, tuple(failing) + persisting.reasons, True, persisting.discontinue)
    return GateResult(False, tuple(failing))


def low_counts_note(state: CourseState, day: int) -> list[Reason]:
    """heme.within_cycle: low counts on a day 8/15 dose are noted, not a reason to wait."""
    anc_limit, plt_limit = _limits()
    anc, plt = counts_today(state)
    anc_low = anc is not None and anc < anc_limit
    plt_low = plt is not None and plt < plt_limit
    if not (anc_low or plt_low):
        return []
    shown = []
    if anc is not None:
        shown.append(render(ids.HEME_WITHIN_CYCLE, "anc", anc=anc))
    if plt is not None:
        shown.append(render(ids.HEME_WITHIN_CYCLE, "platelets", platelets=plt))
    return [say(ids.HEME_WITHIN_CYCLE, counts=" and ".join(shown), day=day)]
