"""What the order page shows: the order, its engine decision, worksheet, clock and steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.clinical.dose import DoseRequest, dose_answer
from inocds.entrypoints.web.forms import to_local
from inocds.entrypoints.web.labels import (
    ACTION_LABELS,
    LIMIT_LABELS,
    ORDER_STATUS_LABELS,
    bedside_reminders,
    plain_words,
    time_left,
)
from inocds.services import courses, directory, order_history, orders, patients
from inocds.services.records import Order, Patient, Preparation, Session, User

__all__ = ["order_view", "worksheet"]


def worksheet(order: Order, patient: Patient) -> dict[str, Any]:
    """The pharmacy worksheet of an order: the `dose` answer for its BSA and dose."""
    request = DoseRequest(
        bsa_m2=order.bsa_m2,
        bsa_source="height_weight",
        bsa_formula=patient.bsa_formula,
        height_cm=order.height_cm,
        weight_kg=order.weight_kg,
        dose_mg_per_m2=order.dose_mg_per_m2,
        override_reason=order.override_reason,
    )
    return dose_answer(request)


def _clock(preparation: Preparation, now: dt.datetime) -> dict[str, Any]:
    clock: dict[str, Any] = {
        "start": time_left(preparation.latest_start_at, now),
        "end": time_left(preparation.latest_end_at, now),
        "removal": None,
        "dilute": None,
    }
    removal = preparation.worksheet.get("latest_removal_from_refrigerator_at")
    if isinstance(removal, str):
        clock["removal"] = time_left(dt.datetime.fromisoformat(removal), now)
    dilute = preparation.worksheet.get("latest_dilution_at")
    if preparation.diluted_at is None and isinstance(dilute, str):
        clock["dilute"] = time_left(dt.datetime.fromisoformat(dilute), now)
    return clock


def _limits(preparation: Preparation) -> list[dict[str, Any]]:
    same_day = to_local(preparation.reconstituted_at).date()
    limits = []
    for limit in preparation.worksheet.get("limits", []):
        at = to_local(dt.datetime.fromisoformat(limit["at"]))
        limits.append(
            {
                **limit,
                "at_local": at,
                "at_text": at.strftime("%H:%M" if at.date() == same_day else "%Y-%m-%d %H:%M"),
                "label": LIMIT_LABELS.get(limit["limit"], limit["limit"].replace("_", " ")),
                "message": plain_words(str(limit.get("message", ""))),
            }
        )
    return limits


def order_view(session: Session, user: User, order_id: int, now: dt.datetime) -> dict[str, Any]:
    """An order with its patient, engine decision, worksheet, clock and the steps done."""
    order = orders.get_order(session, user, order_id)
    course = courses.get_course(session, user, order.course_id)
    patient = patients.get_patient(session, user, course.patient_id)
    names = directory.display_names(session)
    steps = order_history.order_steps(session, order.id)
    preparation = steps.preparation
    decision = order.engine_decision
    return {
        "order": order,
        "course": course,
        "patient": patient,
        "status_label": ORDER_STATUS_LABELS.get(order.status, order.status),
        "decision": decision,
        "decision_label": ACTION_LABELS.get(str(decision.get("action")), decision.get("action")),
        "sheet": worksheet(order, patient),
        "verification": steps.verification,
        "preparation": preparation,
        "administration": steps.administration,
        "clock": _clock(preparation, now) if preparation else None,
        "limits": _limits(preparation) if preparation else [],
        "notes": [plain_words(str(n)) for n in preparation.worksheet.get("notes", [])]
        if preparation
        else [],
        "bedside": bedside_reminders(),
        "names": names,
        "prescriber": names.get(order.prescriber_id, "?"),
        "signed_at": to_local(order.signed_at),
    }
