"""The accounts' roles, named once: the users table's constraint, the use cases' checks,
the API's role dependencies and the pages all read them from here."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = ["CLINICAL_ROLES", "RECORDER_ROLES", "ROLES", "Role"]


class Role(StrEnum):
    """What an account may do (one role per account)."""

    PHYSICIAN = "physician"
    PHARMACIST = "pharmacist"
    NURSE = "nurse"
    ADMIN = "admin"


ROLES: Final = tuple(role.value for role in Role)
"""Every role's name, in the order the users table's constraint lists them."""

CLINICAL_ROLES: Final = (Role.PHYSICIAN.value, Role.PHARMACIST.value, Role.NURSE.value)
"""The roles that see patients, courses and orders."""

RECORDER_ROLES: Final = (Role.PHYSICIAN.value, Role.NURSE.value)
"""The roles that register patients and record their details and measurements."""
