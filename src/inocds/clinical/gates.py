"""Checks before a dose: blood-count gates of a new cycle, interruptions, cytoreduction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inocds.clinical.course import CourseState
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import gap_days
from inocds.protocol.loader import load_protocol

__all__ = ["GateResult", "counts_today", "cytoreduction_gate", "heme_gate", "interruption_gate"]


@dataclass(frozen=True)
class GateResult:
    """Whether a gate lets the dose through, the reasons it adds, and its review flag."""

    passed: bool
    reasons: tuple[Reason, ...] = ()
    needs_review: bool = False
    discontinue: bool = False


def counts_today(state: CourseState) -> tuple[float | None, float | None]:
    """Today's ANC and platelets: today's labs, else a labs or cycle_start event dated today."""
    today = state.doc.today
    anc, plt = today.labs.anc_per_mm3, today.labs.platelets_per_mm3
    for e in reversed(state.doc.events):
        if e.date == today.date and e.labs is not None and e.type in ("labs", "cycle_start"):
            anc = anc if anc is not None else e.labs.anc_per_mm3
            plt = plt if plt is not None else e.labs.platelets_per_mm3
    return anc, plt


def _prior_cycle_counts(state: CourseState, number: int) -> tuple[float | None, float | None]:
    previous = state.cycles.get(number - 1)
    anc, plt = previous.counts if previous else (None, None)
    if number - 1 == 1:
        pre = state.doc.patient.pretreatment
        anc = anc if anc is not None else pre.anc_per_mm3
        plt = plt if plt is not None else pre.platelets_per_mm3
    return anc, plt


def heme_gate(state: CourseState, number: int, due: dt.date) -> GateResult:
    """heme.anc_gate / heme.platelet_gate / heme.low_baseline_gate / heme.persisting_28d."""
    p = load_protocol()
    if number < 2:  # heme.gates_day1_only
        return GateResult(True)
    today = state.doc.today
    anc, plt = counts_today(state)
    if anc is None or plt is None:
        return GateResult(
            False,
            (
                cite(
                    ids.LABS_MISSING,
                    f"cycle {number} day 1: today's ANC and platelet count are needed "
                    "to clear the new cycle",
                ),
            ),
        )
    pre = state.doc.patient.pretreatment
    anc_limit = p[ids.HEME_ANC_GATE].number("anc_per_mm3")
    plt_limit = p[ids.HEME_PLATELET_GATE].number("platelets_per_mm3")
    pre_anc, pre_plt = pre.anc_per_mm3 or 0.0, pre.platelets_per_mm3 or 0.0
    failing: list[Reason] = []
    passing: list[Reason] = []
    if pre_anc >= anc_limit and pre_plt >= plt_limit:
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
    elif anc < anc_limit or plt < plt_limit:
        low = p[ids.HEME_LOW_BASELINE_GATE]
        prior_anc, prior_plt = _prior_cycle_counts(state, number)
        back_to_prior = (
            prior_anc is not None
            and prior_plt is not None
            and anc >= prior_anc
            and plt >= prior_plt
        )
        disease = today.cytopenia_from_disease_with_stable_marrow
        shown = (
            f"ANC {anc:g}/mm3 and platelets {plt:g}/mm3 (pretreatment {pre_anc:g} and {pre_plt:g}; "
            f"cycle {number - 1} start {prior_anc if prior_anc is not None else 'unknown'} and "
            f"{prior_plt if prior_plt is not None else 'unknown'})"
        )
        if back_to_prior:
            passing.append(cite(low.id, f"{shown}: back to the previous cycle's starting counts"))
        elif disease:
            passing.append(
                cite(
                    low.id,
                    f"{shown}: marrow stable or better and the low counts are due to the disease",
                )
            )
        else:
            failing.append(
                cite(
                    low.id,
                    f"{shown}: cycle {number} waits for the previous cycle's starting counts, "
                    f"or ANC >= {anc_limit:g} and platelets >= {plt_limit:g}, or a stable marrow "
                    "with disease-related cytopenia",
                )
            )
    if not failing:
        return GateResult(True, tuple(passing))
    waited = (today.date - due).days
    limit = p[ids.HEME_PERSISTING_28D].integer("max_days")
    if waited > limit:
        disease = today.cytopenia_from_disease_with_stable_marrow
        failing.append(
            cite(
                ids.HEME_PERSISTING_28D,
                f"counts low for {waited} days since cycle {number} was due ({due}), more than "
                f"{limit}: "
                + (
                    "judged due to the disease, so keep waiting — the clinician decides"
                    if disease
                    else "discontinue if the drug is thought to be the cause"
                    " — the clinician decides"
                ),
            )
        )
        return GateResult(False, tuple(failing), needs_review=True, discontinue=not disease)
    return GateResult(False, tuple(failing))


def interruption_gate(state: CourseState, number: int, day: int) -> GateResult:
    """Non-hematologic interruptions active today (nonheme.*, hepatic.interrupt, interruption.*)."""
    p = load_protocol()
    today = state.doc.today.date
    active = state.active_episodes(today)
    if not active:
        return GateResult(True)
    reasons = [cite(e.rule, f"{e.label}: dosing is interrupted until recovery") for e in active]
    review = any(e.needs_review for e in active)
    if any(e.rule == ids.NONHEME_BLEEDING_INFECTION for e in active):
        reasons.append(
            cite(
                ids.NONHEME_GRADE2,
                "a non-hematologic toxicity of grade 2 or more interrupts dosing until grade 1",
            )
        )
    span = state.open_span
    span_days = span.length_days(today) if span else 0
    since = state.slot_interruption_start or today
    slot_days = (today - since).days
    if day != 1:
        reasons.append(
            cite(
                ids.INTERRUPTION_LT7,
                f"cycle {number} day {day} interrupted for {slot_days} days (since {since}); "
                f"under {p['interruption.lt7'].integer('days')} days the dose is delayed, keeping "
                f"{gap_days()} days between doses",
            )
        )
    if span_days >= p[ids.INTERRUPTION_GE14].integer("days"):
        reasons.append(
            cite(
                ids.INTERRUPTION_GE14,
                f"dosing interrupted for {span_days} days (since {span.start if span else today}): "
                "after recovery the following cycles are reduced",
            )
        )
    if span_days > p[ids.INTERRUPTION_GT28].integer("days"):
        review = True
        reasons.append(
            cite(
                ids.INTERRUPTION_GT28,
                f"dosing interrupted for {span_days} days: consider stopping for good — "
                "the clinician decides",
            )
        )
    return GateResult(False, tuple(reasons), needs_review=review)


def cytoreduction_gate(state: CourseState) -> GateResult:
    """The cytoreduction rule before the first dose."""
    limit = load_protocol()[ids.CYTOREDUCTION].number("max_peripheral_blasts_per_mm3")
    blasts = state.doc.patient.pretreatment_blasts_per_mm3
    if blasts is not None and blasts > limit:
        return GateResult(
            False,
            (
                cite(
                    ids.CYTOREDUCTION,
                    f"circulating blasts {blasts:g}/mm3 exceed {limit:g}: reduce them "
                    "(hydroxyurea, steroids and/or vincristine) before the first dose",
                ),
            ),
        )
    return GateResult(True)
