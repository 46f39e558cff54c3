"""Eligibility, cytoreduction and premedication sections of the screen."""

from __future__ import annotations

from typing import Any

from inocds.clinical.documents import CourseDocument
from inocds.clinical.screen.common import Collector, age_in_years, fmt_number

__all__ = ["DIAGNOSIS_CRITERIA", "cytoreduction", "eligibility", "premedication"]

DIAGNOSIS_CRITERIA = ("cd22_positive", "b_cell_precursor_all", "relapsed_or_refractory")
_CRITERION_LABELS = {
    "cd22_positive": "CD22-positive blasts",
    "b_cell_precursor_all": "B-cell precursor ALL",
    "relapsed_or_refractory": "relapsed or refractory disease",
}

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"


def cytoreduction(doc: CourseDocument, c: Collector) -> tuple[bool, dict[str, Any]]:
    """Whether the pretreatment blasts call for cytoreduction, naming its agents.

    Once a dose is recorded, the message no longer asks for cytoreduction "before
    the first dose": it says the pretreatment count called for it and asks to
    confirm it was done.
    """
    rule = c.rule("cytoreduction")
    agents = c.rule("cytoreduction.agents").texts("agents")
    limit = rule.number("max_peripheral_blasts_per_mm3")
    blasts = doc.patient.pretreatment_blasts_per_mm3
    doses = len(doc.of_type("dose"))
    named = f"{', '.join(agents[:-1])} and/or {agents[-1]}" if len(agents) > 1 else agents[0]
    if blasts is None:
        required = False
        message = "Pretreatment peripheral blast count not recorded" + (
            "; check it before the first dose." if not doses else "."
        )
    else:
        required = blasts > limit
        verdict = "above" if required else "not above"
        message = (
            f"Pretreatment peripheral blasts {fmt_number(blasts)}/mm3, "
            f"{verdict} {fmt_number(limit)}/mm3"
        )
        if required and not doses:
            message += f": cytoreduce ({named}) before the first dose."
        elif required:
            message += (
                f": cytoreduction ({named}) was called for before treatment; {doses} dose(s) "
                "are recorded since, so confirm it was done and check the current blast count."
            )
        else:
            message += "."
    c.add(rule.id, message)
    if required:
        c.add("cytoreduction.agents", f"Agents: {named}.")
    return required, {
        "rule": rule.id,
        "peripheral_blasts_per_mm3": blasts,
        "max_peripheral_blasts_per_mm3": limit,
        "agents": list(agents),
        "doses_recorded": doses,
        "message": message,
        "source": rule.source,
        "agents_source": c.rule("cytoreduction.agents").source,
    }


def premedication(doc: CourseDocument, c: Collector) -> tuple[list[str], dict[str, Any]]:
    """The premedication before each dose (and the pediatric steroid dose)."""
    rule = c.rule("premedication")
    agents = list(rule.texts("agents"))
    adult_age = c.rule("eligibility.age").integer("eu_min_age_years")
    age = age_in_years(doc.patient.birth_date, doc.today.date)
    details: dict[str, Any] = {
        "rule": rule.id,
        "agents": agents,
        "timing": "before each dose",
        "minutes_before": rule.integer("minutes_before"),
        "minutes_before_note": "The lead time is from 003 only (see premedication.timing).",
        "pediatric": None,
        "source": rule.source,
    }
    c.add(rule.id, f"Before each dose: {', '.join(agents)}.")
    if age < adult_age:
        per_kg = rule.number("pediatric_methylprednisolone_mg_per_kg")
        cap = rule.number("pediatric_methylprednisolone_max_mg")
        dose_mg = round(min(per_kg * doc.patient.weight_kg, cap), 2)
        details["pediatric"] = {
            "agent": "methylprednisolone",
            "mg_per_kg": per_kg,
            "max_mg": cap,
            "dose_mg": dose_mg,
        }
        c.add(
            "premedication.pediatric_age",
            f"Age {age} years (under {adult_age}): methylprednisolone {per_kg:g} mg/kg x "
            f"{doc.patient.weight_kg:g} kg, at most {cap:g} mg = {dose_mg:g} mg.",
        )
    return agents, details


def eligibility(doc: CourseDocument, c: Collector) -> dict[str, Any]:
    """The labelled-use criteria: diagnosis (as recorded) and age (US and EU)."""
    out: dict[str, Any] = {}
    details: list[dict[str, Any]] = []
    for name in DIAGNOSIS_CRITERIA:
        value = doc.patient.diagnosis.get(name)
        status = UNKNOWN if value is None else MET if value else NOT_MET
        out[name] = status
        shown = "not recorded" if value is None else status.replace("_", " ")
        reason = c.add(f"eligibility.{name}", f"{_CRITERION_LABELS[name]}: {shown}.")
        details.append({"criterion": name, "status": status, **reason.to_dict()})
    rule = c.rule("eligibility.age")
    age = age_in_years(doc.patient.birth_date, doc.today.date)
    us_min, eu_min = rule.integer("us_min_age_years"), rule.integer("eu_min_age_years")
    out["age_years"] = age
    out["age_us"] = MET if age >= us_min else NOT_MET
    out["age_eu"] = MET if age >= eu_min else NOT_MET
    reason = c.add(
        rule.id,
        f"Age {age} years: US (from {us_min} year) {out['age_us'].replace('_', ' ')}; "
        f"EU (from {eu_min} years) {out['age_eu'].replace('_', ' ')}.",
    )
    details.append(
        {
            "criterion": "age",
            "status": {"us": out["age_us"], "eu": out["age_eu"]},
            **reason.to_dict(),
        }
    )

    def overall(age_status: str) -> str:
        statuses = [out[n] for n in DIAGNOSIS_CRITERIA] + [age_status]
        if NOT_MET in statuses:
            return NOT_MET
        return UNKNOWN if UNKNOWN in statuses else MET

    out["overall_us"] = overall(out["age_us"])
    out["overall_eu"] = overall(out["age_eu"])
    out["details"] = details
    return out
