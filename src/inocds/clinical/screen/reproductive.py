"""Contraception and breastfeeding windows of the screen.

The windows run from the last dose. While doses are still planned, that is the
last planned dose (the rest of the cycle in progress and the next cycle as the
course engine plans it), not the last recorded one; the answer says which
(`basis`). Each further cycle moves the date on again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inocds.clinical.documents import CourseDocument
from inocds.clinical.screen.common import Collector, DoseDate, add_months, pregnancy_relevant
from inocds.protocol.loader import Rule

__all__ = ["reproductive_windows"]

LAST_PLANNED, LAST_RECORDED = "last_planned_dose", "last_recorded_dose"


def _who(doc: CourseDocument, c: Collector) -> tuple[list[tuple[Rule, str]], bool, list[str]]:
    """Which contraception rules apply (and why), whether breastfeeding applies, notes."""
    p = doc.patient
    pregnancy = pregnancy_relevant(doc)
    female_rule = c.rule("reproductive.contraception_female")
    contraception: list[tuple[Rule, str]] = []
    notes: list[str] = []
    if pregnancy is True:
        contraception.append((female_rule, "the patient can become pregnant"))
    elif pregnancy is None and p.sex == "female":
        contraception.append((female_rule, "pregnancy potential not recorded"))
        notes.append(
            f"Pregnancy potential is not recorded: the "
            f"{female_rule.integer('months_after_last_dose')}-month window is shown as if the "
            "patient could become pregnant."
        )
    elif pregnancy is None:
        notes.append(
            "Sex and pregnancy potential do not settle which contraception window applies."
        )
    if p.sex == "male":
        contraception.append(
            (
                c.rule("reproductive.contraception_male"),
                "male patient; partner could become pregnant",
            )
        )
    return contraception, p.sex == "female" or pregnancy is True, notes


def _anchor(doses: Sequence[DoseDate], count_from: str) -> tuple[DoseDate | None, str | None]:
    """The dose the windows count from, and whether it is planned or recorded."""
    if count_from == LAST_RECORDED:
        doses = [d for d in doses if d.recorded]
    if not doses:
        return None, None
    last = max(doses, key=lambda d: (d.date, d.recorded))
    return last, (LAST_RECORDED if last.recorded else LAST_PLANNED)


def reproductive_windows(
    doc: CourseDocument, doses: Sequence[DoseDate], c: Collector
) -> dict[str, Any]:
    """Contraception and breastfeeding windows, counted from the last planned or given dose."""
    contraception, breastfeeding, notes = _who(doc, c)
    milk_rule = c.rule("reproductive.breastfeeding")
    recorded = max((d.date for d in doses if d.recorded), default=None)
    count_from = c.rule("reproductive.window_arithmetic").text("count_from")
    anchor, basis = _anchor(doses, count_from)
    out: dict[str, Any] = {
        "contraception_until": None,
        "no_breastfeeding_until": None,
        "last_dose_date": recorded.isoformat() if recorded else None,
        "basis": basis,
        "counted_from": anchor.date.isoformat() if anchor else None,
        "counted_from_dose": anchor.label if anchor else None,
        "contraception_rule": None,
        "breastfeeding_rule": milk_rule.id if breastfeeding else None,
        "note": None,
    }
    if anchor is None:
        for rule, why in contraception:
            c.add(rule.id, f"Applies ({why}); no dose given or planned.")
        if breastfeeding:
            c.add(milk_rule.id, "Applies; no dose given or planned.")
        out["note"] = " ".join(notes) or None
        return out
    if basis == LAST_PLANNED:
        notes.insert(
            0,
            f"Counted from the last planned dose ({anchor.label}, {anchor.date}); "
            "contraception and no breastfeeding apply from the first dose, and every "
            "further cycle moves these dates on.",
        )
    out.update(_dated(anchor, contraception, breastfeeding, c))
    out["note"] = " ".join(notes) or None
    return out


def _dated(
    anchor: DoseDate,
    contraception: list[tuple[Rule, str]],
    breastfeeding: bool,
    c: Collector,
) -> dict[str, Any]:
    """The window end dates counted from `anchor`, each with its rule cited."""
    out: dict[str, Any] = {}
    milk_rule = c.rule("reproductive.breastfeeding")
    windows = [
        (add_months(anchor.date, rule.integer("months_after_last_dose")), rule, why)
        for rule, why in contraception
    ]
    if windows:
        until, rule, why = max(windows, key=lambda w: w[0])
        out["contraception_until"] = until.isoformat()
        out["contraception_rule"] = rule.id
        c.add(
            rule.id,
            f"Contraception until {until}: {rule.integer('months_after_last_dose')} months after "
            f"the {anchor.label} of {anchor.date} ({why}).",
        )
    if breastfeeding:
        until = add_months(anchor.date, milk_rule.integer("months_after_last_dose"))
        out["no_breastfeeding_until"] = until.isoformat()
        c.add(
            milk_rule.id,
            f"No breastfeeding until {until}: {milk_rule.integer('months_after_last_dose')} "
            f"months after the {anchor.label} of {anchor.date}.",
        )
    if windows or breastfeeding:
        c.add(
            "reproductive.window_arithmetic",
            "Calendar months from the last dose (the last planned one while doses are still "
            "planned), the day clamped to the month's end.",
        )
    return out
