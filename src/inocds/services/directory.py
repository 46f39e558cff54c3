"""Who is who: account names as pages and documents print them, and whether any exists."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import User

__all__ = ["display_names", "has_users", "name_of"]


def has_users(session: Session) -> bool:
    """Whether any account exists (the first run creates the administrator)."""
    return session.scalar(select(User.id).limit(1)) is not None


def display_names(session: Session) -> dict[int, str]:
    """Every account's name as the pages show it (full name, else username), by id."""
    return {u.id: u.full_name or u.username for u in session.scalars(select(User))}


def name_of(session: Session, user_id: int | None) -> str:
    """One account's name as documents print it (full name, else username; "" if none)."""
    user = session.get(User, user_id) if user_id is not None else None
    return "" if user is None else (user.full_name or user.username)
