"""The audit trail: every write appended as an HMAC-chained entry; `verify` finds tampering.

Each entry's `hash` is the HMAC-SHA256, under the audit key (kept outside the database:
`adapters/db/audit_key.py`), of the canonical JSON (sorted keys, no spaces, UTF-8) of
`[prev_hash, at, actor_id, action, entity, entity_id, before, after, state_digest]`,
where `at` is ISO 8601 in UTC with microseconds and `prev_hash` is the hash of the
entry before it (64 zeros for the first). Changing a stored entry breaks its own
hash; deleting or inserting one breaks the link of the entry after it; without the
key nobody can write an entry that verifies, not even at the end. Deleting the newest
entries is seen against an anchor, the head printed by `inocds audit anchor` and kept
elsewhere (`audit_verify.py`).

`state_digest` is the HMAC of the audited row's stored state (every column, as read
back from the database after the write) for orders, course events, patients and
users; `audit verify` compares each such row with its last audited state, so an edit
made outside the application is reported.

Appends are serialized so the chain never forks: on PostgreSQL a transaction-scoped
advisory lock is taken before the last hash is read (READ COMMITTED, the default,
then sees every committed entry); on SQLite a no-op write takes the database's
write lock first (writers are serialized until commit). The lock is held until the
caller's transaction ends, so the entry commits or rolls back with the write it
describes.

Entries written before revision 0003 carry a keyless SHA-256; they are accepted only
as the oldest part of the chain, before the first keyed entry.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from inocds.adapters.db.audit_key import audit_key
from inocds.adapters.db.models import AuditEntry, Base, CourseEvent, Order, Patient, User
from inocds.settings import load_settings

__all__ = [
    "GENESIS_HASH",
    "TRACKED",
    "count",
    "entry_hash",
    "key_for",
    "legacy_hash",
    "list_entries",
    "record",
    "row_state",
    "row_states",
    "state_digest",
    "to_json",
    "verify",
]

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first entry."""

_PG_LOCK_KEY = 0x696E6F6364735F61  # "inocds_a": the advisory lock guarding the chain's head

TRACKED: dict[str, type[Base]] = {
    "order": Order,
    "course_event": CourseEvent,
    "patient": Patient,
    "user": User,
}
"""The audited entities whose rows `verify` compares with their last audited state."""


def _utc_iso(value: dt.datetime) -> str:
    """ISO 8601 in UTC with microseconds; a naive value (SQLite reads them back so) is UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _utc_iso(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"cannot store {type(value).__name__} in the audit trail")


def _normalize(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the JSON column gives back: exactly what is hashed, so `verify` agrees."""
    if document is None:
        return None
    normal: dict[str, Any] = json.loads(json.dumps(document, default=_jsonable, allow_nan=False))
    return normal


def to_json(obj: Any) -> dict[str, Any]:
    """A snapshot of a mapped row: every column by attribute name, as JSON values."""
    mapper = inspect(obj).mapper
    snapshot = {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs}
    normal = _normalize(snapshot)
    assert normal is not None
    return normal


def key_for(session: Session) -> bytes:
    """The audit key of the session's database (INOCDS_AUDIT_KEY, else its key file)."""
    settings = load_settings()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    url = engine.url.render_as_string(hide_password=False)
    return audit_key(url, settings.audit_key, settings.audit_key_dir)


def _canonical(values: list[Any]) -> bytes:
    return json.dumps(
        values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def entry_hash(
    prev_hash: str,
    at: dt.datetime,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    key: bytes,
    state_digest: str | None = None,
) -> str:
    """The HMAC-SHA256 (hex) under `key` of an entry's canonical JSON."""
    values = [prev_hash, _utc_iso(at), actor_id, action, entity, entity_id, before, after]
    return hmac.new(key, _canonical([*values, state_digest]), hashlib.sha256).hexdigest()


def legacy_hash(
    prev_hash: str,
    at: dt.datetime,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> str:
    """The keyless SHA-256 of entries written before revision 0003."""
    values = [prev_hash, _utc_iso(at), actor_id, action, entity, entity_id, before, after]
    return hashlib.sha256(_canonical(values)).hexdigest()


def row_state(session: Session, entity: str, entity_id: int) -> dict[str, Any] | None:
    """The stored row of a tracked entity, every column as JSON (None: no such row)."""
    table = TRACKED[entity].__table__
    row = session.execute(select(table).where(table.c.id == entity_id)).mappings().first()
    return None if row is None else _normalize(dict(row))


def row_states(session: Session, entity: str) -> Iterator[dict[str, Any]]:
    """Every stored row of a tracked entity, as `row_state` gives one, by id."""
    table = TRACKED[entity].__table__
    query = select(table).order_by(table.c.id).execution_options(yield_per=500)
    for row in session.execute(query).mappings():
        state = _normalize(dict(row))
        assert state is not None
        yield state


def state_digest(key: bytes, entity: str, state: dict[str, Any]) -> str:
    """The HMAC-SHA256 (hex) of a row's state, as stored in its audit entry."""
    return hmac.new(key, _canonical([entity, state]), hashlib.sha256).hexdigest()


def _lock_chain(session: Session) -> None:
    """Holds the chain's head until the transaction ends (see the module docstring)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Appends one entry in the caller's transaction (flushed; committed by the caller)."""
    _lock_chain(session)
    key = key_for(session)
    digest = None
    if entity in TRACKED and entity_id is not None:
        state = row_state(session, entity, entity_id)
        digest = None if state is None else state_digest(key, entity, state)
    last = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev_hash = last or GENESIS_HASH
    at = dt.datetime.now(dt.UTC)
    before, after = _normalize(before), _normalize(after)
    mac = entry_hash(
        prev_hash,
        at,
        actor_id,
        action,
        entity,
        entity_id,
        before,
        after,
        key=key,
        state_digest=digest,
    )
    entry = AuditEntry(
        at=at,
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        prev_hash=prev_hash,
        hash=mac,
        state_digest=digest,
    )
    session.add(entry)
    session.flush()
    return entry


def _sealed(entry: AuditEntry, key: bytes, legacy_allowed: bool) -> tuple[bool, bool]:
    """(the entry's hash is right, it is a keyless entry of before revision 0003)."""
    fields = (
        entry.prev_hash,
        entry.at,
        entry.actor_id,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.before,
        entry.after,
    )
    keyed = entry_hash(*fields, key=key, state_digest=entry.state_digest)
    if hmac.compare_digest(keyed, entry.hash):
        return True, False
    if legacy_allowed and entry.state_digest is None:
        return hmac.compare_digest(legacy_hash(*fields), entry.hash), True
    return False, False


def verify(session: Session) -> list[str]:
    """Every problem of the chain, in id order (empty when intact)."""
    key = key_for(session)
    legacy_allowed = True
    problems: list[str] = []
    seen: dict[str, int] = {GENESIS_HASH: 0}
    prev_id: int | None = None
    prev_hash = GENESIS_HASH
    rows = session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=500)
    )
    for entry in rows.scalars():
        sealed, legacy = _sealed(entry, key, legacy_allowed)
        legacy_allowed = legacy_allowed and legacy
        if not sealed:
            problems.append(
                f"entry {entry.id}: edited or forged (its contents do not match its HMAC)"
            )
        if entry.prev_hash != prev_hash:
            after_what = f"entry {prev_id}" if prev_id is not None else "the start of the log"
            linked = seen.get(entry.prev_hash)
            if linked is not None:
                target = f"entry {linked}" if linked else "the genesis hash"
                problems.append(
                    f"entry {entry.id}: inserted (links to {target}, not to {after_what})"
                )
            else:
                problems.append(
                    f"entry {entry.id}: an entry is missing between {after_what} and it "
                    "(deleted, or the entry before it rewritten with a new hash)"
                )
        seen.setdefault(entry.hash, entry.id)
        prev_id, prev_hash = entry.id, entry.hash
    return problems


def count(session: Session) -> int:
    """How many entries the log holds."""
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def list_entries(session: Session, offset: int = 0, limit: int = 50) -> list[AuditEntry]:
    """A page of entries, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    return list(session.scalars(query))
