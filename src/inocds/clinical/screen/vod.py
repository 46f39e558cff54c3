"""VOD risk factors of the screen (the contract's ids, in the contract's order)."""

from __future__ import annotations

from typing import Any

from inocds.clinical.documents import CourseDocument, LabValue
from inocds.clinical.screen.common import Collector, age_in_years, fmt_number

__all__ = ["VOD_FACTORS", "vod_risk"]

VOD_FACTORS = (
    "prior_hsct",
    "age_55_or_more",
    "liver_disease",
    "prior_vod",
    "later_salvage_line",
    "hsct_planned",
    "cycles_more_than_2",
    "bilirubin_at_or_above_uln",
)
"""The contract's VOD risk factor ids, in the contract's order."""


def _latest_bilirubin(doc: CourseDocument) -> tuple[LabValue, str] | None:
    """Today's bilirubin, else the latest lab event's, else the pretreatment value."""
    if doc.today.labs.bilirubin is not None:
        return doc.today.labs.bilirubin, f"today ({doc.today.date})"
    for event in reversed(doc.events):
        if event.labs is not None and event.labs.bilirubin is not None:
            return event.labs.bilirubin, f"lab event of {event.date}"
    if doc.patient.pretreatment.bilirubin is not None:
        return doc.patient.pretreatment.bilirubin, "pretreatment"
    return None


def _history_factors(doc: CourseDocument, c: Collector) -> tuple[dict[str, str], dict[str, str]]:
    """Factors from the patient's history, age, salvage line and transplant plan."""
    p = doc.patient
    found: dict[str, str] = {}
    unknown: dict[str, str] = {}
    if p.prior_hsct:
        found["prior_hsct"] = "The patient has had a stem cell transplant before."
    age = age_in_years(p.birth_date, doc.today.date)
    line = c.rule("vod.age_55_or_more").integer("age_years")
    if age >= line:
        found["age_55_or_more"] = f"Age {age} years on {doc.today.date} (at least {line})."
    if p.liver_disease:
        found["liver_disease"] = "Ongoing or past liver disease is recorded."
    course_vod = [e for e in doc.of_type("toxicity") if e.category == "vod"]
    if p.prior_vod:
        found["prior_vod"] = "A previous episode of VOD is recorded."
    elif course_vod or doc.today.vod:
        when = course_vod[0].date if course_vod else doc.today.date
        found["prior_vod"] = f"VOD recorded during this course ({when})."
    min_line = c.rule("vod.later_salvage_line").integer("min_salvage_line")
    if p.salvage_line is None:
        unknown["later_salvage_line"] = "Salvage line not recorded."
    elif p.salvage_line >= min_line:
        found["later_salvage_line"] = f"Salvage line {p.salvage_line} (at least {min_line})."
    if p.hsct_planned:
        cycles = c.rule("duration.hsct").integer("recommended_cycles")
        found["hsct_planned"] = (
            f"A stem cell transplant is planned after this drug: keep to {cycles} cycles before "
            "it and avoid conditioning with two alkylating agents (003 also names thiotepa)."
        )
    return found, unknown


def _course_factors(doc: CourseDocument, c: Collector) -> tuple[dict[str, str], dict[str, str]]:
    """Factors from the course so far: cycles started and the latest bilirubin."""
    found: dict[str, str] = {}
    unknown: dict[str, str] = {}
    limit = c.rule("vod.cycles_more_than_2").integer("max_cycles_without_flag")
    cycles = {e.cycle for e in doc.events if e.type in ("cycle_start", "dose") and e.cycle}
    highest = max(cycles, default=0)
    if highest > limit:
        found["cycles_more_than_2"] = f"Cycle {highest} has been started (more than {limit})."
    factor = c.rule("vod.bilirubin_at_or_above_uln").number("bilirubin_x_uln")
    latest = _latest_bilirubin(doc)
    if latest is None:
        unknown["bilirubin_at_or_above_uln"] = "No bilirubin on record."
    else:
        lab, where = latest
        if lab.value >= factor * lab.uln:
            found["bilirubin_at_or_above_uln"] = (
                f"Latest bilirubin ({where}) {fmt_number(lab.value)} with ULN "
                f"{fmt_number(lab.uln)}: at or above {factor:g} x ULN."
            )
    return found, unknown


def vod_risk(
    doc: CourseDocument, c: Collector
) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """The VOD risk factors found, their details, and those that cannot be judged."""
    found, unknown = _history_factors(doc, c)
    more, more_unknown = _course_factors(doc, c)
    found.update(more)
    unknown.update(more_unknown)
    ids = [f for f in VOD_FACTORS if f in found]
    details: list[dict[str, Any]] = []
    for factor_id in ids:
        reason = c.add(f"vod.{factor_id}", found[factor_id])
        details.append({"id": factor_id, **reason.to_dict()})
    unknown_details = [
        {
            "id": factor_id,
            "rule": f"vod.{factor_id}",
            "message": unknown[factor_id],
            "source": c.rule(f"vod.{factor_id}").source,
        }
        for factor_id in VOD_FACTORS
        if factor_id in unknown
    ]
    return ids, details, unknown_details
