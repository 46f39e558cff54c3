"""Every route of the OpenAPI document refuses strangers (401) and roles it does not admit (403).

The walk reads the routes, and each route's admitted roles (`x-roles`, computed from
its `require_roles` guard), from the application's own OpenAPI document, so routes
added later are covered without touching this file. Only the open routes are listed
here: the stateless calculators, the protocol's rules, the health check and login.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import ROLES, User
from inocds.entrypoints.api import create_app
from inocds.services.accounts import create_user
from inocds.services.auth import issue_token
from inocds.settings import Settings

OPEN_ROUTES = frozenset(
    {
        ("post", "/api/v1/dose"),
        ("post", "/api/v1/prepare"),
        ("post", "/api/v1/plan"),
        ("post", "/api/v1/assess"),
        ("post", "/api/v1/explain"),
        ("post", "/api/v1/screen"),
        ("post", "/api/v1/vial-plan"),
        ("get", "/api/v1/rules"),
        ("get", "/api/v1/rules/{rule_id}"),
        ("get", "/healthz"),
        ("post", "/api/v1/auth/token"),
    }
)
"""(method, path) of the routes open without login; every other route needs it."""

PASSWORD = "a long enough password"
_PARAMETER = re.compile(r"\{[^}]+\}")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a fresh SQLite file, migrated by its own start-up (lifespan)."""
    path: Path = tmp_path_factory.mktemp("access") / "access.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{path}", secure_cookies=False))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def login(client: TestClient) -> Callable[[str], str]:
    """A fresh bearer token for the user of a role (one user per role, made on first use).

    Fresh for every call, because a route may consume its credential (logout revokes it).
    """
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    users: dict[str, int] = {}

    def token_for(role: str) -> str:
        with transaction(factory) as session:
            if role not in users:
                users[role] = create_user(session, None, f"{role}-user", "", role, PASSWORD).id
            user = session.get(User, users[role])
            assert user is not None
            return issue_token(session, user, "route walk")

    return token_for


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.app.openapi()  # type: ignore[attr-defined]
    return [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _call(client: TestClient, method: str, path: str, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return client.request(method.upper(), _PARAMETER.sub("1", path), headers=headers)


def _fields(response: httpx.Response) -> list[str]:
    try:
        return [error["field"] for error in response.json()["errors"]]
    except (ValueError, KeyError, TypeError):
        return []


def test_every_protected_route_refuses_strangers_and_other_roles(
    client: TestClient, login: Callable[[str], str]
) -> None:
    """Each non-open route answers 401 without credentials and 403 to every role not admitted."""
    problems: list[str] = []
    walked: set[str] = set()
    for method, path, operation in _operations(client):
        if (method, path) in OPEN_ROUTES:
            continue
        walked.add(path)
        where = f"{method.upper()} {path}"
        roles = operation.get("x-roles")
        if not roles or not set(roles) <= set(ROLES):
            problems.append(f"{where}: documents no admitted roles (x-roles: {roles!r})")
            roles = list(ROLES)
        stranger = _call(client, method, path, None)
        if stranger.status_code != 401 or _fields(stranger) != ["Authorization"]:
            problems.append(f"{where} without credentials: {stranger.status_code} {stranger.text}")
        elif stranger.headers.get("WWW-Authenticate") != "Bearer":
            problems.append(f"{where} without credentials: no 'WWW-Authenticate: Bearer'")
        for role in ROLES:
            answer = _call(client, method, path, login(role))
            if role not in roles and (answer.status_code != 403 or _fields(answer) != ["role"]):
                problems.append(f"{where} as {role}: {answer.status_code}, expected 403 for role")
            if role in roles and (answer.status_code == 401 or _fields(answer) == ["role"]):
                problems.append(f"{where} as admitted {role}: {answer.status_code} {answer.text}")
    assert not problems, "\n".join(problems)
    assert {"/api/v1/users", "/api/v1/auth/me"} <= walked


def test_open_routes_exist_and_need_no_login(client: TestClient) -> None:
    """Every listed open route is in the document and never answers 401 without credentials."""
    listed = {(method, path) for method, path, _ in _operations(client)}
    assert listed >= OPEN_ROUTES
    for method, path in sorted(OPEN_ROUTES):
        assert _call(client, method, path, None).status_code != 401, f"{method} {path}"


def test_users_routes_admit_only_admins(client: TestClient) -> None:
    """The account routes are documented as admin-only (the walk then proves the 403s)."""
    document = client.app.openapi()  # type: ignore[attr-defined]
    for methods in (
        document["paths"]["/api/v1/users"],
        document["paths"]["/api/v1/users/{user_id}"],
    ):
        for operation in methods.values():
            assert operation["x-roles"] == ["admin"]


@pytest.mark.e2e
def test_patients_need_login_on_a_freshly_started_server(http: httpx.Client) -> None:
    """`GET /api/v1/patients` answers 401 with the contract's error shape on `inocds serve`."""
    answer = http.get("/api/v1/patients")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert _fields(answer) == ["Authorization"]
