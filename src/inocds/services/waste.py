"""The waste ledger: every milligram discarded, with its reason and its cost.

Entries are written where the waste happens: a vial closed with a remainder
(`unused_vial_remainder`), a prepared bag discarded (`expired_bag`, `unused_bag`,
`spill`), an order cancelled after its bag was made (`cancelled_after_preparation`).
The cost is the mg as a share of the vial at the site's price (or the protocol's
AWP, prep.vial). A monthly report sums them by reason and by course.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import (
    WASTE_REASONS,
    Course,
    Order,
    Patient,
    Preparation,
    User,
    WasteEntry,
)
from inocds.adapters.db.roles import CLINICAL_ROLES
from inocds.clinical.validation import FieldError, InputError
from inocds.protocol.loader import load_protocol
from inocds.services.access import require_role
from inocds.services.audit import record, to_json
from inocds.services.page_reads import Reads, rows_of

__all__ = [
    "REASON_LABELS",
    "WasteReport",
    "course_waste",
    "monthly_report",
    "record_cancelled_bag",
    "record_untracked_remainder",
    "record_waste",
    "report_csv",
    "report_json",
    "vial_price",
    "waste_cost",
]

REASON_LABELS = {
    "unused_vial_remainder": "Unused vial remainder",
    "expired_bag": "Expired bag",
    "unused_bag": "Bag not used",
    "cancelled_after_preparation": "Order cancelled after preparation",
    "spill": "Spill or breakage",
}
REPORT_ROLES = (*CLINICAL_ROLES, "admin")
_CENT = Decimal("0.01")


def vial_price(site_price_usd: float | None = None) -> float:
    """The price of one vial: the site's setting, else the protocol's (prep.vial)."""
    if site_price_usd is not None:
        return site_price_usd
    return load_protocol()["prep.vial"].number("price_usd_per_vial")


def waste_cost(mg: float, price_per_vial_usd: float) -> float:
    """mg as a share of one vial at its price, to the cent (half up)."""
    vial_mg = Decimal(repr(load_protocol()["prep.vial"].number("vial_mg")))
    cost = Decimal(repr(mg)) / vial_mg * Decimal(repr(price_per_vial_usd))
    return float(cost.quantize(_CENT, rounding=ROUND_HALF_UP))


def record_waste(
    session: Session,
    actor: User,
    reason: str,
    mg: float,
    occurred_at: dt.datetime,
    *,
    price_per_vial_usd: float | None = None,
    course_id: int | None = None,
    order_id: int | None = None,
    vial_id: int | None = None,
    lot: str | None = None,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> WasteEntry:
    """Writes one ledger entry (audited) in the caller's transaction."""
    if reason not in WASTE_REASONS:
        raise InputError([FieldError("reason", f"must be one of {', '.join(WASTE_REASONS)}")])
    vial_mg = load_protocol()["prep.vial"].number("vial_mg")
    if not 0 < mg <= 10 * vial_mg:
        raise InputError([FieldError("mg", f"must be above 0 and at most {10 * vial_mg:g} mg")])
    price = vial_price(price_per_vial_usd)
    entry = WasteEntry(
        occurred_at=occurred_at.astimezone(dt.UTC),
        reason=reason,
        mg=round(mg, 3),
        cost_usd=waste_cost(round(mg, 3), price),
        price_per_vial_usd=price,
        course_id=course_id,
        order_id=order_id,
        vial_id=vial_id,
        lot=lot,
        note=note,
        details=details,
        recorded_by=actor.id,
    )
    session.add(entry)
    session.flush()
    record(session, actor.id, "waste.create", "waste", entry.id, None, to_json(entry))
    return entry


def record_cancelled_bag(
    session: Session, actor: User, order: Order, now: dt.datetime
) -> WasteEntry | None:
    """The bag of an order cancelled after preparation, into the ledger (None: no bag)."""
    preparation = session.scalar(select(Preparation).where(Preparation.order_id == order.id))
    if preparation is None:
        return None
    return record_waste(
        session,
        actor,
        "cancelled_after_preparation",
        order.dose_mg,
        now,
        course_id=order.course_id,
        order_id=order.id,
        lot=", ".join(str(lot) for lot in preparation.vial_lots) or None,
        details={"preparation": to_json(preparation)},
    )


def record_untracked_remainder(
    session: Session, actor: User, order: Order, preparation: Preparation
) -> WasteEntry | None:
    """A bag made without vial records (order page, API): its vials' remainder is discarded.

    ceil(dose / 0.9) vials are opened and what they hold beyond the dose goes to the ledger
    (the single-dose vial's default, pharmacy.vial_sharing). Bags made on the pharmacy day
    record their vials instead, and a vial's remainder is ledgered when it is closed.
    """
    vial_mg = Decimal(repr(load_protocol()["prep.vial"].number("vial_mg")))
    dose = Decimal(repr(order.dose_mg))
    vials = math.ceil(dose / vial_mg)  # Decimal // truncates toward zero: ceil explicitly
    rest = vials * vial_mg - dose
    if rest <= 0:
        return None
    return record_waste(
        session,
        actor,
        "unused_vial_remainder",
        float(rest),
        preparation.diluted_at or preparation.reconstituted_at,
        course_id=order.course_id,
        order_id=order.id,
        lot=", ".join(str(lot) for lot in preparation.vial_lots) or None,
        note=f"{vials} vial(s) for {order.dose_mg:g} mg; vials not recorded on the pharmacy day",
    )


@dataclass(frozen=True)
class WasteTotals:
    """mg and USD of a group of entries."""

    key: str
    label: str
    entries: int
    mg: float
    cost_usd: float


def _totals(key: str, label: str, entries: Sequence[Any]) -> WasteTotals:
    mg = sum(Decimal(repr(e.mg)) for e in entries)
    cost = sum(Decimal(repr(e.cost_usd)) for e in entries)
    return WasteTotals(key, label, len(entries), float(mg), float(Decimal(cost).quantize(_CENT)))


def course_waste(session: Reads, actor: User, course_id: int) -> tuple[list[Row[Any]], WasteTotals]:
    """A course's ledger entries, oldest first, and their total. The entries are rows
    (read-only, every column of `WasteEntry` under its name), not ORM objects: the course
    page reads them on every request, and loading objects cost ~0.1 ms there."""
    require_role(actor, *REPORT_ROLES)
    entries = rows_of(session, _COURSE_WASTE, {"course_id": course_id})
    return entries, _totals("course", f"course {course_id}", entries)


_COURSE_WASTE = (
    select(*WasteEntry.__table__.columns)
    .where(WasteEntry.course_id == bindparam("course_id"))
    .order_by(WasteEntry.occurred_at, WasteEntry.id)
)
"""A course's ledger entries, oldest first (built once: each call only binds the course)."""


@dataclass(frozen=True)
class WasteReport:
    """One month of the ledger: every entry, totals by reason and by course."""

    month: str
    entries: list[WasteEntry]
    by_reason: list[WasteTotals]
    by_course: list[WasteTotals]
    total: WasteTotals
    course_labels: dict[int, str]


def _month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        first = dt.datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=dt.UTC)
    except ValueError:
        raise InputError([FieldError("month", f"must be a month YYYY-MM, got {month!r}")]) from None
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def monthly_report(session: Session, actor: User, month: str) -> WasteReport:
    """The ledger of `month` (YYYY-MM, UTC), by reason and by course."""
    require_role(actor, *REPORT_ROLES)
    start, end = _month_bounds(month)
    entries = list(
        session.scalars(
            select(WasteEntry)
            .where(WasteEntry.occurred_at >= start, WasteEntry.occurred_at < end)
            .order_by(WasteEntry.occurred_at, WasteEntry.id)
        )
    )
    by_reason = [
        _totals(reason, REASON_LABELS[reason], [e for e in entries if e.reason == reason])
        for reason in WASTE_REASONS
    ]
    course_ids = sorted({e.course_id for e in entries if e.course_id is not None})
    labels: dict[int, str] = {}
    if course_ids:
        rows = session.execute(
            select(Course.id, Patient.mrn, Patient.family_name)
            .join(Patient, Patient.id == Course.patient_id)
            .where(Course.id.in_(course_ids))
        )
        labels = {cid: f"course {cid} ({mrn}, {name})" for cid, mrn, name in rows}
    by_course = [
        _totals(
            str(cid), labels.get(cid, f"course {cid}"), [e for e in entries if e.course_id == cid]
        )
        for cid in course_ids
    ]
    unassigned = [e for e in entries if e.course_id is None]
    if unassigned:
        by_course.append(_totals("none", "no course (vial remainders, spills)", unassigned))
    return WasteReport(month, entries, by_reason, by_course, _totals("all", "all", entries), labels)


def report_csv(report: WasteReport) -> str:
    """The month's entries as CSV, then the totals by reason and by course."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "occurred_at_utc",
            "reason",
            "mg",
            "cost_usd",
            "price_per_vial_usd",
            "course_id",
            "order_id",
            "lot",
            "note",
        ]
    )
    for e in report.entries:
        occurred = e.occurred_at if e.occurred_at.tzinfo else e.occurred_at.replace(tzinfo=dt.UTC)
        writer.writerow(
            [
                occurred.isoformat(timespec="minutes"),
                e.reason,
                f"{e.mg:g}",
                f"{e.cost_usd:.2f}",
                f"{e.price_per_vial_usd:.2f}",
                e.course_id or "",
                e.order_id or "",
                e.lot or "",
                e.note,
            ]
        )
    writer.writerow([])
    writer.writerow(["total_by", "key", "label", "entries", "mg", "cost_usd"])
    for kind, rows in (("reason", report.by_reason), ("course", report.by_course)):
        for t in rows:
            writer.writerow([kind, t.key, t.label, t.entries, f"{t.mg:g}", f"{t.cost_usd:.2f}"])
    total = report.total
    writer.writerow(["all", "all", "all", total.entries, f"{total.mg:g}", f"{total.cost_usd:.2f}"])
    return out.getvalue()


def report_json(report: WasteReport) -> dict[str, Any]:
    """The month's ledger as JSON: totals by reason and by course, and every entry."""

    def totals(t: WasteTotals) -> dict[str, Any]:
        return {"key": t.key, "label": t.label, "entries": t.entries, "mg": t.mg, "usd": t.cost_usd}

    return {
        "month": report.month,
        "total": totals(report.total),
        "by_reason": [totals(t) for t in report.by_reason],
        "by_course": [totals(t) for t in report.by_course],
        "entries": [
            {
                "id": e.id,
                "occurred_at": (
                    e.occurred_at if e.occurred_at.tzinfo else e.occurred_at.replace(tzinfo=dt.UTC)
                ).isoformat(),
                "reason": e.reason,
                "mg": e.mg,
                "usd": e.cost_usd,
                "price_per_vial_usd": e.price_per_vial_usd,
                "course_id": e.course_id,
                "order_id": e.order_id,
                "lot": e.lot,
                "note": e.note,
            }
            for e in report.entries
        ],
    }
