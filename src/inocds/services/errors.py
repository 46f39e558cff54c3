"""Errors of the use cases, mapped by the HTTP shell to status codes."""

from __future__ import annotations

__all__ = ["Conflict", "Forbidden", "NotFound", "ServiceError"]


class ServiceError(Exception):
    """A use case refused: `field` names what is wrong, `message` says why."""

    status_code = 400

    def __init__(self, message: str, field: str = "(request)") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        """The contract's error shape."""
        return {"errors": [{"field": self.field, "message": self.message}]}


class Forbidden(ServiceError):
    """The user's role may not do this (403)."""

    status_code = 403


class NotFound(ServiceError):
    """No such record (404)."""

    status_code = 404


class Conflict(ServiceError):
    """The record's state does not allow this, or the write is stale (409)."""

    status_code = 409
