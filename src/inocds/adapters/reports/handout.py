"""A plain-language handout for the patient: the treatment, the dates, what to report.

Written for a patient leaflet (short sentences, everyday words) in the project's own
words, from the facts of the patient-facing sources (001, 002): what the medicine
is and how it is given, the dates of the doses (`schedule.dose_schedule`), the
symptoms to report at once, birth control and breastfeeding dates (the screen's
`reproductive` block, whose dates count from the last dose), and who to call.

`patient_handout(...)` gives a complete, printable HTML page; `handout_pdf(...)`
the same content as a PDF. Both render one list of sections, so they never differ.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from inocds.adapters.reports.handout_text import Section, is_minor, sections, today_of
from inocds.adapters.reports.pdf import ReportPdf

__all__ = ["handout_pdf", "handout_style_hash", "patient_handout"]

# ------------------------------------------------------------------ HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;
font-size:1.1rem;line-height:1.55;color:#1a1a1a;max-width:46rem;margin:1.5rem auto;
padding:0 1rem}
h1{font-size:1.7rem;margin:0 0 .3rem}h2{font-size:1.3rem;margin:1.6rem 0 .5rem;
border-bottom:2px solid #1f5fa8;padding-bottom:.2rem}
.meta{color:#444;margin:0 0 1rem}
section.urgent{border:3px solid #b00020;border-radius:6px;padding:.2rem 1rem .6rem;
background:#fff6f6}section.urgent h2{border-color:#b00020;color:#8a0019}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#e8eef5}
.blank{display:flex;gap:.5rem;margin:.9rem 0}.blank span{flex:none}
.blank i{flex:1;border-bottom:1px solid #333}
.no-print a{color:#1f5fa8}
@media print{body{margin:0;font-size:11pt}.no-print{display:none}
section{break-inside:avoid}}
"""


def handout_style_hash() -> str:
    """The CSP source admitting the page's one inline style sheet: `'sha256-…'` of its text."""
    digest = hashlib.sha256(_CSS.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _html_block(kind: str, value: Any) -> str:
    if kind == "p":
        return f"<p>{escape(value)}</p>"
    if kind == "strong":
        return f"<p><strong>{escape(value)}</strong></p>"
    if kind == "list":
        return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in value) + "</ul>"
    if kind == "table":
        headings, rows = value
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headings)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if kind == "blanks":
        return "".join(
            f'<p class="blank"><span>{escape(label)}:</span><i></i></p>' for label in value
        )
    raise ValueError(f"unknown block {kind!r}")


def _title(patient: Mapping[str, Any] | None) -> str:
    if is_minor(patient):
        return "Your child's treatment with inotuzumab ozogamicin (Besponsa)"
    return "Your treatment with inotuzumab ozogamicin (Besponsa)"


def _long(value: dt.date) -> str:
    """`Monday, May 11, 2026` (US order)."""
    return f"{value.strftime('%A')}, {value.strftime('%B')} {value.day}, {value.year}"


def patient_handout(
    document: Mapping[str, Any],
    screen: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    *,
    patient_name: str = "",
    patient: Mapping[str, Any] | None = None,
    contacts: Sequence[tuple[str, str]] | None = None,
    pdf_href: str | None = None,
) -> str:
    """The handout as a complete HTML page (printable, no script, no external resource).

    `document` is the contract's course document, `screen` the screen answer (its
    `reproductive` block and flagged `interactions`), `plan` the plan answer or None.
    `patient` (optional) carries `age_years`, `given_name`, `allergies` and
    `medications`: under 18 the handout speaks to the parent or guardian. `contacts`
    are (who, how) pairs; without them the page leaves lines to write the numbers on.
    `pdf_href` adds a link to the PDF version (hidden when printed).
    """
    today = today_of(document)
    title = _title(patient)
    for_whom = f"For {patient_name}. " if patient_name else ""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(for_whom)}Printed on {escape(_long(today))}. '
        "Keep this sheet with you and show it to any doctor or nurse you see.</p>",
    ]
    if pdf_href:
        parts.append(f'<p class="no-print"><a href="{escape(pdf_href)}">Download as PDF</a></p>')
    for section in sections(document, screen, plan, contacts, patient):
        css = ' class="urgent"' if section.urgent else ""
        parts.append(f"<section{css}><h2>{escape(section.title)}</h2>")
        parts.extend(_html_block(kind, value) for kind, value in section.blocks)
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


# ------------------------------------------------------------------ PDF


def _pdf_blocks(pdf: Any, section: Section) -> None:
    """Renders a section on `pdf` (a ReportPdf, or the recorder of a trial rendering)."""
    pdf.heading(section.title, keep_mm=30)
    for kind, value in section.blocks:
        if kind == "p":
            pdf.paragraph(value, size=11)
        elif kind == "strong":
            pdf.paragraph(value, bold=True, size=11)
        elif kind == "list":
            pdf.bullets(value, size=11)
        elif kind == "table":
            headings, rows = value
            widths = (60, 45, 75) if len(headings) == 3 else (70, 110)
            pdf.grid(headings, rows, widths, size=11)
        elif kind == "blanks":
            pdf.blanks(value)
        pdf.ln(1.5)


def _urgent_box(pdf: ReportPdf, section: Section) -> None:
    """The urgent section kept on one page, framed in red."""
    with pdf.offset_rendering() as trial:
        _pdf_blocks(trial, section)
    if trial.page_break_triggered:
        pdf.add_page()
    top = pdf.get_y()
    _pdf_blocks(pdf, section)
    pdf.set_draw_color(176, 0, 32)
    pdf.set_line_width(0.8)
    pdf.rect(pdf.l_margin - 2, top, pdf.w - pdf.l_margin - pdf.r_margin + 4, pdf.get_y() - top)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)


def handout_pdf(
    document: Mapping[str, Any],
    screen: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    *,
    patient_name: str = "",
    patient: Mapping[str, Any] | None = None,
    contacts: Sequence[tuple[str, str]] | None = None,
) -> bytes:
    """The same handout as a PDF (A4, large type, the urgent box on one page)."""
    today = today_of(document)
    pdf = ReportPdf(
        "Treatment with inotuzumab ozogamicin",
        patient_name,
        footer_text="Questions? Ask your care team.",
    )
    pdf.title_block(
        _title(patient),
        [
            (f"For {patient_name}. " if patient_name else "")
            + f"Printed on {_long(today)}. Keep this sheet with you and show it to any "
            "doctor or nurse you see."
        ],
    )
    for section in sections(document, screen, plan, contacts, patient):
        if section.urgent:
            _urgent_box(pdf, section)
        else:
            _pdf_blocks(pdf, section)
    return pdf.bytes()
