"""The course document's objects made with the NamedTuples' keyword constructors: the
reference the one-pass reader (`documents` makers, `validation_source`) is compared with
in test_course_reader.py and test_document_tuples.py. Deliberately plain: one keyword per
field, so a field written in the wrong place by the reader shows as a difference."""

from __future__ import annotations

from typing import Any

from inocds.clinical.documents import Event, Labs, LabValue

__all__ = ["keyword_event", "keyword_labs"]


def _lab_value(raw: dict[str, Any] | None) -> LabValue | None:
    return LabValue(value=raw["value"], uln=raw["uln"]) if raw else None


def keyword_labs(raw: dict[str, Any] | None) -> Labs:
    """The counts and liver tests of a cleaned object (an empty Labs when there is none)."""
    if not raw:
        return Labs()
    return Labs(
        anc_per_mm3=raw.get("anc_per_mm3"),
        platelets_per_mm3=raw.get("platelets_per_mm3"),
        bilirubin=_lab_value(raw.get("bilirubin")),
        ast=_lab_value(raw.get("ast")),
        alt=_lab_value(raw.get("alt")),
    )


def keyword_event(index: int, raw: dict[str, Any]) -> Event:
    """The event at `index` of a cleaned course document."""
    get = raw.get
    if raw["type"] == "toxicity":
        return Event(
            position=index,
            type="toxicity",
            date=raw["onset"],
            cycle=get("cycle"),
            category=raw["category"],
            name=get("name"),
            grade=raw["grade"],
            resolved=get("resolved"),
        )
    return Event(
        position=index,
        type=raw["type"],
        date=raw["date"],
        cycle=get("cycle"),
        day=get("day"),
        dose_mg_per_m2=get("dose_mg_per_m2"),
        labs=keyword_labs(raw) if raw["type"] in ("labs", "cycle_start") else None,
        status=get("status"),
        mrd=get("mrd"),
        reason=get("reason"),
    )
