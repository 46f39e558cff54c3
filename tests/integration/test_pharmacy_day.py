"""The pharmacy day on SQLite and PostgreSQL: plan, shared vials, bags, the waste ledger.

Two patients on 2026-05-04: 170 cm / 60 kg (Mosteller 1.68 m2, 0.8 mg/m2 -> 1.34 mg) and
150 cm / 45 kg (sqrt(150 x 45 / 3600) = 1.369 -> 1.37 m2, 0.8 x 1.37 = 1.096 -> 1.10 mg).
2.44 mg in all: ceil(2.44 / 0.9) = 3 vials shared, 2 + 2 = 4 without sharing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import Order, User, WasteEntry
from inocds.clinical.validation import InputError
from inocds.services import courses, orders, patients, pharmacy, waste
from inocds.services.errors import Conflict

DAY1 = dt.date(2026, 5, 4)
ZONE = dt.timezone(dt.timedelta(hours=2))
MIDNIGHT = dt.datetime(2026, 5, 4, tzinfo=ZONE)
EIGHT = MIDNIGHT.replace(hour=8)


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A time on DAY1, UTC+2."""
    return MIDNIGHT.replace(hour=hour, minute=minute)


@pytest.fixture
def team(session_factory: sessionmaker[Session], make_user: Any) -> dict[str, User]:
    """A physician, two pharmacists (verify / prepare) and a nurse."""
    return {
        "physician": make_user(session_factory, "physician"),
        "pharmacist": make_user(session_factory, "pharmacist"),
        "nurse": make_user(session_factory, "nurse"),
    }


def verified_order(factory: Any, team: dict[str, User], height: float, weight: float) -> int:
    """A new patient and course on DAY1, cycle 1 day 1 at 0.8 mg/m2 signed and verified."""
    with transaction(factory) as s:
        patient = patients.create_patient(
            s,
            team["physician"],
            patients.PatientInput(
                mrn=f"MRN-{secrets.token_hex(4)}",
                family_name="Doe",
                given_name="Jo",
                birth_date=dt.date(1981, 9, 14),
                sex="female",
                height_cm=height,
                weight_kg=weight,
                measured_on=DAY1,
            ),
        )
        pretreatment = {
            "anc_per_mm3": 1500,
            "platelets_per_mm3": 70000,
            "bilirubin": {"value": 0.6, "uln": 1.2},
            "ast": {"value": 25, "uln": 40},
            "alt": {"value": 22, "uln": 40},
        }
        course = courses.create_course(s, team["physician"], patient.id, True, pretreatment, DAY1)
        data = orders.OrderInput(1, 1, 0.8, DAY1)
        order = orders.sign(s, team["physician"], course.id, data, DAY1, now=at(7))
        order_id = order.id
    with transaction(factory) as s:
        verified = orders.verify(s, team["pharmacist"], order_id, height, weight, now=at(7))
        assert verified is not None
    return order_id


def test_the_day_shares_one_vial_and_ledgers_waste(
    fresh_session_factory: Any, make_user: Any
) -> None:
    """Plan 3 vials for 1.34 + 1.10 mg; the middle vial serves both bags; the third vial's
    remainder (3 x 0.9 - 2.44 = 0.26 mg) and an expired bag (1.10 mg) go to the ledger."""
    factory = fresh_session_factory
    team = {r: make_user(factory, r) for r in ("physician", "pharmacist", "nurse")}
    first = verified_order(factory, team, 170, 60)
    second = verified_order(factory, team, 150, 45)
    pharmacist = team["pharmacist"]
    with transaction(factory) as s:
        due = pharmacy.due_orders(s, pharmacist, DAY1)
        assert [d.order.id for d in due if d.order.id in (first, second)] != []
        plan = pharmacy.propose_plan(due, {first: at(9), second: at(10)}, "across_patients", None)
        assert (plan["vials_opened"], plan["vials_without_sharing"]) == (3, 4)
        vials = [pharmacy.open_vial(s, pharmacist, lot, at(8), at(8)).id for lot in "ABC"]
    with transaction(factory) as s:
        pharmacy.prepare_bag(
            s,
            pharmacist,
            first,
            [(vials[0], 0.9), (vials[1], 0.44)],
            False,
            at(9),
            at(9),
            "across_patients",
        )
        pharmacy.prepare_bag(
            s,
            pharmacist,
            second,
            [(vials[1], 0.46), (vials[2], 0.64)],
            False,
            at(10),
            at(10),
            "across_patients",
        )
    with transaction(factory) as s:
        states = {v.vial.id: v for v in pharmacy.vials_of_day(s, pharmacist, MIDNIGHT)}
        assert states[vials[1]].remaining_mg == 0
        assert {d.order_id for d in states[vials[1]].draws} == {first, second}
        remainder = pharmacy.close_vial(s, pharmacist, vials[2], at(12))
        assert remainder is not None and remainder.mg == 0.26
        # 0.26 / 0.9 x 27,489.60 = 7,941.44 USD
        assert remainder.cost_usd == 7941.44
    # diluted 10:00 at room temperature: 4 h to the end of the 1 h infusion
    # (prep.diluted_storage_reading), so it must start by 13:00
    with transaction(factory) as s, pytest.raises(InputError, match="usable until"):
        pharmacy.discard_bag(s, pharmacist, second, "expired_bag", "", at(12))
    with transaction(factory) as s:
        bag = pharmacy.discard_bag(s, pharmacist, second, "expired_bag", "patient late", at(13, 30))
        assert (bag.reason, bag.mg, bag.lot) == ("expired_bag", 1.1, "B, C")
        order = s.get(Order, second)
        assert order is not None and order.status == "verified"
    with transaction(factory) as s:
        report = waste.monthly_report(s, pharmacist, "2026-05")
        by_reason = {t.key: t.mg for t in report.by_reason}
        assert (by_reason["unused_vial_remainder"], by_reason["expired_bag"]) == (0.26, 1.1)
        # 0.26 + 1.10 = 1.36 mg; 7,941.44 + 1.10 / 0.9 x 27,489.60 (33,598.40) = 41,539.84 USD
        assert (report.total.mg, report.total.cost_usd) == (1.36, 41539.84)
        csv_text = waste.report_csv(report)
        assert "expired_bag,1.1,33598.40" in csv_text
        course_id = s.get(Order, second).course_id  # type: ignore[union-attr]
        entries, total = waste.course_waste(s, pharmacist, course_id)
        assert [e.reason for e in entries] == ["expired_bag"] and total.mg == 1.1


def test_policy_none_refuses_a_second_dose_from_one_vial(
    fresh_session_factory: Any, make_user: Any
) -> None:
    """Under `none` a vial that served one dose may not serve another."""
    factory = fresh_session_factory
    team = {r: make_user(factory, r) for r in ("physician", "pharmacist", "nurse")}
    first = verified_order(factory, team, 170, 60)
    second = verified_order(factory, team, 150, 45)
    pharmacist = team["pharmacist"]
    with transaction(factory) as s:
        a, b, c = (pharmacy.open_vial(s, pharmacist, lot, at(8), at(8)).id for lot in "ABC")
        pharmacy.prepare_bag(
            s, pharmacist, first, [(a, 0.9), (b, 0.44)], False, None, at(9), "none"
        )
    with transaction(factory) as s, pytest.raises(Conflict, match="policy is none"):
        pharmacy.prepare_bag(
            s, pharmacist, second, [(b, 0.46), (c, 0.64)], False, None, at(9), "none"
        )


def test_a_vial_past_four_hours_serves_no_bag(fresh_session_factory: Any, make_user: Any) -> None:
    """Reconstituted 08:00, the vial serves dilutions until 12:00; a 12:01 dilution is refused."""
    factory = fresh_session_factory
    team = {r: make_user(factory, r) for r in ("physician", "pharmacist", "nurse")}
    first = verified_order(factory, team, 170, 60)
    pharmacist = team["pharmacist"]
    with transaction(factory) as s:
        a, b = (pharmacy.open_vial(s, pharmacist, lot, at(8), at(8)).id for lot in "AB")
    with transaction(factory) as s, pytest.raises(Conflict, match="serves dilutions until"):
        pharmacy.prepare_bag(
            s, pharmacist, first, [(a, 0.9), (b, 0.44)], False, at(12, 1), at(12, 1), "none"
        )


def test_cancelling_a_prepared_order_ledgers_its_bag(
    fresh_session_factory: Any, make_user: Any
) -> None:
    """A physician cancels an order after its 1.34 mg bag was made: the bag and its vials'
    remainder are in the ledger."""
    factory = fresh_session_factory
    team = {r: make_user(factory, r) for r in ("physician", "pharmacist", "nurse")}
    first = verified_order(factory, team, 170, 60)
    with transaction(factory) as s:
        orders.prepare(s, team["pharmacist"], first, EIGHT, False)
    with transaction(factory) as s:
        orders.cancel(s, team["physician"], first, "patient admitted elsewhere")
    with transaction(factory) as s:
        course_id = s.get(Order, first).course_id  # type: ignore[union-attr]
        entries, _ = waste.course_waste(s, team["pharmacist"], course_id)
        # made on the order page: 2 vials for 1.34 mg, 2 x 0.9 - 1.34 = 0.46 mg left in them
        assert [(e.reason, e.mg) for e in entries] == [
            ("unused_vial_remainder", 0.46),
            ("cancelled_after_preparation", 1.34),
        ]
        # the rows hold what the ORM objects hold, column by column, values and types
        stored = [s.get(WasteEntry, e.id) for e in entries]
        columns = [c.key for c in WasteEntry.__table__.columns]
        assert all(e._fields == tuple(columns) for e in entries)
        as_rows = [[(getattr(e, c), type(getattr(e, c))) for c in columns] for e in entries]
        as_orm = [[(getattr(o, c), type(getattr(o, c))) for c in columns] for o in stored]
        assert as_rows == as_orm
