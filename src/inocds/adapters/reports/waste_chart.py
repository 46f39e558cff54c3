"""An inline SVG bar chart of the month's waste: one bar per group, its mg and its cost.

`waste_chart_svg(title, rows)` takes `(label, mg, cost_usd)` rows (by reason or by
course). The chart is `role="img"` with a `<title>` and a `<desc>` that reads every
value, so a screen reader gets the numbers; labels are at least 12 px. No library.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = ["waste_chart_svg"]

_WIDTH = 680
_LABEL_W = 250
_BAR_H = 22
_GAP = 12
_TOP = 40
_RIGHT = 150
_BAR = "#8a3b12"
_TEXT = "#1a1a1a"


def _money(value: float) -> str:
    return f"{value:,.2f} USD"


def waste_chart_svg(
    title: str, rows: Sequence[tuple[str, float, float]], svg_id: str = "waste"
) -> str:
    """Horizontal bars of mg per group, each labelled with its mg and cost."""
    height = _TOP + max(1, len(rows)) * (_BAR_H + _GAP) + 10
    top_mg = max((mg for _, mg, _ in rows), default=0.0)
    scale = (_WIDTH - _LABEL_W - _RIGHT) / top_mg if top_mg > 0 else 0.0
    description = "; ".join(f"{label}: {mg:g} mg, {_money(cost)}" for label, mg, cost in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(svg_id)}" role="img" '
        f'viewBox="0 0 {_WIDTH} {height}" width="100%" style="max-width:{_WIDTH}px" '
        f'aria-labelledby="{escape(svg_id)}-title {escape(svg_id)}-desc" font-family="sans-serif">',
        f'<title id="{escape(svg_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(svg_id)}-desc">{escape(description or "nothing wasted")}</desc>',
        f'<text x="0" y="20" font-size="15" fill="{_TEXT}" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    if not rows or top_mg <= 0:
        parts.append(
            f'<text x="0" y="{_TOP + 16}" font-size="13" fill="{_TEXT}">Nothing wasted.</text>'
        )
    for i, (label, mg, cost) in enumerate(rows):
        y = _TOP + i * (_BAR_H + _GAP)
        width = max(mg * scale, 1.0 if mg > 0 else 0.0)
        parts.append(
            f'<text x="{_LABEL_W - 8}" y="{y + 16}" font-size="13" text-anchor="end" '
            f'fill="{_TEXT}">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{_LABEL_W}" y="{y}" width="{width:.1f}" height="{_BAR_H}" fill="{_BAR}">'
            f"<title>{escape(label)}: {mg:g} mg, {_money(cost)}</title></rect>"
        )
        parts.append(
            f'<text x="{_LABEL_W + width + 6:.1f}" y="{y + 16}" font-size="12" fill="{_TEXT}">'
            f"{mg:g} mg · {escape(_money(cost))}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
