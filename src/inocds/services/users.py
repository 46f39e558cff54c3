"""Account administration beyond create and update: unlock, reset password, and the
plain-named actions of the users page (deactivate, reactivate, change role).

Admin only, each with the `version` the admin saw: a stale one is a Conflict saying
what changed, and nothing is written. Role and activity go through
`auth.update_user` (which keeps the last active admin). A password reset ends the
account's open browser sessions; the audit log records "[redacted]" for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from inocds.adapters.db.models import User, WebSession
from inocds.services import auth
from inocds.services.audit import record
from inocds.services.errors import Conflict

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

__all__ = ["change_role", "reset_password", "set_active", "unlock"]

_REDACTED = "[redacted]"


def _stale(user: User, version: int) -> Conflict:
    return Conflict(
        f"the account {user.username!r} was changed by someone else since you opened this page "
        f"(version {version}, now {user.version}); reload the page and try again",
        "version",
    )


def _write(session: Session, user: User, version: int, **values: Any) -> None:
    """A conditional UPDATE of `user` at `version` (of two writers, one wins)."""
    done = cast(
        "CursorResult[Any]",
        session.execute(
            update(User)
            .where(User.id == user.id, User.version == version)
            .values(**values, version=version + 1)
            .execution_options(synchronize_session=False)
        ),
    )
    if done.rowcount != 1:
        raise _stale(user, version)
    session.refresh(user)


def set_active(session: Session, actor: User, user_id: int, version: int, active: bool) -> User:
    """Deactivates (refused at login, sessions end) or reactivates an account."""
    user = auth.get_user(session, actor, user_id)
    if user.version != version:
        raise _stale(user, version)
    if user.id == actor.id and not active:
        raise Conflict("you cannot deactivate your own account", "active")
    changed = auth.update_user(session, actor, user_id, version, active=active)
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return changed


def change_role(session: Session, actor: User, user_id: int, version: int, role: str) -> User:
    """Gives an account another role (the last active admin keeps theirs)."""
    user = auth.get_user(session, actor, user_id)
    if user.version != version:
        raise _stale(user, version)
    return auth.update_user(session, actor, user_id, version, role=role)


def unlock(session: Session, actor: User, user_id: int, version: int) -> User:
    """Lifts a lockout after too many wrong passwords and clears the count."""
    user = auth.get_user(session, actor, user_id)
    if user.version != version:
        raise _stale(user, version)
    if user.locked_until is None and not user.failed_logins:
        return user
    before = auth.user_json(user)
    _write(session, user, version, locked_until=None, failed_logins=0)
    record(session, actor.id, "user.unlock", "user", user.id, before, auth.user_json(user))
    return user


def reset_password(
    session: Session, actor: User, user_id: int, version: int, password: str
) -> User:
    """Sets a new password (same policy as a new account), unlocks, ends open sessions."""
    user = auth.get_user(session, actor, user_id)
    if user.version != version:
        raise _stale(user, version)
    auth.check_password(password)
    before = {**auth.user_json(user), "password": _REDACTED}
    _write(
        session,
        user,
        version,
        password_hash=auth.hash_password(password),
        locked_until=None,
        failed_logins=0,
    )
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    after = {**auth.user_json(user), "password": _REDACTED}
    record(session, actor.id, "user.password_reset", "user", user.id, before, after)
    return user
