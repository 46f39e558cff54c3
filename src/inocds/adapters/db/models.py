"""The stored records. Course events are append-only; every write is audited.

Conventions: `id` integer primary keys; timestamps are timezone-aware UTC;
`version` columns carry optimistic concurrency (a stale write gets 409);
JSON payloads keep exactly what the user entered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inocds.adapters.db.roles import ROLES
from inocds.protocol.schema import DEFAULT_BSA_FORMULA

__all__ = [
    "ROLES",
    "AccessLogEntry",
    "Administration",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Course",
    "CourseEvent",
    "IdempotencyRecord",
    "Measurement",
    "Order",
    "Patient",
    "PharmacyVial",
    "Preparation",
    "User",
    "Verification",
    "VialDraw",
    "WasteEntry",
    "WebSession",
]

ORDER_STATUSES = ("signed", "verified", "prepared", "administered", "returned", "cancelled")
LIVE_ORDER_STATUSES = ("signed", "verified", "prepared", "administered")
"""An order in one of these states holds its course's cycle and day: one such order per dose."""
_LIVE_ORDER = text(f"status IN {LIVE_ORDER_STATUSES!r}")
_DOSE_IN_FORCE = text("dose_slot IS NOT NULL")
WASTE_REASONS = (
    "unused_vial_remainder",
    "expired_bag",
    "unused_bag",
    "cancelled_after_preparation",
    "spill",
)
VERIFICATION_METHODS = ("measurements", "dose")


def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with JSON mapped to the dialect's JSON type."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """A member of the care team (or an admin)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ApiToken(Base):
    """A bearer token for API access; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A browser session (secure cookie) and its CSRF token; the cookie is stored as SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Patient(Base):
    """A patient: identifiers, demographics and the course-document patient fields."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10))
    can_become_pregnant: Mapped[bool | None] = mapped_column(Boolean)
    bsa_formula: Mapped[str] = mapped_column(String(20), default=DEFAULT_BSA_FORMULA)
    history: Mapped[dict[str, Any]] = mapped_column(default=dict)
    diagnosis: Mapped[dict[str, Any]] = mapped_column(default=dict)
    medications: Mapped[list[Any]] = mapped_column(default=list)
    allergies: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    """Allergies as entered (drug or other, one per item); empty: none recorded."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)


class Measurement(Base):
    """Height and weight on a date (measurements over time; the latest is current)."""

    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    measured_on: Mapped[dt.date] = mapped_column(Date)
    height_cm: Mapped[float] = mapped_column(Float)
    weight_kg: Mapped[float] = mapped_column(Float)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Course(Base):
    """One course of the drug for a patient, with its pretreatment values."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    hsct_planned: Mapped[bool] = mapped_column(Boolean)
    pretreatment: Mapped[dict[str, Any]] = mapped_column()
    start_weight_kg: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)


class CourseEvent(Base):
    """A contract event as entered (append-only; a correction supersedes, never updates)."""

    __tablename__ = "course_events"
    __table_args__ = (
        Index(
            "uq_course_events_dose_slot",
            "course_id",
            "dose_slot",
            unique=True,
            sqlite_where=_DOSE_IN_FORCE,
            postgresql_where=_DOSE_IN_FORCE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("course_events.id"))
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    dose_slot: Mapped[str | None] = mapped_column(String(20), default=None)
    """"<cycle>:<day>" while this is a dose event in force; null once superseded or retracted."""
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Order(Base):
    """A signed order for one dose, with the engine's decision attached."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {ORDER_STATUSES!r}", name="ck_orders_status"),
        Index(
            "uq_orders_live_slot",
            "course_id",
            "cycle",
            "day",
            unique=True,
            sqlite_where=_LIVE_ORDER,
            postgresql_where=_LIVE_ORDER,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    scheduled_on: Mapped[dt.date] = mapped_column(Date)
    height_cm: Mapped[float] = mapped_column(Float)
    weight_kg: Mapped[float] = mapped_column(Float)
    bsa_m2: Mapped[float] = mapped_column(Float)
    dose_mg_per_m2: Mapped[float] = mapped_column(Float)
    dose_mg: Mapped[float] = mapped_column(Float)
    engine_decision: Mapped[dict[str, Any]] = mapped_column()
    override_reason: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="signed")
    status_reason: Mapped[str | None] = mapped_column(Text)
    prescriber_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Verification(Base):
    """The pharmacist's independent check: one per order (unique), made blind.

    `method` "measurements": the pharmacist's own height and weight reproduce the dose;
    "dose": the pharmacist's own dose in mg (height and weight then stay empty).
    """

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    pharmacist_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    height_cm: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(
        String(20), default="measurements", server_default="measurements"
    )
    dose_mg: Mapped[float] = mapped_column(Float)
    verified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Preparation(Base):
    """The compounding record with its beyond-use clock; one per order."""

    __tablename__ = "preparations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    pharmacist_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reconstituted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    diluted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    refrigerated: Mapped[bool] = mapped_column(Boolean)
    vial_lots: Mapped[list[Any]] = mapped_column(default=list)
    latest_start_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    latest_end_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    worksheet: Mapped[dict[str, Any]] = mapped_column()
    prepared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Administration(Base):
    """The nurse's record of the infusion; becomes the course's dose event."""

    __tablename__ = "administrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    nurse_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reaction: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    volume_ml: Mapped[float | None] = mapped_column(Float)
    """Volume infused, recorded when the infusion ends (may be completed later)."""
    dose_event_id: Mapped[int] = mapped_column(ForeignKey("course_events.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PharmacyVial(Base):
    """A reconstituted vial of the pharmacy day: its lot, when, and what was left."""

    __tablename__ = "pharmacy_vials"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot: Mapped[str] = mapped_column(String(100))
    reconstituted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    vial_mg: Mapped[float] = mapped_column(Float)
    price_usd: Mapped[float] = mapped_column(Float)
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    remainder_mg: Mapped[float | None] = mapped_column(Float)


class VialDraw(Base):
    """Milligrams drawn from one vial into one order's bag (which lot went to which bag)."""

    __tablename__ = "vial_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    vial_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_vials.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    mg: Mapped[float] = mapped_column(Float)
    ml: Mapped[float] = mapped_column(Float)
    drawn_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    bag_discarded: Mapped[bool] = mapped_column(Boolean, default=False)


class WasteEntry(Base):
    """Milligrams discarded, with the reason and their cost (the waste ledger)."""

    __tablename__ = "waste_entries"
    __table_args__ = (CheckConstraint(f"reason IN {WASTE_REASONS!r}", name="ck_waste_reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    mg: Mapped[float] = mapped_column(Float)
    cost_usd: Mapped[float] = mapped_column(Float)
    price_per_vial_usd: Mapped[float] = mapped_column(Float)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    vial_id: Mapped[int | None] = mapped_column(ForeignKey("pharmacy_vials.id"))
    lot: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """One audited write: who, when, what, before and after, hash-chained to the previous entry."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC of the audited row's stored state after this write (orders, events, patients,
    # users): `audit verify` compares every row with it (revision 0003)
    state_digest: Mapped[str | None] = mapped_column(String(64))


class AccessLogEntry(Base):
    """One read of patient data: who, which patient, what, when (written in batches)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(200))


class IdempotencyRecord(Base):
    """The stored answer of a POST carrying an Idempotency-Key, replayed on retry."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
