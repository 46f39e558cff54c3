"""The care team's pages: login and first run, worklist, patients, courses, orders, rules.

Server-rendered HTML (Jinja2), readable without JavaScript. Every page calls the same
use cases as the JSON API (`inocds.services`), so roles, states and validation are the
API's. A browser logs in with the `inocds_session` cookie; every form carries the
session's CSRF token, checked by `deps.current_user`. A refused form comes back with
what was typed and each error beside its field; a form that succeeds redirects (303)
to the page showing the result. The routes stay out of the OpenAPI document.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from inocds.adapters.db.models import ROLES, User
from inocds.clinical.validation import InputError
from inocds.entrypoints.api.clock import Now, Today
from inocds.entrypoints.api.deps import (
    CSRF_FORM_FIELD,
    SESSION_COOKIE,
    SessionDep,
    clear_session_cookie,
    current_user,
    set_session_cookie,
)
from inocds.entrypoints.api.orders_router import OrderCreate, VerificationCreate
from inocds.entrypoints.api.patients_router import MeasurementCreate, PatientCreate
from inocds.entrypoints.web import views
from inocds.entrypoints.web.forms import (
    COURSE_INPUTS,
    EVENT_FORMS,
    MEASUREMENT_INPUTS,
    PATIENT_INPUTS,
    Form,
    event_payload,
    field_label,
    liver_tests,
    local_zone,
    patient_payload,
    pydantic_errors,
    to_local,
)
from inocds.protocol.loader import load_protocol
from inocds.services import auth, courses, orders, patients
from inocds.services.courses import EVENT_ROLES
from inocds.services.errors import NotFound, ServiceError

__all__ = ["install_web", "templates", "web_router"]

_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"

_NOTICES = {
    "patient": "The patient is registered.",
    "measurement": "The height and weight are recorded.",
    "course": "The course is open.",
    "labs": "The lab values are recorded.",
    "toxicity": "The toxicity is recorded.",
    "response": "The response is recorded.",
    "cycle_start": "The start of the cycle is recorded.",
    "discontinued": "The end of treatment is recorded.",
    "dose": "The dose given outside this system is recorded.",
    "retracted": "The entry is withdrawn (it stays in the history).",
    "resolved": "The toxicity is marked resolved (the earlier entry stays in the history).",
    "signed": "The order is signed. It now waits for a pharmacist's verification.",
    "verified": "The order is verified: the dose was reproduced from your own entry.",
    "returned": "The order went back to the prescriber for recalculation (weight change).",
    "prepared": "The preparation is recorded; the beyond-use clock is running.",
    "administered": "The administration is recorded as the course's dose.",
    "cancelled": "The order is cancelled.",
    "user": "The account is created.",
    "patient_updated": "The patient's details are saved.",
    "user_updated": "The account is changed.",
}


# ------------------------------------------------------------------ templates


def _num(value: Any, digits: int | None = None) -> str:
    """A number as a person writes it: 1.34, 80000 → 80,000; '—' for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if digits is not None:
        return f"{value:,.{digits}f}"
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:g}"


def _date(value: Any) -> str:
    """A date with its weekday, kept on one line: 2026-05-04 Mon."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Markup(f'<span class="nowrap">{value.isoformat()} {value.strftime("%a")}</span>')
    return str(value)


def _clock(value: Any) -> str:
    """A timestamp in the ward's zone: 2026-05-04 14:05."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = to_local(value)
    return local.strftime("%Y-%m-%d %H:%M")


def _iso(value: dt.datetime) -> str:
    return to_local(value).isoformat(timespec="seconds")


def _local_input(value: dt.datetime) -> str:
    """The value of a datetime-local input."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M")


SOURCE_TITLES = {
    "000": "Clinician drug monograph (2025)",
    "001": "Patient monograph (US, 2025)",
    "002": "Patient summary",
    "003": "Label summary page",
    "004": "Pharmacy administration guide (2025)",
    "FACTS.md": "Prescribing-information facts",
}
"""Short titles of the seed documents, by file-name prefix (the file name stays as a tooltip)."""

_SOURCE_FILE = re.compile(r"\b(?:(\d{3})_[0-9a-f]+\.txt|(FACTS\.md))")


def _source(value: Any) -> str:
    """Source references with document titles; the file name in a `title` attribute."""
    text = str(value or "")
    parts: list[str] = []
    last = 0
    for found in _SOURCE_FILE.finditer(text):
        key = found.group(1) or found.group(2)
        title = SOURCE_TITLES.get(key)
        if title is None:
            continue
        parts.append(str(escape(text[last : found.start()])))
        parts.append(f'<abbr class="doc" title="{escape(found.group(0))}">{escape(title)}</abbr>')
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def time_hint() -> str:
    """What a time typed into the forms means: 24-hour clock, the ward's time zone."""
    zone = local_zone()
    name = str(zone) if zone is not None else (dt.datetime.now().astimezone().tzname() or "")
    return f"24-hour clock, {name} time." if name else "24-hour clock, the ward's local time."


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("inocds.entrypoints.web", "templates"),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=_num,
        date=_date,
        clock=_clock,
        iso=_iso,
        local_input=_local_input,
        source=_source,
        field_label=field_label,
    )
    env.globals.update(
        ACTION_LABELS=views.ACTION_LABELS,
        ORDER_STATUS_LABELS=views.ORDER_STATUS_LABELS,
        ORDER_STATUS_SHORT=views.ORDER_STATUS_SHORT,
        TOXICITY_LABELS=views.TOXICITY_LABELS,
        VOD_LABELS=views.VOD_LABELS,
        CHECK_LABELS=views.CHECK_LABELS,
        CTCAE_GRADES=views.CTCAE_GRADES,
        ROLES=[r for r in ROLES],
        EVENT_ROLES=EVENT_ROLES,
        CSRF_FORM_FIELD=CSRF_FORM_FIELD,
    )
    return env


templates = Jinja2Templates(env=_environment())
"""The pages' templates (package data under `templates/`)."""


@dataclass(frozen=True)
class Login:
    """The logged-in user of a page and the session's CSRF token for its forms."""

    user: User
    csrf_token: str


def render(
    request: Request,
    name: str,
    login: Login | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page; `login` fills the header and every form's CSRF field."""
    saved = request.query_params.get("saved")
    values = {
        "login": login,
        "user": login.user if login else None,
        "csrf_token": login.csrf_token if login else "",
        "notice": _NOTICES.get(saved or ""),
        "time_hint": time_hint(),
        **context,
    }
    return templates.TemplateResponse(request, name, values, status_code=status_code)


# ------------------------------------------------------------------ login and errors


class LoginRequired(Exception):
    """No valid browser session: the page answers with the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageRefusal(Exception):
    """A page that cannot be shown (404, 403 …) with a plain message."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


async def posted_form(request: Request) -> dict[str, str]:
    """The fields of a posted form (the last value of each name); empty for other requests."""
    if request.method != "POST":
        return {}
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return {}
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


PostedForm = Annotated[dict[str, str], Depends(posted_form)]


def _safe_next(path: str | None) -> str:
    """A local path to go back to after login (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def optional_login(request: Request, session: SessionDep) -> Login | None:
    """The browser session's user, if any."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = auth.user_for_session_cookie(session, cookie)
    return None if found is None else Login(found.user, found.csrf_token)


MaybeLogin = Annotated[Login | None, Depends(optional_login)]


def web_login(request: Request, session: SessionDep, form: PostedForm, found: MaybeLogin) -> Login:
    """The logged-in user; a posted form must carry the session's CSRF token (else 403)."""
    if found is None:
        raise LoginRequired(_here(request) if request.method == "GET" else "/")
    if request.method == "POST":
        try:
            current_user(request, session, form.get(CSRF_FORM_FIELD))
        except HTTPException as refusal:
            raise PageRefusal(
                refusal.status_code,
                "This form was refused: it did not carry this session's security token "
                "(CSRF). Go back, reload the page and send the form again.",
            ) from None
    return found


WebLogin = Annotated[Login, Depends(web_login)]


def _error_page(request: Request, status_code: int, message: str) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "login": None,
            "user": None,
            "csrf_token": "",
            "notice": None,
            "status": status_code,
            "message": message,
        },
        status_code=status_code,
    )


class PageRoute(APIRoute):
    """A route whose refusals are HTML pages: login form, 403, 404 — never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as missing:
                target = "/login?" + urlencode({"next": missing.next_path})
                return RedirectResponse(target, status_code=303)
            except PageRefusal as refusal:
                return _error_page(request, refusal.status_code, refusal.message)
            except ServiceError as refusal:
                return _error_page(request, refusal.status_code, refusal.message)
            except InputError as refusal:
                return _error_page(request, 422, str(refusal))
            except RequestValidationError:
                return _error_page(request, 404, "There is no such page.")
            except StarletteHTTPException as refusal:
                return _error_page(request, refusal.status_code, str(refusal.detail))

        return page_handler


def _no_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is None


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _start_session(request: Request, session: Session, user: User, target: str) -> Response:
    cookie, _csrf = auth.open_web_session(session, user)
    response = _redirect(_safe_next(target))
    set_session_cookie(response, cookie, secure=request.url.scheme == "https")
    return response


def _refused(session: Session, form: Form, refusal: ServiceError | InputError) -> int:
    """Undoes the failed unit of work, puts the refusal beside its field; the status code."""
    session.rollback()
    form.refuse(refusal)
    return refusal.status_code if isinstance(refusal, ServiceError) else 422


T = TypeVar("T")


def _attempt(session: Session, form: Form, action: Callable[[], T]) -> tuple[T | None, int]:
    """Runs a use case for a form: `(its result, 0)`, or `(None, status)` with the refusal
    beside its field. A missing record is not a form error: NotFound goes on up (404)."""
    try:
        return action(), 0
    except (ServiceError, InputError) as refusal:
        if isinstance(refusal, NotFound):
            raise
        return None, _refused(session, form, refusal)


def _require(login: Login, *roles: str) -> None:
    if login.user.role not in roles:
        raise PageRefusal(403, f"Only {' or '.join(roles)} accounts may use this page.")


# ------------------------------------------------------------------ routes


def web_router() -> APIRouter:
    """Every page of the web application."""
    router = APIRouter(include_in_schema=False, route_class=PageRoute)
    _account_routes(router)
    _patient_routes(router)
    _course_routes(router)
    _order_routes(router)
    _rule_routes(router)
    return router


def install_web(app: FastAPI) -> None:
    """Adds the pages and the static files (/static) to the application."""
    app.include_router(web_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _login_page(
    request: Request, form: Form, next_path: str, status_code: int = 200
) -> HTMLResponse:
    return render(request, "login.html", None, status_code, form=form, next_path=next_path)


def _account_routes(router: APIRouter) -> None:
    @router.get("/", response_class=HTMLResponse)
    def home(
        request: Request, session: SessionDep, found: MaybeLogin, today: Today, now: Now
    ) -> Response:
        if _no_users(session):
            return _redirect("/setup")
        if found is None:
            return _login_page(request, Form("login"), "/")
        if found.user.role == "admin":
            return render(request, "admin_home.html", found)
        view = views.worklist_view(session, found.user, today, now)
        return render(request, "worklist.html", found, today=today, now=now, **view)

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, session: SessionDep, next: str = "/") -> Response:
        if _no_users(session):
            return _redirect("/setup")
        return _login_page(request, Form("login"), _safe_next(next))

    @router.post("/login", response_class=HTMLResponse)
    def login(request: Request, session: SessionDep, posted: PostedForm) -> Response:
        form = Form("login", values=posted, inputs=frozenset({"username", "password"}))
        next_path = _safe_next(posted.get("next"))
        username = posted.get("username", "").strip()
        password = posted.get("password", "")
        form.values = {"username": username}  # the password is never sent back
        if not username:
            form.error("username", "Enter your username.")
        if not password:
            form.error("password", "Enter your password.")
        if form.failed:
            return _login_page(request, form, next_path, 422)
        try:
            user = auth.authenticate(session, username, password)
        except auth.AccountLocked as locked:
            until = to_local(locked.locked_until).strftime("%H:%M")
            form.error(
                "username",
                f"This account is locked after too many wrong passwords, until {until}. "
                "Ask an administrator if you need it sooner.",
            )
            return _login_page(request, form, next_path, 423)
        except auth.InvalidCredentials:
            form.error("password", "Wrong username or password.")
            return _login_page(request, form, next_path, 401)
        return _start_session(request, session, user, next_path)

    @router.post("/logout")
    def logout(request: Request, session: SessionDep, _login: WebLogin) -> Response:
        auth.close_web_session(session, request.cookies.get(SESSION_COOKIE, ""))
        response = _redirect("/login")
        clear_session_cookie(response)
        return response

    @router.get("/setup", response_class=HTMLResponse)
    def setup_form(request: Request, session: SessionDep) -> Response:
        if not _no_users(session):
            raise PageRefusal(404, "The first administrator already exists. Log in instead.")
        return render(request, "setup.html", None, form=Form("setup"))

    @router.post("/setup", response_class=HTMLResponse)
    def setup(request: Request, session: SessionDep, posted: PostedForm) -> Response:
        if not _no_users(session):
            raise PageRefusal(404, "The first administrator already exists. Log in instead.")
        form = _account_form("setup", posted)
        user = _create_account(session, None, form, "admin")
        if user is None:
            return render(request, "setup.html", None, 422, form=_without_passwords(form))
        return _start_session(request, session, user, "/")

    @router.get("/users", response_class=HTMLResponse)
    def users(request: Request, session: SessionDep, login: WebLogin) -> Response:
        _require(login, "admin")
        return _users_page(request, session, login, Form("user"))

    @router.post("/users", response_class=HTMLResponse)
    def add_user(
        request: Request, session: SessionDep, login: WebLogin, posted: PostedForm
    ) -> Response:
        _require(login, "admin")
        form = _account_form("user", posted)
        role = form.choice("role", ROLES, required=True)
        user = _create_account(session, login.user, form, role)
        if user is None:
            return _users_page(request, session, login, _without_passwords(form), 422)
        return _redirect("/users?saved=user")


def _users_page(
    request: Request, session: Session, login: Login, form: Form, status_code: int = 200
) -> HTMLResponse:
    accounts = auth.list_users(session, login.user)
    return render(request, "users.html", login, status_code, form=form, accounts=accounts)


def _account_form(name: str, posted: dict[str, str]) -> Form:
    return Form(
        name,
        values=posted,
        inputs=frozenset({"username", "full_name", "role", "password", "password_again"}),
    )


def _without_passwords(form: Form) -> Form:
    form.values = {k: v for k, v in form.values.items() if not k.startswith("password")}
    return form


def _create_account(
    session: Session, actor: User | None, form: Form, role: str | None
) -> User | None:
    """Creates the account typed into `form`, or puts the errors beside its fields."""
    username = form.text("username", required=True, max_length=80)
    full_name = form.text("full_name", max_length=200) or ""
    password = form.values.get("password", "")
    if not password:
        form.error("password", "is required")
    elif password != form.values.get("password_again", ""):
        form.error("password_again", "does not match the password")
    if form.failed or username is None or role is None:
        return None
    try:
        return auth.create_user(session, actor, username, full_name, role, password)
    except (ServiceError, InputError) as refusal:
        _refused(session, form, refusal)
        return None


# ------------------------------------------------------------------ patients


def _patient_routes(router: APIRouter) -> None:
    @router.get("/patients", response_class=HTMLResponse)
    def patient_list(
        request: Request, session: SessionDep, login: WebLogin, q: str = ""
    ) -> Response:
        found = patients.list_patients(session, login.user)
        needle = q.strip().lower()
        if needle:
            found = [
                p
                for p in found
                if needle in f"{p.family_name} {p.given_name} {p.mrn}".lower()
                or needle in f"{p.given_name} {p.family_name}".lower()
            ]
        return render(request, "patients.html", login, patients=found, q=q)

    @router.get("/patients/new", response_class=HTMLResponse)
    def new_patient_form(request: Request, login: WebLogin, today: Today) -> Response:
        _require(login, "physician", "nurse")
        return render(request, "patient_new.html", login, form=Form("patient"), today=today)

    @router.post("/patients/new", response_class=HTMLResponse)
    def new_patient(
        request: Request, session: SessionDep, login: WebLogin, posted: PostedForm, today: Today
    ) -> Response:
        _require(login, "physician", "nurse")
        form = Form("patient", values=posted, inputs=PATIENT_INPUTS)
        patient_id: int | None = None
        try:
            body = PatientCreate.model_validate(patient_payload(form))
        except ValidationError as error:
            form.add_field_errors(pydantic_errors(error))
        else:
            if body.birth_date > today:
                form.error("birth_date", "must not be in the future")
            if body.measured_on > today:
                form.error("measured_on", "must not be in the future")
            if not form.failed:
                data = patients.PatientInput(
                    **body.model_dump(exclude={"history", "diagnosis", "medications"}),
                    history=body.history.model_dump(),
                    diagnosis=body.diagnosis.model_dump(),
                    medications=tuple(body.medications),
                )
                try:
                    patient_id = patients.create_patient(session, login.user, data).id
                except (ServiceError, InputError) as refusal:
                    status = _refused(session, form, refusal)
                    return render(
                        request, "patient_new.html", login, status, form=form, today=today
                    )
        if patient_id is None:
            return render(request, "patient_new.html", login, 422, form=form, today=today)
        return _redirect(f"/patients/{patient_id}?saved=patient")

    @router.get("/patients/{patient_id}", response_class=HTMLResponse)
    def patient_page(
        request: Request, session: SessionDep, login: WebLogin, patient_id: int, today: Today
    ) -> Response:
        return _patient_page(request, session, login, patient_id, today)

    @router.post("/patients/{patient_id}/measurements", response_class=HTMLResponse)
    def add_measurement(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        patient_id: int,
        today: Today,
    ) -> Response:
        form = Form("measurement", values=posted, inputs=MEASUREMENT_INPUTS)
        data = {k: posted[k].strip().replace(",", ".") for k in MEASUREMENT_INPUTS if posted.get(k)}
        status = 422
        try:
            body = MeasurementCreate.model_validate(data)
        except ValidationError as error:
            form.add_field_errors(pydantic_errors(error))
        else:
            if body.measured_on > today:
                form.error("measured_on", "must not be in the future")
            if not form.failed:
                measurement, status = _attempt(
                    session,
                    form,
                    lambda: patients.add_measurement(
                        session,
                        login.user,
                        patient_id,
                        body.measured_on,
                        body.height_cm,
                        body.weight_kg,
                    ),
                )
                if measurement is not None:
                    return _redirect(f"/patients/{patient_id}?saved=measurement#measurements")
        return _patient_page(
            request, session, login, patient_id, today, {"measurement": form}, status
        )

    @router.post("/patients/{patient_id}/courses", response_class=HTMLResponse)
    def open_course(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        patient_id: int,
        today: Today,
    ) -> Response:
        form = Form(
            "course",
            values=posted,
            inputs=COURSE_INPUTS,
            prefixes=("patient.pretreatment.", "pretreatment."),
            aliases={"patient.hsct_planned": "hsct_planned"},
        )
        hsct = form.choice("hsct_planned", ("yes", "no"), required=True)
        pretreatment: dict[str, Any] = {}
        for key in ("anc_per_mm3", "platelets_per_mm3"):
            value = form.number(key, required=True, low=0)
            if value is not None:
                pretreatment[key] = value
        blasts = form.number("peripheral_blasts_per_mm3", low=0)
        if blasts is not None:
            pretreatment["peripheral_blasts_per_mm3"] = blasts
        pretreatment.update(liver_tests(form))
        status = 422
        if not form.failed and hsct is not None:
            course, status = _attempt(
                session,
                form,
                lambda: courses.create_course(
                    session, login.user, patient_id, hsct == "yes", pretreatment, today
                ),
            )
            if course is not None:
                return _redirect(f"/courses/{course.id}?saved=course")
        return _patient_page(request, session, login, patient_id, today, {"course": form}, status)


def _patient_page(
    request: Request,
    session: Session,
    login: Login,
    patient_id: int,
    today: dt.date,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    patient = patients.get_patient(session, login.user, patient_id)
    measurements = patients.list_measurements(session, login.user, patient_id)
    course_rows = []
    for course in courses.list_courses(session, login.user, patient_id):
        try:
            decision = courses.assess(session, login.user, course.id, today)
        except InputError:
            decision = None
        course_rows.append({"course": course, "decision": decision})
    forms = forms or {}
    return render(
        request,
        "patient.html",
        login,
        status_code,
        patient=patient,
        measurements=measurements,
        courses=course_rows,
        today=today,
        measurement_form=forms.get("measurement", Form("measurement")),
        course_form=forms.get("course", Form("course")),
    )


# ------------------------------------------------------------------ courses

_SIGN_INPUTS = frozenset(
    {
        "cycle",
        "day",
        "dose_mg_per_m2",
        "scheduled_on",
        "override_reason",
        "weight_change_acknowledged",
    }
)
_FLAGS = (
    "vod",
    "liver_abnormality_from_gilbert_or_hemolysis",
    "cytopenia_from_disease_with_stable_marrow",
)


def _decision_date(on: str | None, today: dt.date, form: Form) -> dt.date:
    if not on:
        return today
    try:
        return dt.date.fromisoformat(on)
    except ValueError:
        form.error("on", f"must be a date as YYYY-MM-DD; got {on!r}")
        return today


def _course_page(
    request: Request,
    session: Session,
    login: Login,
    course_id: int,
    today: dt.date,
    now: dt.datetime,
    *,
    on: str | None = None,
    flags: dict[str, bool] | None = None,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    day_form = Form("day", values={"on": on} if on else {}, inputs=frozenset({"on"}))
    decision_date = _decision_date(on, today, day_form)
    flags = flags or {}
    view = views.course_view(session, login.user, course_id, decision_date, today, flags, now)
    forms = dict(forms or {})
    for name in (*EVENT_FORMS, "sign"):
        forms.setdefault(name, Form(name))
    for event in view["events"]:
        forms.setdefault(f"retract-{event['id']}", Form(f"retract-{event['id']}"))
        forms.setdefault(f"resolve-{event['id']}", Form(f"resolve-{event['id']}"))
    return render(
        request,
        "course.html",
        login,
        status_code,
        today=today,
        now=now,
        on=decision_date,
        is_today=decision_date == today,
        flags=flags,
        day_form=day_form,
        forms=forms,
        **view,
    )


def _course_routes(router: APIRouter) -> None:
    @router.get("/courses/{course_id}", response_class=HTMLResponse)
    def course_page(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        course_id: int,
        today: Today,
        now: Now,
        on: str | None = None,
    ) -> Response:
        flags = {name: request.query_params.get(name) == "on" for name in _FLAGS}
        flags = {k: v for k, v in flags.items() if v}
        return _course_page(request, session, login, course_id, today, now, on=on, flags=flags)

    def add_event(kind: str) -> None:
        path = f"/courses/{{course_id}}/{kind.replace('_', '-')}"

        @router.post(path, response_class=HTMLResponse, name=f"add_{kind}")
        def handler(
            request: Request,
            session: SessionDep,
            login: WebLogin,
            posted: PostedForm,
            course_id: int,
            today: Today,
            now: Now,
        ) -> Response:
            form = Form(kind, values=posted, inputs=EVENT_FORMS[kind], prefixes=("event.",))
            payload = event_payload(kind, form)
            status = 422
            if payload is not None:
                _, status = _attempt(
                    session,
                    form,
                    lambda: courses.append_event(session, login.user, course_id, payload, today),
                )
                if not status:
                    return _redirect(f"/courses/{course_id}?saved={kind}#events")
            return _course_page(
                request,
                session,
                login,
                course_id,
                today,
                now,
                forms={kind: form},
                status_code=status,
            )

    for kind in EVENT_FORMS:
        add_event(kind)

    @router.post("/courses/{course_id}/events/{event_id}/retract", response_class=HTMLResponse)
    def retract(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        course_id: int,
        event_id: int,
        today: Today,
        now: Now,
    ) -> Response:
        name = f"retract-{event_id}"
        form = Form(name, values=posted, inputs=frozenset({"reason"}))
        reason = form.text("reason", required=True, max_length=500)
        status = 422
        if reason is not None:
            _, status = _attempt(
                session,
                form,
                lambda: courses.retract_event(
                    session, login.user, course_id, event_id, reason, today
                ),
            )
            if not status:
                return _redirect(f"/courses/{course_id}?saved=retracted#events")
        return _course_page(
            request,
            session,
            login,
            course_id,
            today,
            now,
            forms={name: form},
            status_code=status,
        )

    @router.post("/courses/{course_id}/events/{event_id}/resolve", response_class=HTMLResponse)
    def resolve(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        course_id: int,
        event_id: int,
        today: Today,
        now: Now,
    ) -> Response:
        """Marks an unresolved toxicity resolved: a correction that supersedes the entry."""
        name = f"resolve-{event_id}"
        form = Form(name, values=posted, inputs=frozenset({"resolved"}), prefixes=("event.",))
        resolved = form.date("resolved", required=True)
        status = 422
        if resolved is not None:
            found = {e.id: e for e in courses.effective_events(session, course_id)}
            event = found.get(event_id)
            if event is None or event.type != "toxicity" or (event.payload or {}).get("resolved"):
                form.error("resolved", "this entry is not an unresolved toxicity")
            elif resolved > today:
                form.error("resolved", "must not be after today")
            else:
                payload = {**dict(event.payload or {}), "resolved": resolved.isoformat()}
                _, status = _attempt(
                    session,
                    form,
                    lambda: courses.append_event(
                        session, login.user, course_id, payload, today, supersedes_id=event_id
                    ),
                )
                if not status:
                    return _redirect(f"/courses/{course_id}?saved=resolved#events")
        return _course_page(
            request,
            session,
            login,
            course_id,
            today,
            now,
            forms={name: form},
            status_code=status,
        )

    @router.post("/courses/{course_id}/orders", response_class=HTMLResponse)
    def sign(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        course_id: int,
        today: Today,
        now: Now,
    ) -> Response:
        form = Form("sign", values=posted, inputs=_SIGN_INPUTS)
        data: dict[str, Any] = {
            k: posted[k].strip().replace(",", ".") if k == "dose_mg_per_m2" else posted[k].strip()
            for k in ("cycle", "day", "dose_mg_per_m2", "scheduled_on", "override_reason")
            if posted.get(k, "").strip()
        }
        for key in ("cycle", "day"):
            if key in data:
                with contextlib.suppress(ValueError):  # else left as typed: the model names it
                    data[key] = int(data[key])
        data["weight_change_acknowledged"] = form.checked("weight_change_acknowledged")
        status = 422
        try:
            body = OrderCreate.model_validate(data)
        except ValidationError as error:
            form.add_field_errors(pydantic_errors(error))
        else:
            order, status = _attempt(
                session,
                form,
                lambda: orders.sign(
                    session,
                    login.user,
                    course_id,
                    orders.OrderInput(**body.model_dump()),
                    today,
                    now=now,
                ),
            )
            if order is not None:
                return _redirect(f"/orders/{order.id}?saved=signed")
        return _course_page(
            request,
            session,
            login,
            course_id,
            today,
            now,
            forms={"sign": form},
            status_code=status,
        )


# ------------------------------------------------------------------ orders


def _order_page(
    request: Request,
    session: Session,
    login: Login,
    order_id: int,
    now: dt.datetime,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = views.order_view(session, login.user, order_id, now)
    forms = dict(forms or {})
    for name in ("verify", "prepare", "administer", "cancel"):
        forms.setdefault(name, Form(name))
    return render(request, "order.html", login, status_code, now=now, forms=forms, **view)


def _version(form: Form) -> int | None:
    value = form.number("version", integer=True, low=1)
    return None if value is None else int(value)


def _order_routes(router: APIRouter) -> None:
    @router.get("/orders/{order_id}", response_class=HTMLResponse)
    def order_page(
        request: Request, session: SessionDep, login: WebLogin, order_id: int, now: Now
    ) -> Response:
        return _order_page(request, session, login, order_id, now)

    def refused_page(
        request: Request,
        session: Session,
        login: Login,
        order_id: int,
        now: dt.datetime,
        form: Form,
        refusal: ServiceError | InputError | None,
    ) -> Response:
        if isinstance(refusal, NotFound):
            raise refusal
        status = 422 if refusal is None else _refused(session, form, refusal)
        return _order_page(request, session, login, order_id, now, {form.name: form}, status)

    @router.post("/orders/{order_id}/verify", response_class=HTMLResponse)
    def verify(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        order_id: int,
        now: Now,
    ) -> Response:
        form = Form("verify", values=posted, inputs=frozenset({"height_cm", "weight_kg"}))
        data = {
            k: posted[k].strip().replace(",", ".")
            for k in ("height_cm", "weight_kg", "version")
            if posted.get(k, "").strip()
        }
        try:
            body = VerificationCreate.model_validate(data)
        except ValidationError as error:
            form.add_field_errors(pydantic_errors(error))
            return refused_page(request, session, login, order_id, now, form, None)
        try:
            done = orders.verify(
                session, login.user, order_id, body.height_cm, body.weight_kg, body.version, now
            )
        except (ServiceError, InputError) as refusal:
            return refused_page(request, session, login, order_id, now, form, refusal)
        return _redirect(f"/orders/{order_id}?saved={'verified' if done else 'returned'}")

    @router.post("/orders/{order_id}/prepare", response_class=HTMLResponse)
    def prepare(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        order_id: int,
        now: Now,
    ) -> Response:
        form = Form(
            "prepare",
            values=posted,
            inputs=frozenset({"reconstituted_at", "diluted_at", "refrigerated", "vial_lots"}),
        )
        reconstituted = form.moment("reconstituted_at", required=True)
        diluted = form.moment("diluted_at")
        refrigerated = form.choice("refrigerated", ("yes", "no"), required=True)
        lots = [
            lot.strip()
            for lot in posted.get("vial_lots", "").replace(",", "\n").splitlines()
            if lot.strip()
        ]
        if len(lots) > 20 or any(len(lot) > 100 for lot in lots):
            form.error("vial_lots", "at most 20 lot numbers of up to 100 characters each")
        version = _version(form)
        if reconstituted is not None and reconstituted > now + dt.timedelta(minutes=5):
            form.error("reconstituted_at", "must not be in the future")
        if form.failed or reconstituted is None or refrigerated is None:
            return refused_page(request, session, login, order_id, now, form, None)
        try:
            orders.prepare(
                session,
                login.user,
                order_id,
                reconstituted,
                refrigerated == "yes",
                diluted,
                tuple(lots),
                version,
            )
        except (ServiceError, InputError) as refusal:
            return refused_page(request, session, login, order_id, now, form, refusal)
        return _redirect(f"/orders/{order_id}?saved=prepared")

    @router.post("/orders/{order_id}/administer", response_class=HTMLResponse)
    def administer(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        order_id: int,
        now: Now,
        today: Today,
    ) -> Response:
        form = Form(
            "administer",
            values=posted,
            inputs=frozenset({"started_at", "ended_at", "reaction_grade", "reaction_name"}),
            aliases={"event.grade": "reaction_grade", "event.name": "reaction_name"},
        )
        started = form.moment("started_at", required=True)
        ended = form.moment("ended_at")
        grade = form.number("reaction_grade", integer=True, low=1, high=5)
        name = form.text("reaction_name", max_length=200)
        version = _version(form)
        if started is not None and started > now + dt.timedelta(minutes=5):
            form.error("started_at", "must not be in the future")
        if form.failed or started is None:
            return refused_page(request, session, login, order_id, now, form, None)
        reaction = None
        if grade is not None:
            reaction = {"grade": int(grade), "name": name or "infusion reaction", "resolved": None}
        elif name:
            form.error("reaction_grade", "give the grade of the reaction")
            return refused_page(request, session, login, order_id, now, form, None)
        try:
            orders.administer(
                session, login.user, order_id, started, ended, reaction, today, version
            )
        except (ServiceError, InputError) as refusal:
            return refused_page(request, session, login, order_id, now, form, refusal)
        return _redirect(f"/orders/{order_id}?saved=administered")

    @router.post("/orders/{order_id}/cancel", response_class=HTMLResponse)
    def cancel(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        order_id: int,
        now: Now,
    ) -> Response:
        form = Form("cancel", values=posted, inputs=frozenset({"reason"}))
        reason = form.text("reason", required=True, max_length=500)
        version = _version(form)
        if reason is None:
            return refused_page(request, session, login, order_id, now, form, None)
        try:
            orders.cancel(session, login.user, order_id, reason, version)
        except (ServiceError, InputError) as refusal:
            return refused_page(request, session, login, order_id, now, form, refusal)
        return _redirect(f"/orders/{order_id}?saved=cancelled")


# ------------------------------------------------------------------ rules


def _rule_routes(router: APIRouter) -> None:
    @router.get("/rules", response_class=HTMLResponse)
    def rules(request: Request, found: MaybeLogin) -> Response:
        return render(request, "rules.html", found, rules=load_protocol().all())

    @router.get("/rules/{rule_id}", response_class=HTMLResponse)
    def rule(request: Request, found: MaybeLogin, rule_id: str) -> Response:
        protocol = load_protocol()
        if rule_id not in protocol:
            raise PageRefusal(404, f"There is no rule {rule_id!r}.")
        return render(request, "rule.html", found, rule=protocol[rule_id], quote=quote)
