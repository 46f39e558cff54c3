"""Login, logout, the first run (the first administrator) and the accounts page."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from inocds.clinical.validation import InputError
from inocds.entrypoints.api.deps import SESSION_COOKIE, SessionDep, clear_session_cookie
from inocds.entrypoints.web.forms import Form, to_local
from inocds.entrypoints.web.kit import (
    Login,
    PageRefusal,
    PostedForm,
    WebLogin,
    page_router,
    redirect,
    refused,
    render,
    require,
    safe_next,
    start_session,
)
from inocds.services import accounts, auth, directory
from inocds.services.errors import ServiceError
from inocds.services.records import ROLES, Role, Session, User

__all__ = ["login_page", "router"]

router = page_router()

_ACCOUNT_INPUTS = frozenset({"username", "full_name", "role", "password", "password_again"})


def login_page(
    request: Request, form: Form, next_path: str, status_code: int = 200
) -> HTMLResponse:
    """The login form, going to `next_path` once logged in."""
    return render(request, "login.html", None, status_code, form=form, next_path=next_path)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    if not directory.has_users(session):
        return redirect("/setup")
    return login_page(request, Form("login"), safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, posted: PostedForm) -> Response:
    form = Form("login", values=posted, inputs=frozenset({"username", "password"}))
    next_path = safe_next(posted.get("next"))
    username = posted.get("username", "").strip()
    password = posted.get("password", "")
    form.values = {"username": username}  # the password is never sent back
    if not username:
        form.error("username", "Enter your username.")
    if not password:
        form.error("password", "Enter your password.")
    if form.failed:
        return login_page(request, form, next_path, 422)
    try:
        user = auth.authenticate(session, username, password)
    except auth.AccountLocked as locked:
        until = to_local(locked.locked_until).strftime("%H:%M")
        form.error(
            "username",
            f"This account is locked after too many wrong passwords, until {until}. "
            "Ask an administrator if you need it sooner.",
        )
        return login_page(request, form, next_path, 423)
    except auth.InvalidCredentials:
        form.error("password", "Wrong username or password.")
        return login_page(request, form, next_path, 401)
    return start_session(request, session, user, next_path)


@router.post("/logout")
def logout(request: Request, session: SessionDep, _login: WebLogin) -> Response:
    auth.close_web_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login")
    clear_session_cookie(response)
    return response


@router.get("/setup", response_class=HTMLResponse)
def setup_form(request: Request, session: SessionDep) -> Response:
    if directory.has_users(session):
        raise PageRefusal(404, "The first administrator already exists. Log in instead.")
    return render(request, "setup.html", None, form=Form("setup"))


@router.post("/setup", response_class=HTMLResponse)
def setup(request: Request, session: SessionDep, posted: PostedForm) -> Response:
    if directory.has_users(session):
        raise PageRefusal(404, "The first administrator already exists. Log in instead.")
    form = Form("setup", values=posted, inputs=_ACCOUNT_INPUTS)
    user = _create_account(session, None, form, Role.ADMIN)
    if user is None:
        return render(request, "setup.html", None, 422, form=_without_passwords(form))
    return start_session(request, session, user, "/")


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, session: SessionDep, login: WebLogin) -> Response:
    require(login, Role.ADMIN)
    return _users_page(request, session, login, Form("user"))


@router.post("/users", response_class=HTMLResponse)
def add_user(
    request: Request, session: SessionDep, login: WebLogin, posted: PostedForm
) -> Response:
    require(login, Role.ADMIN)
    form = Form("user", values=posted, inputs=_ACCOUNT_INPUTS)
    role = form.choice("role", ROLES, required=True)
    user = _create_account(session, login.user, form, role)
    if user is None:
        return _users_page(request, session, login, _without_passwords(form), 422)
    return redirect("/users?saved=user")


def _users_page(
    request: Request, session: Session, login: Login, form: Form, status_code: int = 200
) -> HTMLResponse:
    listed = accounts.list_users(session, login.user)
    return render(request, "users.html", login, status_code, form=form, accounts=listed)


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
        return accounts.create_user(session, actor, username, full_name, role, password)
    except (ServiceError, InputError) as refusal:
        refused(session, form, refusal)
        return None
