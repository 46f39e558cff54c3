"""The order workflow on SQLite and PostgreSQL: every transition rule of issue 5."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import CourseEvent, Order, User, Verification
from inocds.clinical.validation import InputError
from inocds.services import courses, orders, patients
from inocds.services.audit import verify as verify_audit
from inocds.services.errors import Conflict, Forbidden

DAY1 = dt.date(2026, 5, 4)
RECONSTITUTED = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
SIGNED = RECONSTITUTED.replace(hour=7)  # the order's stamps precede the preparation
VERIFIED = RECONSTITUTED.replace(hour=7, minute=30)
# counts and liver tests before the first dose (labs.missing holds a first dose without them)
PRETREATMENT = {
    "anc_per_mm3": 1500,
    "platelets_per_mm3": 70000,
    "bilirubin": {"value": 0.6, "uln": 1.2},
    "ast": {"value": 25, "uln": 40},
    "alt": {"value": 22, "uln": 40},
}


@pytest.fixture
def team(session_factory: sessionmaker[Session], make_user: Any) -> dict[str, User]:
    """One user per role, and a second physician and pharmacist."""
    return {
        "physician": make_user(session_factory, "physician"),
        "physician2": make_user(session_factory, "physician"),
        "pharmacist": make_user(session_factory, "pharmacist"),
        "pharmacist2": make_user(session_factory, "pharmacist"),
        "nurse": make_user(session_factory, "nurse"),
        "admin": make_user(session_factory, "admin"),
    }


def new_course(factory: sessionmaker[Session], physician: User, weight_kg: float = 60) -> int:
    """A patient of 170 cm / 60 kg (Mosteller 1.68 m2) with a course opened on DAY1."""
    mrn = f"MRN-{threading.get_ident()}-{dt.datetime.now().timestamp()}"
    with transaction(factory) as s:
        patient = patients.create_patient(
            s,
            physician,
            patients.PatientInput(
                mrn=mrn,
                family_name="Doe",
                given_name="Jo",
                birth_date=dt.date(1981, 9, 14),
                sex="male",
                height_cm=170,
                weight_kg=weight_kg,
                measured_on=DAY1,
            ),
        )
        course = courses.create_course(s, physician, patient.id, True, PRETREATMENT, DAY1)
        return course.id


def signed_order(factory: sessionmaker[Session], physician: User, course_id: int) -> int:
    """Cycle 1 day 1 at 0.8 mg/m2, signed on DAY1."""
    with transaction(factory) as s:
        data = orders.OrderInput(1, 1, 0.8, DAY1)
        order = orders.sign(s, physician, course_id, data, DAY1, now=SIGNED)
        return order.id


def test_sign_attaches_the_engine_decision(session_factory: Any, team: dict[str, User]) -> None:
    """0.8 mg/m2 x 1.68 m2 = 1.344 -> 1.34 mg; the engine agrees (give), so no flag."""
    course_id = new_course(session_factory, team["physician"])
    order_id = signed_order(session_factory, team["physician"], course_id)
    with transaction(session_factory) as s:
        order = s.get(Order, order_id)
        assert order is not None
        assert (order.dose_mg, order.bsa_m2, order.status) == (1.34, 1.68, "signed")
        assert order.engine_decision["action"] == "give" and order.flagged is False


def test_dose_off_by_more_than_5_percent_needs_override(
    session_factory: Any, team: dict[str, User]
) -> None:
    """0.85 is 6.25% above the engine's 0.8: refused without a reason, flagged with one."""
    course_id = new_course(session_factory, team["physician"])
    with transaction(session_factory) as s, pytest.raises(InputError) as error:
        orders.sign(s, team["physician"], course_id, orders.OrderInput(1, 1, 0.85, DAY1), DAY1)
    assert error.value.errors[0].field == "override_reason"
    with transaction(session_factory) as s:
        data = orders.OrderInput(1, 1, 0.85, DAY1, override_reason="protocol amendment")
        order = orders.sign(s, team["physician"], course_id, data, DAY1)
        assert order.flagged is True and order.override_reason == "protocol amendment"


def test_dose_within_5_percent_is_not_flagged(session_factory: Any, team: dict[str, User]) -> None:
    """0.82 is 2.5% above 0.8: within tolerance, no override needed."""
    course_id = new_course(session_factory, team["physician"])
    with transaction(session_factory) as s:
        order = orders.sign(
            s, team["physician"], course_id, orders.OrderInput(1, 1, 0.82, DAY1), DAY1
        )
        assert order.flagged is False


def test_a_dose_the_engine_does_not_allow_needs_override(
    session_factory: Any, team: dict[str, User]
) -> None:
    """Cycle 1 day 8 on day 1 is not the due dose: override required and flagged."""
    course_id = new_course(session_factory, team["physician"])
    with transaction(session_factory) as s, pytest.raises(InputError):
        orders.sign(s, team["physician"], course_id, orders.OrderInput(1, 8, 0.5, DAY1), DAY1)


def test_only_a_physician_signs(session_factory: Any, team: dict[str, User]) -> None:
    """A nurse may not sign an order."""
    course_id = new_course(session_factory, team["physician"])
    with transaction(session_factory) as s, pytest.raises(Forbidden):
        orders.sign(s, team["nurse"], course_id, orders.OrderInput(1, 1, 0.8, DAY1), DAY1)


def test_prescriber_cannot_verify_own_order(session_factory: Any, team: dict[str, User]) -> None:
    """The prescriber is refused as verifier (403)."""
    course_id = new_course(session_factory, team["physician"])
    order_id = signed_order(session_factory, team["physician"], course_id)
    with transaction(session_factory) as s, pytest.raises(Forbidden):
        orders.verify(s, team["physician"], order_id, 170, 60)


def test_verification_must_reproduce_the_dose(session_factory: Any, team: dict[str, User]) -> None:
    """170 cm / 58 kg gives 1.65 m2 and 1.32 mg, not the ordered 1.34 mg: refused."""
    course_id = new_course(session_factory, team["physician"])
    order_id = signed_order(session_factory, team["physician"], course_id)
    with transaction(session_factory) as s, pytest.raises(InputError) as error:
        orders.verify(s, team["pharmacist"], order_id, 170, 58)
    assert "not reproduced" in error.value.errors[0].message
    with transaction(session_factory) as s:
        assert orders.verify(s, team["pharmacist"], order_id, 170, 60) is not None
        order = s.get(Order, order_id)
        assert order is not None and order.status == "verified"


def test_weight_change_of_10_percent_sends_the_order_back(
    session_factory: Any, team: dict[str, User]
) -> None:
    """Course began at 60 kg; 66 kg is +10%: the order is returned, and stays returned."""
    course_id = new_course(session_factory, team["physician"])
    order_id = signed_order(session_factory, team["physician"], course_id)
    with transaction(session_factory) as s:
        assert orders.verify(s, team["pharmacist"], order_id, 170, 66) is None
    with transaction(session_factory) as s:
        order = s.get(Order, order_id)
        assert order is not None and order.status == "returned"
        with pytest.raises(Conflict):
            orders.verify(s, team["pharmacist"], order_id, 170, 60)


def test_new_measurement_with_weight_change_returns_open_orders(
    session_factory: Any, team: dict[str, User]
) -> None:
    """A new weight of 53 kg (-11.7% from 60) returns the signed order."""
    course_id = new_course(session_factory, team["physician"])
    order_id = signed_order(session_factory, team["physician"], course_id)
    with transaction(session_factory) as s:
        course = courses.get_course(s, team["nurse"], course_id)
        patients.add_measurement(s, team["nurse"], course.patient_id, DAY1, 170, 53)
    with transaction(session_factory) as s:
        order = s.get(Order, order_id)
        assert order is not None and order.status == "returned"


def prepared_order(factory: Any, team: dict[str, User]) -> int:
    """An order signed, verified and prepared (reconstituted 08:00+02:00, not refrigerated)."""
    course_id = new_course(factory, team["physician"])
    order_id = signed_order(factory, team["physician"], course_id)
    with transaction(factory) as s:
        orders.verify(s, team["pharmacist"], order_id, 170, 60, now=VERIFIED)
    with transaction(factory) as s:
        orders.prepare(s, team["pharmacist"], order_id, RECONSTITUTED, False)
    return order_id


def test_expired_preparation_cannot_be_administered(
    session_factory: Any, team: dict[str, User]
) -> None:
    """Reconstituted 08:00: end by 16:00 (8 h), so start by 15:00; 15:01 is refused."""
    order_id = prepared_order(session_factory, team)
    late = RECONSTITUTED.replace(hour=15, minute=1)
    with transaction(session_factory) as s, pytest.raises(Conflict) as error:
        orders.administer(s, team["nurse"], order_id, late, None, None, DAY1)
    assert error.value.field == "started_at"


def test_administration_becomes_the_dose_event(session_factory: Any, team: dict[str, User]) -> None:
    """Started 15:00 (the last minute): administered, and the course holds cycle 1 day 1."""
    order_id = prepared_order(session_factory, team)
    start = RECONSTITUTED.replace(hour=15)
    with transaction(session_factory) as s:
        administration = orders.administer(s, team["nurse"], order_id, start, None, None, DAY1)
        event = s.get(CourseEvent, administration.dose_event_id)
        assert event is not None and event.payload == {
            "type": "dose",
            "date": "2026-05-04",
            "cycle": 1,
            "day": 1,
            "dose_mg_per_m2": 0.8,
        }
        order = s.get(Order, order_id)
        assert order is not None
        # day 8's pre-dose liver tests (labs.missing: none since day 1 otherwise)
        liver = {k: PRETREATMENT[k] for k in ("bilirubin", "ast", "alt")}
        decision = courses.assess(
            s, team["nurse"], order.course_id, dt.date(2026, 5, 11), {"labs": liver}
        )
        assert (decision["action"], decision["day"]) == ("give", 8)


def test_transitions_follow_the_state(session_factory: Any, team: dict[str, User]) -> None:
    """A signed order cannot be prepared or given; a nurse cannot verify."""
    course_id = new_course(session_factory, team["physician"])
    order_id = signed_order(session_factory, team["physician"], course_id)
    with transaction(session_factory) as s, pytest.raises(Conflict):
        orders.prepare(s, team["pharmacist"], order_id, RECONSTITUTED, False)
    with transaction(session_factory) as s, pytest.raises(Conflict):
        orders.administer(s, team["nurse"], order_id, RECONSTITUTED, None, None, DAY1)
    with transaction(session_factory) as s, pytest.raises(Forbidden):
        orders.verify(s, team["nurse"], order_id, 170, 60)


def test_stale_version_is_refused(session_factory: Any, team: dict[str, User]) -> None:
    """Verifying with version 0 when the order is at version 1 gets Conflict and writes nothing."""
    course_id = new_course(session_factory, team["physician"])
    order_id = signed_order(session_factory, team["physician"], course_id)
    with transaction(session_factory) as s, pytest.raises(Conflict):
        orders.verify(s, team["pharmacist"], order_id, 170, 60, version=0)
    with transaction(session_factory) as s:
        count = s.scalar(select(func.count()).where(Verification.order_id == order_id))
        assert count == 0


def test_fifty_concurrent_verifications_leave_one(
    session_factory: Any, team: dict[str, User]
) -> None:
    """50 threads verify one order at once: exactly one verification, the rest refused."""
    course_id = new_course(session_factory, team["physician"])
    order_id = signed_order(session_factory, team["physician"], course_id)
    outcomes: list[str] = []
    barrier = threading.Barrier(50)

    def attempt(pharmacist: User) -> None:
        barrier.wait()
        try:
            with transaction(session_factory) as s:
                orders.verify(s, pharmacist, order_id, 170, 60, version=1)
            outcomes.append("ok")
        except Exception as error:  # every loser must fail cleanly, whatever the backend says
            outcomes.append(type(error).__name__)

    threads = [
        threading.Thread(target=attempt, args=(team["pharmacist" if i % 2 else "pharmacist2"],))
        for i in range(50)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with transaction(session_factory) as s:
        count = s.scalar(select(func.count()).where(Verification.order_id == order_id))
        order = s.get(Order, order_id)
        assert count == 1 and order is not None and order.status == "verified"
        assert verify_audit(s) == []
    assert outcomes.count("ok") == 1 and len(outcomes) == 50


def test_events_are_append_only(session_factory: Any, team: dict[str, User]) -> None:
    """A correction supersedes and a retraction withdraws; the originals stay stored."""
    course_id = new_course(session_factory, team["physician"])
    labs = {"type": "labs", "date": "2026-05-04", "anc_per_mm3": 900}
    with transaction(session_factory) as s:
        first = courses.append_event(s, team["nurse"], course_id, labs, DAY1)
        fixed = courses.append_event(
            s, team["nurse"], course_id, {**labs, "anc_per_mm3": 1900}, DAY1, first.id
        )
        courses.retract_event(s, team["nurse"], course_id, fixed.id, "wrong patient", DAY1)
        assert len(courses.all_events(s, course_id)) == 3
        assert courses.effective_events(s, course_id) == []
