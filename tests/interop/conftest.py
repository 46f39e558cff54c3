"""Interop fixtures: the app on a fresh SQLite file with a fixed clock, and signing keys."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm

from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.clock import today
from inocds.settings import Settings

TODAY = dt.date(2026, 1, 5)
ISSUER = "https://ehr.example.org"


@pytest.fixture(scope="module")
def client_key() -> ec.EllipticCurvePrivateKey:
    """The test EHR's own ES384 key pair (private half)."""
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def clients_file(tmp_path_factory: pytest.TempPathFactory, client_key: Any) -> Path:
    """The trusted clients' configuration: the test EHR's public key as a JWK."""
    jwk = json.loads(ECAlgorithm.to_jwk(client_key.public_key()))
    jwk["kid"] = "ehr-key-1"
    path = tmp_path_factory.mktemp("cds") / "clients.json"
    path.write_text(json.dumps({"clients": [{"iss": ISSUER, "jwks": {"keys": [jwk]}}]}))
    return path


@pytest.fixture(scope="module")
def app_client(
    tmp_path_factory: pytest.TempPathFactory, clients_file: Path
) -> Iterator[TestClient]:
    """The app (CDS client JWTs required) on a fresh SQLite file, its date 2026-01-05."""
    path = tmp_path_factory.mktemp("interop") / "interop.sqlite3"
    settings = Settings(
        database_url=f"sqlite:///{path}", cds_auth="on", cds_clients_file=str(clients_file)
    )
    app = create_app(settings)
    app.dependency_overrides[today] = lambda: TODAY
    with TestClient(app) as test_client:
        yield test_client
