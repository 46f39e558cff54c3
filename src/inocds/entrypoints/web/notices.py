"""What a page says after a form succeeded (`?saved=...` on the redirect)."""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["NOTICES", "notice_for"]

NOTICES = {
    "patient": "The patient is registered.",
    "measurement": "The height and weight are recorded.",
    "course": "The course is open.",
    "labs": "The lab values are recorded.",
    "toxicity": "The toxicity is recorded.",
    "response": "The response is recorded.",
    "cycle_start": "The start of the cycle is recorded.",
    "discontinued": "The end of treatment is recorded.",
    "dose": "The dose given outside this system is recorded.",
    "retracted": "The entry is withdrawn (it stays in the history).",
    "resolved": "The toxicity is marked resolved (the earlier entry stays in the history).",
    "signed": "The order is signed. It now waits for a pharmacist's verification.",
    "verified": "The order is verified: the dose was reproduced from your own entry.",
    "returned": "The order went back to the prescriber for recalculation (weight change).",
    "prepared": "The preparation is recorded; the beyond-use clock is running.",
    "administered": "The administration is recorded as the course's dose.",
    "cancelled": "The order is cancelled.",
    "user": "The account is created.",
    "patient_updated": "The patient's details are saved.",
    "user_updated": "The account is changed.",
}
"""Notices by the `saved` query value."""


_CONVERSION = re.compile(r"^[A-Za-z ]{1,40} [0-9.]{1,12} × 10\^[39]/(?:µL|L) = [0-9,]{1,12}/mm³$")
"""A unit conversion note (`Form.count`); anything else in `note` is not shown."""


def notice_for(query: Mapping[str, str]) -> str | None:
    """The notice of a redirect's query (None when nothing was saved), with the unit
    conversions the form made ("ANC 1.5 × 10^9/L = 1,500/mm³")."""
    notice = NOTICES.get(query.get("saved") or "")
    if notice is None:
        return None
    notes = [n for n in getattr(query, "getlist", lambda _: [])("note") if _CONVERSION.match(n)]
    return notice + (" Converted: " + "; ".join(notes) + "." if notes else "")
