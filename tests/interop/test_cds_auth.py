"""CDS client authentication (JWT: signature by a configured key, aud, exp, jti) and feedback."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import AuditEntry
from inocds.services.audit import verify
from tests.interop.cds_helpers import C1D1, SIGN, post, token
from tests.interop.conftest import ISSUER, RSA_ISSUER
from tests.interop.fhir_builders import hook_request, medication_request


def test_calls_without_a_valid_jwt_are_refused(app_client: TestClient, client_key: Any) -> None:
    """No JWT, a wrong audience, an unknown key, or a replayed jti: 401."""
    request = hook_request("order-sign", C1D1, [medication_request(dose_mg=1.34)])
    assert app_client.post(SIGN, json=request).status_code == 401
    wrong_aud = token(client_key, "https://elsewhere.example/cds-services/x")
    assert app_client.post(SIGN, json=request, headers=wrong_aud).status_code == 401
    stranger = jwt.encode(
        {"iss": ISSUER, "aud": f"http://testserver{SIGN}", "iat": 0, "exp": 10**10, "jti": "x"},
        "k" * 32,
        algorithm="HS256",
    )
    headers = {"Authorization": f"Bearer {stranger}"}
    assert app_client.post(SIGN, json=request, headers=headers).status_code == 401
    once = token(client_key, f"http://testserver{SIGN}")
    assert app_client.post(SIGN, json=request, headers=once).status_code == 200
    assert app_client.post(SIGN, json=request, headers=once).status_code == 401


def test_feedback_is_recorded_in_the_audit_trail(app_client: TestClient, client_key: Any) -> None:
    """POST .../feedback stores each outcome (with its override reason) as an audit entry."""
    feedback = {
        "feedback": [
            {
                "card": "card-uuid-1",
                "outcome": "overridden",
                "overrideReason": {"reason": {"code": "clinical-judgement"}},
                "outcomeTimestamp": "2026-01-05T10:00:00Z",
            }
        ]
    }
    answer = post(app_client, client_key, f"{SIGN}/feedback", feedback)
    assert answer.status_code == 200
    factory = app_client.app.state.session_factory  # type: ignore[attr-defined]
    with transaction(factory) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "cds.feedback"))
        assert [e.after["card"] for e in entries] == ["card-uuid-1"]  # type: ignore[index]
        assert verify(session) == []  # the hash chain still holds


def test_rs384_client_key_from_pem_is_accepted(app_client: TestClient, rsa_key: Any) -> None:
    """A second EHR signing RS384 with a PEM-configured key is trusted; its key is not the
    first EHR's (a token claiming the first issuer but signed by it is refused)."""
    now = int(time.time())
    claims = {
        "iss": RSA_ISSUER,
        "aud": f"http://testserver{SIGN}",
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    request = hook_request("order-sign", C1D1, [medication_request(dose_mg=1.34)])
    good = jwt.encode(claims, rsa_key, algorithm="RS384")
    answer = app_client.post(SIGN, json=request, headers={"Authorization": f"Bearer {good}"})
    assert answer.status_code == 200
    forged = jwt.encode(
        {**claims, "iss": ISSUER, "jti": str(uuid.uuid4())}, rsa_key, algorithm="RS384"
    )
    answer = app_client.post(SIGN, json=request, headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401


def test_token_living_longer_than_five_minutes_is_refused(
    app_client: TestClient, client_key: Any
) -> None:
    """exp 10 minutes after iat exceeds the spec's 5 minutes (protocol/interop.toml): 401."""
    request = hook_request("order-sign", C1D1, [medication_request(dose_mg=1.34)])
    headers = token(client_key, f"http://testserver{SIGN}", exp=int(time.time()) + 600)
    assert app_client.post(SIGN, json=request, headers=headers).status_code == 401
