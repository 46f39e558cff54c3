"""User accounts under /api/v1/users: list, create, read, change role, activity or name (admin).

A change carries the `version` it was based on; a stale one gets 409 and writes nothing.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from inocds.entrypoints.api.deps import Admin, SessionDep
from inocds.services import account_security, accounts
from inocds.services.records import ROLES, User

__all__ = ["PasswordReset", "UserCreate", "UserPublic", "UserUpdate", "users_router"]

_ROLE_SCHEMA: JsonDict = {"enum": list(ROLES)}

"""The logged-in user, who must be an admin."""


class UserPublic(BaseModel):
    """An account as shown: never the password hash."""

    id: int
    username: str
    full_name: str
    role: str
    active: bool
    locked_until: dt.datetime | None
    created_at: dt.datetime
    version: int

    @classmethod
    def of(cls, user: User) -> UserPublic:
        """The public view of `user` (timestamps in UTC)."""

        def utc(moment: dt.datetime | None) -> dt.datetime | None:
            if moment is None or moment.tzinfo is not None:
                return moment
            return moment.replace(tzinfo=dt.UTC)

        created_at = utc(user.created_at)
        assert created_at is not None
        return cls(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            active=user.active,
            locked_until=utc(user.locked_until),
            created_at=created_at,
            version=user.version,
        )


class UserCreate(BaseModel):
    """A new account; the password has at least 12 characters."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=80, examples=["a.lovelace"])
    full_name: str = Field("", max_length=200)
    role: str = Field(json_schema_extra=_ROLE_SCHEMA)
    password: str = Field(max_length=1024, json_schema_extra={"format": "password"})


class UserUpdate(BaseModel):
    """The fields to change, with the `version` they were read at."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    role: str | None = Field(None, json_schema_extra=_ROLE_SCHEMA)
    active: bool | None = None
    full_name: str | None = Field(None, max_length=200)


class PasswordReset(BaseModel):
    """The account's new password (at least 12 characters)."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=1024, json_schema_extra={"format": "password"})


def users_router() -> APIRouter:
    """The user-management routes (admin only)."""
    router = APIRouter(prefix="/api/v1/users", tags=["users"])
    _register_accounts(router)
    _register_security(router)
    return router


def _register_accounts(router: APIRouter) -> None:
    """List, create, read and change accounts."""

    @router.get("", summary="Every account", response_model=list[UserPublic])
    def list_users(session: SessionDep, admin: Admin) -> list[UserPublic]:
        return [UserPublic.of(u) for u in accounts.list_users(session, admin)]

    @router.post("", summary="Create an account", status_code=201, response_model=UserPublic)
    def create_user(body: UserCreate, session: SessionDep, admin: Admin) -> UserPublic:
        user = accounts.create_user(
            session, admin, body.username, body.full_name, body.role, body.password
        )
        return UserPublic.of(user)

    @router.get("/{user_id}", summary="One account", response_model=UserPublic)
    def get_user(user_id: int, session: SessionDep, admin: Admin) -> UserPublic:
        return UserPublic.of(accounts.get_user(session, admin, user_id))

    @router.patch(
        "/{user_id}",
        summary="Change role, activity or name (optimistic: stale version gets 409)",
        response_model=UserPublic,
    )
    def update_user(
        user_id: int, body: UserUpdate, session: SessionDep, admin: Admin
    ) -> UserPublic:
        user = accounts.update_user(
            session,
            admin,
            user_id,
            body.version,
            role=body.role,
            active=body.active,
            full_name=body.full_name,
        )
        return UserPublic.of(user)


def _register_security(router: APIRouter) -> None:
    """Passwords and locks of an account."""

    @router.post(
        "/{user_id}/password",
        summary="Set an account's password (ends every token and session of the account)",
        response_model=UserPublic,
    )
    def reset_password(
        user_id: int, body: PasswordReset, session: SessionDep, admin: Admin
    ) -> UserPublic:
        return UserPublic.of(
            account_security.reset_password(session, admin, user_id, body.password)
        )

    @router.post(
        "/{user_id}/unlock",
        summary="Clear the account's failed logins, lock and login throttle",
        response_model=UserPublic,
    )
    def unlock(request: Request, user_id: int, session: SessionDep, admin: Admin) -> UserPublic:
        user = account_security.unlock_user(session, admin, user_id)
        request.app.state.login_throttle.unlock(user.username)
        return UserPublic.of(user)
