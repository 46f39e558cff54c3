"""The printed page of every PDF: A4, a Unicode font, the site's time zone, layout helpers.

`ReportPdf` is the page the order (`order_document`), the worksheet
(`worksheet_document`) and the handout build on: DejaVu Sans with a CJK fallback
(`fonts.install_fonts`), so a name like "Ünal 李" or "Жанна" prints as written, and
m², °C, ≥ print as signs. Times print in the site's zone (`settings.site_zone`) with
its name; source references print with the documents' titles (`protocol.sources`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from inocds.adapters.reports.fonts import FAMILY, install_fonts
from inocds.settings import site_zone

__all__ = ["ACTIONS", "ReportPdf", "clean", "num", "value_of", "when", "yes_no"]

_BOLD = FontFace(emphasis="BOLD")
_HEADING = FontFace(emphasis="BOLD", fill_color=(232, 238, 245))
ACTIONS = {
    "give": "give the dose",
    "delay": "postpone the due dose",
    "omit": "skip the due dose",
    "hold": "the next cycle may not start yet",
    "discontinue": "stop treatment",
    "complete": "the course is finished",
    "none_due": "nothing is due",
}


def clean(text: Any) -> str:
    """`text` as printable text: control characters (other than newline) become spaces."""
    value = "" if text is None else str(text)
    return "".join(c if c == "\n" or c >= " " else " " for c in value)


def when(value: Any, zone: dt.tzinfo | None = None) -> str:
    """A timestamp in the site's zone, `2026-05-04 09:10 CEST`; a date or text as given.

    A naive timestamp is taken as UTC (how the database hands them back).
    """
    if value is None or value == "":
        return "-"
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value)
        if "T" not in text and " " not in text.strip():
            return text
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone or site_zone())
    return f"{local.strftime('%Y-%m-%d %H:%M')} {local.tzname() or ''}".rstrip()


def num(value: Any, unit: str = "") -> str:
    """A number as `1.34 mg`; "-" for nothing."""
    if value is None:
        return "-"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:g}{(' ' + unit) if unit else ''}"
    return str(value)


def value_of(mapping: Mapping[str, Any], key: str) -> str:
    """`mapping[key]` as text, "-" when missing or empty."""
    value = mapping.get(key)
    return "-" if value is None or value == "" else str(value)


def yes_no(value: Any) -> str:
    """ "yes" or "no"."""
    return "yes" if value else "no"


class ReportPdf(FPDF):
    """An A4 page with a running title, page numbers and small layout helpers."""

    def __init__(
        self,
        title: str,
        subtitle: str = "",
        footer_text: str = "Printed by inocds decision support: check every value against "
        "the patient's record.",
    ) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        install_fonts(self)
        self.report_title = clean(title)
        self.report_subtitle = clean(subtitle)
        self.footer_text = clean(footer_text)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(self.report_title)
        self.set_creator("inocds")
        self.set_author("inocds")
        self.alias_nb_pages()
        self.add_page()

    def header(self) -> None:
        """Title line on every page."""
        self.set_font(FAMILY, "B", 9)
        self.set_text_color(80, 80, 80)
        self.cell(0, 5, self.report_title, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_x(self.l_margin)
        self.cell(0, 5, self.report_subtitle, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        """Page x of y, and where the document came from."""
        self.set_y(-13)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.footer_text} Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    # -------------------------------------------------------------- helpers

    def title_block(self, title: str, lines: Sequence[str] = ()) -> None:
        """The document's heading and a few lines under it."""
        self.set_font(FAMILY, "B", 16)
        self.multi_cell(0, 8, clean(title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 10)
        for line in lines:
            self.multi_cell(0, 5, clean(line), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def heading(self, text: str, keep_mm: float = 40) -> None:
        """A section heading, on a new page unless `keep_mm` of what follows fits below it."""
        if self.get_y() > self.h - self.b_margin - keep_mm:
            self.add_page()
        self.ln(2)
        self.set_font(FAMILY, "B", 12)
        self.set_fill_color(232, 238, 245)
        self.cell(0, 7, clean(text), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.set_font(FAMILY, "", 10)

    def paragraph(self, text: str, bold: bool = False, size: float = 10) -> None:
        """Wrapped text."""
        self.set_font(FAMILY, "B" if bold else "", size)
        height = max(5.0, size * 0.52)
        self.multi_cell(0, height, clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 10)

    def blanks(self, labels: Iterable[str]) -> None:
        """Labels followed by a line to write on."""
        self.set_font(FAMILY, "", 11)
        for label in labels:
            self.ln(4)
            text = clean(label) + ":"
            width = self.get_string_width(text) + 3
            self.cell(width, 6, text)
            y = self.get_y() + 5
            self.line(self.l_margin + width, y, self.w - self.r_margin, y)
            self.ln(6)
        self.ln(2)
        self.set_font(FAMILY, "", 10)

    def bullets(self, items: Iterable[str], size: float = 10) -> None:
        """A bulleted list."""
        self.set_font(FAMILY, "", size)
        for item in items:
            self.set_x(self.l_margin + 3)
            self.cell(4, 5, "-")
            self.multi_cell(
                0,
                max(5.0, size * 0.52),
                clean(item),
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        self.set_font(FAMILY, "", 10)

    def fields(self, rows: Iterable[tuple[str, Any]], label_width: float = 55) -> None:
        """Label / value rows in a bordered table."""
        rows = [(clean(k), clean(v if isinstance(v, str) else num(v))) for k, v in rows]
        if not rows:
            return
        self.set_font(FAMILY, "", 10)
        width = self.w - self.l_margin - self.r_margin
        with self.table(
            col_widths=(label_width, width - label_width),
            width=width,
            first_row_as_headings=False,
            line_height=5.5,
            text_align="LEFT",
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=_BOLD)
                row.cell(value)
        self.ln(1)

    def grid(
        self,
        headings: Sequence[str],
        rows: Iterable[Sequence[Any]],
        widths: Sequence[float],
        size: float = 9,
    ) -> None:
        """A table with a heading row."""
        body = [[clean(c) for c in r] for r in rows]
        if not body:
            return
        self.set_font(FAMILY, "", size)
        width = self.w - self.l_margin - self.r_margin
        with self.table(
            col_widths=tuple(widths),
            width=width,
            line_height=max(4.8, size * 0.52),
            text_align="LEFT",
            headings_style=_HEADING,
        ) as table:
            head = table.row()
            for h in headings:
                head.cell(clean(h))
            for r in body:
                row = table.row()
                for cell in r:
                    row.cell(cell)
        self.set_font(FAMILY, "", 10)
        self.ln(1)

    def signature_lines(self, roles: Sequence[str]) -> None:
        """Blank lines for handwritten signatures, name and date/time."""
        self.heading("Signatures", keep_mm=14 * len(roles))
        for role in roles:
            if self.get_y() > self.h - 35:
                self.add_page()
            self.ln(7)
            y = self.get_y()
            self.set_font(FAMILY, "", 9)
            columns = ((self.l_margin, 70, role), (90, 55, "Name (print)"), (150, 45, "Date/time"))
            for x, width, label in columns:
                self.line(x, y, x + width - 4, y)
                self.set_xy(x, y + 1)
                self.cell(width - 4, 4, clean(label))
            self.set_xy(self.l_margin, y + 6)
        self.set_font(FAMILY, "", 10)

    def box(self, title: str, lines: Sequence[tuple[str, bool]]) -> None:
        """A framed block (the label): (text, bold) lines."""
        needed = 10 + 5.5 * len(lines)
        if self.get_y() + needed > self.h - 20:
            self.add_page()
        self.ln(2)
        x, y = self.l_margin, self.get_y()
        width = min(120.0, self.w - self.l_margin - self.r_margin)
        self.set_xy(x + 3, y + 2)
        self.set_font(FAMILY, "B", 11)
        self.multi_cell(width - 6, 6, clean(title), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        for text, bold in lines:
            self.set_x(x + 3)
            self.set_font(FAMILY, "B" if bold else "", 10)
            self.multi_cell(
                width - 6, 5.5, clean(text), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT
            )
        bottom = self.get_y() + 2
        self.set_line_width(0.6)
        self.rect(x, y, width, bottom - y)
        self.set_line_width(0.2)
        self.set_xy(self.l_margin, bottom + 2)
        self.set_font(FAMILY, "", 10)

    def bytes(self) -> bytes:
        """The finished PDF."""
        return bytes(self.output())
