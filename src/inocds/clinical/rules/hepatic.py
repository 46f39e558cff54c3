"""Liver tests: hepatic.interrupt's predicate, hepatic.severe_labs, hepatic.pretreatment_limits.

Severe liver toxicity is read from the values (CTCAE grade 3 or more: bilirubin
above 3 x ULN, or AST/ALT above 5 x ULN), not only from a recorded toxicity event.
Values measured after the first dose are toxicity during treatment (hepatic.vod's
"other severe liver toxicity"); values up to the first dose's day are pretreatment.
"""

from __future__ import annotations

import datetime as dt

from inocds.clinical.documents import CourseDocument, Labs, LabValue
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import render, say
from inocds.clinical.types import HepaticState
from inocds.protocol.loader import rule_number

__all__ = [
    "describe_liver",
    "first_dose_date",
    "gilbert_hemolysis_note",
    "hepatic_state",
    "latest_liver",
    "liver_series",
    "pretreatment_above_limits",
    "severe_tests",
]


def first_dose_date(doc: CourseDocument) -> dt.date | None:
    """The date of the first recorded dose (the events are in date order)."""
    doses = doc.of_type("dose")
    return doses[0].date if doses else None


def liver_series(doc: CourseDocument) -> list[tuple[dt.date, Labs]]:
    """Every dated set of labs: labs events and today's labs, in date order."""
    series = [(e.date, e.labs) for e in doc.of_type("labs") if e.labs is not None]
    series.append((doc.today.date, doc.today.labs))
    return series


def latest_liver(doc: CourseDocument, since: dt.date | None, until: dt.date) -> Labs:
    """The latest bilirubin, AST and ALT dated after `since` (None: any) and up to `until`."""
    found: dict[str, LabValue] = {}
    for date, labs in liver_series(doc):
        if date > until or (since is not None and date <= since):
            continue
        for name in ("bilirubin", "ast", "alt"):
            value = getattr(labs, name)
            if value is not None:
                found[name] = value
    return Labs(bilirubin=found.get("bilirubin"), ast=found.get("ast"), alt=found.get("alt"))


def _describe(labs: Labs, names: tuple[str, ...]) -> str:
    shown = {"bilirubin": "bilirubin", "ast": "AST", "alt": "ALT"}
    parts = []
    for name in names:
        value: LabValue | None = getattr(labs, name)
        if value is not None:
            parts.append(f"{shown[name]} {value.value:g} ({value.x_uln:.2f} x ULN)")
    return ", ".join(parts)


def severe_tests(labs: Labs, bilirubin_waived: bool = False) -> str | None:
    """The tests of grade 3 or more, described (None when none is)."""
    bili_limit = rule_number(ids.HEPATIC_SEVERE_LABS, "bilirubin_x_uln")
    amin_limit = rule_number(ids.HEPATIC_SEVERE_LABS, "transaminase_x_uln")
    names: list[str] = []
    if labs.bilirubin is not None and labs.bilirubin.x_uln > bili_limit and not bilirubin_waived:
        names.append("bilirubin")
    names += [n for n in ("ast", "alt") if (v := getattr(labs, n)) and v.x_uln > amin_limit]
    return _describe(labs, tuple(names)) if names else None


def pretreatment_above_limits(doc: CourseDocument) -> str | None:
    """Pretreatment liver tests (or those before the first dose) above the interruption limits."""
    bili_limit = rule_number(ids.HEPATIC_PRETREATMENT_LIMITS, "bilirubin_x_uln")
    amin_limit = rule_number(ids.HEPATIC_PRETREATMENT_LIMITS, "transaminase_x_uln")
    first = first_dose_date(doc)
    sets = [doc.patient.pretreatment]
    if first is None:
        sets.append(latest_liver(doc, None, doc.today.date))
    for labs in sets:
        names = []
        if labs.bilirubin is not None and labs.bilirubin.x_uln > bili_limit:
            names.append("bilirubin")
        names += [n for n in ("ast", "alt") if (v := getattr(labs, n)) and v.x_uln > amin_limit]
        if names:
            return render(ids.HEPATIC_PRETREATMENT_LIMITS, tests=_describe(labs, tuple(names)))
    return None


def hepatic_state(labs: Labs) -> HepaticState | None:
    """hepatic.interrupt: 'interrupt' when the labs meet it, 'recovered' within limits, else None.

    Interrupt: bilirubin above its limit together with AST or ALT above theirs.
    Recovered: bilirubin, AST and ALT within the limits (the values present).
    """
    bili_limit = rule_number(ids.HEPATIC_INTERRUPT, "bilirubin_x_uln")
    amin_limit = rule_number(ids.HEPATIC_INTERRUPT, "transaminase_x_uln")
    amins = [v.x_uln for v in (labs.ast, labs.alt) if v is not None]
    if labs.bilirubin is None and not amins:
        return None
    if (
        labs.bilirubin is not None
        and labs.bilirubin.x_uln > bili_limit
        and any(x > amin_limit for x in amins)
    ):
        return "interrupt"
    bili_ok = labs.bilirubin is None or labs.bilirubin.x_uln <= bili_limit
    if bili_ok and all(x <= amin_limit for x in amins):
        return "recovered"
    return None  # abnormal but not meeting the interruption criteria: no change of state


def describe_liver(labs: Labs) -> str:
    """'bilirubin 2.00 x ULN, AST 3.10 x ULN, ALT 1.00 x ULN' from the values present."""
    parts = []
    for name, value in (("bilirubin", labs.bilirubin), ("AST", labs.ast), ("ALT", labs.alt)):
        if value is not None:
            parts.append(f"{name} {value.x_uln:.2f} x ULN")
    return ", ".join(parts)


def gilbert_hemolysis_note() -> Reason:
    """hepatic.gilbert_hemolysis: the interruption limits are met but set aside."""
    return say(ids.HEPATIC_GILBERT_HEMOLYSIS)
