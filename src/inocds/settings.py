"""Settings from the environment, read once by the composition root (never at import)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_DATABASE_URL", "Settings", "load_settings", "site_zone"]

DEFAULT_DATABASE_URL = "sqlite:///inocds.sqlite3"


@dataclass(frozen=True)
class Settings:
    """The service's settings."""

    database_url: str

    @property
    def database_kind(self) -> str:
        """'sqlite' or 'postgresql' (the part of the URL before '+' or ':')."""
        return self.database_url.split(":", 1)[0].split("+", 1)[0]


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment)."""
    env = os.environ if environ is None else environ
    return Settings(database_url=env.get("INOCDS_DATABASE_URL", DEFAULT_DATABASE_URL))


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
