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
    price = env.get("INOCDS_VIAL_PRICE_USD", "").strip()
    policy = env.get("INOCDS_VIAL_SHARING_POLICY", "").strip() or "none"
    from inocds.protocol.loader import load_protocol

    known = load_protocol()["pharmacy.vial_sharing"].texts("policies")
    if policy not in known:
        raise ValueError(f"INOCDS_VIAL_SHARING_POLICY must be one of {', '.join(known)}")
    return Settings(
        database_url=env.get("INOCDS_DATABASE_URL", DEFAULT_DATABASE_URL),
        vial_sharing_policy=policy,
        vial_price_usd=_positive(price, "INOCDS_VIAL_PRICE_USD") if price else None,
    )


def _positive(raw: str, name: str) -> float:
    """A positive number from the environment, or a clear start-up error."""
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a positive number, got {raw!r}")
    return value
