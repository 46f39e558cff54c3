"""Settings from the environment, read once by the composition root (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["DEFAULT_DATABASE_URL", "Settings", "load_settings"]

DEFAULT_DATABASE_URL = "sqlite:///inocds.sqlite3"


@dataclass(frozen=True)
class Settings:
    """The service's settings."""

    database_url: str
    cds_auth: str = "auto"  # "on" | "off" | "auto" (required unless the caller is on loopback)
    cds_clients_file: str | None = None  # JSON: trusted CDS clients' issuers and public keys

    @property
    def database_kind(self) -> str:
        """'sqlite' or 'postgresql' (the part of the URL before '+' or ':')."""
        return self.database_url.split(":", 1)[0].split("+", 1)[0]


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment)."""
    env = os.environ if environ is None else environ
    return Settings(
        database_url=env.get("INOCDS_DATABASE_URL", DEFAULT_DATABASE_URL),
        cds_auth=env.get("INOCDS_CDS_AUTH", "auto"),
        cds_clients_file=env.get("INOCDS_CDS_CLIENTS") or None,
    )
