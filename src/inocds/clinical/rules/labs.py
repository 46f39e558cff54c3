"""labs.missing: missing pre-dose labs are not normal.

Which labs count as "before" a dose (NOTES.md, Safety net):
- counts for a new cycle's day 1 (cycle 2 and later): that day's ANC and platelets
  (today.labs, or a labs / cycle_start event dated today), as the count gates read
  them; cycle 1's are the required pretreatment counts;
- liver tests for any dose: total bilirubin, AST and ALT, each measured after the
  previous dose's day (labs events or today.labs); for the first dose the
  pretreatment values also count.
"""

from __future__ import annotations

from inocds.clinical.course_state import CourseState
from inocds.clinical.gates import counts_today
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.hepatic import latest_liver
from inocds.clinical.rules.text import say

__all__ = ["missing_counts", "missing_liver"]

_SHOWN = {"bilirubin": "total bilirubin", "ast": "AST", "alt": "ALT"}


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def missing_counts(state: CourseState, cycle: int) -> Reason | None:
    """labs.missing for the counts of a new cycle's day 1 (cycles 2 and later)."""
    if cycle < 2:
        return None
    anc, plt = counts_today(state)
    missing = [name for name, v in (("ANC", anc), ("platelet count", plt)) if v is None]
    if not missing:
        return None
    return say(ids.LABS_MISSING, "counts", cycle=cycle, missing=_listed(missing), date=state.today)


def missing_liver(state: CourseState, cycle: int, day: int) -> Reason | None:
    """labs.missing for the liver tests of the dose due today."""
    doc = state.doc
    since = state.last_dose
    found = latest_liver(doc, since, state.today)
    if since is None:
        pre = doc.patient.pretreatment
        found = found._replace(
            bilirubin=found.bilirubin or pre.bilirubin,
            ast=found.ast or pre.ast,
            alt=found.alt or pre.alt,
        )
    if found.bilirubin is not None and found.ast is not None and found.alt is not None:
        return None  # all three measured
    missing = [_SHOWN[n] for n in ("bilirubin", "ast", "alt") if getattr(found, n) is None]
    if since is None:
        return say(ids.LABS_MISSING, "liver_first", cycle=cycle, day=day, missing=_listed(missing))
    return say(
        ids.LABS_MISSING, "liver", cycle=cycle, day=day, missing=_listed(missing), since=since
    )
