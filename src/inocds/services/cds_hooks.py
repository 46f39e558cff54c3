"""CDS Hooks 2.0 use cases: discovery, one hook call, feedback.

A call gathers the patient's FHIR data (prefetch first, then `fhirServer` for what is
missing), reads it into the contract's course document (adapters/fhir), runs the
engine's own commands (assess, screen, dose, plan) and renders their answers as
cards (services/cds_cards.py). Nothing here decides a dose or an action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from inocds.adapters.fhir.build import invalid_reason
from inocds.adapters.fhir.client import FhirServerError, fetch, search_resources
from inocds.adapters.fhir.course import (
    FhirData,
    is_drug,
    medication_name,
    read_course,
    todays_labs,
)
from inocds.adapters.fhir.observations import LOINC, read_observations
from inocds.clinical.validation import InputError
from inocds.protocol.interop import load_interop
from inocds.protocol.schema import DEFAULT_BSA_FORMULA
from inocds.services import cds_cards as cards
from inocds.services.audit import record
from inocds.services.cds_draft import draft_dose, draft_requests, draft_resources, suggestion
from inocds.services.cds_first_dose import first_dose_answer, interactions_answer
from inocds.services.commands import run_command
from inocds.services.fhir_store import stored_course_for

__all__ = ["SERVICES", "HookError", "discovery", "record_feedback", "run_hook", "service_for"]


def _observation_query() -> str:
    codes = ",".join(f"{LOINC}|{code}" for code in load_interop().loinc)
    return "Observation?patient={{context.patientId}}&code=" + codes


def _prefetch() -> dict[str, str]:
    return {
        "patient": "Patient/{{context.patientId}}",
        "observations": _observation_query(),
        "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
        "administrations": "MedicationAdministration?patient={{context.patientId}}",
        "conditions": "Condition?patient={{context.patientId}}",
    }


SERVICES: dict[str, dict[str, str]] = {
    "inocds-order-sign": {
        "hook": "order-sign",
        "title": "Inotuzumab ozogamicin order check",
        "description": "Checks a draft inotuzumab order: protocol dose for this patient, cycle "
        "and day; today's decision; interactions of active medications; VOD risk.",
    },
    "inocds-order-select": {
        "hook": "order-select",
        "title": "Inotuzumab ozogamicin dose, plan and preparation",
        "description": "For a selected inotuzumab order: the computed dose, the cycle's plan "
        "and the preparation (vials, volumes, infusion).",
    },
    "inocds-patient-view": {
        "hook": "patient-view",
        "title": "Inotuzumab ozogamicin course status",
        "description": "The course's status, what is due today, and alerts.",
    },
}


class HookError(Exception):
    """A hook request that cannot be answered: 4xx with the contract's error shape."""

    def __init__(self, status_code: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status_code, self.field, self.message = status_code, field, message


def service_for(service_id: str) -> str:
    """The service id for an id or a bare hook name (alias); HookError 404 when unknown."""
    if service_id in SERVICES:
        return service_id
    for known, service in SERVICES.items():
        if service["hook"] == service_id:
            return known
    raise HookError(404, "service_id", f"no CDS service {service_id!r}; see GET /cds-services")


def discovery() -> dict[str, Any]:
    """The discovery document: every service with its prefetch templates."""
    prefetch = _prefetch()
    return {
        "services": [{"id": key, **value, "prefetch": prefetch} for key, value in SERVICES.items()]
    }


@dataclass(frozen=True)
class HookCall:
    """The parts of a hook request the service uses (parsed by the HTTP shell)."""

    hook: str
    context: dict[str, Any]
    prefetch: dict[str, Any]
    fhir_server: str | None
    fhir_token: str | None


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return search_resources(value)
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []


REQUIRED_PREFETCH = ("patient", "observations", "medications", "administrations")
"""Without these no answer is safe: an absent history would read as cycle 1, absent
medications as no interactions. An empty search Bundle is an answer ("none"); absence is not.
Conditions are optional (not read into the decision)."""


def _gather(call: HookCall) -> FhirData:
    patient_id = str(call.context.get("patientId") or "")
    templates = _prefetch()
    found: dict[str, Any] = {}
    for key, template in templates.items():
        value = call.prefetch.get(key)
        if value is not None:
            found[key] = value
            continue
        if not call.fhir_server:
            if key in REQUIRED_PREFETCH:
                raise HookError(
                    412, f"prefetch.{key}", "neither prefetch nor fhirServer gives this data"
                )
            continue
        try:
            found[key] = fetch(
                call.fhir_server,
                call.fhir_token,
                template.replace("{{context.patientId}}", patient_id),
            )
        except FhirServerError as error:
            if key in REQUIRED_PREFETCH:
                raise HookError(412, "fhirServer", str(error)) from None
    patient = found.get("patient")
    return FhirData(
        patient=patient if isinstance(patient, dict) else None,
        observations=_as_list(found.get("observations")),
        medication_requests=_as_list(found.get("medications")),
        administrations=_as_list(found.get("administrations")),
        conditions=_as_list(found.get("conditions")),
    )


def _run(name: str, document: dict[str, Any]) -> dict[str, Any] | list[str]:
    try:
        return run_command(name, document)
    except InputError as error:
        return [f"{e.field}: {e.message}" for e in error.errors]


def run_hook(
    session: Session, service_id: str, call: HookCall, today: dt.date, base_url: str
) -> dict[str, Any]:
    """The cards answering one hook call."""
    hook = SERVICES[service_id]["hook"]
    if call.hook != hook:
        raise HookError(422, "hook", f"service {service_id} answers {hook!r}, not {call.hook!r}")
    if not call.context.get("patientId"):
        raise HookError(422, "context.patientId", "required")
    data = _gather(call)
    invalid = _invalid(data, draft_resources(call.context))
    if invalid:  # checked before any field is read
        return {"cards": [cards.missing_data_card([], invalid, base_url)]}
    draft, others = draft_requests(call.context, hook)
    if hook != "patient-view" and draft is None and not any(map(is_drug, data.administrations)):
        return {"cards": []}  # an order without inotuzumab: nothing for this service to say
    data = FhirData(
        data.patient,
        data.observations,
        [*data.medication_requests, *others],
        data.administrations,
        data.conditions,
    )
    stored = stored_course_for(session, data.patient, today)
    if stored is not None:
        document, links = _with_ehr_data(stored.document, data), [stored.link(base_url)]
        assumptions: tuple[str, ...] = ()
    else:
        reading = read_course(data, today)
        if reading.document is None:
            problems = [f"{p.where}: {p.message}" for p in reading.problems]
            found = [cards.missing_data_card(list(reading.missing), problems, base_url)]
            found += _first_dose_check(hook, draft, data, today, base_url)
            found += cards.interaction_cards(interactions_answer(data), base_url)
            return {"cards": found}
        document, links, assumptions = reading.document, [], reading.assumptions
    return {"cards": _cards(hook, document, draft, base_url, links, assumptions)}


def _first_dose_check(
    hook: str, draft: dict[str, Any] | None, data: FhirData, today: dt.date, base_url: str
) -> list[dict[str, Any]]:
    """The dose card of a first-dose draft when today's decision could not be made."""
    if hook != "order-sign" or draft is None:
        return []
    answer = first_dose_answer(data, today)
    drafted = draft_dose(draft)
    if answer is None or drafted.unreadable:
        return []
    dose = cards.dose_card(
        answer, drafted.mg, drafted.mg_per_m2, base_url, suggestion(draft, answer)
    )
    return [dose] if dose else []


def _invalid(data: FhirData, drafts: list[dict[str, Any]]) -> list[str]:
    """Why any resource of the call is not valid FHIR (checked before any field is read)."""
    resources = [
        data.patient,
        *data.observations,
        *data.medication_requests,
        *data.administrations,
        *data.conditions,
        *drafts,
    ]
    reasons = [invalid_reason(r) for r in resources if r is not None]
    return [reason for reason in reasons if reason]


def _with_ehr_data(document: dict[str, Any], data: FhirData) -> dict[str, Any]:
    """The stored course with the EHR's labs of today and its active medications."""
    values, _, _ = read_observations(data.observations)
    today = dt.date.fromisoformat(document["today"]["date"])
    labs = todays_labs(values, today)
    if labs:
        document["today"]["labs"] = labs
    names = [medication_name(r) for r in data.medication_requests if not is_drug(r)]
    patient = document["patient"]
    patient["medications"] = sorted({*patient.get("medications", []), *filter(None, names)})
    return document


def _cards(
    hook: str,
    document: dict[str, Any],
    draft: dict[str, Any] | None,
    base_url: str,
    links: list[dict[str, Any]],
    assumptions: tuple[str, ...],
) -> list[dict[str, Any]]:
    answer = _run("assess", document)
    screen = _run("screen", document)
    if isinstance(answer, list) or isinstance(screen, list):
        errors = answer if isinstance(answer, list) else screen
        return [cards.missing_data_card([], list(errors), base_url)]
    out = [cards.decision_card(answer, base_url, links)]
    if draft is not None and hook == "order-sign":
        drafted = draft_dose(draft)
        if drafted.unreadable:
            out.append(cards.missing_data_card([], [drafted.unreadable], base_url, "dose check"))
        else:
            dose = cards.dose_card(
                answer, drafted.mg, drafted.mg_per_m2, base_url, suggestion(draft, answer)
            )
            out += [dose] if dose else []
    if hook == "order-select":
        out.append(_preparation_card(document, answer, base_url))
    out += cards.interaction_cards(screen, base_url)
    vod = cards.vod_card(screen, base_url)
    out += [vod] if vod else []
    if hook == "patient-view":
        out += _due_cards(screen, document, base_url)
    for text in assumptions:
        out.append(
            cards.card(
                text, "info", "duration.hsct", base_url, f"- **duration.hsct**: assumed: {text}"
            )
        )
    return out


def _preparation_card(
    document: dict[str, Any], answer: dict[str, Any], base_url: str
) -> dict[str, Any]:
    patient = document["patient"]
    if answer.get("action") != "give":
        return cards.card("No dose to prepare today", "info", "regimen.cycle1", base_url)
    prep = _run(
        "dose",
        {
            "height_cm": patient["height_cm"],
            "weight_kg": patient["weight_kg"],
            "dose_mg_per_m2": answer["dose_mg_per_m2"],
            "bsa_formula": patient.get("bsa_formula", DEFAULT_BSA_FORMULA),
        },
    )
    plan = _run("plan", document)
    if isinstance(prep, list):
        return cards.missing_data_card([], prep, base_url)
    text = (
        f"{prep['dose_mg']} mg: {prep['vials']} vial(s), draw {prep['volume_ml']} mL, "
        f"infuse {prep['final_volume_ml']} mL over {prep['infusion_minutes']} min"
    )
    lines = [f"- **prep**: BSA {prep['bsa_m2']} m2, waste {prep['waste_mg']} mg"]
    if isinstance(plan, dict):
        for item in plan.get("doses") or []:
            lines.append(
                f"- plan cycle {plan.get('cycle')} day {item.get('day')}: "
                f"{item.get('dose_mg')} mg on {item.get('date')}"
            )
    return cards.card(text, "info", "regimen.cycle1", base_url, "\n".join(lines))


def _due_cards(
    screen: dict[str, Any], document: dict[str, Any], base_url: str
) -> list[dict[str, Any]]:
    today = document["today"]["date"]
    due = [m for m in screen.get("monitoring") or [] if today in (m.get("due") or [])]
    if not due:
        return []
    names = ", ".join(str(m.get("check")) for m in due)
    detail = "\n".join(f"- **{m.get('rule')}**: {m.get('when')} ({m.get('source')})" for m in due)
    return [cards.card(f"Due today: {names}", "info", str(due[0].get("rule")), base_url, detail)]


def record_feedback(session: Session, service_id: str, body: dict[str, Any]) -> int:
    """Records each feedback item in the audit trail; returns how many."""
    items = body.get("feedback")
    if not isinstance(items, list) or not items:
        raise HookError(422, "feedback", "a non-empty list of feedback items is required")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("card") or not item.get("outcome"):
            raise HookError(422, f"feedback[{index}]", "each item needs card and outcome")
        if item["outcome"] not in ("accepted", "overridden"):
            raise HookError(422, f"feedback[{index}].outcome", "accepted or overridden")
    for item in items:
        record(
            session, None, "cds.feedback", "cds_card", None, None, {"service": service_id, **item}
        )
    return len(items)
