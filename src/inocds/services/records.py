"""The stored records and the unit of work, as the use cases take and hand them back.

Entry points type their arguments with these names and never import the database
adapter or SQLAlchemy themselves (an import-linter contract says so): what they
need from storage they ask a service for.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from inocds.adapters.db.models import (
    ROLES,
    Administration,
    AuditEntry,
    Course,
    CourseEvent,
    Measurement,
    Order,
    Patient,
    Preparation,
    User,
    Verification,
)
from inocds.adapters.db.roles import CLINICAL_ROLES, RECORDER_ROLES, Role

__all__ = [
    "CLINICAL_ROLES",
    "RECORDER_ROLES",
    "ROLES",
    "Administration",
    "AuditEntry",
    "Course",
    "CourseEvent",
    "Measurement",
    "Order",
    "Patient",
    "Preparation",
    "Role",
    "Session",
    "User",
    "Verification",
]
