"""`explain`: the course so far and today's decision, rule by rule, for the clinician's check."""

from __future__ import annotations

from typing import Any

from inocds.clinical.assess import Decision, assess_course
from inocds.clinical.course import CourseState, build_course
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.rules import ids
from inocds.clinical.rules.review import REVIEW_RULES
from inocds.protocol.loader import load_protocol

__all__ = ["explain_course", "run_explain"]

# rules of the label's tables that leave the decision to the clinician ("consider", "may")
_CLINICIAN = frozenset(
    {
        ids.DURATION_HSCT,
        ids.HEME_PERSISTING_28D,
        ids.INTERRUPTION_GT28,
        ids.NONHEME_BLEEDING_INFECTION,
    }
)

_ACTIONS = {
    "give": "give the dose today",
    "delay": "the dose is due but postponed",
    "omit": "the due dose is skipped for good",
    "hold": "the next cycle may not start yet",
    "discontinue": "stop treatment for good",
    "complete": "the course is finished",
    "none_due": "nothing is due today",
}


def explain_course(
    doc: CourseDocument, state: CourseState | None = None, decision: Decision | None = None
) -> dict[str, Any]:
    """The timeline, the decision and each rule behind it, as data and as text.

    `state` is the walked course and `decision` its assessment when the caller has them
    (the course is walked and assessed once)."""
    protocol = load_protocol()
    state = build_course(doc) if state is None else state
    decision = assess_course(doc, state) if decision is None else decision
    timeline = [
        {
            "date": entry.date.isoformat(),
            "kind": entry.kind,
            "cycle": entry.cycle,
            "day": entry.day,
            "rule": entry.rule,
            "message": entry.message,
        }
        for entry in state.log
    ]
    steps = [
        {
            "order": index + 1,
            "rule": reason.rule,
            "finding": reason.message,
            "rule_statement": protocol[reason.rule].statement,
            "source": reason.source,
        }
        for index, reason in enumerate(decision.reasons)
    ]
    lines = [f"Course as of {doc.today.date} (BSA {decision.bsa_m2:.2f} m2):"]
    lines += [f"  {t['date']}  {t['message']}  [{t['rule']}]" for t in timeline] or [
        "  no dose recorded yet"
    ]
    about = f"cycle {decision.cycle}" + (f" day {decision.day}" if decision.day else "")
    headline = f"Decision: {decision.action.upper()} ({_ACTIONS[decision.action]}) — {about}"
    if decision.action == "give":
        headline += f": {decision.dose_mg_per_m2:g} mg/m2 = {decision.dose_mg:.2f} mg"
    lines += ["", headline]
    if decision.next_dose_date:
        lines.append(f"Next dose not before {decision.next_dose_date}")
    if decision.needs_clinician_review:
        why = [r.rule for r in decision.reasons if r.rule in REVIEW_RULES or r.rule in _CLINICIAN]
        shown = f" ({', '.join(dict.fromkeys(why))})" if why else ""
        lines.append(f"The sources leave this decision to the clinician: review required{shown}.")
    lines += ["", "Rules applied, in order:"]
    for step in steps:
        lines.append(f"  {step['order']}. {step['rule']}: {step['finding']}")
        lines.append(f"     rule: {step['rule_statement']}")
        lines.append(f"     source: {step['source']}")
    for warning in decision.warnings:
        lines.append(f"Warning ({warning['code']}): {warning['message']}")
    return {
        "decision": decision.to_dict(),
        "timeline": timeline,
        "steps": steps,
        "text": "\n".join(lines),
    }


def run_explain(raw: Any) -> dict[str, Any]:
    """CLI/HTTP entry: validates the course document and explains today's decision."""
    return explain_course(parse_course(raw))
