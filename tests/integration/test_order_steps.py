"""Order steps as a pharmacy works (issue 11, item 4) on SQLite and PostgreSQL.

Patient 170 cm / 60 kg: Mosteller sqrt(170 x 60 / 3600) = 1.683 -> 1.68 m2;
0.8 mg/m2 x 1.68 = 1.344 -> 1.34 mg. Times are on 2026-05-04, UTC+2.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import Administration, CourseEvent, Order, User, Verification
from inocds.clinical.validation import InputError
from inocds.services import courses, order_steps, orders, patients
from inocds.services.errors import Conflict

DAY1 = dt.date(2026, 5, 4)
ZONE = dt.timezone(dt.timedelta(hours=2))


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A time on DAY1 (UTC+2)."""
    return dt.datetime(2026, 5, 4, hour, minute, tzinfo=ZONE)


@pytest.fixture
def team(session_factory: sessionmaker[Session], make_user: Any) -> dict[str, User]:
    """One user per clinical role."""
    return {r: make_user(session_factory, r) for r in ("physician", "pharmacist", "nurse")}


def signed(factory: Any, team: dict[str, User]) -> tuple[int, int]:
    """A patient (170 cm / 60 kg), a course, cycle 1 day 1 signed at 07:00: (order, patient)."""
    with transaction(factory) as s:
        patient = patients.create_patient(
            s,
            team["physician"],
            patients.PatientInput(
                mrn=f"MRN-{secrets.token_hex(4)}",
                family_name="Roe",
                given_name="Al",
                birth_date=dt.date(1980, 2, 2),
                sex="male",
                height_cm=170,
                weight_kg=60,
                measured_on=DAY1,
            ),
        )
        pre = {
            "anc_per_mm3": 1500,
            "platelets_per_mm3": 70000,
            "bilirubin": {"value": 0.6, "uln": 1.2},
            "ast": {"value": 25, "uln": 40},
            "alt": {"value": 22, "uln": 40},
        }
        course = courses.create_course(s, team["physician"], patient.id, True, pre, DAY1)
        data = orders.OrderInput(1, 1, 0.8, DAY1)
        return orders.sign(s, team["physician"], course.id, data, DAY1, now=at(7)).id, patient.id


def status(factory: Any, order_id: int) -> str:
    """The order's status."""
    with transaction(factory) as s:
        order = s.get(Order, order_id)
        assert order is not None
        return order.status


def test_own_dose_verifies_blind(session_factory: Any, team: dict[str, User]) -> None:
    """The pharmacist's own 1.34 mg verifies (method "dose", no height or weight stored)."""
    order_id, _ = signed(session_factory, team)
    with transaction(session_factory) as s, pytest.raises(InputError, match="not reproduced"):
        order_steps.verify_own_dose(s, team["pharmacist"], order_id, 1.40, now=at(7, 30))
    with transaction(session_factory) as s:
        order_steps.verify_own_dose(s, team["pharmacist"], order_id, 1.34, now=at(7, 30))
    with transaction(session_factory) as s:
        found = s.scalar(select(Verification).where(Verification.order_id == order_id))
        assert found is not None
        assert (found.method, found.height_cm, found.dose_mg) == ("dose", None, 1.34)
    assert status(session_factory, order_id) == "verified"


def test_a_mismatch_returns_the_order_only_when_confirmed(
    session_factory: Any, team: dict[str, User]
) -> None:
    """170 cm / 63 kg gives 1.72 m2 and 1.38 mg: the check writes nothing; the confirmed
    return sends the order back with both results; a matching entry cannot return it."""
    order_id, _ = signed(session_factory, team)
    with transaction(session_factory) as s:
        found = order_steps.blind_check(
            s, team["pharmacist"], order_id, height_cm=170, weight_kg=63
        )
        assert not found.matches and "1.38 mg" in found.message and "1.34 mg" in found.message
    assert status(session_factory, order_id) == "signed"
    with transaction(session_factory) as s, pytest.raises(Conflict, match="reproduces"):
        order_steps.return_order(s, team["pharmacist"], order_id, height_cm=170, weight_kg=60)
    with transaction(session_factory) as s:
        order = order_steps.return_order(
            s, team["pharmacist"], order_id, height_cm=170, weight_kg=63
        )
        assert order.status == "returned" and "1.38 mg" in (order.status_reason or "")


def test_a_returned_order_is_signed_again_with_new_measurements(
    session_factory: Any, team: dict[str, User]
) -> None:
    """A new weight of 53 kg (-11.7%) returns the order; re-signed it is 170 cm / 53 kg:
    sqrt(170 x 53 / 3600) = 1.582 -> 1.58 m2, 0.8 x 1.58 = 1.264 -> 1.26 mg."""
    order_id, patient_id = signed(session_factory, team)
    with transaction(session_factory) as s:
        patients.add_measurement(s, team["nurse"], patient_id, DAY1, 170, 53)
    assert status(session_factory, order_id) == "returned"
    with transaction(session_factory) as s, pytest.raises(Conflict):
        order_steps.resign(s, team["physician"], order_id, DAY1, now=at(8))
    with transaction(session_factory) as s:
        order = order_steps.resign(
            s, team["physician"], order_id, DAY1, weight_change_acknowledged=True, now=at(8)
        )
        assert (order.status, order.weight_kg, order.bsa_m2, order.dose_mg) == (
            "signed",
            53,
            1.58,
            1.26,
        )
    with transaction(session_factory) as s:
        assert orders.verify(s, team["pharmacist"], order_id, 170, 53, now=at(8, 30)) is not None


def test_times_follow_each_other(session_factory: Any, team: dict[str, User]) -> None:
    """Verified 07:30: a bag made at 07:20 is refused; a shared vial reconstituted at 06:00
    with a dilution at 07:45 is accepted; a dose given at 06:30, before the 07:00 signature,
    is refused; at 08:00 it is given."""
    order_id, _ = signed(session_factory, team)
    with transaction(session_factory) as s:
        orders.verify(s, team["pharmacist"], order_id, 170, 60, now=at(7, 30))
    with transaction(session_factory) as s, pytest.raises(InputError) as refused:
        orders.prepare(s, team["pharmacist"], order_id, at(7, 20), False)
    assert refused.value.errors[0].field == "reconstituted_at"
    with transaction(session_factory) as s:
        orders.prepare(s, team["pharmacist"], order_id, at(6), False, at(7, 45))
    with transaction(session_factory) as s, pytest.raises(InputError, match="order was signed"):
        orders.administer(s, team["nurse"], order_id, at(6, 30), None, None, DAY1)
    with transaction(session_factory) as s:
        orders.administer(s, team["nurse"], order_id, at(8), None, None, DAY1)
    assert status(session_factory, order_id) == "administered"


def test_the_administration_is_completed_later(session_factory: Any, team: dict[str, User]) -> None:
    """Started 08:00 without an end: 09:00 and 50 mL are added, then a grade 2 reaction at
    10:00 becomes a toxicity event of the course; an end before the start is refused."""
    order_id, _ = signed(session_factory, team)
    with transaction(session_factory) as s:
        orders.verify(s, team["pharmacist"], order_id, 170, 60, now=at(7, 30))
    with transaction(session_factory) as s:
        orders.prepare(s, team["pharmacist"], order_id, at(7, 40), False, at(7, 45))
    with transaction(session_factory) as s:
        orders.administer(s, team["nurse"], order_id, at(8), None, None, DAY1)
    nurse, later = team["nurse"], at(12)
    with transaction(session_factory) as s, pytest.raises(InputError):
        order_steps.complete_administration(s, nurse, order_id, DAY1, later, ended_at=at(7, 50))
    with transaction(session_factory) as s:
        order_steps.complete_administration(
            s, nurse, order_id, DAY1, later, ended_at=at(9), volume_ml=50
        )
    with transaction(session_factory) as s, pytest.raises(Conflict):
        order_steps.complete_administration(s, nurse, order_id, DAY1, later, ended_at=at(9, 5))
    reaction = {"grade": 2, "name": "chills", "onset": at(10)}
    with transaction(session_factory) as s:
        order_steps.complete_administration(s, nurse, order_id, DAY1, later, reaction=reaction)
    with transaction(session_factory) as s:
        done = s.scalar(select(Administration).where(Administration.order_id == order_id))
        assert done is not None and done.volume_ml == 50 and done.reaction["grade"] == 2
        order = s.get(Order, order_id)
        assert order is not None
        events = s.scalars(select(CourseEvent).where(CourseEvent.course_id == order.course_id))
        kinds = [(e.type, (e.payload or {}).get("category")) for e in events]
        assert ("toxicity", "infusion_reaction") in kinds
