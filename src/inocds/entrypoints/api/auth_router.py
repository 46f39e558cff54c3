"""Logging in and out under /api/v1/auth: bearer tokens, the current user.

`POST /auth/token` is open (it is how one logs in): wrong credentials get 401, a
locked account 423 Locked, too many attempts 429 with `Retry-After` (answered by
`login_guard.py` before this handler runs). A failed attempt is counted even though the answer is an
error, so the handler answers the refusal itself instead of raising (raising would
roll the count back).
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from inocds.entrypoints.api.deps import CurrentUser, SessionDep, clear_session_cookie
from inocds.entrypoints.api.users_router import UserPublic
from inocds.services import account_security, auth

__all__ = ["PasswordChange", "TokenRequest", "TokenResponse", "auth_router"]


class TokenRequest(BaseModel):
    """Credentials, and an optional name for the token (shown in the audit log)."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=80)
    password: str = Field(max_length=1024, json_schema_extra={"format": "password"})
    name: str = Field("", max_length=100, examples=["ward tablet"])


class TokenResponse(BaseModel):
    """A new bearer token: send it as `Authorization: Bearer <access_token>`."""

    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    user: UserPublic


class PasswordChange(BaseModel):
    """The current password and the new one (at least 12 characters)."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024, json_schema_extra={"format": "password"})
    new_password: str = Field(max_length=1024, json_schema_extra={"format": "password"})


_REFUSALS = {
    401: {"description": "Wrong username or password"},
    423: {"description": "The account is locked (until `locked_until`)"},
    429: {"description": "Too many login attempts: wait `Retry-After` seconds"},
}


def auth_router() -> APIRouter:
    """The login, logout and who-am-I routes."""
    router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

    @router.post(
        "/token",
        summary="Log in: a bearer token for username and password",
        response_model=TokenResponse,
        responses={**_REFUSALS},  # type: ignore[dict-item]  # FastAPI's loose responses type
    )
    def issue_token(body: TokenRequest, session: SessionDep) -> TokenResponse | JSONResponse:
        try:
            user = auth.authenticate(session, body.username, body.password)
        except auth.InvalidCredentials as refusal:
            return JSONResponse(refusal.to_dict(), 401, headers={"WWW-Authenticate": "Bearer"})
        except auth.AccountLocked as refusal:
            return JSONResponse(refusal.to_dict(), 423)
        token = auth.issue_token(session, user, body.name)
        expires_at = auth.token_expiry(session, token)
        assert expires_at is not None
        return TokenResponse(access_token=token, expires_at=expires_at, user=UserPublic.of(user))

    @router.post(
        "/logout", summary="Log out: revoke this token or end this session", status_code=204
    )
    def logout(request: Request, session: SessionDep, _user: CurrentUser) -> Response:
        credential = request.state.credential
        response = Response(status_code=204)
        if credential.kind == "bearer":
            auth.revoke_token(session, credential.secret)
        else:
            auth.close_web_session(session, credential.secret)
            clear_session_cookie(response)
        return response

    @router.post(
        "/password",
        summary="Change one's own password (ends every token and session, this one too)",
        status_code=204,
    )
    def change_password(body: PasswordChange, session: SessionDep, user: CurrentUser) -> Response:
        account_security.change_own_password(
            session, user, body.current_password, body.new_password
        )
        response = Response(status_code=204)
        clear_session_cookie(response)
        return response

    @router.get("/me", summary="The logged-in user", response_model=UserPublic)
    def me(user: CurrentUser) -> UserPublic:
        return UserPublic.of(user)

    return router
