"""Account management: check the fields of an account, create, read, list and update
accounts (admin only; `create_user` without an actor is the command line bootstrapping
the first). Logins, tokens and browser sessions stay in `services.auth`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inocds.adapters.db.models import ROLES, User
from inocds.adapters.db.roles import Role
from inocds.clinical.validation import FieldError, InputError
from inocds.services.access import require_role
from inocds.services.audit import record
from inocds.services.auth import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    revoke_credentials,
    user_json,
)
from inocds.services.errors import Conflict, NotFound

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

__all__ = [
    "check_account_fields",
    "check_password",
    "create_user",
    "get_user",
    "list_users",
    "update_user",
]

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,79}$")
_REDACTED = "[redacted]"


def _user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def check_account_fields(
    username: str | None, full_name: str | None, role: str | None, password: str | None
) -> None:
    """Raises InputError naming every bad field among those given (None: not given)."""
    errors: list[FieldError] = []
    if username is not None and not _USERNAME.match(username):
        errors.append(
            FieldError(
                "username",
                "1 to 80 characters: letters, digits and . _ @ - (starting with a letter or digit)",
            )
        )
    if full_name is not None and len(full_name) > 200:
        errors.append(FieldError("full_name", "at most 200 characters"))
    if role is not None and role not in ROLES:
        errors.append(FieldError("role", f"must be one of {', '.join(ROLES)}; got {role!r}"))
    if password is not None and not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        errors.append(
            FieldError(
                "password",
                f"must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters; "
                f"got {len(password)}",
            )
        )
    if errors:
        raise InputError(errors)


def check_password(password: str) -> None:
    """Raises InputError (field "password") unless `password` meets the policy."""
    check_account_fields(None, None, None, password)


def create_user(
    session: Session,
    actor: User | None,
    username: str,
    full_name: str,
    role: str,
    password: str,
) -> User:
    """A new account (admin only; `actor` None is the command line bootstrapping the first).

    Raises InputError for a bad username, role or password (all named at once) and
    Conflict when the username is taken. The username is kept in lower case.
    """
    if actor is not None:
        require_role(actor, Role.ADMIN)
    username = username.strip().lower()
    check_account_fields(username, full_name, role, password)
    if _user_by_name(session, username) is not None:
        raise Conflict(f"the username {username!r} is taken", "username")
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        password_hash=hash_password(password),
        active=True,
        failed_logins=0,
        version=1,
    )
    session.add(user)
    session.flush()
    after = {**user_json(user), "password": _REDACTED}
    record(
        session, None if actor is None else actor.id, "user.create", "user", user.id, None, after
    )
    return user


def get_user(session: Session, actor: User, user_id: int) -> User:
    """One account (admin only); NotFound when there is none."""
    require_role(actor, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", "user_id")
    return user


def list_users(session: Session, actor: User) -> list[User]:
    """Every account, by username (admin only)."""
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(User).order_by(User.username)))


def update_user(
    session: Session,
    actor: User,
    user_id: int,
    version: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    full_name: str | None = None,
) -> User:
    """Changes role, active or full name (admin only) if `version` is current, else Conflict.

    Nothing is written on a stale version. The last active admin can be neither demoted nor
    deactivated (nobody could manage accounts any more). A change of role or activity
    revokes every token and session of the user: a reactivated user logs in again.
    """
    user = get_user(session, actor, user_id)
    check_account_fields(None, full_name, role, None)
    stale = Conflict(
        f"user {user_id} has changed since version {version}; reload it and try again",
        "version",
    )
    if user.version != version:
        raise stale
    demoted = role is not None and role != "admin"
    if user.role == "admin" and user.active and (demoted or active is False):
        admins = session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active)
        )
        if (admins or 0) <= 1:
            raise Conflict("the last active admin cannot be demoted or deactivated", "role")
    before = user_json(user)
    changes: dict[str, Any] = {
        key: value
        for key, value in (("role", role), ("active", active), ("full_name", full_name))
        if value is not None and value != getattr(user, key)
    }
    if not changes:
        return user
    # A conditional UPDATE: of two concurrent writers holding the same version, one wins.
    done = cast(
        "CursorResult[Any]",
        session.execute(
            update(User)
            .where(User.id == user_id, User.version == version)
            .values(**changes, version=version + 1)
            .execution_options(synchronize_session=False)
        ),
    )
    if done.rowcount != 1:
        raise stale
    session.refresh(user)
    record(session, actor.id, "user.update", "user", user.id, before, user_json(user))
    if "role" in changes or "active" in changes:
        revoke_credentials(session, actor.id, user.id, "role or activity changed")
    return user
