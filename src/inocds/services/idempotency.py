"""Idempotency keys: a retried POST is recorded once and answered as the first time.

The design, in four rules (the HTTP shell is `entrypoints/api/idempotency.py`):

1. A POST under /api/v1 with an `Idempotency-Key` header, from a logged-in user, is
   looked up by (user, key). A finished record with the same request fingerprint
   (method, path, query and body; a JSON body is compared canonically) is replayed
   without running the handler; another fingerprint gets 422 naming the header.
2. Otherwise the request runs with a `Pending` marker in a context variable. The first
   flush of a session that writes something adds an `idempotency_keys` row (status 0,
   "pending") to that flush, so the row commits or rolls back with the write itself:
   a write is never committed without its key, nor a key without its write. A request
   that writes nothing stores nothing (running it again changes nothing).
3. After the handler, the answer (status and JSON body) is written into the row, in a
   short transaction of its own: the session commits when the handler returns, before
   FastAPI renders the body, so the body cannot join that transaction. If the process
   dies in that gap (under load it includes a wait for SQLite's write lock), the row
   stays pending and a retry gets 409 saying that the first request was applied; it is
   never executed twice. While pending, the row's `response_body` names the process
   handling it (`{"pending_in": INSTANCE_ID}`), so a retry in the same process waits for
   the answer and a retry elsewhere (after a restart) gets that 409 at once.
4. A concurrent duplicate runs too, but its insert of the same (user, key) conflicts on
   the unique constraint (PostgreSQL waits for the first transaction; SQLite serializes
   writers), so its whole transaction rolls back. The shell then finds the first
   request's row, waits until it is finished, and replays it.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from inocds.adapters.db.models import IdempotencyRecord
from inocds.services.auth import user_for_session_cookie, user_for_token

__all__ = [
    "INSTANCE_ID",
    "MAX_KEY_LENGTH",
    "PENDING",
    "Pending",
    "StoredAnswer",
    "activate",
    "complete",
    "deactivate",
    "find",
    "install_flush_hook",
    "key_problem",
    "request_fingerprint",
    "user_id_for",
]

PENDING = 0
"""The `status_code` of a row whose write committed but whose answer is not stored yet."""

MAX_KEY_LENGTH = 200

INSTANCE_ID = secrets.token_hex(8)
"""This process, as named in the pending rows it writes (a restart is another process)."""


@dataclass
class Pending:
    """The idempotency key of the request being handled (mutable: set by the flush hook)."""

    user_id: int
    key: str
    fingerprint: str
    method: str
    path: str
    record_id: int | None = None
    _session: Session | None = field(default=None, repr=False)
    _row: IdempotencyRecord | None = field(default=None, repr=False)


@dataclass(frozen=True)
class StoredAnswer:
    """A stored row as the shell needs it."""

    fingerprint: str
    status_code: int
    body: Any

    @property
    def finished(self) -> bool:
        """Whether the answer is stored (not pending)."""
        return self.status_code != PENDING

    @property
    def pending_here(self) -> bool:
        """Whether the row is pending in this process (its answer may still come)."""
        return not self.finished and self.body == {"pending_in": INSTANCE_ID}


_CURRENT: contextvars.ContextVar[Pending | None] = contextvars.ContextVar(
    "inocds_idempotency", default=None
)


def key_problem(key: str) -> str | None:
    """Why `key` is not acceptable (None when it is): 1 to 200 visible ASCII characters."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return f"must have 1 to {MAX_KEY_LENGTH} characters; got {len(key)}"
    if not all("!" <= char <= "~" for char in key):
        return "must be visible ASCII characters only (no spaces)"
    return None


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """SHA-256 of the request; a JSON body counts by content, not by spacing or key order."""
    try:
        content = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        canonical = b"json:" + content.encode("utf-8")
    except (ValueError, UnicodeDecodeError):
        canonical = b"raw:" + body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def user_id_for(
    session: Session, bearer_token: str | None, cookie: str | None, csrf: str | None
) -> int | None:
    """The user a request authenticates as (bearer; else cookie with its CSRF header)."""
    if bearer_token:
        user = user_for_token(session, bearer_token)
        return None if user is None else user.id
    if cookie and csrf:
        login = user_for_session_cookie(session, cookie)
        if login is not None and login.csrf_token == csrf:
            return login.user.id
    return None


def find(session: Session, user_id: int, key: str) -> StoredAnswer | None:
    """The stored row of (user, key), if any."""
    row = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
    if row is None:
        return None
    return StoredAnswer(row.request_sha256, row.status_code, row.response_body)


def complete(session: Session, pending: Pending, status_code: int, body: Any) -> bool:
    """Stores the answer in the row this request committed; False if it did not commit one."""
    if pending.record_id is None:
        return False
    done = session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == pending.record_id,
            IdempotencyRecord.user_id == pending.user_id,
            IdempotencyRecord.key == pending.key,
            IdempotencyRecord.request_sha256 == pending.fingerprint,
            IdempotencyRecord.status_code == PENDING,
        )
        .values(status_code=status_code, response_body=body)
        .execution_options(synchronize_session=False)
    )
    return getattr(done, "rowcount", 0) == 1


def activate(pending: Pending) -> contextvars.Token[Pending | None]:
    """Marks the current context as handling `pending` (undo with `deactivate`)."""
    return _CURRENT.set(pending)


def deactivate(token: contextvars.Token[Pending | None]) -> None:
    """Ends what `activate` started."""
    _CURRENT.reset(token)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    pending = _CURRENT.get()
    if pending is None or pending._session is not None:
        return
    if not (session.new or session.dirty or session.deleted):
        return
    row = IdempotencyRecord(
        user_id=pending.user_id,
        key=pending.key,
        method=pending.method,
        path=pending.path[:300],
        request_sha256=pending.fingerprint,
        status_code=PENDING,
        response_body={"pending_in": INSTANCE_ID},
    )
    session.add(row)
    pending._session, pending._row = session, row


def _after_flush(session: Session, _context: Any) -> None:
    pending = _CURRENT.get()
    if pending is not None and pending._session is session and pending._row is not None:
        pending.record_id = pending._row.id


def _after_rollback(session: Session) -> None:
    pending = _CURRENT.get()
    if pending is not None and pending._session is session:
        pending._session, pending._row, pending.record_id = None, None, None  # gone with the write


_installed = False


def install_flush_hook() -> None:
    """Registers the session hooks of rule 2 (once per process; harmless to repeat)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_rollback", _after_rollback)
    _installed = True
