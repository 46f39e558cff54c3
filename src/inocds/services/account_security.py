"""Password changes and the admin's unlock: each revokes or clears what it must, audited.

A password change (the user's own, with the current password, or an admin's reset)
revokes every bearer token and browser session of the account, the caller's included:
whoever held one must log in again with the new password.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from inocds.adapters.db.models import User
from inocds.adapters.db.roles import Role
from inocds.services.access import require_role
from inocds.services.accounts import check_account_fields, get_user
from inocds.services.audit import record
from inocds.services.auth import (
    InvalidCredentials,
    hash_password,
    revoke_credentials,
    user_json,
    verify_password,
)

__all__ = ["change_own_password", "reset_password", "unlock_user"]

_REDACTED = "[redacted]"


def _set_password(session: Session, actor: User, user: User, password: str) -> None:
    check_account_fields(None, None, None, password)
    before = {**user_json(user), "password": _REDACTED}
    user.password_hash = hash_password(password)
    user.version += 1
    session.flush()
    record(session, actor.id, "user.password", "user", user.id, before, user_json(user))
    revoke_credentials(session, actor.id, user.id, "password changed")


def change_own_password(session: Session, actor: User, current: str, new: str) -> None:
    """The logged-in user changes their password; InvalidCredentials for a wrong current one."""
    if not verify_password(actor.password_hash, current):
        raise InvalidCredentials()
    _set_password(session, actor, actor, new)


def reset_password(session: Session, actor: User, user_id: int, new: str) -> User:
    """An admin sets a user's password (for a forgotten one); the user's sessions end."""
    user = get_user(session, actor, user_id)
    _set_password(session, actor, user, new)
    return user


def unlock_user(session: Session, actor: User, user_id: int) -> User:
    """An admin clears the account's failed-login count and any `locked_until` (audited)."""
    require_role(actor, Role.ADMIN)
    user = get_user(session, actor, user_id)
    before = user_json(user)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    record(session, actor.id, "user.unlock", "user", user.id, before, user_json(user))
    return user
