"""The course page's reads as rows (services/course_page.py `_course_patient`,
services/waste.py `course_waste`), on SQLite and PostgreSQL: each holds what the ORM
object of that row holds, column by column, values and types; refusals are unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.conftest import MakeUser
from tests.integration.test_course_page_cache import _api, _course, client

from inocds.adapters.db.models import Course, Measurement, Patient, User
from inocds.services import course_page
from inocds.services.errors import Forbidden, NotFound

__all__ = ["client"]  # the fixture, shared with test_course_page_cache

Factory = sessionmaker[Session]


def _columns(found: Any, model: Any) -> list[tuple[Any, type]]:
    return [(getattr(found, c.key), type(getattr(found, c.key))) for c in model.__table__.columns]


def test_course_patient_rows_are_the_orm_objects(
    client: TestClient, session_factory: Factory, make_user: MakeUser
) -> None:
    user = make_user(session_factory, "physician")
    patient_id, course_id = _course(client, _api(client, user.username), "ROWS-1")
    with session_factory() as session:
        actor = session.scalars(select(User).where(User.id == user.id)).one()
        course, patient, measurement = course_page._course_patient(session, actor, course_id)
        latest = session.scalars(
            select(Measurement)
            .where(Measurement.patient_id == patient_id)
            .order_by(Measurement.measured_on.desc(), Measurement.id.desc())
        ).first()
        assert _columns(course, Course) == _columns(session.get(Course, course_id), Course)
        assert _columns(patient, Patient) == _columns(session.get(Patient, patient_id), Patient)
        assert _columns(measurement, Measurement) == _columns(latest, Measurement)
        with pytest.raises(NotFound):
            course_page._course_patient(session, actor, course_id + 10_000)
        admin = make_user(session_factory, "admin")
        with pytest.raises(Forbidden):
            course_page._course_patient(session, admin, course_id)


def test_a_patient_without_measurement_is_refused(
    client: TestClient, session_factory: Factory, make_user: MakeUser
) -> None:
    user = make_user(session_factory, "physician")
    _, course_id = _course(client, _api(client, user.username), "ROWS-2")
    with session_factory.begin() as session:
        patient_id = session.get(Course, course_id).patient_id  # type: ignore[union-attr]
        session.execute(Measurement.__table__.delete().where(Measurement.patient_id == patient_id))
    with session_factory() as session, pytest.raises(NotFound) as refusal:
        actor = session.get(User, user.id)
        course_page._course_patient(session, actor, course_id)  # type: ignore[arg-type]
    assert refusal.value.field == "measurements"
