"""The FHIR R4 API over the stored data, and the lab import (the app with a 2026-01-05 clock)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhirclient.models.bundle import Bundle as R4Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement as R4CapabilityStatement
from fhirclient.models.plandefinition import PlanDefinition as R4PlanDefinition
from sqlalchemy import select

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import AuditEntry
from tests.interop.conftest import CYCLE_1_GIVEN, add_patient_with_course, add_user_token
from tests.interop.fhir_builders import observation

FHIR_JSON = "application/fhir+json"


@pytest.fixture(scope="module")
def doc(app_client: TestClient) -> dict[str, str]:
    """A physician's bearer header."""
    return add_user_token(app_client, "physician", "fhir-physician")


@pytest.fixture(scope="module")
def stored(app_client: TestClient, doc: dict[str, str]) -> tuple[int, int]:
    """A stored patient (MRN FHIR-1) whose cycle 1 was given; one order signed for nobody else."""
    return add_patient_with_course(app_client, doc, "FHIR-1", CYCLE_1_GIVEN)


def valid_r4_bundle(body: dict[str, Any]) -> None:
    """The Bundle validates with fhir.resources and with fhirclient's strict R4 (4.0.1) models."""
    Bundle.model_validate(body)
    R4Bundle(body)


def test_metadata_is_an_r4_capability_statement(app_client: TestClient, doc: dict) -> None:
    """GET /fhir/metadata answers a CapabilityStatement for FHIR 4.0.1 in application/fhir+json."""
    answer = app_client.get("/fhir/metadata", headers=doc)
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    statement = answer.json()
    assert statement["fhirVersion"] == "4.0.1"
    R4CapabilityStatement(statement)


def test_fhir_api_needs_login(app_client: TestClient) -> None:
    """Without a bearer token the FHIR API answers 401."""
    assert app_client.get("/fhir/Patient").status_code == 401


def test_patient_read_and_search_by_identifier(
    app_client: TestClient, doc: dict, stored: tuple[int, int]
) -> None:
    """Patient/<id> reads the stored patient; ?identifier=FHIR-1 finds it."""
    patient_id, _ = stored
    read = app_client.get(f"/fhir/Patient/{patient_id}", headers=doc).json()
    assert read["birthDate"] == "1970-02-03" and read["identifier"][0]["value"] == "FHIR-1"
    found = app_client.get("/fhir/Patient", params={"identifier": "FHIR-1"}, headers=doc).json()
    valid_r4_bundle(found)
    assert [e["resource"]["id"] for e in found["entry"]] == [str(patient_id)]
    by_name = {"family": "ro", "birthdate": "1970-02-03", "gender": "male"}
    found = app_client.get("/fhir/Patient", params=by_name, headers=doc).json()
    assert str(patient_id) in [e["resource"]["id"] for e in found["entry"]]


def test_observation_search_by_patient_code_and_date(
    app_client: TestClient, doc: dict, stored: tuple[int, int]
) -> None:
    """ANC (LOINC 751-8) from 2025-12-01: the pretreatment value and cycle 1 start's, 1800."""
    patient_id, course_id = stored
    params = {"patient": str(patient_id), "code": "http://loinc.org|751-8", "date": "ge2025-12-01"}
    found = app_client.get("/fhir/Observation", params=params, headers=doc).json()
    valid_r4_bundle(found)
    resources = [e["resource"] for e in found["entry"]]
    assert {r["valueQuantity"]["value"] for r in resources} == {1800.0}
    assert {r["valueQuantity"]["code"] for r in resources} == {"/uL"}
    assert f"c{course_id}-pre-anc" in [r["id"] for r in resources] and len(resources) == 2
    later = {**params, "date": "gt2025-12-01"}
    assert app_client.get("/fhir/Observation", params=later, headers=doc).json()["total"] == 0


def test_unknown_search_parameter_is_named_or_refused(app_client: TestClient, doc: dict) -> None:
    """An unsupported parameter is ignored and named in an outcome entry (even in an otherwise
    empty Bundle); with
    `Prefer: handling=strict` it is refused (400 OperationOutcome naming it)."""
    lenient = app_client.get("/fhir/Condition", params={"colour": "red"}, headers=doc).json()
    valid_r4_bundle(lenient)
    outcome = lenient["entry"][-1]
    assert outcome["search"]["mode"] == "outcome"
    assert "colour" in outcome["resource"]["issue"][0]["diagnostics"]
    strict = {**doc, "Prefer": "handling=strict"}
    answer = app_client.get("/fhir/Observation", params={"colour": "red"}, headers=strict)
    assert answer.status_code == 400
    assert "colour" in answer.json()["issue"][0]["diagnostics"]


def test_plan_definition_is_the_protocol(app_client: TestClient, doc: dict) -> None:
    """PlanDefinition/inotuzumab-ozogamicin carries cycle 1's 0.8 / 0.5 / 0.5 mg/m2 over 21 days."""
    plan = app_client.get("/fhir/PlanDefinition/inotuzumab-ozogamicin", headers=doc).json()
    R4PlanDefinition(plan)
    cycle1 = plan["action"][0]
    assert cycle1["id"] == "regimen.cycle1"
    assert cycle1["timingTiming"]["repeat"]["duration"] == 21
    assert [a["title"] for a in cycle1["action"]] == [
        "day 1: 0.8 mg/m2",
        "day 8: 0.5 mg/m2",
        "day 15: 0.5 mg/m2",
    ]


def test_everything_validates_as_r4(
    app_client: TestClient, doc: dict, stored: tuple[int, int]
) -> None:
    """$everything holds the Patient, Observations, 3 MedicationAdministrations and the CarePlan."""
    patient_id, _ = stored
    found = app_client.get(f"/fhir/Patient/{patient_id}/$everything", headers=doc).json()
    valid_r4_bundle(found)
    kinds = [e["resource"]["resourceType"] for e in found["entry"]]
    assert kinds[0] == "Patient" and kinds.count("MedicationAdministration") == 3
    assert "CarePlan" in kinds and "PlanDefinition" in kinds
    plan = next(
        e["resource"] for e in found["entry"] if e["resource"]["resourceType"] == "CarePlan"
    )
    assert plan["description"].startswith("Today: ")  # the engine's decision, rule ids listed
    assert plan["activity"], "the engine's next-cycle plan as activities"


def test_signed_order_is_an_mcode_shaped_medication_request(
    app_client: TestClient, doc: dict
) -> None:
    """A signed cycle 1 day 1 order: 0.8 mg/m2 ordered, 1.34 mg calculated (1.68 m2 x 0.8)."""
    patient_id, course_id = add_patient_with_course(app_client, doc, "FHIR-ORDER", [])
    order = app_client.post(
        f"/api/v1/courses/{course_id}/orders",
        headers=doc,
        json={"cycle": 1, "day": 1, "dose_mg_per_m2": 0.8, "scheduled_on": "2026-01-05"},
    )
    assert order.status_code == 201, order.text
    found = app_client.get(
        "/fhir/MedicationRequest", params={"patient": patient_id}, headers=doc
    ).json()
    valid_r4_bundle(found)
    rates = found["entry"][0]["resource"]["dosageInstruction"][0]["doseAndRate"]
    assert [(r["doseQuantity"]["value"], r["doseQuantity"]["unit"]) for r in rates] == [
        (0.8, "mg/m2"),
        (1.34, "mg"),
    ]


def lab_bundle(patient_id: int, kind: str = "transaction") -> dict[str, Any]:
    """ANC 0.6 x 10^9/L, platelets 80 x 10^3/uL, bilirubin 34.2 umol/L (ULN 20.5), AST, ALT."""
    resources = [
        observation("751-8", 0.6, "10*9/L", "2026-01-05"),
        observation("777-3", 80, "10*3/uL", "2026-01-05"),
        observation("1975-2", 34.2, "umol/L", "2026-01-05", uln=20.5),
        observation("1920-8", 30, "U/L", "2026-01-05", uln=40),
        observation("1742-6", 25, "U/L", "2026-01-05", uln=40),
    ]
    for resource in resources:
        resource["subject"] = {"reference": f"Patient/{patient_id}"}
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"resource": r, "request": {"method": "POST", "url": "Observation"}} for r in resources
        ],
    }


def test_lab_bundle_becomes_labs_event_and_changes_assess_as_typed_by_hand(
    app_client: TestClient, doc: dict
) -> None:
    """0.6 x 10^9/L = 600/mm3, 80 x 10^3/uL = 80000/mm3, 34.2 umol/L / 17.10 = 2.0 mg/dL
    (ULN 20.5 umol/L = 1.199 mg/dL): the imported labs event holds these, and assess answers as
    for the same values typed by hand (hold: ANC 600 < 1000, heme.anc_gate; before: no counts)."""
    imported_patient, imported = add_patient_with_course(app_client, doc, "LAB-1", CYCLE_1_GIVEN)
    _, typed = add_patient_with_course(app_client, doc, "LAB-2", CYCLE_1_GIVEN)
    before = app_client.post(f"/api/v1/courses/{imported}/assess", headers=doc, json={}).json()
    answer = app_client.post("/fhir", headers=doc, json=lab_bundle(imported_patient))
    assert answer.status_code == 200, answer.text
    assert answer.json()["type"] == "transaction-response"
    events = app_client.get(f"/api/v1/courses/{imported}/events", headers=doc).json()
    labs = [e["event"] for e in events if e["type"] == "labs"][-1]
    assert labs["anc_per_mm3"] == 600 and labs["platelets_per_mm3"] == 80000
    assert labs["bilirubin"]["value"] == pytest.approx(2.0, abs=0.001)
    assert labs["bilirubin"]["uln"] == pytest.approx(1.199, abs=0.001)
    by_hand = {
        "type": "labs",
        "date": "2026-01-05",
        "anc_per_mm3": 600,
        "platelets_per_mm3": 80000,
        "bilirubin": {"value": 2.0, "uln": 1.2},
        "ast": {"value": 30, "uln": 40},
        "alt": {"value": 25, "uln": 40},
    }
    app_client.post(f"/api/v1/courses/{typed}/events", headers=doc, json=by_hand)
    after = app_client.post(f"/api/v1/courses/{imported}/assess", headers=doc, json={}).json()
    hand = app_client.post(f"/api/v1/courses/{typed}/assess", headers=doc, json={}).json()
    assert after["action"] == hand["action"] == "hold"
    assert [r["rule"] for r in after["reasons"]] == [r["rule"] for r in hand["reasons"]]
    assert "heme.anc_gate" not in [r["rule"] for r in before["reasons"]]
    factory = app_client.app.state.session_factory  # type: ignore[attr-defined]
    with transaction(factory) as session:
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "fhir.import"))
        assert any(e.after and e.after["observations"] == 5 for e in audited)
    assert "heme.anc_gate" in [r["rule"] for r in after["reasons"]]


def test_import_refuses_unknown_code_and_unit_naming_them(
    app_client: TestClient, doc: dict, stored: tuple[int, int]
) -> None:
    """Potassium (LOINC 2823-3) and ANC in 'K/uL' (sent as fhir+json): 422 naming both."""
    patient_id, _ = stored
    body = lab_bundle(patient_id, "batch")
    body["entry"][0]["resource"]["valueQuantity"]["code"] = "K/uL"
    body["entry"][1]["resource"]["code"]["coding"][0]["code"] = "2823-3"
    headers = {**doc, "Content-Type": "application/fhir+json"}
    answer = app_client.post("/fhir", headers=headers, content=json.dumps(body))
    assert answer.status_code == 422
    diagnostics = " ".join(i["diagnostics"] for i in answer.json()["issue"])
    assert "K/uL" in diagnostics and "2823-3" in diagnostics


def test_import_is_all_or_nothing(app_client: TestClient, doc: dict) -> None:
    """Two dates, the second in the future (after 2026-01-05): refused, and the first date's
    labs event is not kept either."""
    patient_id, course_id = add_patient_with_course(app_client, doc, "LAB-ALL", CYCLE_1_GIVEN)
    body = lab_bundle(patient_id)
    body["entry"][-1]["resource"]["effectiveDateTime"] = "2026-02-01"
    answer = app_client.post("/fhir", headers=doc, json=body)
    assert answer.status_code == 422
    events = app_client.get(f"/api/v1/courses/{course_id}/events", headers=doc).json()
    assert [e for e in events if e["type"] == "labs"] == []


@pytest.mark.parametrize(
    "kind",
    [
        "Patient",
        "Observation",
        "MedicationRequest",
        "MedicationAdministration",
        "CarePlan",
        "PlanDefinition",
        "Condition",
    ],
)
def test_every_search_bundle_and_read_validates_as_r4(
    app_client: TestClient, doc: dict, stored: tuple[int, int], kind: str
) -> None:
    """Each type's search Bundle, and a read of each resource in it, load into R4 models."""
    found = app_client.get(f"/fhir/{kind}", headers=doc).json()
    valid_r4_bundle(found)
    for entry in found.get("entry", [])[:5]:
        resource = entry["resource"]
        read = app_client.get(f"/fhir/{kind}/{resource['id']}", headers=doc)
        assert read.status_code == 200 and read.json() == resource
