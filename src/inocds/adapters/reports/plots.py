"""Inline SVG line charts of the blood counts and liver tests across a course.

`lab_plots_svg(document)` draws four charts from the contract's course document:
ANC and platelets (per mm3), total bilirubin and AST/ALT (as multiples of the upper
limit of normal). Values come from the pretreatment block (drawn first, at
"before"), the counts of `cycle_start` events, `labs` events and `today.labs`.
Each chart draws the rule thresholds, read from the protocol:

- ANC 1,000/mm3 (heme.anc_gate) and platelets 50,000/mm3 (heme.platelet_gate),
  the counts a new cycle waits for;
- bilirubin 1.5 x ULN and AST/ALT 2.5 x ULN (hepatic.interrupt), above which
  together dosing stops.

Dose dates are dashed vertical lines (day 1 labelled with its cycle). Every chart
is `role="img"` with a `<title>` and a `<desc>` that lists every value, so a screen
reader gets the numbers; every point has its own tooltip. No plotting library.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from inocds.adapters.reports.lab_series import Chart, Dose, Series, dose_marks, lab_charts

__all__ = ["PLOT_KEYS", "lab_plots_svg"]

PLOT_KEYS = ("anc", "platelets", "bilirubin", "transaminases")
"""The keys of `lab_plots_svg`'s answer, in display order."""

_WIDTH, _HEIGHT = 440, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 62, 16, 56, 46
_FONT, _SMALL, _TITLE = 15, 14, 16
"""Text sizes in SVG units: the plot is drawn 440 wide so that on a 390 px phone (about
370 px of content, a scale of 0.84) the smallest text is still about 11.8 px."""
_BEFORE_SLOT = 64
"""Width of the "before" slot at the left of the plot area (pretreatment values)."""
_TEXT = "#1a1a1a"
_MUTED = "#555"
_GRID = "#d9d9d9"
_THRESHOLD = "#b00020"
_DOSE = "#6b6b6b"


# ------------------------------------------------------------------ drawing


def _nice_ticks(top: float) -> list[float]:
    """0 to at least `top` in 3-6 round steps (1, 2, 2.5 or 5 x a power of ten)."""
    if top <= 0:
        top = 1.0
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def _tick_text(value: float, unit: str) -> str:
    if unit == "x ULN":
        return f"{value:g}"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


@dataclass(frozen=True)
class _Frame:
    """Maps dates and values to SVG coordinates."""

    x0: float
    x1: float
    y0: float
    y1: float
    first: dt.date | None
    last: dt.date | None
    before_x: float | None
    top: float

    def x(self, date: dt.date | None) -> float:
        if date is None:
            return self.before_x if self.before_x is not None else self.x0
        if self.first is None or self.last is None or self.first == self.last:
            return (self.x0 + self.x1) / 2
        span = (self.last - self.first).days
        return self.x0 + (date - self.first).days / span * (self.x1 - self.x0)

    def y(self, value: float) -> float:
        return self.y1 - value / self.top * (self.y1 - self.y0)


def _frame(chart: Chart, doses: Sequence[Dose], ticks: Sequence[float]) -> _Frame:
    dates = [p.date for s in chart.series for p in s.points if p.date is not None]
    dates += [d.date for d in doses]
    has_before = any(p.date is None for s in chart.series for p in s.points)
    x0 = _LEFT + 12 + (_BEFORE_SLOT if has_before else 0)
    return _Frame(
        x0=x0,
        x1=_WIDTH - _RIGHT - 12,
        y0=_TOP,
        y1=_HEIGHT - _BOTTOM,
        first=min(dates, default=None),
        last=max(dates, default=None),
        before_x=_LEFT + 24 if has_before else None,
        top=ticks[-1],
    )


def _date_ticks(frame: _Frame) -> list[dt.date]:
    if frame.first is None or frame.last is None:
        return []
    span = (frame.last - frame.first).days
    if span == 0:
        return [frame.first]
    count = min(5, span + 1)
    step = span / (count - 1)
    days = sorted({round(i * step) for i in range(count)})
    return [frame.first + dt.timedelta(days=d) for d in days]


def _marker(series: Series, x: float, y: float, tip: str) -> str:
    title = f"<title>{escape(tip)}</title>"
    if series.marker == "square":
        return (
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
            f'fill="{series.colour}">{title}</rect>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{series.colour}">{title}</circle>'


def _description(chart: Chart, doses: Sequence[Dose]) -> str:
    parts = []
    for series in chart.series:
        if series.points:
            values = "; ".join(
                f"{'before treatment' if p.date is None else p.date.isoformat()}: {p.shown}"
                for p in series.points
            )
            parts.append(f"{series.name}: {values}.")
        else:
            parts.append(f"{series.name}: no value recorded.")
    parts.append("Threshold: " + "; ".join(t.label for t in chart.thresholds) + ".")
    if doses:
        parts.append("Doses: " + "; ".join(d.text for d in doses) + ".")
    else:
        parts.append("No dose recorded.")
    return " ".join(parts)


def _svg(chart: Chart, doses: Sequence[Dose], id_prefix: str) -> str:
    values = [p.value for s in chart.series for p in s.points]
    top = max([*values, *(t.value for t in chart.thresholds)], default=1.0) * 1.12
    ticks = _nice_ticks(top)
    frame = _frame(chart, doses, ticks)
    out = [
        *_heading(chart, doses, f"{id_prefix}{chart.key}"),
        *_value_axis(chart, frame, ticks),
        *_date_axis(frame),
        *_dose_marks(doses, frame),
        *_threshold_lines(chart, frame),
        *_series_lines(chart, frame),
        *_legend(chart),
    ]
    if not values:
        out.append(
            f'<text x="{(_LEFT + _WIDTH - _RIGHT) / 2:.1f}" y="{(frame.y0 + frame.y1) / 2:.1f}" '
            f'text-anchor="middle" fill="{_MUTED}" font-size="{_FONT}">'
            "No values recorded yet</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _heading(chart: Chart, doses: Sequence[Dose], ident: str) -> list[str]:
    """The opening `<svg>`, its accessible title and description, and the visible title."""
    title = f"{chart.title} ({chart.unit}) across the course"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="{_WIDTH}" height="{_HEIGHT}" role="img" class="lab-plot" '
        f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
        f'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" '
        f'font-size="{_FONT}">',  # sized by the page's style sheet (.lab-plot): CSP forbids style=
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(_description(chart, doses))}</desc>',
        f'<text x="8" y="20" font-size="{_TITLE}" font-weight="bold" fill="{_TEXT}">'
        f"{escape(chart.title)} <tspan font-weight="
        f'"normal" fill="{_MUTED}">({escape(chart.unit)})</tspan></text>',
    ]


def _value_axis(chart: Chart, frame: _Frame, ticks: Sequence[float]) -> list[str]:
    """The horizontal grid, its labels and the base line."""
    out = []
    for tick in ticks:
        y = frame.y(tick)
        out.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="{_GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{_MUTED}">'
            f"{escape(_tick_text(tick, chart.unit))}</text>"
        )
    out.append(
        f'<line x1="{_LEFT}" y1="{frame.y1}" x2="{_WIDTH - _RIGHT}" y2="{frame.y1}" '
        f'stroke="{_MUTED}" stroke-width="1"/>'
    )
    return out


def _date_axis(frame: _Frame) -> list[str]:
    """The dates under the chart, and "before" for the pretreatment values."""
    out = []
    for date in _date_ticks(frame):
        x = frame.x(date)
        out.append(
            f'<text x="{x:.1f}" y="{frame.y1 + 18}" text-anchor="middle" fill="{_MUTED}">'
            f"{date.strftime('%d %b')}</text>"
        )
    if frame.before_x is not None:
        out.append(
            f'<text x="{frame.before_x:.1f}" y="{frame.y1 + 18}" text-anchor="middle" '
            f'fill="{_MUTED}">before</text>'
        )
    return out


def _dose_marks(doses: Sequence[Dose], frame: _Frame) -> list[str]:
    """A dashed line and a mark at each dose date; the cycle named on its day 1."""
    out = []
    for dose in doses:
        x = frame.x(dose.date)
        out.append(
            f'<g class="dose"><title>{escape("Dose " + dose.text)}</title>'
            f'<line x1="{x:.1f}" y1="{frame.y0}" x2="{x:.1f}" y2="{frame.y1}" '
            f'stroke="{_DOSE}" stroke-width="1" stroke-dasharray="3 3"/>'
            f'<path d="M{x - 5:.1f},{frame.y1 + 8} L{x + 5:.1f},{frame.y1 + 8} '
            f'L{x:.1f},{frame.y1 + 1} Z" fill="{_DOSE}"/></g>'
        )
        if dose.day == 1 and dose.cycle is not None:
            out.append(
                f'<text x="{x + 3:.1f}" y="{frame.y0 + 10}" font-size="{_SMALL}" fill="{_MUTED}">'
                f"C{dose.cycle}</text>"
            )
    return out


def _threshold_lines(chart: Chart, frame: _Frame) -> list[str]:
    """Each threshold of the protocol as a labelled dashed line."""
    out = []
    for threshold in chart.thresholds:
        y = frame.y(threshold.value)
        out.append(
            f'<g class="threshold"><line x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" '
            f'y2="{y:.1f}" stroke="{_THRESHOLD}" stroke-width="1.5" stroke-dasharray="8 4"/>'
            f'<text x="{_WIDTH - _RIGHT - 4}" y="{y - 5:.1f}" text-anchor="end" '
            f'fill="{_THRESHOLD}" font-size="{_SMALL}" paint-order="stroke" stroke="#fff" '
            f'stroke-width="3">{escape(threshold.label)}</text></g>'
        )
    return out


def _series_lines(chart: Chart, frame: _Frame) -> list[str]:
    """Each series: a line through its values and a marker (with a tip) at each."""
    out = []
    for series in chart.series:
        points = series.points
        if len(points) > 1:
            path = " ".join(f"{frame.x(p.date):.1f},{frame.y(p.value):.1f}" for p in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{series.colour}" '
                f'stroke-width="2" stroke-linejoin="round"/>'
            )
        for p in points:
            when = "before treatment" if p.date is None else p.date.isoformat()
            tip = f"{series.name} {when}: {p.shown}"
            out.append(_marker(series, frame.x(p.date), frame.y(p.value), tip))
    return out


def _legend(chart: Chart) -> list[str]:
    """Names beside markers when a chart has more than one series (colour is never the
    only cue)."""
    out = []
    if len(chart.series) > 1:
        x = _LEFT
        for series in chart.series:
            out.append(_marker(series, x, 36, series.name))
            out.append(f'<text x="{x + 8}" y="41" fill="{_TEXT}">{escape(series.name)}</text>')
            x += 70
    return out


def lab_plots_svg(document: Mapping[str, Any], id_prefix: str = "plot-") -> dict[str, str]:
    """Four inline SVG charts of the course document: `anc`, `platelets`, `bilirubin`,
    `transaminases` (see PLOT_KEYS), each a complete `<svg>` element.

    `id_prefix` starts the ids of each chart's title and description (unique per page).
    Missing or malformed values are skipped; with none, the chart says so.
    """
    doses = dose_marks(document)
    prefix = re.sub(r"[^A-Za-z0-9_-]", "", id_prefix)
    return {chart.key: _svg(chart, doses, prefix) for chart in lab_charts(document)}
