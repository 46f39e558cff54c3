"""The access log: who read which patient's data, what and when (hospital audit controls).

Reads must stay fast, so nothing is written on the read path: `note_read` adds the
(user, patient) pair to the current request's set (a request reading one patient
five times is logged once), and when the request ends the `AccessLogMiddleware`
hands the set to the app's `AccessLogWriter`, an in-memory queue written in batches
by a background thread (every `FLUSH_INTERVAL_S`, or sooner past `BATCH_SIZE`; one
`COPY` per batch on PostgreSQL, `adapters/db/bulk.py`), and emptied on shutdown.
`what` is the request's method and path ("GET /courses/7").

Other readers of patient data (FHIR, CDS Hooks, documents) call `note_read` in their
service function, or `record_access` with their own description outside a request.
Reads outside any request (the command line) are not logged.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.bulk import append_rows
from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import AccessLogEntry

__all__ = [
    "BATCH_SIZE",
    "FLUSH_INTERVAL_S",
    "Access",
    "AccessLogWriter",
    "RequestReads",
    "current_reads",
    "list_accesses",
    "note_read",
    "record_access",
]

FLUSH_INTERVAL_S = 1.0
BATCH_SIZE = 500
MAX_QUEUED = 200_000  # past this, the oldest waiting records are dropped (and logged)

_log = logging.getLogger(__name__)
_TABLE: Table = AccessLogEntry.__table__  # type: ignore[assignment]
_COLUMNS = ("at", "user_id", "patient_id", "action")


@dataclass(frozen=True)
class Access:
    """One read: when, by whom, of which patient (None: a list of patients), what."""

    at: dt.datetime
    user_id: int | None
    patient_id: int | None
    action: str


class AccessLogWriter:
    """Queues reads and writes them in batches from a background thread."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._queue: deque[Access] = deque()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, access: Access) -> None:
        """Queues one read (never blocks on the database); starts the writer on first use."""
        with self._lock:
            if len(self._queue) >= MAX_QUEUED:
                self._queue.popleft()
                _log.error("access log queue full: the oldest waiting record was dropped")
            self._queue.append(access)
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="inocds-access-log", daemon=True
                )
                self._thread.start()
        if len(self._queue) >= BATCH_SIZE:
            self._wake.set()

    def flush(self) -> None:
        """Writes every queued read now (the admin's read API calls it first)."""
        with self._write_lock:
            while True:
                with self._lock:
                    batch = [
                        self._queue.popleft() for _ in range(min(BATCH_SIZE, len(self._queue)))
                    ]
                if not batch:
                    return
                try:
                    with transaction(self._factory) as session:
                        rows = [(a.at, a.user_id, a.patient_id, a.action) for a in batch]
                        append_rows(session, _TABLE, _COLUMNS, rows)
                except Exception:
                    with self._lock:
                        self._queue.extendleft(reversed(batch))
                    raise

    def stop(self) -> None:
        """Stops the thread after a last flush (the app's shutdown)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the database is busy or away: retried at the next tick
                _log.exception("could not write the access log; retrying")


@dataclass
class RequestReads:
    """The reads of one request, handed to the writer when it ends."""

    writer: AccessLogWriter
    action: str
    pairs: set[tuple[int | None, int | None]] = field(default_factory=set)

    def hand_over(self) -> None:
        """Queues every distinct (user, patient) read of the request."""
        at = dt.datetime.now(dt.UTC)
        for user_id, patient_id in sorted(self.pairs, key=repr):
            self.writer.put(Access(at, user_id, patient_id, self.action))


current_reads: contextvars.ContextVar[RequestReads | None] = contextvars.ContextVar(
    "inocds_request_reads", default=None
)
"""The current request's reads (set by the middleware; copied into worker threads)."""


def note_read(user_id: int | None, patient_id: int | None) -> None:
    """Notes that the current request read this patient's data (None: a patient list)."""
    reads = current_reads.get()
    if reads is not None:
        reads.pairs.add((user_id, patient_id))


def record_access(
    writer: AccessLogWriter, user_id: int | None, patient_id: int | None, what: str
) -> None:
    """Queues one read described by the caller (outside a request, or a finer `what`)."""
    writer.put(Access(dt.datetime.now(dt.UTC), user_id, patient_id, what[:200]))


def list_accesses(
    session: Session,
    *,
    patient_id: int | None = None,
    user_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[AccessLogEntry]:
    """A page of the access log, newest first, optionally for one patient or one user."""
    query = select(AccessLogEntry).order_by(AccessLogEntry.id.desc())
    if patient_id is not None:
        query = query.where(AccessLogEntry.patient_id == patient_id)
    if user_id is not None:
        query = query.where(AccessLogEntry.user_id == user_id)
    return list(session.scalars(query.offset(offset).limit(limit)))
