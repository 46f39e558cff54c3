"""Account actions on the users page (admin only), one small form per action and account:

    POST /users/{user_id}/active     active=yes|no   (deactivate or reactivate)
    POST /users/{user_id}/unlock                     (lift a lockout)
    POST /users/{user_id}/password   password, password_again
    POST /users/{user_id}/role       role

Each form carries the account's `version`; a stale one answers 409 with what happened.
The list and the add-a-user form stay at /users (pages/accounts.py); a refused action comes
back on that page with the error beside the account's row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.kit import (
    Login,
    PageRefusal,
    PageRoute,
    PostedForm,
    WebLogin,
    attempt,
    form_version,
    render,
)
from inocds.services import accounts, users
from inocds.services.records import ROLES, Role, User

__all__ = ["user_admin_pages"]


def _require_admin(login: Login) -> None:
    if login.user.role != Role.ADMIN:
        raise PageRefusal(403, "Only admin accounts may use this page.")


def _users_page(
    request: Request,
    session: Any,
    login: Login,
    status_code: int,
    action: Form | None = None,
    target: int | None = None,
) -> HTMLResponse:
    listed = accounts.list_users(session, login.user)
    return render(
        request,
        "users.html",
        login,
        status_code,
        form=Form("user"),
        accounts=listed,
        action_form=action,
        action_target=target,
    )


def _act(
    request: Request,
    session: Any,
    login: Login,
    user_id: int,
    form: Form,
    action: Callable[[int], User],
) -> Response:
    """Runs `action(version)`; back to the list with a notice, or with the refusal."""
    version = form_version(form, required=True)
    changed, status = attempt(
        session, form, lambda: action(version or 0), ready=version is not None and not form.failed
    )
    if changed is not None:
        return RedirectResponse(f"/users?saved=user_updated#account-{changed.id}", 303)
    return _users_page(request, session, login, status, form, user_id)


def user_admin_pages() -> APIRouter:
    """The account-action routes."""
    router = APIRouter(include_in_schema=False, route_class=PageRoute)
    _state_routes(router)
    _credential_routes(router)
    return router


def _unlock(request: Request, user: Any) -> Any:
    """Also clears the login throttle's count for the account (the API's unlock does too)."""
    request.app.state.login_throttle.unlock(user.username)
    return user


def _state_routes(router: APIRouter) -> None:
    """Deactivate or reactivate, and unlock."""

    @router.post("/users/{user_id}/active", response_class=HTMLResponse)
    def set_active(
        request: Request, session: SessionDep, login: WebLogin, posted: PostedForm, user_id: int
    ) -> Response:
        _require_admin(login)
        form = Form("account", values=dict(posted), inputs=frozenset({"active", "version"}))
        wanted = form.choice("active", ("yes", "no"), required=True)
        return _act(
            request,
            session,
            login,
            user_id,
            form,
            lambda v: users.set_active(session, login.user, user_id, v, wanted == "yes"),
        )

    @router.post("/users/{user_id}/unlock", response_class=HTMLResponse)
    def unlock(
        request: Request, session: SessionDep, login: WebLogin, posted: PostedForm, user_id: int
    ) -> Response:
        _require_admin(login)
        form = Form("account", values=dict(posted), inputs=frozenset({"version"}))
        return _act(
            request,
            session,
            login,
            user_id,
            form,
            lambda v: _unlock(request, users.unlock(session, login.user, user_id, v)),
        )


def _credential_routes(router: APIRouter) -> None:
    """Reset the password, change the role."""

    @router.post("/users/{user_id}/password", response_class=HTMLResponse)
    def reset_password(
        request: Request, session: SessionDep, login: WebLogin, posted: PostedForm, user_id: int
    ) -> Response:
        _require_admin(login)
        inputs = frozenset({"password", "password_again", "version"})
        form = Form("account", values=dict(posted), inputs=inputs)
        password = posted.get("password", "")
        if not password:
            form.error("password", "is required")
        elif password != posted.get("password_again", ""):
            form.error("password_again", "does not match the password")
        form.values = {k: v for k, v in form.values.items() if not k.startswith("password")}
        return _act(
            request,
            session,
            login,
            user_id,
            form,
            lambda v: users.reset_password(session, login.user, user_id, v, password),
        )

    @router.post("/users/{user_id}/role", response_class=HTMLResponse)
    def change_role(
        request: Request, session: SessionDep, login: WebLogin, posted: PostedForm, user_id: int
    ) -> Response:
        _require_admin(login)
        form = Form("account", values=dict(posted), inputs=frozenset({"role", "version"}))
        role = form.choice("role", ROLES, required=True)
        return _act(
            request,
            session,
            login,
            user_id,
            form,
            lambda v: users.change_role(session, login.user, user_id, v, role or ""),
        )
