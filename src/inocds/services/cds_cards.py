"""CDS Hooks 2.0 cards that render what the engine answered (assess, screen, dose, plan).

A card never decides: its indicator follows the engine's action, the interaction's
risk letter, or the dose difference the protocol data names
(`cds.dose_difference_warning_fraction`, protocol/interop.toml). Each card has a
`summary` within the spec's limit, `detail` listing the rule ids with the engine's
messages, `source` with a label and the rule's page, and `overrideReasons` when it
warns.
"""

from __future__ import annotations

import uuid
from typing import Any

from inocds.protocol.interop import load_interop

__all__ = [
    "OVERRIDE_REASONS",
    "card",
    "decision_card",
    "dose_card",
    "interaction_cards",
    "missing_data_card",
    "vod_card",
]

OVERRIDE_SYSTEM = "https://inocds.org/fhir/CodeSystem/override-reason"
OVERRIDE_REASONS = [
    {
        "code": "clinical-judgement",
        "system": OVERRIDE_SYSTEM,
        "display": "Clinical judgement: the patient's situation differs",
    },
    {
        "code": "data-outdated",
        "system": OVERRIDE_SYSTEM,
        "display": "The data shown is outdated or wrong",
    },
    {
        "code": "protocol-deviation",
        "system": OVERRIDE_SYSTEM,
        "display": "Documented deviation from the protocol (study or local protocol)",
    },
]
_ACTION_INDICATOR = {
    "give": "info",
    "delay": "warning",
    "omit": "warning",
    "none_due": "warning",
    "complete": "warning",
    "hold": "critical",
    "discontinue": "critical",
}
_RISK_INDICATOR = {"X": "critical", "D": "warning"}
_ALERT_INDICATOR = {
    "critical": "critical",
    "high": "critical",
    "x": "critical",
    "info": "info",
    "low": "info",
}  # any other severity: warning


def _summary(text: str) -> str:
    limit = load_interop().card_summary_max_chars
    return text if len(text) < limit else text[: limit - 2].rstrip() + "…"


def _detail(reasons: list[dict[str, Any]], lead: str = "") -> str:
    lines = [lead] if lead else []
    for reason in reasons:
        lines.append(
            f"- **{reason.get('rule')}**: {reason.get('message')} ({reason.get('source')})"
        )
    return "\n".join(lines)


def card(
    summary: str,
    indicator: str,
    rule: str,
    base_url: str,
    detail: str = "",
    suggestions: list[dict[str, Any]] | None = None,
    links: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One card with its source pointing at the rule's page."""
    out: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": _summary(summary),
        "indicator": indicator,
        "source": {"label": f"inocds protocol: {rule}", "url": f"{base_url}/rules/{rule}"},
    }
    if detail:
        out["detail"] = detail
    if suggestions:
        out["suggestions"] = suggestions
        out["selectionBehavior"] = "at-most-one"
    if indicator != "info":
        out["overrideReasons"] = OVERRIDE_REASONS
    if links:
        out["links"] = links
    return out


def _main_rule(reasons: list[dict[str, Any]], fallback: str) -> str:
    return str(reasons[0]["rule"]) if reasons else fallback


def decision_card(
    answer: dict[str, Any], base_url: str, links: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The engine's decision for today (assess): give / delay / omit / hold / discontinue ..."""
    action = str(answer.get("action"))
    indicator = _ACTION_INDICATOR.get(action, "warning")
    if answer.get("needs_clinician_review") and indicator == "info":
        indicator = "warning"
    where = f"cycle {answer.get('cycle')} day {answer.get('day')}" if answer.get("cycle") else ""
    if action == "give":
        text = (
            f"Inotuzumab {where}: give {answer.get('dose_mg')} mg "
            f"({answer.get('dose_mg_per_m2')} mg/m2)"
        )
    else:
        text = f"Inotuzumab {where}: {action.replace('_', ' ')}".replace("  ", " ")
    if answer.get("needs_clinician_review"):
        text += " - clinician review needed"
    reasons = list(answer.get("reasons") or [])
    lead = f"Action **{action}**" + (
        f", next dose from {answer['next_dose_date']}." if answer.get("next_dose_date") else "."
    )
    warnings = answer.get("warnings") or []
    if warnings:
        lead += "\n\nHistory warnings: " + "; ".join(
            f"{w.get('code') or w.get('rule')}: {w.get('message')}" for w in warnings
        )
    rule = _main_rule([r for r in reasons if r.get("rule") != "premedication"], "regimen.cycle1")
    return card(text, indicator, rule, base_url, _detail(reasons, lead), links=links)


def dose_card(
    answer: dict[str, Any],
    draft_mg: float | None,
    draft_mg_per_m2: float | None,
    base_url: str,
    suggestion_resource: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """A warning when the draft dose differs from the engine's by more than the protocol's share.

    An absolute draft (mg) is compared with the engine's `dose_mg`; a draft per m2 with its
    `dose_mg_per_m2`.
    """
    protocol_mg, protocol_per_m2 = answer.get("dose_mg"), answer.get("dose_mg_per_m2")
    if answer.get("action") != "give" or not isinstance(protocol_mg, (int, float)):
        return None
    drafted, protocol, unit = draft_mg, float(protocol_mg), "mg"
    if drafted is None and isinstance(protocol_per_m2, (int, float)):
        drafted, protocol, unit = draft_mg_per_m2, float(protocol_per_m2), "mg/m2"
    if drafted is None:
        return None
    interop = load_interop()
    difference = abs(drafted - protocol) / protocol
    if difference <= interop.dose_difference_warning_fraction:
        return None
    text = (
        f"Draft dose {drafted:g} {unit} differs from the protocol dose {protocol_mg:g} mg "
        f"({protocol_per_m2} mg/m2 x {answer.get('bsa_m2')} m2)"
    )
    lead = (
        f"The draft is {difference * 100:.0f}% away from the dose the engine computed; "
        f"the limit is {interop.dose_difference_warning_fraction * 100:g}% "
        f"({interop.dose_difference_source})."
    )
    suggestions = []
    if suggestion_resource is not None:
        suggestions.append(
            {
                "label": f"Use the protocol dose {protocol_mg:g} mg",
                "uuid": str(uuid.uuid4()),
                "isRecommended": True,
                "actions": [
                    {
                        "type": "update",
                        "description": f"Set the dose to {protocol_mg:g} mg",
                        "resource": suggestion_resource,
                    }
                ],
            }
        )
    rule = _main_rule(list(answer.get("reasons") or []), "regimen.cycle1")
    reasons = list(answer.get("reasons") or [])
    return card(text, "warning", rule, base_url, _detail(reasons, lead), suggestions)


def interaction_cards(screen: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
    """One card per co-medication of risk X (critical) or D (warning), and per screen alert."""
    cards = []
    for item in screen.get("interactions") or []:
        indicator = _RISK_INDICATOR.get(str(item.get("risk")))
        if indicator is None:
            continue
        text = f"{item.get('drug')}: interaction risk {item.get('risk')} with inotuzumab"
        detail = (
            f"- **screen.interactions**: {item.get('matched_entry')}: {item.get('effect')} "
            f"{item.get('management')} ({item.get('source')})"
        )
        cards.append(card(text, indicator, "screen.interactions", base_url, detail))
    for alert in screen.get("alerts") or []:
        indicator = _ALERT_INDICATOR.get(str(alert.get("severity")).lower(), "warning")
        rule = str(alert.get("id") or "screen.interactions")
        cards.append(
            card(
                str(alert.get("message")),
                indicator,
                rule,
                base_url,
                f"- **{rule}**: {alert.get('message')}",
            )
        )
    return cards


def vod_card(screen: dict[str, Any], base_url: str) -> dict[str, Any] | None:
    """The VOD risk factors the screen found (info)."""
    details = screen.get("vod_risk_details") or []
    if not details:
        return None
    names = ", ".join(str(d.get("id")) for d in details)
    reasons = [
        {"rule": d.get("rule"), "message": d.get("message"), "source": d.get("source")}
        for d in details
    ]
    return card(
        f"VOD risk factors: {names}",
        "info",
        str(details[0].get("rule")),
        base_url,
        _detail(reasons),
    )


def missing_data_card(
    missing: list[str], problems: list[str], base_url: str, what: str = "decision"
) -> dict[str, Any]:
    """The data a decision needs and the request lacks (or could not read): no answer without it."""
    parts = [*missing, *problems]
    text = f"No inotuzumab {what}: " + ("; ".join(parts) if parts else "data missing")
    lines = [f"- **labs.missing**: missing {m}" for m in missing]
    lines += [f"- **input**: not understood: {p}" for p in problems]
    lines.append("Nothing is decided on data that is missing or not understood.")
    return card(text, "warning", "labs.missing", base_url, "\n".join(lines))
