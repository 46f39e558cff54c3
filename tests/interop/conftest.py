"""Interop fixtures: the app on a fresh SQLite file with a fixed clock, and signing keys."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm

from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.clock import today
from inocds.settings import Settings
from tests.integration.databases import BACKENDS, empty_database

TODAY = dt.date(2026, 1, 5)
ISSUER = "https://ehr.example.org"
RSA_ISSUER = "https://other-ehr.example.org"


@pytest.fixture(scope="module")
def client_key() -> ec.EllipticCurvePrivateKey:
    """The test EHR's own ES384 key pair (private half)."""
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    """A second EHR's RS384 key pair (private half)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def clients_file(tmp_path_factory: pytest.TempPathFactory, client_key: Any, rsa_key: Any) -> Path:
    """Trusted clients: the test EHR's ES384 key as a JWK, a second EHR's RSA key as PEM."""
    jwk = json.loads(ECAlgorithm.to_jwk(client_key.public_key()))
    jwk["kid"] = "ehr-key-1"
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    clients = [
        {"iss": ISSUER, "jwks": {"keys": [jwk]}},
        {"iss": RSA_ISSUER, "public_key_pem": pem.decode()},
    ]
    path = tmp_path_factory.mktemp("cds") / "clients.json"
    path.write_text(json.dumps({"clients": clients}))
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def app_client(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    clients_file: Path,
) -> Iterator[TestClient]:
    """The app (CDS client JWTs required) on SQLite and on PostgreSQL, its date 2026-01-05."""
    with empty_database(request.param, tmp_path_factory.mktemp("interop")) as url:
        settings = Settings(database_url=url, cds_auth="on", cds_clients_file=str(clients_file))
        app = create_app(settings)
        app.dependency_overrides[today] = lambda: TODAY
        with TestClient(app) as test_client:
            yield test_client
        app.state.engine.dispose()


PASSWORD = "a long enough password"


def add_user_token(client: TestClient, role: str, username: str) -> dict[str, str]:
    """Creates a user of `role` directly and returns its bearer header."""
    from inocds.adapters.db.engine import transaction
    from inocds.adapters.db.models import User
    from inocds.services.auth import hash_password

    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with transaction(factory) as session:
        session.add(User(username=username, role=role, password_hash=hash_password(PASSWORD)))
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def add_patient_with_course(
    client: TestClient, doc: dict[str, str], mrn: str, events: list[dict[str, Any]]
) -> tuple[int, int]:
    """A 170 cm / 60 kg patient with a course (pretreatment ANC 1800, platelets 60000)."""
    patient = client.post(
        "/api/v1/patients",
        headers=doc,
        json={
            "mrn": mrn,
            "family_name": "Roe",
            "given_name": "Al",
            "birth_date": "1970-02-03",
            "sex": "male",
            "height_cm": 170,
            "weight_kg": 60,
            "measured_on": "2025-11-30",
        },
    ).json()
    pretreatment = {
        "anc_per_mm3": 1800,
        "platelets_per_mm3": 60000,
        "bilirubin": {"value": 0.8, "uln": 1.2},
        "ast": {"value": 30, "uln": 40},
        "alt": {"value": 25, "uln": 40},
    }
    course = client.post(
        f"/api/v1/patients/{patient['id']}/courses",
        headers=doc,
        json={"hsct_planned": False, "pretreatment": pretreatment},
    ).json()
    for event in events:
        answer = client.post(f"/api/v1/courses/{course['id']}/events", headers=doc, json=event)
        assert answer.status_code == 201, answer.text
    return patient["id"], course["id"]


CYCLE_1_GIVEN = [
    {
        "type": "cycle_start",
        "date": "2025-12-01",
        "cycle": 1,
        "anc_per_mm3": 1800,
        "platelets_per_mm3": 60000,
    },
    {"type": "dose", "date": "2025-12-01", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8},
    {"type": "dose", "date": "2025-12-08", "cycle": 1, "day": 8, "dose_mg_per_m2": 0.5},
    {"type": "dose", "date": "2025-12-15", "cycle": 1, "day": 15, "dose_mg_per_m2": 0.5},
    {"type": "response", "date": "2025-12-20", "cycle": 1, "status": "CR", "mrd": "negative"},
]
"""Cycle 1 given from 2025-12-01, CR: on 2026-01-05 (day 36) cycle 2 day 1 is due."""
