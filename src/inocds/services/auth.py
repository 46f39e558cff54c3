"""Who is asking: argon2 passwords, lockout, bearer tokens, browser sessions, user accounts.

Secrets never reach the database or the audit log in clear: passwords are stored as
argon2 hashes, bearer tokens and session cookies as their SHA-256; the audit log
records `"[redacted]"` where a password changed. Every write is audited. Nothing
here commits: the caller's unit of work does.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from inocds.adapters.db.models import ApiToken, User, WebSession
from inocds.services.audit import record
from inocds.services.errors import ServiceError

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

__all__ = [
    "DEFAULT_TOKEN_TTL",
    "MIN_PASSWORD_LENGTH",
    "WEB_SESSION_TTL",
    "AccountLocked",
    "InvalidCredentials",
    "SessionLogin",
    "authenticate",
    "close_web_session",
    "hash_password",
    "issue_token",
    "open_web_session",
    "revoke_credentials",
    "revoke_token",
    "session_expired",
    "token_digest",
    "token_expiry",
    "user_for_session_cookie",
    "user_for_token",
    "user_json",
    "verify_password",
]

# The numbers of the login policy, in one place. Wrong passwords are counted on the account
# (and audited) but never lock it: an anonymous client could otherwise lock anyone out.
# Guessing is slowed by the throttle in front of the login routes (services/login_throttle.py).
# `locked_until`, when set, still refuses logins until then (423). Bearer tokens live twelve
# hours unless asked otherwise; a browser session eight hours (one shift). Passwords have
# at least twelve characters (NIST SP 800-63B asks for at least eight; we ask for more
# because accounts order chemotherapy),
# and at most 1024 so that hashing stays cheap.
DEFAULT_TOKEN_TTL = dt.timedelta(hours=12)
WEB_SESSION_TTL = dt.timedelta(hours=8)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_HASHER = PasswordHasher()


class InvalidCredentials(ServiceError):
    """Wrong username or password, or an inactive account (401; the message never says which)."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("wrong username or password", "password")


class AccountLocked(ServiceError):
    """The account's `locked_until` is in the future: refused until then (423)."""

    status_code = 423

    def __init__(self, locked_until: dt.datetime) -> None:
        super().__init__(
            f"the account is locked until {locked_until.isoformat(timespec='seconds')}",
            "username",
        )
        self.locked_until = locked_until


@dataclass(frozen=True)
class SessionLogin:
    """The user of a valid browser session and the session's CSRF token."""

    user: User
    csrf_token: str


def _now(now: dt.datetime | None) -> dt.datetime:
    return dt.datetime.now(dt.UTC) if now is None else _aware(now)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that the answer takes as long."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def session_expired(expires_at: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Whether a browser session that ends at `expires_at` has ended (at `now`)."""
    return _aware(expires_at) <= _now(now)


def token_digest(token: str) -> str:
    """What the database keeps of a bearer token (its SHA-256, hex)."""
    return _sha256(token)


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (salted; encodes its own parameters)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`; False for a malformed hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def user_json(user: User) -> dict[str, Any]:
    """The user as the audit log and the API show it: never the password hash."""
    locked = user.locked_until
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "active": user.active,
        "failed_logins": user.failed_logins,
        "locked_until": None if locked is None else _aware(locked).isoformat(),
        "version": user.version,
    }


def _user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def authenticate(
    session: Session, username: str, password: str, now: dt.datetime | None = None
) -> User:
    """The user whose password this is; raises InvalidCredentials or AccountLocked.

    A failure is counted (and audited) on the user, never locking it: the caller must
    commit even though it answers with an error. A success resets the count.
    """
    moment = _now(now)
    user = _user_by_name(session, username)
    if user is None:
        verify_password(_dummy_hash(), password)
        raise InvalidCredentials()
    before = user_json(user)
    if user.locked_until is not None and _aware(user.locked_until) > moment:
        raise AccountLocked(_aware(user.locked_until))
    if not user.active:
        verify_password(user.password_hash, password)
        raise InvalidCredentials()
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        record(session, None, "user.login_failed", "user", user.id, before, user_json(user))
        raise InvalidCredentials()
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    record(session, user.id, "user.login", "user", user.id, before, user_json(user))
    return user


def issue_token(
    session: Session,
    user: User,
    name: str = "",
    ttl: dt.timedelta = DEFAULT_TOKEN_TTL,
    now: dt.datetime | None = None,
) -> str:
    """A new bearer token for `user`, valid for `ttl`; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_sha256=_sha256(token),
        name=name,
        created_at=_now(now),
        expires_at=_now(now) + ttl,
    )
    session.add(row)
    session.flush()
    after = {"user_id": user.id, "name": name, "expires_at": row.expires_at.isoformat()}
    record(session, user.id, "token.issue", "api_token", row.id, None, after)
    return token


def token_expiry(session: Session, token: str) -> dt.datetime | None:
    """When `token` expires (None for an unknown token)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _sha256(token)))
    return None if row is None else _aware(row.expires_at)


def user_for_token(session: Session, token: str, now: dt.datetime | None = None) -> User | None:
    """The active user of a bearer token that is neither revoked nor expired, else None.

    One query (token joined to its user): it runs on every API request.
    """
    found = session.execute(
        select(User, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == _sha256(token), ApiToken.revoked.is_(False))
    ).first()
    if found is None or _aware(found[1]) <= _now(now):
        return None
    user: User = found[0]
    return user if user.active else None


def revoke_token(session: Session, token: str) -> None:
    """Revokes a bearer token (logout); an unknown or revoked token is left alone."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _sha256(token)))
    if row is None or row.revoked:
        return
    row.revoked = True
    before, after = {"revoked": False}, {"revoked": True}
    record(session, row.user_id, "token.revoke", "api_token", row.id, before, after)


def revoke_credentials(session: Session, actor_id: int | None, user_id: int, why: str) -> None:
    """Revokes every bearer token and ends every browser session of the user (audited)."""
    tokens = cast(
        "CursorResult[Any]",
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
            .values(revoked=True)
            .execution_options(synchronize_session=False)
        ),
    )
    sessions = cast(
        "CursorResult[Any]",
        session.execute(
            delete(WebSession)
            .where(WebSession.user_id == user_id)
            .execution_options(synchronize_session=False)
        ),
    )
    after = {"why": why, "tokens_revoked": tokens.rowcount, "sessions_ended": sessions.rowcount}
    record(session, actor_id, "user.credentials_revoked", "user_credentials", user_id, None, after)


def open_web_session(
    session: Session, user: User, now: dt.datetime | None = None
) -> tuple[str, str]:
    """A new browser session: (cookie value, CSRF token); only the cookie's SHA-256 is stored."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    row = WebSession(
        session_sha256=_sha256(cookie),
        user_id=user.id,
        csrf_token=csrf,
        created_at=_now(now),
        expires_at=_now(now) + WEB_SESSION_TTL,
    )
    session.add(row)
    session.flush()
    after = {"user_id": user.id, "expires_at": row.expires_at.isoformat()}
    record(session, user.id, "web_session.open", "web_session", row.id, None, after)
    return cookie, csrf


def user_for_session_cookie(
    session: Session, cookie: str, now: dt.datetime | None = None
) -> SessionLogin | None:
    """The active user and CSRF token of an unexpired browser session, else None."""
    found = session.execute(_SESSION_AND_USER, {"digest": _sha256(cookie)}).first()
    if found is None:  # no such session, or (inner join) no such user
        return None
    row, user = found
    if session_expired(row.expires_at, now) or not user.active:
        return None
    return SessionLogin(user, row.csrf_token)


_SESSION_AND_USER = (
    select(WebSession, User)
    .join(User, User.id == WebSession.user_id)
    .where(WebSession.session_sha256 == bindparam("digest"))
)
"""A browser session and its user, one query (built once: each call binds the digest)."""


def close_web_session(session: Session, cookie: str) -> None:
    """Ends a browser session (logout); an unknown cookie is left alone."""
    row = session.scalar(select(WebSession).where(WebSession.session_sha256 == _sha256(cookie)))
    if row is None:
        return
    before = {"user_id": row.user_id, "expires_at": _aware(row.expires_at).isoformat()}
    session.delete(row)
    record(session, row.user_id, "web_session.close", "web_session", row.id, before, None)
