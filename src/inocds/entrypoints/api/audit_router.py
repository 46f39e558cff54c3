"""The audit trail under /api/v1/audit: entries, the check, the head; the access log (admin)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from inocds.entrypoints.api.deps import Admin, SessionDep
from inocds.services import access_log, audit, audit_verify
from inocds.services.records import AuditEntry

__all__ = [
    "AccessPage",
    "AccessPublic",
    "AuditAnchor",
    "AuditEntryPublic",
    "AuditPage",
    "AuditVerification",
    "audit_router",
]

_log = logging.getLogger(__name__)

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
    """The check of the chain, the anchor (if given) and every audited row's state."""

    intact: bool
    entries: int
    problems: list[str]


class AuditAnchor(BaseModel):
    """The chain's head, `ID:HASH`, to keep outside the database."""

    anchor: str


class AccessPublic(BaseModel):
    """One read of patient data: when, by whom, which patient (null: a list), what."""

    id: int
    at: dt.datetime
    user_id: int | None
    patient_id: int | None
    action: str


class AccessPage(BaseModel):
    """A page of the access log, newest first."""

    offset: int
    limit: int
    entries: list[AccessPublic]


def audit_router() -> APIRouter:
    """The audit routes (admin only)."""
    router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
    _register_chain(router)
    _register_access_log(router)
    return router


def _register_chain(router: APIRouter) -> None:
    """The audit entries and their hash chain."""

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
    def verify(
        session: SessionDep,
        _admin: Admin,
        anchor: Annotated[
            str | None,
            Query(
                max_length=100, pattern=r"^\d{1,19}:[0-9a-fA-F]{64}$", examples=["42:" + "0" * 64]
            ),
        ] = None,
    ) -> AuditVerification:
        problems = audit_verify.verify_all(session, anchor)
        return AuditVerification(
            intact=not problems, entries=audit.count(session), problems=problems
        )

    @router.get("/anchor", summary="The chain's head (ID:HASH)", response_model=AuditAnchor)
    def anchor(session: SessionDep, _admin: Admin) -> AuditAnchor:
        return AuditAnchor(anchor=audit_verify.anchor(session))


def _register_access_log(router: APIRouter) -> None:
    """The access log: who read which patient's data."""

    @router.get("/access", summary="Reads of patient data, newest first", response_model=AccessPage)
    def accesses(
        request: Request,
        session: SessionDep,
        _admin: Admin,
        patient_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
        user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> AccessPage:
        try:
            request.app.state.access_log.flush()  # the reads still queued (not this one)
        except Exception:  # the writer retries on its own; answer with what is stored
            _log.exception("could not flush the access log before reading it")
        rows = access_log.list_accesses(
            session, patient_id=patient_id, user_id=user_id, offset=offset, limit=limit
        )
        return AccessPage(
            offset=offset,
            limit=limit,
            entries=[
                AccessPublic(
                    id=r.id,
                    at=r.at if r.at.tzinfo else r.at.replace(tzinfo=dt.UTC),
                    user_id=r.user_id,
                    patient_id=r.patient_id,
                    action=r.action,
                )
                for r in rows
            ],
        )
