"""The browser session's user read on the quick-read pool (`adapters/db/quick_read.py`).

`auth.user_for_session_cookie` reads the session and its user through the ORM session: on
the course page that read was a tenth of the server's time (ORM compile and execute, the
identity map). Here the same join is one prepared SELECT on an autocommit connection of
its own, with the same rules, checked on every request against the database: an unknown
or ended session (logout, revoked credentials), an expired one or an inactive user gives
None; role, name and CSRF token are the stored ones of this moment.

The user comes back as a detached `User` holding every column (never added to the page's
unit of work; were it merged or added, it is the stored row, not a new one).
`ReadUnavailable` (no connection, a failed query) is the caller's cue to ask the ordinary
path.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached

from inocds.adapters.db.models import User, WebSession
from inocds.adapters.db.quick_read import QuickCursor, QuickReads, ReadUnavailable
from inocds.services.auth import SessionLogin, session_expired, token_digest

__all__ = ["USER_COLUMNS", "ReadUnavailable", "session_login", "session_login_on"]

USER_COLUMNS = tuple(column.key for column in User.__table__.columns)
"""Every column of a user: the detached `User` has each of them loaded."""
_new_user = User.__mapper__.class_manager.new_instance
"""A `User` with its instance state and no attribute set (what `User()` makes)."""

_SESSION_AND_USER = (
    select(
        *(getattr(User, key) for key in USER_COLUMNS),
        WebSession.csrf_token.label("session_csrf_token"),
        WebSession.expires_at.label("session_expires_at"),
    )
    .join(User, User.id == WebSession.user_id)
    .where(WebSession.session_sha256 == bindparam("digest"))
)


def session_login(
    reads: QuickReads, cookie: str, now: dt.datetime | None = None
) -> SessionLogin | None:
    """The active user and CSRF token of an unexpired browser session, else None (as
    `auth.user_for_session_cookie`); raises `ReadUnavailable` when the read fails."""
    with reads.cursor() as cursor:
        return session_login_on(cursor, cookie, now)


def session_login_on(
    cursor: QuickCursor, cookie: str, now: dt.datetime | None = None
) -> SessionLogin | None:
    """`session_login` on a connection already checked out (a page's other reads follow)."""
    found = cursor.first(_SESSION_AND_USER, {"digest": token_digest(cookie)})
    if found is None or session_expired(found.session_expires_at, now) or not found.active:
        return None
    user = _new_user()  # as `User(**columns)`, without an attribute event per column
    user.__dict__.update({key: getattr(found, key) for key in USER_COLUMNS})
    make_transient_to_detached(user)
    return SessionLogin(user, found.session_csrf_token)
