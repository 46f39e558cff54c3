"""Idempotency keys: a retried POST is executed once and answered as the first time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import AuditEntry, IdempotencyRecord, User
from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.deps import CurrentUser, SessionDep
from inocds.entrypoints.api.error_handlers import install_error_handlers
from inocds.entrypoints.api.idempotency import IdempotencyMiddleware
from inocds.services import auth
from inocds.services.audit import record
from inocds.services.errors import Conflict
from inocds.services.idempotency import PENDING, request_fingerprint
from inocds.settings import Settings

ACTION = "thing.create"


class ThingIn(BaseModel):
    """A thing to create; `fail` refuses before writing, `explode` fails after writing."""

    name: str
    hold_s: float = 0.0
    fail: bool = False
    explode: bool = False


def _test_app(factory: sessionmaker[Session]) -> FastAPI:
    app = FastAPI()
    app.state.session_factory = factory
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware, wait_s=1.0, poll_s=0.02)

    @app.post("/api/v1/things", status_code=201)
    def create_thing(body: ThingIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
        if body.fail:
            raise Conflict("refused before any write", "name")
        entry = record(session, user.id, ACTION, "thing", None, None, {"name": body.name})
        if body.explode:
            raise Conflict("refused after a write", "name")
        time.sleep(body.hold_s)  # keeps the transaction open, so that duplicates overlap
        return {"id": entry.id, "name": body.name}

    return app


@pytest.fixture
def client(fresh_session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """A client of a small app whose one POST route writes an audit entry."""
    with TestClient(_test_app(fresh_session_factory)) as test_client:
        yield test_client


def _token(factory: sessionmaker[Session], user: User) -> str:
    with transaction(factory) as session:
        return auth.issue_token(session, user)


@pytest.fixture
def headers(fresh_session_factory: sessionmaker[Session], make_user: Any) -> dict[str, str]:
    """Bearer credentials of a physician."""
    user = make_user(fresh_session_factory)
    return {"Authorization": f"Bearer {_token(fresh_session_factory, user)}"}


def _executions(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == ACTION)
        return int(session.scalar(query) or 0)


def _post(client: TestClient, headers: dict[str, str], key: str | None, **body: Any) -> Any:
    extra = {} if key is None else {"Idempotency-Key": key}
    return client.post("/api/v1/things", json=body, headers={**headers, **extra})


def test_retry_replays_the_stored_answer(
    client: TestClient, headers: dict[str, str], fresh_session_factory: sessionmaker[Session]
) -> None:
    """The same key and body answer the first status and body again, executing once."""
    first = _post(client, headers, "k-1", name="a")
    again = _post(client, headers, "k-1", name="a")
    assert first.status_code == 201
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _executions(fresh_session_factory) == 1


def test_same_json_differently_spelled_is_the_same_request(
    client: TestClient, headers: dict[str, str], fresh_session_factory: sessionmaker[Session]
) -> None:
    """Key order and spacing of a JSON body do not make a retry a different request."""
    first = client.post(
        "/api/v1/things",
        content=b'{"name": "a", "hold_s": 0}',
        headers={**headers, "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    again = client.post(
        "/api/v1/things",
        content=b'{"hold_s":0,"name":"a"}',
        headers={**headers, "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert again.json() == first.json()
    assert _executions(fresh_session_factory) == 1


def test_same_key_with_another_body_is_refused(
    client: TestClient, headers: dict[str, str], fresh_session_factory: sessionmaker[Session]
) -> None:
    """Reusing a key for a different body gets 422 naming the header, and executes nothing."""
    _post(client, headers, "k-2", name="a")
    other = _post(client, headers, "k-2", name="b")
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _executions(fresh_session_factory) == 1


def test_keys_belong_to_their_user(
    client: TestClient,
    headers: dict[str, str],
    fresh_session_factory: sessionmaker[Session],
    make_user: Any,
) -> None:
    """Another user's request with the same key is a different request."""
    nurse = make_user(fresh_session_factory, role="nurse")
    other = {"Authorization": f"Bearer {_token(fresh_session_factory, nurse)}"}
    assert _post(client, headers, "shared", name="a").status_code == 201
    assert _post(client, other, "shared", name="a").status_code == 201
    assert _executions(fresh_session_factory) == 2


def test_without_a_key_every_post_executes(
    client: TestClient, headers: dict[str, str], fresh_session_factory: sessionmaker[Session]
) -> None:
    """Without the header nothing is recorded and each POST runs."""
    _post(client, headers, None, name="a")
    _post(client, headers, None, name="a")
    assert _executions(fresh_session_factory) == 2
    with fresh_session_factory() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_refusal_without_a_write_is_not_recorded(
    client: TestClient, headers: dict[str, str], fresh_session_factory: sessionmaker[Session]
) -> None:
    """A request refused before writing stores no key: its retry runs again."""
    assert _post(client, headers, "k-3", name="a", fail=True).status_code == 409
    assert _post(client, headers, "k-3", name="a", fail=True).status_code == 409
    with fresh_session_factory() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_rolled_back_write_rolls_its_key_back(
    client: TestClient, headers: dict[str, str], fresh_session_factory: sessionmaker[Session]
) -> None:
    """A request that wrote and then failed leaves neither its write nor its key behind."""
    assert _post(client, headers, "k-4", name="a", explode=True).status_code == 409
    assert _executions(fresh_session_factory) == 0
    with fresh_session_factory() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    assert _post(client, headers, "k-4", name="a", explode=True).status_code == 409


def test_concurrent_duplicates_execute_once(
    client: TestClient, headers: dict[str, str], fresh_session_factory: sessionmaker[Session]
) -> None:
    """Six simultaneous requests with one key execute once and all get the same answer."""
    answers: list[tuple[int, Any]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def send() -> None:
        try:
            barrier.wait(timeout=30)
            response = _post(client, headers, "k-race", name="a", hold_s=0.3)
            answers.append((response.status_code, response.json()))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(answers) == 6
    assert {status for status, _ in answers} == {201}
    assert len({repr(body) for _, body in answers}) == 1
    assert _executions(fresh_session_factory) == 1


def test_key_of_an_interrupted_request_is_never_rerun(
    client: TestClient,
    headers: dict[str, str],
    fresh_session_factory: sessionmaker[Session],
) -> None:
    """A key whose write committed but whose answer was lost gets 409; nothing runs again."""
    body = b'{"name":"a"}'
    with fresh_session_factory() as session:
        user_id = session.scalar(select(User.id))
    with transaction(fresh_session_factory) as session:
        session.add(
            IdempotencyRecord(
                user_id=user_id,
                key="k-lost",
                method="POST",
                path="/api/v1/things",
                request_sha256=request_fingerprint("POST", "/api/v1/things", "", body),
                status_code=PENDING,
            )
        )
    retry = _post(client, headers, "k-lost", name="a")
    assert retry.status_code == 409
    assert retry.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _executions(fresh_session_factory) == 0


def test_bad_key_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    """A key longer than 200 characters or with spaces gets 422 naming the header."""
    for key in ("x" * 201, "has space"):
        response = _post(client, headers, key, name="a")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_anonymous_request_is_left_to_the_route(
    client: TestClient, fresh_session_factory: sessionmaker[Session]
) -> None:
    """Without credentials the route answers 401 and no key is stored."""
    response = _post(client, {}, "k-anon", name="a")
    assert response.status_code == 401
    with fresh_session_factory() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_the_service_records_user_creation_once(
    fresh_database_url: str, fresh_session_factory: sessionmaker[Session], make_user: Any
) -> None:
    """Through the real application, a retried POST /api/v1/users creates one account."""
    admin = make_user(fresh_session_factory, role="admin")
    token = _token(fresh_session_factory, admin)
    body = {"username": "n.nurse", "role": "nurse", "password": "a long enough password"}
    sent = {"Authorization": f"Bearer {token}", "Idempotency-Key": "create-n.nurse"}
    with TestClient(
        create_app(Settings(database_url=fresh_database_url, secure_cookies=False))
    ) as service:
        first = service.post("/api/v1/users", json=body, headers=sent)
        again = service.post("/api/v1/users", json=body, headers=sent)
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    with fresh_session_factory() as session:
        assert session.scalar(select(func.count()).where(User.username == "n.nurse")) == 1
