"""The audit trail under /api/v1/audit: a page of entries, and the chain's check (admin)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from inocds.entrypoints.api.deps import SessionDep, require_roles
from inocds.services import audit
from inocds.services.records import AuditEntry, User

__all__ = ["AuditEntryPublic", "AuditPage", "AuditVerification", "audit_router"]

Admin = Annotated[User, Depends(require_roles("admin"))]
"""The logged-in user, who must be an admin."""


class AuditEntryPublic(BaseModel):
    """One audited write: who, when, what, before and after, and its place in the chain."""

    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryPublic:
        """The public view of `entry` (`at` in UTC)."""
        at = entry.at if entry.at.tzinfo is not None else entry.at.replace(tzinfo=dt.UTC)
        return cls(
            id=entry.id,
            at=at,
            actor_id=entry.actor_id,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            before=entry.before,
            after=entry.after,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class AuditPage(BaseModel):
    """A page of entries, newest first, with the total count."""

    total: int
    offset: int
    limit: int
    entries: list[AuditEntryPublic]


class AuditVerification(BaseModel):
    """The result of checking the hash chain: intact, or every problem found."""

    intact: bool
    entries: int
    problems: list[str]


def audit_router() -> APIRouter:
    """The audit routes (admin only)."""
    router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

    @router.get("", summary="Audit entries, newest first", response_model=AuditPage)
    def list_entries(
        session: SessionDep,
        _admin: Admin,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> AuditPage:
        entries = audit.list_entries(session, offset, limit)
        return AuditPage(
            total=audit.count(session),
            offset=offset,
            limit=limit,
            entries=[AuditEntryPublic.of(e) for e in entries],
        )

    @router.get(
        "/verify",
        summary="Check the hash chain for edited, inserted or deleted entries",
        response_model=AuditVerification,
    )
    def verify(session: SessionDep, _admin: Admin) -> AuditVerification:
        problems = audit.verify(session)
        return AuditVerification(
            intact=not problems, entries=audit.count(session), problems=problems
        )

    return router
