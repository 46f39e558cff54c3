"""The lab values and dose dates of a course document, read for the lab plots.

`lab_charts(document)` gives the four charts `plots.lab_plots_svg` draws (series of
points and the rule thresholds, read from the protocol); `dose_marks(document)` the
dose dates drawn as vertical lines. Unusable values (not a number, no date, a ULN of
zero) are left out rather than drawn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inocds.protocol.loader import load_protocol

__all__ = ["Chart", "Dose", "Point", "Series", "Threshold", "dose_marks", "lab_charts"]


@dataclass(frozen=True)
class Point:
    date: dt.date | None
    """None: the pretreatment value."""
    value: float
    shown: str
    """The value as read out (with its raw value and ULN for liver tests)."""


@dataclass
class Series:
    name: str
    colour: str
    marker: str
    """"circle" or "square"."""
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str


@dataclass(frozen=True)
class Dose:
    date: dt.date
    cycle: int | None
    day: int | None
    dose_mg_per_m2: float | None

    @property
    def text(self) -> str:
        what = f"cycle {self.cycle} day {self.day}" if self.cycle else "dose"
        amount = f", {self.dose_mg_per_m2:g} mg/m2" if self.dose_mg_per_m2 else ""
        return f"{self.date.isoformat()} ({what}{amount})"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str
    series: tuple[Series, ...]
    thresholds: tuple[Threshold, ...]


def _date(value: Any) -> dt.date | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, dt.date) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _ratio(block: Mapping[str, Any], name: str) -> tuple[float, str] | None:
    """(value / ULN, read-out) of a liver test, or None when absent or unusable."""
    item = block.get(name)
    if not isinstance(item, Mapping):
        return None
    value, uln = _number(item.get("value")), _number(item.get("uln"))
    if value is None or uln is None or uln <= 0:
        return None
    ratio = value / uln
    return ratio, f"{ratio:.2f} x ULN ({value:g} of ULN {uln:g})"


def _lab_blocks(document: Mapping[str, Any]) -> list[tuple[dt.date | None, Mapping[str, Any]]]:
    """(date or None for pretreatment, block of lab fields), pretreatment first, by date."""
    blocks: list[tuple[dt.date | None, Mapping[str, Any]]] = []
    patient = document.get("patient")
    if isinstance(patient, Mapping) and isinstance(patient.get("pretreatment"), Mapping):
        blocks.append((None, patient["pretreatment"]))
    dated: list[tuple[dt.date, int, Mapping[str, Any]]] = []
    for index, event in enumerate(document.get("events") or ()):
        if not isinstance(event, Mapping) or event.get("type") not in ("labs", "cycle_start"):
            continue
        date = _date(event.get("date"))
        if date is not None:
            dated.append((date, index, event))
    today = document.get("today")
    if isinstance(today, Mapping) and isinstance(today.get("labs"), Mapping):
        date = _date(today.get("date"))
        if date is not None:
            dated.append((date, len(dated) + 10_000, today["labs"]))
    blocks.extend((date, block) for date, _, block in sorted(dated, key=lambda x: x[:2]))
    return blocks


def dose_marks(document: Mapping[str, Any]) -> list[Dose]:
    doses = []
    for event in document.get("events") or ():
        if not isinstance(event, Mapping) or event.get("type") != "dose":
            continue
        date = _date(event.get("date"))
        if date is None:
            continue
        cycle, day = event.get("cycle"), event.get("day")
        doses.append(
            Dose(
                date,
                cycle if isinstance(cycle, int) else None,
                day if isinstance(day, int) else None,
                _number(event.get("dose_mg_per_m2")),
            )
        )
    return sorted(doses, key=lambda d: d.date)


def _add(series: Series, date: dt.date | None, value: float, shown: str) -> None:
    if not any(p.date == date and p.value == value for p in series.points):
        series.points.append(Point(date, value, shown))


def lab_charts(document: Mapping[str, Any]) -> list[Chart]:
    protocol = load_protocol()
    anc_gate = protocol["heme.anc_gate"].number("anc_per_mm3")
    platelet_gate = protocol["heme.platelet_gate"].number("platelets_per_mm3")
    hepatic = protocol["hepatic.interrupt"]
    bilirubin_limit = hepatic.number("bilirubin_x_uln")
    transaminase_limit = hepatic.number("transaminase_x_uln")

    anc = Series("ANC", "#1f5fa8", "circle")
    platelets = Series("Platelets", "#6a3d9a", "circle")
    bilirubin = Series("Bilirubin", "#9a4a00", "circle")
    ast = Series("AST", "#a31f34", "circle")
    alt = Series("ALT", "#1b6e43", "square")
    for date, block in _lab_blocks(document):
        for series, name in ((anc, "anc_per_mm3"), (platelets, "platelets_per_mm3")):
            value = _number(block.get(name))
            if value is not None and value >= 0:
                _add(series, date, value, f"{_count(value)}/mm3")
        for series, name in ((bilirubin, "bilirubin"), (ast, "ast"), (alt, "alt")):
            ratio = _ratio(block, name)
            if ratio is not None:
                _add(series, date, *ratio)
    return [
        Chart(
            "anc",
            "Absolute neutrophil count (ANC)",
            "per mm3",
            (anc,),
            (Threshold(anc_gate, f"ANC {_count(anc_gate)}/mm3 (heme.anc_gate)"),),
        ),
        Chart(
            "platelets",
            "Platelets",
            "per mm3",
            (platelets,),
            (
                Threshold(
                    platelet_gate, f"Platelets {_count(platelet_gate)}/mm3 (heme.platelet_gate)"
                ),
            ),
        ),
        Chart(
            "bilirubin",
            "Total bilirubin",
            "x ULN",
            (bilirubin,),
            (Threshold(bilirubin_limit, f"{bilirubin_limit:g} x ULN (hepatic.interrupt)"),),
        ),
        Chart(
            "transaminases",
            "AST and ALT",
            "x ULN",
            (ast, alt),
            (Threshold(transaminase_limit, f"{transaminase_limit:g} x ULN (hepatic.interrupt)"),),
        ),
    ]
