"""The draft orders of an order-sign / order-select call: which is the drug, what dose it asks."""

from __future__ import annotations

from typing import Any, NamedTuple

from inocds.adapters.fhir.build import with_dose
from inocds.adapters.fhir.client import search_resources
from inocds.adapters.fhir.course import is_drug

__all__ = ["DraftDose", "draft_dose", "draft_requests", "draft_resources", "suggestion"]


def draft_resources(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources of `context.draftOrders` (a Bundle), for validation before use."""
    orders = context.get("draftOrders")
    return search_resources(orders) if isinstance(orders, dict) else []


def draft_requests(
    context: dict[str, Any], hook: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The drafted inotuzumab MedicationRequest (or None) and the other drafted medications."""
    if hook == "patient-view":
        return None, []
    resources = draft_resources(context)
    requests = [r for r in resources if r.get("resourceType") == "MedicationRequest"]
    if hook == "order-select":
        chosen_refs = context.get("selections")
        selected = (
            {s for s in chosen_refs if isinstance(s, str)}
            if isinstance(chosen_refs, list)
            else set()
        )
        chosen = [r for r in requests if f"MedicationRequest/{r.get('id')}" in selected]
        requests = chosen or requests
    drug = next((r for r in requests if is_drug(r)), None)
    return drug, [r for r in requests if not is_drug(r)]


class DraftDose(NamedTuple):
    """The dose a draft asks for: absolute (mg), per m2, or a unit not understood."""

    mg: float | None
    mg_per_m2: float | None
    unreadable: str | None


def draft_dose(draft: dict[str, Any]) -> DraftDose:
    """The dose the draft's first dosage instruction states, by its UCUM unit."""
    mg = per_m2 = None
    unreadable = None
    for instruction in draft.get("dosageInstruction") or []:
        for rate in instruction.get("doseAndRate") or []:
            quantity = rate.get("doseQuantity") or {}
            value = quantity.get("value")
            unit = quantity.get("code") or quantity.get("unit")
            if not isinstance(value, (int, float)):
                continue
            if unit == "mg":
                mg = float(value)
            elif unit == "mg/m2":
                per_m2 = float(value)
            else:
                unreadable = f"draft dose {value:g} {unit or '(no unit)'}: unit not understood"
    return DraftDose(mg, per_m2, None if mg or per_m2 else unreadable)


def suggestion(draft: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any] | None:
    """The draft with the engine's dose, validated as a MedicationRequest (None if invalid)."""
    try:
        return with_dose(draft, float(answer["dose_mg"]), answer.get("dose_mg_per_m2"))
    except (ValueError, KeyError, TypeError):
        return None
