"""Role checks of the use cases (the HTTP shell checks them too, for its route table)."""

from __future__ import annotations

from inocds.adapters.db.models import User
from inocds.services.errors import Forbidden

__all__ = ["require_role"]


def require_role(actor: User, *roles: str) -> None:
    """Raises Forbidden unless the active user has one of `roles`."""
    if not actor.active or actor.role not in roles:
        raise Forbidden(f"role {actor.role!r} may not do this; allowed: {', '.join(roles)}", "role")
