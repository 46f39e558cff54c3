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

from inocds.clinical.course import CourseState
from inocds.clinical.gates import GateResult, counts_today
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids
from inocds.protocol.loader import load_protocol

__all__ = ["count_gate_closed", "heme_gate"]

Counts = tuple[float | None, float | None]


@lru_cache(maxsize=1)  # protocol data is immutable
def _limits() -> tuple[float, float]:
    p = load_protocol()
    return (
        p[ids.HEME_ANC_GATE].number("anc_per_mm3"),
        p[ids.HEME_PLATELET_GATE].number("platelets_per_mm3"),
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
        failing.append(
            cite(
                ids.HEME_ANC_GATE,
                f"ANC {anc:g}/mm3 is below {anc_limit:g} (pretreatment {pre_anc:g}): "
                f"cycle {number} waits for recovery",
            )
        )
    if plt < plt_limit:
        failing.append(
            cite(
                ids.HEME_PLATELET_GATE,
                f"platelets {plt:g}/mm3 are below {plt_limit:g} (pretreatment {pre_plt:g}): "
                f"cycle {number} waits for recovery",
            )
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
    shown = (
        f"ANC {anc:g}/mm3 and platelets {plt:g}/mm3 (pretreatment {pretreatment[0] or 0.0:g} "
        f"and {pretreatment[1] or 0.0:g}; cycle {number - 1} start "
        f"{prior[0] if prior[0] is not None else 'unknown'} and "
        f"{prior[1] if prior[1] is not None else 'unknown'})"
    )
    rule = ids.HEME_LOW_BASELINE_GATE
    if _back_to_prior(counts, prior):
        return [], [cite(rule, f"{shown}: back to the previous cycle's starting counts")]
    if state.doc.today.cytopenia_from_disease_with_stable_marrow:
        why = f"{shown}: marrow stable or better and the low counts are due to the disease"
        return [], [cite(rule, why)]
    why = (
        f"{shown}: cycle {number} waits for the previous cycle's starting counts, "
        f"or ANC >= {anc_limit:g} and platelets >= {plt_limit:g}, or a stable marrow "
        "with disease-related cytopenia"
    )
    return [cite(rule, why)], []


def _persisting(state: CourseState, number: int, due: dt.date) -> GateResult | None:
    """heme.persisting_28d once the counts have kept the cycle waiting too long."""
    today = state.doc.today
    waited = (today.date - due).days
    limit = load_protocol()[ids.HEME_PERSISTING_28D].integer("max_days")
    if waited <= limit:
        return None
    disease = today.cytopenia_from_disease_with_stable_marrow
    outcome = (
        "judged due to the disease, so keep waiting — the clinician decides"
        if disease
        else "discontinue if the drug is thought to be the cause — the clinician decides"
    )
    reason = cite(
        ids.HEME_PERSISTING_28D,
        f"counts low for {waited} days since cycle {number} was due ({due}), more than "
        f"{limit}: {outcome}",
    )
    return GateResult(False, (reason,), needs_review=True, discontinue=not disease)


def heme_gate(state: CourseState, number: int, due: dt.date) -> GateResult:
    """heme.anc_gate / heme.platelet_gate / heme.low_baseline_gate / heme.persisting_28d.

    The counts are the day's (labs.missing answers when they are not there).
    """
    anc, plt = counts_today(state)
    if number < 2 or anc is None or plt is None:  # heme.gates_day1_only
        return GateResult(True)
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
