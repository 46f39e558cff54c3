"""Liver tests: hepatic.interrupt's predicate, hepatic.severe_labs, hepatic.pretreatment_limits.

Severe liver toxicity is read from the values (CTCAE grade 3 or more: bilirubin
above 3 x ULN, or AST/ALT above 5 x ULN), not only from a recorded toxicity event.
Values measured after the first dose are toxicity during treatment (hepatic.vod's
"other severe liver toxicity"); values up to the first dose's day are pretreatment.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from inocds.clinical.documents import CourseDocument, Labs, LabValue
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import render, say
from inocds.clinical.types import HepaticState
from inocds.protocol.loader import rule_number

_new_tuple = tuple.__new__

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
    events = doc.of_type("labs")
    series = [(e.date, e.labs) for e in events if e.labs is not None] if events else []
    series.append((doc.today.date, doc.today.labs))
    return series


def latest_liver(doc: CourseDocument, since: dt.date | None, until: dt.date) -> Labs:
    """The latest bilirubin, AST and ALT dated after `since` (None: any) and up to `until`."""
    bilirubin = ast = alt = None
    for date, labs in liver_series(doc):
        if date > until or (since is not None and date <= since):
            continue
        bilirubin = labs.bilirubin or bilirubin  # a LabValue is a non-empty tuple: truthy
        ast = labs.ast or ast
        alt = labs.alt or alt
    # Labs' fields in order, made without the NamedTuple's generated keyword __new__ (a
    # Python call; this runs for several rules per answer): anc, platelets, then the three
    return _new_tuple(Labs, (None, None, bilirubin, ast, alt))


def _describe(labs: Labs, names: tuple[str, ...]) -> str:
    shown = {"bilirubin": "bilirubin", "ast": "AST", "alt": "ALT"}
    parts = []
    for name in names:
        value: LabValue | None = getattr(labs, name)
        if value is not None:
            parts.append(f"{shown[name]} {value.value:g} ({value.x_uln:.2f} x ULN)")
    return ", ".join(parts)


@lru_cache(maxsize=8)  # protocol data is immutable
def _limits(rule_id: str) -> tuple[float, float]:
    """(bilirubin, transaminase) x ULN limits of a hepatic rule."""
    return rule_number(rule_id, "bilirubin_x_uln"), rule_number(rule_id, "transaminase_x_uln")


def _above(labs: Labs, limits: tuple[float, float], bilirubin: bool = True) -> tuple[str, ...]:
    """The tests above `limits` (x ULN), in the order bilirubin, ast, alt (bilirubin only
    when `bilirubin`)."""
    bili_limit, amin_limit = limits
    names: tuple[str, ...] = ()
    b, ast, alt = labs.bilirubin, labs.ast, labs.alt
    if bilirubin and b is not None and b.value / b.uln > bili_limit:
        names += ("bilirubin",)
    if ast is not None and ast.value / ast.uln > amin_limit:
        names += ("ast",)
    if alt is not None and alt.value / alt.uln > amin_limit:
        names += ("alt",)
    return names


def severe_tests(labs: Labs, bilirubin_waived: bool = False) -> str | None:
    """The tests of grade 3 or more, described (None when none is)."""
    names = _above(labs, _limits(ids.HEPATIC_SEVERE_LABS), not bilirubin_waived)
    return _describe(labs, names) if names else None


def pretreatment_above_limits(doc: CourseDocument) -> str | None:
    """Pretreatment liver tests (or those before the first dose) above the interruption limits."""
    limits = _limits(ids.HEPATIC_PRETREATMENT_LIMITS)
    sets = [doc.patient.pretreatment]
    if first_dose_date(doc) is None:
        sets.append(latest_liver(doc, None, doc.today.date))
    for labs in sets:
        names = _above(labs, limits)
        if names:
            return render(ids.HEPATIC_PRETREATMENT_LIMITS, tests=_describe(labs, names))
    return None


def hepatic_state(labs: Labs) -> HepaticState | None:
    """hepatic.interrupt: 'interrupt' when the labs meet it, 'recovered' within limits, else None.

    Interrupt: bilirubin above its limit together with AST or ALT above theirs.
    Recovered: bilirubin, AST and ALT within the limits (the values present).
    """
    bilirubin, ast, alt = labs.bilirubin, labs.ast, labs.alt
    if bilirubin is None and ast is None and alt is None:
        return None
    bili_limit, amin_limit = _limits(ids.HEPATIC_INTERRUPT)
    # x ULN of each test present (None: not measured); > and <= both asked, as a value
    # that is neither (not a number) is neither high nor within the limit
    b = bilirubin.value / bilirubin.uln if bilirubin is not None else None
    a = ast.value / ast.uln if ast is not None else None
    t = alt.value / alt.uln if alt is not None else None
    if (
        b is not None
        and b > bili_limit
        and ((a is not None and a > amin_limit) or (t is not None and t > amin_limit))
    ):
        return "interrupt"
    if (
        (b is None or b <= bili_limit)
        and (a is None or a <= amin_limit)
        and (t is None or t <= amin_limit)
    ):
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
