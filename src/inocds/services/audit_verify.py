"""What `audit verify` checks beyond the chain: the anchor, and every row's audited state.

The anchor is the chain's head, `ID:HASH` of the newest entry, printed by `inocds audit
anchor` for storage outside the database (a ticket, a daily e-mail, a write-once log).
Checked later against the database, a missing anchored entry means entries at or before
it were deleted or rewritten: the way to see the newest entries deleted, which the chain
alone cannot show.

Rows: for each order, course event, patient and user, the HMAC of its stored state must
equal the `state_digest` of its last audit entry; a row without any audited state was
written outside the application, and an audited row that no longer exists was deleted
outside it.
"""

from __future__ import annotations

import hmac
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import AuditEntry
from inocds.services.audit import TRACKED, key_for, row_states, state_digest, verify

__all__ = ["anchor", "check_anchor", "check_rows", "parse_anchor", "verify_all"]

_ANCHOR = re.compile(r"^(\d{1,19}):([0-9a-f]{64})$")


def anchor(session: Session) -> str:
    """The chain's head as `ID:HASH` (`0:` and 64 zeros for an empty log)."""
    head = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    return f"0:{'0' * 64}" if head is None else f"{head.id}:{head.hash}"


def parse_anchor(text: str) -> tuple[int, str] | None:
    """(id, hash) of an anchor written `ID:HASH`, else None."""
    match = _ANCHOR.match(text.strip().lower())
    return None if match is None else (int(match.group(1)), match.group(2))


def check_anchor(session: Session, text: str) -> list[str]:
    """The problem with the anchor (empty when its entry is still there, unchanged)."""
    parsed = parse_anchor(text)
    if parsed is None:
        return [f"anchor {text!r}: not of the form ID:HASH (64 hexadecimal digits)"]
    entry_id, digest = parsed
    if entry_id == 0:
        return []
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        newest = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
        return [
            f"anchor {entry_id}: the anchored entry is gone (the log now ends at entry "
            f"{newest or 0}): the newest entries were deleted"
        ]
    if not hmac.compare_digest(entry.hash, digest):
        return [f"anchor {entry_id}: the entry's hash differs from the anchor: rewritten"]
    return []


def _last_states(session: Session) -> dict[tuple[str, int], str]:
    latest: dict[tuple[str, int], str] = {}
    rows = session.execute(
        select(AuditEntry.entity, AuditEntry.entity_id, AuditEntry.state_digest)
        .where(AuditEntry.entity.in_(tuple(TRACKED)), AuditEntry.state_digest.is_not(None))
        .order_by(AuditEntry.id)
        .execution_options(yield_per=1000)
    )
    for entity, entity_id, digest in rows:
        if entity_id is not None and digest is not None:
            latest[(entity, entity_id)] = digest
    return latest


def check_rows(session: Session) -> list[str]:
    """Every order, event, patient or user row that differs from its last audited state."""
    key = key_for(session)
    latest = _last_states(session)
    problems: list[str] = []
    for entity in TRACKED:
        present: set[int] = set()
        for state in row_states(session, entity):
            present.add(state["id"])
            digest = latest.get((entity, state["id"]))
            if digest is None:
                problems.append(
                    f"{entity} {state['id']}: no audited state (written outside the application)"
                )
            elif not hmac.compare_digest(digest, state_digest(key, entity, state)):
                problems.append(
                    f"{entity} {state['id']}: differs from its last audited state "
                    "(edited outside the application)"
                )
        for gone in sorted(i for (e, i) in latest if e == entity and i not in present):
            problems.append(
                f"{entity} {gone}: audited but missing (deleted outside the application)"
            )
    return problems


def verify_all(session: Session, anchor_text: str | None = None) -> list[str]:
    """The chain's problems, the anchor's, then the rows' (empty when all is intact)."""
    problems = verify(session)
    if anchor_text is not None:
        problems += check_anchor(session, anchor_text)
    return problems + check_rows(session)
