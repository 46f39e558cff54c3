"""Courses, their events and the engine's answers for a stored course (clinical roles).

Events take exactly the contract's event documents; a correction names the event it
supersedes, a retraction withdraws one — the original always stays in the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel, ConfigDict, Field

from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import Clinician, Physician, SessionDep
from inocds.services import courses
from inocds.services.records import Course, CourseEvent

__all__ = ["courses_router"]


class CourseCreate(BaseModel):
    """A new course: transplant intent and the values before the first dose."""

    model_config = ConfigDict(extra="forbid")

    hsct_planned: bool
    pretreatment: dict[str, Any] = Field(
        description="as in the course document: anc_per_mm3, platelets_per_mm3, "
        "peripheral_blasts_per_mm3, bilirubin/ast/alt {value, uln}"
    )


class Retraction(BaseModel):
    """Why an event is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class DayFlags(BaseModel):
    """The clinician's statements for the day of an assessment (course document `today`)."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date | None = None
    labs: dict[str, Any] | None = None
    vod: bool = False
    liver_abnormality_from_gilbert_or_hemolysis: bool = False
    cytopenia_from_disease_with_stable_marrow: bool = False


def course_json(course: Course) -> dict[str, Any]:
    """The public view of a course."""
    return {
        "id": course.id,
        "patient_id": course.patient_id,
        "hsct_planned": course.hsct_planned,
        "pretreatment": course.pretreatment,
        "start_weight_kg": course.start_weight_kg,
        "version": course.version,
    }


def event_json(row: CourseEvent) -> dict[str, Any]:
    """One stored event row (history view)."""
    return {
        "id": row.id,
        "type": row.type,
        "event": row.payload,
        "supersedes_id": row.supersedes_id,
        "retracted": row.retracted,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at.isoformat(),
    }


def courses_router() -> APIRouter:
    """Routes of courses and events."""
    router = APIRouter(tags=["courses"])
    _register_courses(router)
    _register_events(router)
    _register_answers(router)
    return router


def _register_courses(router: APIRouter) -> None:
    """Open, list and read courses."""

    @router.post("/api/v1/patients/{patient_id}/courses", status_code=201, summary="Open a course")
    def create(
        patient_id: int, body: CourseCreate, session: SessionDep, user: Physician, today: Today
    ) -> dict[str, Any]:
        course = courses.create_course(
            session, user, patient_id, body.hsct_planned, body.pretreatment, today
        )
        return course_json(course)

    @router.get("/api/v1/patients/{patient_id}/courses", summary="A patient's courses")
    def for_patient(patient_id: int, session: SessionDep, user: Clinician) -> list[dict[str, Any]]:
        return [course_json(c) for c in courses.list_courses(session, user, patient_id)]

    @router.get("/api/v1/courses/{course_id}", summary="One course")
    def read(course_id: int, session: SessionDep, user: Clinician) -> dict[str, Any]:
        return course_json(courses.get_course(session, user, course_id))


def _register_events(router: APIRouter) -> None:
    """The event history: append, correct (supersedes_id) and retract."""

    @router.get("/api/v1/courses/{course_id}/events", summary="Every event row, with history")
    def events(course_id: int, session: SessionDep, user: Clinician) -> list[dict[str, Any]]:
        courses.get_course(session, user, course_id)
        return [event_json(r) for r in courses.all_events(session, course_id)]

    @router.post(
        "/api/v1/courses/{course_id}/events",
        status_code=201,
        summary="Append a contract event (role by event type)",
    )
    def append(
        course_id: int,
        session: SessionDep,
        user: Clinician,
        today: Today,
        event: Annotated[dict[str, Any], Body(description="a contract event document")],
        supersedes_id: int | None = None,
    ) -> dict[str, Any]:
        row = courses.append_event(session, user, course_id, event, today, supersedes_id)
        return event_json(row)

    @router.post(
        "/api/v1/courses/{course_id}/events/{event_id}/retract",
        status_code=201,
        summary="Withdraw an event entered in error",
    )
    def retract(
        course_id: int,
        event_id: int,
        body: Retraction,
        session: SessionDep,
        user: Clinician,
        today: Today,
    ) -> dict[str, Any]:
        row = courses.retract_event(session, user, course_id, event_id, body.reason, today)
        return event_json(row)


def _register_answers(router: APIRouter) -> None:
    """The course document and the engine's answers for a stored course."""

    @router.get("/api/v1/courses/{course_id}/document", summary="The contract course document")
    def document(
        course_id: int,
        session: SessionDep,
        user: Clinician,
        today: Today,
        date: dt.date | None = None,
    ) -> dict[str, Any]:
        return courses.course_document(session, user, course_id, date or today)

    @router.post("/api/v1/courses/{course_id}/assess", summary="The engine's decision for a day")
    def assess(
        course_id: int, session: SessionDep, user: Clinician, today: Today, body: DayFlags
    ) -> ORJSONResponse:
        flags = body.model_dump(exclude={"date"}, exclude_none=True)
        # the engine's answer as it is: no response model to validate and re-encode it
        return ORJSONResponse(courses.assess(session, user, course_id, body.date or today, flags))

    @router.get("/api/v1/courses/{course_id}/plan", summary="The engine's next-cycle plan")
    def plan(
        course_id: int,
        session: SessionDep,
        user: Clinician,
        today: Today,
        date: dt.date | None = None,
    ) -> dict[str, Any]:
        return courses.plan(session, user, course_id, date or today)

    @router.get("/api/v1/courses/{course_id}/screen", summary="The safety screen")
    def screen(
        course_id: int,
        session: SessionDep,
        user: Clinician,
        today: Today,
        date: dt.date | None = None,
    ) -> dict[str, Any]:
        return courses.screen(session, user, course_id, date or today)
