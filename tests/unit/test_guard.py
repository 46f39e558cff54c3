"""The HTTP guards' answers to database trouble, and the bounded retry (issue 10)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import exc as sa_exc
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, Router
from starlette.testclient import TestClient

from inocds.entrypoints.api.guard import ATTEMPTS, RequestGuard, RetryGuard, classify


def _locked() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))


def test_passing_database_errors_answer_503_with_retry_after() -> None:
    """`database is locked` and a pool timeout: 503 with Retry-After, never 500."""
    for error in (_locked(), sa_exc.TimeoutError("QueuePool limit reached")):
        status, body, headers = classify(error)
        assert (status, headers.get("Retry-After")) == (503, "1")
        assert body["errors"][0]["field"] == "(service)"


def test_a_unique_index_race_answers_409_and_a_value_out_of_range_422() -> None:
    """IntegrityError (a concurrent writer took the row first): 409; OverflowError: 422."""
    integrity = sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE"))
    assert classify(integrity)[0] == 409
    assert classify(OverflowError("Python int too large to convert to SQLite INTEGER"))[0] == 422


def test_a_bug_answers_a_json_500_with_a_reference_and_no_traceback() -> None:
    """Any other exception: 500 whose message gives a log reference, not the exception."""
    status, body, _ = classify(RuntimeError("secret internals"))
    message = body["errors"][0]["message"]
    assert status == 500 and "reference" in message and "secret" not in message


def _app(failures: int, calls: list[int]) -> Any:
    async def endpoint(_request: Request) -> JSONResponse:
        calls.append(1)
        if len(calls) <= failures:
            raise _locked()
        return JSONResponse({"ok": True}, status_code=201)

    app = Router(routes=[Route("/w", endpoint, methods=["POST"])])  # errors propagate
    return RequestGuard(RetryGuard(app))


def test_a_locked_database_is_retried_then_answered() -> None:
    """Locked twice, then free: the third attempt answers 201 (same body each time)."""
    calls: list[int] = []
    with TestClient(_app(2, calls)) as client:
        answer = client.post("/w", json={"a": 1})
    assert (answer.status_code, len(calls)) == (201, 3)


def test_retries_are_bounded() -> None:
    """Locked on every attempt: 4 attempts in all, then 503 with Retry-After."""
    calls: list[int] = []
    with TestClient(_app(100, calls)) as client:
        answer = client.post("/w", json={"a": 1})
    assert (answer.status_code, len(calls)) == (503, ATTEMPTS)
    assert answer.headers["retry-after"] == "1"
