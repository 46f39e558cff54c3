"""Account administration beyond create and update: unlock, reset password, and the
plain-named actions of the users page (deactivate, reactivate, change role).

Admin only, each with the `version` the admin saw: a stale one is a Conflict saying
what changed, and nothing is written. Role and activity go through
`accounts.update_user` (which keeps the last active admin). A password reset ends the
account's open browser sessions; the audit log records "[redacted]" for it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from inocds.adapters.db.models import User
from inocds.services import account_security, accounts
from inocds.services.errors import Conflict

__all__ = ["change_role", "reset_password", "set_active", "unlock"]


def _stale(user: User, version: int) -> Conflict:
    return Conflict(
        f"the account {user.username!r} was changed by someone else since you opened this page "
        f"(version {version}, now {user.version}); reload the page and try again",
        "version",
    )


def set_active(session: Session, actor: User, user_id: int, version: int, active: bool) -> User:
    """Deactivates (refused at login, sessions end) or reactivates an account."""
    user = accounts.get_user(session, actor, user_id)
    if user.version != version:
        raise _stale(user, version)
    if user.id == actor.id and not active:
        raise Conflict("you cannot deactivate your own account", "active")
    # update_user revokes every token and session of an account it deactivates
    return accounts.update_user(session, actor, user_id, version, active=active)


def change_role(session: Session, actor: User, user_id: int, version: int, role: str) -> User:
    """Gives an account another role (the last active admin keeps theirs)."""
    user = accounts.get_user(session, actor, user_id)
    if user.version != version:
        raise _stale(user, version)
    return accounts.update_user(session, actor, user_id, version, role=role)


def unlock(session: Session, actor: User, user_id: int, version: int) -> User:
    """Clears the failed-login count (account_security.unlock_user, audited)."""
    user = accounts.get_user(session, actor, user_id)
    if user.version != version:
        raise _stale(user, version)
    if user.locked_until is None and not user.failed_logins:
        return user
    return account_security.unlock_user(session, actor, user_id)


def reset_password(
    session: Session, actor: User, user_id: int, version: int, password: str
) -> User:
    """Sets a new password (same policy as a new account); account_security revokes every
    token and session of the account and audits the change as "[redacted]"."""
    user = accounts.get_user(session, actor, user_id)
    if user.version != version:
        raise _stale(user, version)
    return account_security.reset_password(session, actor, user_id, password)
