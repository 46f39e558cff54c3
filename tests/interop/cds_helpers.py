"""Helpers of the CDS Hooks tests: client JWTs, hook calls, prefetch, the spec's card limits."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from fastapi.testclient import TestClient

from tests.interop.conftest import ISSUER
from tests.interop.fhir_builders import body, labs, patient, searchset

SIGN = "/cds-services/inocds-order-sign"
INDICATORS = {"info", "warning", "critical"}


def token(key: Any, aud: str, **claims: Any) -> dict[str, str]:
    """A fresh client JWT (ES384, 5 minutes) for the service URL `aud`."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": "ehr-client",
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    signed = jwt.encode(payload, key, algorithm="ES384", headers={"kid": "ehr-key-1"})
    return {"Authorization": f"Bearer {signed}"}


def post(client: TestClient, key: Any, path: str, body: dict[str, Any]) -> Any:
    """POSTs a hook call with a fresh JWT; returns the response."""
    return client.post(path, json=body, headers=token(key, f"http://testserver{path}"))


def prefetch(
    observations: list[dict[str, Any]],
    medications: list[dict[str, Any]] | None = None,
    administrations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The prefetch of the discovery's templates (patient without a stored MRN)."""
    return {
        "patient": patient(identifier="NOT-STORED"),
        "observations": searchset(observations),
        "medications": searchset(medications or []),
        "administrations": searchset(administrations or []),
        "conditions": searchset([]),
    }


def assert_spec_limits(cards: list[dict[str, Any]]) -> None:
    """Every card: summary < 140 chars, known indicator, source label + url, rule ids in detail."""
    assert cards
    for card in cards:
        assert len(card["summary"]) <= 140
        assert card["indicator"] in INDICATORS
        assert card["source"]["label"] and card["source"]["url"].startswith("http")
        assert "**" in card.get("detail", "**")
        if card["indicator"] != "info":
            assert card["overrideReasons"]


C1D1 = prefetch([*body("2026-01-05"), *labs("2026-01-05")])
