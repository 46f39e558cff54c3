"""The correction page of one entry of a course: withdraw it, or mark a toxicity resolved.

The course page links each entry its user may change to
`GET /courses/{course_id}/events/{event_id}/correct`; its forms post to the handlers
below (the same fields, CSRF token, roles and answers as when the forms sat on the course
page). A refused form comes back on this page with its errors beside the fields; a saved
one goes back to the course's entries.
"""

from __future__ import annotations

import datetime as dt

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.kit import Login, PostedForm, WebLogin, attempt, page_router, redirect
from inocds.entrypoints.web.kit import render as render_page
from inocds.entrypoints.web.labels import event_summary
from inocds.services import course_page, courses, toxicities
from inocds.services.records import Session

__all__ = ["correction_page_response", "router"]

router = page_router()


def correction_page_response(
    request: Request,
    session: Session,
    login: Login,
    course_id: int,
    event_id: int,
    today: dt.date,
    *,
    form: Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The entry with the forms its user may use (`form`: one as typed, with its errors)."""
    view = course_page.correction(session, login.user, course_id, event_id)
    if view["event"] is not None:
        view["event"]["summary"] = event_summary(view["event"]["payload"])
    forms = {f"retract-{event_id}": Form(f"retract-{event_id}")}
    forms[f"resolve-{event_id}"] = Form(f"resolve-{event_id}")
    if form is not None:
        forms[form.name] = form
    return render_page(
        request,
        "course_correct.html",
        login,
        status_code,
        today=today,
        retract_form=forms[f"retract-{event_id}"],
        resolve_form=forms[f"resolve-{event_id}"],
        **view,
    )


@router.get("/courses/{course_id}/events/{event_id}/correct", response_class=HTMLResponse)
def correct(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    course_id: int,
    event_id: int,
    today: Today,
) -> Response:
    return correction_page_response(request, session, login, course_id, event_id, today)


def _answer(
    request: Request,
    session: Session,
    login: Login,
    ids: tuple[int, int],
    today: dt.date,
    form: Form,
    status: int,
    saved: str,
) -> Response:
    """Back to the course's entries (`saved`: the notice) on success, else this page with
    the form as typed and its errors."""
    course_id, event_id = ids
    if not status:
        return redirect(f"/courses/{course_id}?saved={saved}#events")
    return correction_page_response(
        request, session, login, course_id, event_id, today, form=form, status_code=status
    )


@router.post("/courses/{course_id}/events/{event_id}/retract", response_class=HTMLResponse)
def retract(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    course_id: int,
    event_id: int,
    today: Today,
) -> Response:
    form = Form(f"retract-{event_id}", values=posted, inputs=frozenset({"reason"}))
    reason = form.text("reason", required=True, max_length=500)
    _, status = attempt(
        session,
        form,
        lambda: courses.retract_event(
            session, login.user, course_id, event_id, reason or "", today
        ),
    )
    ids = (course_id, event_id)
    return _answer(request, session, login, ids, today, form, status, "retracted")


@router.post("/courses/{course_id}/events/{event_id}/resolve", response_class=HTMLResponse)
def resolve(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    course_id: int,
    event_id: int,
    today: Today,
) -> Response:
    """Marks an unresolved toxicity resolved: a correction that supersedes the entry."""
    form = Form(
        f"resolve-{event_id}", values=posted, inputs=frozenset({"resolved"}), prefixes=("event.",)
    )
    resolved = form.date("resolved", required=True, not_after=today)
    _, status = attempt(
        session,
        form,
        lambda: toxicities.resolve_toxicity(
            session, login.user, course_id, event_id, resolved or today, today
        ),
    )
    ids = (course_id, event_id)
    return _answer(request, session, login, ids, today, form, status, "resolved")
