"""CDS Hooks 2.0 calls as an EHR makes them, answered from prefetch (the app with client JWTs on).

Worked dose: 170 cm / 60 kg, Mosteller sqrt(170 * 60 / 3600) = 1.6833 -> 1.68 m2;
cycle 1 day 1 is 0.8 mg/m2 (regimen.cycle1): 0.8 x 1.68 = 1.344 -> 1.34 mg.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhirclient.models.medicationrequest import MedicationRequest as R4MedicationRequest

from tests.interop.cds_helpers import C1D1, SIGN, assert_spec_limits, post, prefetch
from tests.interop.conftest import (
    CYCLE_1_GIVEN,
    add_patient_with_course,
    add_user_token,
)
from tests.interop.fhir_builders import (
    administration,
    body,
    hook_request,
    labs,
    medication_request,
    observation,
    patient,
    searchset,
)


def test_discovery_lists_three_hooks_with_prefetch_templates(app_client: TestClient) -> None:
    """GET /cds-services lists order-sign, order-select and patient-view with prefetch."""
    services = app_client.get("/cds-services").json()["services"]
    assert {s["hook"] for s in services} == {"order-sign", "order-select", "patient-view"}
    for service in services:
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert "751-8" in service["prefetch"]["observations"]


def test_draft_of_2_5_mg_gets_warning_with_protocol_dose_1_34_mg(
    app_client: TestClient, client_key: Any
) -> None:
    """A 2.5 mg draft on cycle 1 day 1 (protocol 1.34 mg, 87% off > 5%) warns and suggests 1.34."""
    request = hook_request("order-sign", C1D1, [medication_request(dose_mg=2.5)])
    cards = post(app_client, client_key, SIGN, request).json()["cards"]
    assert_spec_limits(cards)
    warning = next(c for c in cards if "Draft dose" in c["summary"])
    assert warning["indicator"] == "warning"
    assert "1.34 mg" in warning["summary"]
    action = warning["suggestions"][0]["actions"][0]
    assert action["type"] == "update"
    dose = action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert dose["value"] == pytest.approx(1.34)
    R4MedicationRequest(action["resource"])  # strict R4 (4.0.1) model of fhirclient


def test_draft_at_protocol_dose_gets_no_dose_warning(
    app_client: TestClient, client_key: Any
) -> None:
    """A 1.36 mg draft is within 5% of 1.34 mg (1.5%): the give card alone, info."""
    request = hook_request("order-sign", C1D1, [medication_request(dose_mg=1.36)])
    cards = post(app_client, client_key, SIGN, request).json()["cards"]
    assert not [c for c in cards if "Draft dose" in c["summary"]]
    assert cards[0]["indicator"] == "info" and "give 1.34 mg" in cards[0]["summary"]


def test_active_live_vaccine_gets_critical_card(app_client: TestClient, client_key: Any) -> None:
    """An active MedicationRequest for a live vaccine is risk X: a critical card."""
    vaccine = medication_request("measles vaccine live", rid="m1", status="active")
    request = hook_request(
        "order-sign",
        {**C1D1, "medications": searchset([vaccine])},
        [medication_request(dose_mg=1.34)],
    )
    cards = post(app_client, client_key, SIGN, request).json()["cards"]
    assert_spec_limits(cards)
    critical = [c for c in cards if c["indicator"] == "critical"]
    assert critical and "measles vaccine live" in critical[0]["summary"]


def test_cycle_2_draft_with_anc_600_gets_critical_hold(
    app_client: TestClient, client_key: Any
) -> None:
    """Cycle 1 given from 2025-12-01 (pretreatment ANC 1800); on 2026-01-05 ANC 600 < 1000: hold."""
    history = [
        administration("2025-12-01", 1.34, "a1"),
        administration("2025-12-08", 0.84, "a2"),
        administration("2025-12-15", 0.84, "a3"),
    ]
    observations = [*body("2025-11-30"), *labs("2025-11-30"), *labs("2026-01-05", anc=600)]
    request = hook_request(
        "order-sign", prefetch(observations, [], history), [medication_request(dose_mg=1.34)]
    )
    cards = post(app_client, client_key, SIGN, request).json()["cards"]
    assert_spec_limits(cards)
    decision = cards[0]
    assert decision["indicator"] == "critical"
    assert "cycle 2" in decision["summary"] and "hold" in decision["summary"]
    assert "heme.anc_gate" in decision["detail"]


def test_anc_in_10e9_per_l_is_converted_for_the_decision(
    app_client: TestClient, client_key: Any
) -> None:
    """ANC 0.6 x 10^9/L is 600/mm3: the same hold as the ANC given per microlitre."""
    history = [administration("2025-12-01", 1.34, "a1")]
    observations = [
        *body("2025-11-30"),
        *labs("2025-11-30"),
        *labs("2026-01-05", anc=0.6, anc_unit="10*9/L"),
    ]
    request = hook_request(
        "order-sign", prefetch(observations, [], history), [medication_request(dose_mg=1.34)]
    )
    cards = post(app_client, client_key, SIGN, request).json()["cards"]
    assert cards[0]["indicator"] == "critical" and "hold" in cards[0]["summary"]


def test_unknown_unit_gets_a_card_saying_so(app_client: TestClient, client_key: Any) -> None:
    """ANC in 'K/uL' (not UCUM) is never guessed: the card names the unit and no decision."""
    observations = [*body("2026-01-05"), *labs("2026-01-05", anc=1.8, anc_unit="K/uL")]
    request = hook_request("order-sign", prefetch(observations), [medication_request(dose_mg=1.34)])
    cards = post(app_client, client_key, SIGN, request).json()["cards"]
    assert_spec_limits(cards)
    assert len(cards) == 1 and "K/uL" in cards[0]["summary"] + cards[0]["detail"]
    assert "No inotuzumab decision" in cards[0]["summary"]


def test_missing_weight_gets_a_card_naming_it(app_client: TestClient, client_key: Any) -> None:
    """Without a body weight Observation the card names LOINC 29463-7 and decides nothing."""
    observations = [observation("8302-2", 170, "cm", "2026-01-05"), *labs("2026-01-05")]
    request = hook_request("order-sign", prefetch(observations), [medication_request(dose_mg=1.34)])
    cards = post(app_client, client_key, SIGN, request).json()["cards"]
    assert len(cards) == 1 and "29463-7" in cards[0]["summary"]


def test_no_prefetch_and_no_fhir_server_is_412(app_client: TestClient, client_key: Any) -> None:
    """Neither prefetch nor fhirServer: 412, naming the missing prefetch key."""
    request = hook_request("order-sign", None, [medication_request(dose_mg=1.34)])
    answer = post(app_client, client_key, SIGN, request)
    assert answer.status_code == 412
    assert answer.json()["errors"][0]["field"] == "prefetch.patient"


def test_order_select_shows_dose_plan_and_preparation(
    app_client: TestClient, client_key: Any
) -> None:
    """order-select renders the engine's dose (1.34 mg) with its vials and the cycle plan."""
    request = hook_request(
        "order-select",
        C1D1,
        [medication_request(dose_mg=1.34)],
    )
    request["context"]["selections"] = ["MedicationRequest/draft-1"]
    cards = post(app_client, client_key, "/cds-services/inocds-order-select", request).json()
    assert_spec_limits(cards["cards"])
    assert any("vial" in c["summary"] for c in cards["cards"])


def test_patient_view_shows_course_status(app_client: TestClient, client_key: Any) -> None:
    """patient-view renders today's decision and what is due today."""
    request = hook_request("patient-view", C1D1)
    cards = post(app_client, client_key, "/cds-services/inocds-patient-view", request).json()
    assert_spec_limits(cards["cards"])
    assert any(c["summary"].startswith("Due today") for c in cards["cards"])


def test_malformed_resources_get_a_card_not_an_error(
    app_client: TestClient, client_key: Any
) -> None:
    """A draft whose dosageInstruction is a string is named on a card (no 500, no decision)."""
    draft = medication_request(dose_mg=2.5)
    draft["dosageInstruction"] = "2.5 mg"
    request = hook_request("order-sign", C1D1, [draft])
    answer = post(app_client, client_key, SIGN, request)
    assert answer.status_code == 200
    cards = answer.json()["cards"]
    assert len(cards) == 1 and "dosageInstruction" in cards[0]["detail"]


@pytest.mark.parametrize(
    "body",
    [[], {"hook": "order-sign"}, {"hook": "order-sign", "hookInstance": "x", "context": []}],
)
def test_bad_hook_requests_are_422_naming_the_field(
    app_client: TestClient, client_key: Any, body: Any
) -> None:
    """A body that is not a hook request answers 422 with the contract's errors."""
    answer = post(app_client, client_key, SIGN, body)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"]


def test_draft_per_m2_is_compared_per_m2(app_client: TestClient, client_key: Any) -> None:
    """A draft of 1.0 mg/m2 on cycle 1 day 1 (protocol 0.8 mg/m2, 25% off) warns and suggests."""
    draft = medication_request()
    draft["dosageInstruction"] = [
        {
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": 1.0,
                        "unit": "mg/m2",
                        "system": "http://unitsofmeasure.org",
                        "code": "mg/m2",
                    }
                }
            ]
        }
    ]
    cards = post(app_client, client_key, SIGN, hook_request("order-sign", C1D1, [draft])).json()
    warning = next(c for c in cards["cards"] if "Draft dose" in c["summary"])
    assert "1 mg/m2" in warning["summary"] and "1.34 mg" in warning["summary"]
    rates = warning["suggestions"][0]["actions"][0]["resource"]["dosageInstruction"][0]
    assert {
        r["doseQuantity"]["code"]: r["doseQuantity"]["value"] for r in rates["doseAndRate"]
    } == {"mg/m2": 0.8, "mg": 1.34}


def test_draft_dose_in_an_unknown_unit_is_named(app_client: TestClient, client_key: Any) -> None:
    """A draft of 2.5 'milligram' (not UCUM) is not compared: a card names the unit."""
    draft = medication_request()
    draft["dosageInstruction"] = [
        {"doseAndRate": [{"doseQuantity": {"value": 2.5, "unit": "milligram"}}]}
    ]
    cards = post(app_client, client_key, SIGN, hook_request("order-sign", C1D1, [draft])).json()
    named = [c for c in cards["cards"] if "milligram" in c["summary"]]
    assert named and named[0]["indicator"] == "warning"


def test_prefetch_without_the_course_history_is_412(
    app_client: TestClient, client_key: Any
) -> None:
    """No administrations in prefetch and no fhirServer: 412, never read as a first cycle."""
    partial = {k: v for k, v in C1D1.items() if k != "administrations"}
    request = hook_request("order-sign", partial, [medication_request(dose_mg=1.34)])
    answer = post(app_client, client_key, SIGN, request)
    assert answer.status_code == 412
    assert answer.json()["errors"][0]["field"] == "prefetch.administrations"


def test_stored_patient_needs_identifier_and_birth_date(
    app_client: TestClient, client_key: Any
) -> None:
    """An EHR Patient with a stored MRN but another birth date is not taken as the stored one."""
    doc = add_user_token(app_client, "physician", "cds-match-doc")
    add_patient_with_course(app_client, doc, "MATCH-1", CYCLE_1_GIVEN)
    same = {**C1D1, "patient": patient(identifier="MATCH-1", birth_date="1970-02-03")}
    other = {**C1D1, "patient": patient(identifier="MATCH-1", birth_date="1981-07-09")}
    draft = [medication_request(dose_mg=1.34)]
    matched = post(app_client, client_key, SIGN, hook_request("order-sign", same, draft)).json()
    assert "cycle 2" in matched["cards"][0]["summary"] and matched["cards"][0]["links"]
    stranger = post(app_client, client_key, SIGN, hook_request("order-sign", other, draft)).json()
    assert "cycle 1" in stranger["cards"][0]["summary"] and "links" not in stranger["cards"][0]


def test_first_dose_draft_is_checked_even_without_labs(
    app_client: TestClient, client_key: Any
) -> None:
    """Height and weight only: no decision (labs missing, named), yet the 2.5 mg draft is
    checked against cycle 1 day 1 (0.8 mg/m2 x 1.68 m2 = 1.34 mg) with a suggestion, and
    the active live vaccine still gets its critical card."""
    request = hook_request(
        "order-sign", prefetch(body("2026-01-05")), [medication_request(dose_mg=2.5)]
    )
    cards = post(app_client, client_key, SIGN, request).json()["cards"]
    assert_spec_limits(cards)
    assert (
        cards[0]["summary"].startswith("No inotuzumab decision") and "751-8" in cards[0]["summary"]
    )
    warning = cards[1]
    assert warning["indicator"] == "warning" and "1.34 mg" in warning["summary"]
    assert warning["suggestions"][0]["actions"][0]["type"] == "update"


def test_cors_lets_browser_based_clients_call(app_client: TestClient) -> None:
    """A preflight answers 204 with CORS headers; discovery carries Allow-Origin."""
    preflight = app_client.options(
        SIGN, headers={"Origin": "https://ehr.example.org", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert app_client.get("/cds-services").headers["Access-Control-Allow-Origin"] == "*"
