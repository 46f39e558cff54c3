"""The stored course as the engine reads it: one query, and each version parsed once.

`parsed_course(session, actor, course_id, today, flags)` answers what
`parse_course(courses.course_document(...))` answers, faster:

- one query reads the course, its patient, the measurement in force on `today` (the
  latest on or before it, else the latest of all) and the newest event id and the
  number of event rows of the course (the *head*);
- the key of the parsed document is (course id, newest event id, event rows, the stored
  values the patient block is made of - JSON columns as their stored text -, today's
  block): every value the document is made of, or (for the events, which are
  append-only: a correction or a retraction is a new row) the row that changes with it;
  the patient block is built from the row (JSON decoded) only when the key is unknown;
- a known key answers the parsed `CourseDocument` of the cache (`_Cache`, per process,
  least recently used out first); an unknown one loads the events (in entry order, one
  query), parses and validates the document strictly as `parse_course` always does,
  and keeps it when the loaded rows are the ones the head counted (a concurrent write
  between the two reads is parsed, answered, and not kept).

Exactness: a new event, correction or retraction adds a row (newest id and count
change); a patient edit, a new measurement or another date changes the block's stored
values;
other flags change today's block. Nothing is kept that the database no longer says.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Date, Text, and_, bindparam, cast, func, select
from sqlalchemy.orm import Session

from inocds.adapters.db.engine import make_read_engine
from inocds.adapters.db.models import ApiToken, Course, CourseEvent, Measurement, Patient, User
from inocds.adapters.db.quick_read import READ_POOL_SIZE, AnySelect, QuickReads, ReadUnavailable
from inocds.adapters.db.roles import CLINICAL_ROLES
from inocds.clinical.assess import assess_course
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.validation import InputError
from inocds.services.access import require_role
from inocds.services.access_log import note_read
from inocds.services.auth import token_digest
from inocds.services.errors import NotFound, ServiceError
from inocds.services.patient_block import patient_block

__all__ = [
    "CACHE_SIZE",
    "READ_THREADS",
    "assess_for_token",
    "cache_info",
    "clear_cache",
    "parsed_course",
    "stored_reads",
]

CACHE_SIZE = 512
"""Parsed course documents kept per process (each a few kilobytes)."""
READ_THREADS = READ_POOL_SIZE
"""Threads that may call `assess_for_token` at once without waiting for a connection."""


class _Cache:
    """A bounded map of parsed documents, least recently used out first (thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[bytes, CourseDocument] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> CourseDocument | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: bytes, document: CourseDocument) -> None:
        with self._lock:
            self._items[key] = document
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


_CACHE = _Cache(CACHE_SIZE)


def clear_cache() -> None:
    """Forgets every parsed document of this process (tests)."""
    _CACHE.clear()


def cache_info() -> dict[str, int]:
    """Hits, misses and entries of this process's cache."""
    return {"hits": _CACHE.hits, "misses": _CACHE.misses, "entries": len(_CACHE._items)}


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _measurement_id(dated: bool) -> Any:
    """The id of the patient's latest measurement (on or before :on when `dated`)."""
    query = select(Measurement.id).where(Measurement.patient_id == Course.patient_id)
    if dated:
        query = query.where(Measurement.measured_on <= bindparam("on", type_=Date))
    ordered = query.order_by(Measurement.measured_on.desc(), Measurement.id.desc()).limit(1)
    return ordered.correlate(Course).scalar_subquery()


_JSON_COLUMNS = ("pretreatment", "history", "medications", "diagnosis")
"""Read as their stored text (the key), decoded only to build a document (a miss)."""
DOCUMENT_COLUMNS = (
    "hsct_planned",
    "pretreatment",
    "birth_date",
    "sex",
    "history",
    "medications",
    "bsa_formula",
    "can_become_pregnant",
    "diagnosis",
    "height_cm",
    "weight_kg",
)
"""The head's columns the patient block is made of (all of them are in the key)."""


def _head_query() -> AnySelect:
    """The course, patient and measurement columns of the document (JSON ones as text),
    newest event, rows (parameters: course_id, on)."""
    newest = select(func.max(CourseEvent.id)).where(CourseEvent.course_id == Course.id)
    rows = select(func.count(CourseEvent.id)).where(CourseEvent.course_id == Course.id)
    measured = func.coalesce(_measurement_id(True), _measurement_id(False))
    return (
        select(
            Course.patient_id,
            Course.hsct_planned,
            cast(Course.pretreatment, Text).label("pretreatment"),
            Patient.birth_date,
            Patient.sex,
            cast(Patient.history, Text).label("history"),
            cast(Patient.medications, Text).label("medications"),
            Patient.bsa_formula,
            Patient.can_become_pregnant,
            cast(Patient.diagnosis, Text).label("diagnosis"),
            Measurement.height_cm,
            Measurement.weight_kg,
            newest.correlate(Course).scalar_subquery().label("newest_event"),
            rows.correlate(Course).scalar_subquery().label("event_rows"),
        )
        .join(Patient, Patient.id == Course.patient_id)
        .outerjoin(Measurement, Measurement.id == measured)
        .where(Course.id == bindparam("course_id"))
    )


# Built once: a statement object reused keeps SQLAlchemy's cache key, so each call only
# binds its values (rebuilding the statement per request was a tenth of the request).
_HEAD = _head_query()
_VERIFIED_HEAD = (
    _head_query()
    .add_columns(User.id.label("user_id"), User.role, User.active, ApiToken.expires_at)
    .join(
        ApiToken,
        and_(ApiToken.token_sha256 == bindparam("digest"), ApiToken.revoked.is_(False)),
    )
    .join(User, User.id == ApiToken.user_id)
)
_EVENTS = (
    select(CourseEvent.id, CourseEvent.payload, CourseEvent.supersedes_id, CourseEvent.retracted)
    .where(CourseEvent.course_id == bindparam("course_id"))
    .order_by(CourseEvent.id)
)


def _patient_block(head: Any) -> dict[str, Any]:
    """The course document's patient (as `courses.course_document` writes it), from the
    head with its JSON columns decoded (as the JSON type decodes them: `json.loads`)."""
    values = {name: getattr(head, name) for name in DOCUMENT_COLUMNS}
    for name in _JSON_COLUMNS:
        text = values[name]
        values[name] = json.loads(text) if text is not None else None
    row = SimpleNamespace(**values)
    return patient_block(row, row, row)


def _key(course_id: int, head: Any, today: dict[str, Any]) -> bytes:
    """Everything the parsed document depends on, as bytes (b"" when it cannot be keyed):
    the stored values of the patient block (JSON as its stored text: equal text, equal
    value), the event head and today's block."""
    stored = [getattr(head, name) for name in DOCUMENT_COLUMNS]
    try:
        return orjson.dumps(
            [course_id, head.newest_event, head.event_rows, stored, today],
            option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
        )
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        return b""


EventRows = Callable[[int], Sequence[Any]]
"""The course's event rows (id, payload, supersedes_id, retracted) in entry order."""


def _session_events(session: Session) -> EventRows:
    return lambda course_id: session.connection().execute(_EVENTS, {"course_id": course_id}).all()


def _events(load: EventRows, course_id: int) -> tuple[list[dict[str, Any]], int | None, int]:
    """The payloads of the events in force, in entry order; the newest row id; the rows."""
    rows = load(course_id)
    replaced = {r.supersedes_id for r in rows if r.supersedes_id is not None}
    payloads = [
        dict(r.payload)
        for r in rows
        if r.id not in replaced and not r.retracted and r.payload is not None
    ]
    return payloads, (rows[-1].id if rows else None), len(rows)


def _document(
    load: EventRows, course_id: int, head: Any, today: dt.date, flags: dict[str, Any] | None
) -> CourseDocument:
    """The parsed document of the course whose head was read: from the cache, else parsed."""
    if head.height_cm is None:
        raise NotFound(
            f"patient {head.patient_id} has no height and weight recorded", "measurements"
        )
    today_block = {"date": today.isoformat(), **(flags or {})}
    key = _key(course_id, head, today_block)
    cached = _CACHE.get(key) if key else None
    if cached is not None:
        return cached
    events, newest, rows = _events(load, course_id)
    block = _patient_block(head)
    document = parse_course({"patient": block, "events": events, "today": today_block})
    if key and (newest, rows) == (head.newest_event, head.event_rows):
        _CACHE.put(key, document)
    return document


def parsed_course(
    session: Session,
    actor: User,
    course_id: int,
    today: dt.date,
    flags: dict[str, Any] | None = None,
) -> CourseDocument:
    """The parsed, validated course document of the stored course on `today` (module doc).

    Raises Forbidden (not a clinical role), NotFound (no course; no measurement) or
    InputError (the stored course and today's values do not make a valid document).
    """
    require_role(actor, *CLINICAL_ROLES)
    if session.autoflush:  # the Core queries below do not flush by themselves as ORM ones do
        session.flush()
    head = session.connection().execute(_HEAD, {"course_id": course_id, "on": today}).first()
    if head is None:
        raise NotFound(f"no course {course_id}", "course_id")
    note_read(actor.id, head.patient_id)
    return _document(_session_events(session), course_id, head, today, flags)


def stored_reads(database_url: str) -> QuickReads | None:
    """The quick reads `assess_for_token` needs, on a pool of their own (None for an
    in-memory SQLite database: the ordinary route answers there)."""
    engine = make_read_engine(database_url)
    return QuickReads(engine) if engine is not None else None


def _refused(head: Any) -> bool:
    """An inactive user, a role that may not assess, or an expired token."""
    return (
        not head.active
        or head.role not in CLINICAL_ROLES
        or _aware(head.expires_at) <= dt.datetime.now(dt.UTC)
    )


def assess_for_token(
    reads: QuickReads,
    token: str,
    course_id: int,
    today: dt.date,
    flags: dict[str, Any],
) -> dict[str, Any] | None:
    """The engine's decision for a stored course asked with a bearer token: for a course
    version already parsed, one query (token, user, course, patient, measurement and event
    head together) on a pooled autocommit connection of `reads` (`quick_read.py`: one
    round trip, no session). The token is checked against the database on every call, so
    a revoked or expired token or a deactivated user is refused at once.

    None when the answer is anything but a plain decision (unknown, revoked or expired
    token, inactive user, a role other than the clinical ones, no such course, no
    measurement, an invalid document, no connection or a failed query): the caller then
    asks the ordinary route, whose answer (401, 403, 404, 422, 503) is the one to send.
    """
    values = {"course_id": course_id, "on": today, "digest": token_digest(token)}
    try:
        with reads.cursor() as cursor:
            head = cursor.first(_VERIFIED_HEAD, values)
            if head is None or _refused(head):  # no such token (or revoked), or course
                return None
            note_read(head.user_id, head.patient_id)
            load: EventRows = lambda course: cursor.all(_EVENTS, {"course_id": course})  # noqa: E731
            document = _document(load, course_id, head, today, flags)
        return assess_course(document).to_dict()
    except (ServiceError, InputError, ReadUnavailable):
        return None
