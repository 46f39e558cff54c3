"""The FHIR API and the CDS Hooks services through a real `inocds serve` process.

fhirclient (SMART on FHIR's Python client, R4 models) reads the FHIR API; a CDS Hooks
call without prefetch makes the service read that same FHIR API as its `fhirServer`.
Dose worked: 170 cm / 60 kg -> 1.68 m2 (Mosteller); cycle 1 day 1: 0.8 x 1.68 = 1.34 mg.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhirclient import client as fhir_client
from fhirclient.models.bundle import Bundle as R4Bundle
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from tests.e2e.servers import running_server
from tests.interop.fhir_builders import hook_request, medication_request

pytestmark = pytest.mark.e2e
PASSWORD = "a long enough password"
TODAY = dt.date.today().isoformat()


@pytest.fixture(scope="module")
def served(inocds: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real server with one physician; yields (base URL, bearer token)."""
    workdir = tmp_path_factory.mktemp("interop-server")
    env = {**os.environ, "INOCDS_DATABASE_URL": f"sqlite:///{workdir / 'interop.sqlite3'}"}
    made = subprocess.run(
        [inocds, "user", "add", "--role", "physician", "--password-stdin", "doc"],
        input=PASSWORD,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    with running_server(inocds, workdir, "interop.sqlite3") as base:
        answer = httpx.post(
            f"{base}/api/v1/auth/token", json={"username": "doc", "password": PASSWORD}
        )
        yield base, answer.json()["access_token"]


@pytest.fixture(scope="module")
def stored(served: tuple[str, str]) -> dict[str, int]:
    """A 170 cm / 60 kg patient (MRN E2E-1) with a course and today's full labs."""
    base, token = served
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
        patient = http.post(
            "/api/v1/patients",
            json={
                "mrn": "E2E-1",
                "family_name": "Doe",
                "given_name": "Jo",
                "birth_date": "1970-02-03",
                "sex": "female",
                "height_cm": 170,
                "weight_kg": 60,
                "measured_on": TODAY,
            },
        ).json()
        labs = {
            "anc_per_mm3": 1800,
            "platelets_per_mm3": 60000,
            "bilirubin": {"value": 0.8, "uln": 1.2},
            "ast": {"value": 30, "uln": 40},
            "alt": {"value": 25, "uln": 40},
        }
        course = http.post(
            f"/api/v1/patients/{patient['id']}/courses",
            json={"hsct_planned": False, "pretreatment": labs},
        ).json()
        event = http.post(
            f"/api/v1/courses/{course['id']}/events", json={"type": "labs", "date": TODAY, **labs}
        )
        assert event.status_code == 201, event.text
    return {"patient": patient["id"], "course": course["id"]}


def smart(base: str, token: str) -> Any:
    """A fhirclient FHIRClient on the server's /fhir, sending the user's bearer token."""
    app = fhir_client.FHIRClient(settings={"app_id": "inocds-e2e", "api_base": f"{base}/fhir"})
    app.server.session.headers["Authorization"] = f"Bearer {token}"
    return app


def test_fhirclient_reads_patient_observations_and_everything(
    served: tuple[str, str], stored: dict[str, int]
) -> None:
    """fhirclient reads Patient/<id>, searches ANC by LOINC and gets a valid R4 $everything."""
    base, token = served
    server = smart(base, token).server
    patient = Patient.read(str(stored["patient"]), server)
    assert patient.birthDate.isostring == "1970-02-03"
    assert patient.identifier[0].value == "E2E-1"
    search = Observation.where(
        struct={
            "patient": str(stored["patient"]),
            "code": "http://loinc.org|751-8",
            "date": f"eq{TODAY}",
        }
    )
    values = {o.valueQuantity.value for o in search.perform_resources(server)}
    assert values == {1800}
    everything = server.request_json(f"Patient/{stored['patient']}/$everything")
    R4Bundle(everything)
    Bundle.model_validate(everything)
    capability = server.request_json("metadata")
    assert capability["fhirVersion"] == "4.0.1"


def test_cds_hook_reads_the_fhir_server_when_prefetch_is_missing(
    served: tuple[str, str], stored: dict[str, int]
) -> None:
    """No prefetch: the service reads the real FHIR API, matches the stored course by MRN, and
    warns that the 2.5 mg draft is not the protocol's 1.34 mg, linking to the course page."""
    base, token = served
    request = hook_request(
        "order-sign",
        None,
        [medication_request(dose_mg=2.5)],
        fhirServer=f"{base}/fhir",
        fhirAuthorization={
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        },
    )
    request["context"]["patientId"] = str(stored["patient"])
    answer = httpx.post(f"{base}/cds-services/inocds-order-sign", json=request, timeout=60)
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    warning = next(c for c in cards if "Draft dose" in c["summary"])
    assert warning["indicator"] == "warning" and "1.34 mg" in warning["summary"]
    assert warning["suggestions"][0]["actions"][0]["type"] == "update"
    assert cards[0]["links"][0]["url"].endswith(f"/courses/{stored['course']}")


def test_cds_hook_with_part_of_prefetch_fetches_the_rest(
    served: tuple[str, str], stored: dict[str, int]
) -> None:
    """Prefetch gives only a Patient without identifiers: Observations and medications come from
    fhirServer, and the FHIR data alone yields the 1.34 mg warning."""
    base, token = served
    ehr_patient = {
        "resourceType": "Patient",
        "id": str(stored["patient"]),
        "birthDate": "1970-02-03",
        "gender": "female",
    }
    request = hook_request(
        "order-sign",
        {"patient": ehr_patient},
        [medication_request(dose_mg=2.5)],
        fhirServer=f"{base}/fhir",
        fhirAuthorization={
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        },
    )
    request["context"]["patientId"] = str(stored["patient"])
    answer = httpx.post(f"{base}/cds-services/inocds-order-sign", json=request, timeout=60)
    cards = answer.json()["cards"]
    assert any("1.34 mg" in c["summary"] and c["indicator"] == "warning" for c in cards), cards
    assert "links" not in cards[0]


def test_cds_hook_with_a_wrong_fhir_token_is_412(
    served: tuple[str, str], stored: dict[str, int]
) -> None:
    """fhirServer refuses the token (401) and there is no prefetch: 412 naming fhirServer."""
    base, _ = served
    request = hook_request(
        "order-sign",
        None,
        [medication_request(dose_mg=2.5)],
        fhirServer=f"{base}/fhir",
        fhirAuthorization={"access_token": "wrong", "token_type": "Bearer"},
    )
    request["context"]["patientId"] = str(stored["patient"])
    answer = httpx.post(f"{base}/cds-services/inocds-order-sign", json=request, timeout=60)
    assert answer.status_code == 412
    assert answer.json()["errors"][0]["field"] == "fhirServer"
