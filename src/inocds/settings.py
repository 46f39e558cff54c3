"""Settings from the environment, read once by the composition root (never at import)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_DATABASE_URL", "Settings", "load_settings", "site_zone"]

DEFAULT_DATABASE_URL = "sqlite:///inocds.sqlite3"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(value: str | None) -> bool | None:
    """'1'/'true'/'yes'/'on' -> True, '0'/'false'/'no'/'off' -> False, unset or other -> None."""
    if value is None:
        return None
    word = value.strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


@dataclass(frozen=True)
class Settings:
    """The service's settings.

    `secure_cookies` None means automatic: the session cookie is `Secure` unless the
    request's host is localhost, 127.0.0.1 or ::1. `allowed_origins` are origins
    (`https://ward.example.org`) admitted, besides the request's own host, for
    cookie-authenticated writes and logins. `audit_key` is the audit HMAC key
    (INOCDS_AUDIT_KEY); when unset, a key file in `audit_key_dir` (or beside the
    SQLite file) is used, created on first need (see adapters/db/audit_key.py).
    """

    database_url: str
    secure_cookies: bool | None = None
    allowed_origins: tuple[str, ...] = ()
    audit_key: str | None = None
    audit_key_dir: str | None = None
    cds_auth: str = "auto"  # "on" | "off" | "auto" (required unless the caller is on loopback)
    cds_clients_file: str | None = None  # JSON: trusted CDS clients' issuers and public keys
    vial_sharing_policy: str = "none"
    """The pharmacy's vial-sharing policy (pharmacy.vial_sharing): none, same_patient or
    across_patients; INOCDS_VIAL_SHARING_POLICY."""
    vial_price_usd: float | None = None
    """The site's price of one vial (None: the protocol's AWP); INOCDS_VIAL_PRICE_USD."""

    @property
    def database_kind(self) -> str:
        """'sqlite' or 'postgresql' (the part of the URL before '+' or ':')."""
        return self.database_url.split(":", 1)[0].split("+", 1)[0]


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment)."""
    env = os.environ if environ is None else environ
    origins = env.get("INOCDS_ALLOWED_ORIGINS", "")
    price = env.get("INOCDS_VIAL_PRICE_USD", "").strip()
    policy = env.get("INOCDS_VIAL_SHARING_POLICY", "").strip() or "none"
    from inocds.protocol.loader import load_protocol

    known = load_protocol()["pharmacy.vial_sharing"].texts("policies")
    if policy not in known:
        raise ValueError(f"INOCDS_VIAL_SHARING_POLICY must be one of {', '.join(known)}")
    return Settings(
        database_url=env.get("INOCDS_DATABASE_URL", DEFAULT_DATABASE_URL),
        secure_cookies=_flag(env.get("INOCDS_SECURE_COOKIES")),
        allowed_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
        audit_key=env.get("INOCDS_AUDIT_KEY") or None,
        audit_key_dir=env.get("INOCDS_AUDIT_KEY_DIR") or None,
        cds_auth=env.get("INOCDS_CDS_AUTH", "auto"),
        cds_clients_file=env.get("INOCDS_CDS_CLIENTS") or None,
        vial_sharing_policy=policy,
        vial_price_usd=_positive(price, "INOCDS_VIAL_PRICE_USD") if price else None,
    )


def site_zone(environ: dict[str, str] | None = None) -> dt.tzinfo:
    """The site's time zone: `INOCDS_TIMEZONE` (IANA name), else the server's local zone.

    The pages and the printed documents show every time in this one zone. An unknown
    name falls back to the server's zone rather than failing a print-out.
    """
    env = os.environ if environ is None else environ
    name = env.get("INOCDS_TIMEZONE", "").strip()
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    local = dt.datetime.now().astimezone().tzinfo
    return local if local is not None else dt.UTC


def _positive(raw: str, name: str) -> float:
    """A positive number from the environment, or a clear start-up error."""
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a positive number, got {raw!r}")
    return value
