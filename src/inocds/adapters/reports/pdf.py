"""Printable PDFs: the medication order and the pharmacy preparation worksheet.

`order_pdf(order)` prints one signed order: patient, course, cycle and day, the dose
(mg/m2 and mg) with the BSA and the height and weight it came from, the engine's
decision with every reason and its rule id, differences and override, prescriber,
verification, and signature lines. `worksheet_pdf(worksheet)` prints the pharmacy
worksheet made by `worksheet.build_worksheet`: vials, reconstitution, the volume to
withdraw, diluent, bag or syringe, final volume and concentration, rate and
duration, filters, light protection, the beyond-use times and a label block.

fpdf2 with the core Helvetica font (Latin-1 only): every text goes through
`latin1`, which spells out the usual typographic signs (>=, -, ...) and replaces
anything else with "?", so no input can make the PDF fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from inocds.protocol.loader import load_protocol

__all__ = ["ReportPdf", "latin1", "order_pdf", "worksheet_pdf"]

_REPLACEMENTS = {
    "\u2265": ">=",
    "\u2264": "<=",
    "\u2260": "!=",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u2022": "-",
    "\u2192": "->",
    "\u2190": "<-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u2082": "2",
    "\u2083": "3",
    "\u2070": "0",
    "\u2074": "4",
    "\u2103": "C",
    "\u03bc": "\u00b5",  # Greek mu -> the Latin-1 micro sign
}
_BOLD = FontFace(emphasis="BOLD")
_HEADING = FontFace(emphasis="BOLD", fill_color=(232, 238, 245))
_ACTIONS = {
    "give": "give the dose",
    "delay": "postpone the due dose",
    "omit": "skip the due dose",
    "hold": "the next cycle may not start yet",
    "discontinue": "stop treatment",
    "complete": "the course is finished",
    "none_due": "nothing is due",
}


def latin1(text: Any) -> str:
    """`text` as the core fonts can print it (Latin-1), typographic signs spelled out."""
    value = "" if text is None else str(text)
    for sign, plain in _REPLACEMENTS.items():
        value = value.replace(sign, plain)
    return value.encode("latin-1", "replace").decode("latin-1")


def _when(value: Any) -> str:
    """An ISO timestamp as `2026-05-04 15:00 (UTC+02:00)`; dates and text as given."""
    if value is None or value == "":
        return "-"
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if "T" not in str(value) and " " not in str(value):
            return str(value)
    text = moment.strftime("%Y-%m-%d %H:%M")
    if moment.tzinfo is not None:
        offset = moment.strftime("%z")
        text += f" (UTC{offset[:3]}:{offset[3:]})"
    return text


def _num(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:g}{(' ' + unit) if unit else ''}"
    return str(value)


def _v(mapping: Mapping[str, Any], key: str) -> str:
    """`mapping[key]` as text, "-" when missing or empty."""
    value = mapping.get(key)
    return "-" if value is None or value == "" else str(value)


def _infusion_minutes() -> int:
    return load_protocol()["prep.infusion"].integer("infusion_minutes")


def _yes(value: Any) -> str:
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
        self.report_title = latin1(title)
        self.report_subtitle = latin1(subtitle)
        self.footer_text = latin1(footer_text)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(self.report_title)
        self.set_creator("inocds")
        self.set_author("inocds")
        self.alias_nb_pages()
        self.add_page()

    def header(self) -> None:
        """Title line on every page."""
        self.set_font("Helvetica", "B", 9)
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
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.footer_text} Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    # -------------------------------------------------------------- helpers

    def title_block(self, title: str, lines: Sequence[str] = ()) -> None:
        """The document's heading and a few lines under it."""
        self.set_font("Helvetica", "B", 16)
        self.multi_cell(0, 8, latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 10)
        for line in lines:
            self.multi_cell(0, 5, latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def heading(self, text: str, keep_mm: float = 40) -> None:
        """A section heading, on a new page unless `keep_mm` of what follows fits below it."""
        if self.get_y() > self.h - self.b_margin - keep_mm:
            self.add_page()
        self.ln(2)
        self.set_font("Helvetica", "B", 12)
        self.set_fill_color(232, 238, 245)
        self.cell(0, 7, latin1(text), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.set_font("Helvetica", "", 10)

    def paragraph(self, text: str, bold: bool = False, size: float = 10) -> None:
        """Wrapped text."""
        self.set_font("Helvetica", "B" if bold else "", size)
        height = max(5.0, size * 0.52)
        self.multi_cell(0, height, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 10)

    def blanks(self, labels: Iterable[str]) -> None:
        """Labels followed by a line to write on."""
        self.set_font("Helvetica", "", 11)
        for label in labels:
            self.ln(4)
            text = latin1(label) + ":"
            width = self.get_string_width(text) + 3
            self.cell(width, 6, text)
            y = self.get_y() + 5
            self.line(self.l_margin + width, y, self.w - self.r_margin, y)
            self.ln(6)
        self.ln(2)
        self.set_font("Helvetica", "", 10)

    def bullets(self, items: Iterable[str], size: float = 10) -> None:
        """A bulleted list."""
        self.set_font("Helvetica", "", size)
        for item in items:
            self.set_x(self.l_margin + 3)
            self.cell(4, 5, "-")
            self.multi_cell(
                0,
                max(5.0, size * 0.52),
                latin1(item),
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        self.set_font("Helvetica", "", 10)

    def fields(self, rows: Iterable[tuple[str, Any]], label_width: float = 55) -> None:
        """Label / value rows in a bordered table."""
        rows = [(latin1(k), latin1(v if isinstance(v, str) else _num(v))) for k, v in rows]
        if not rows:
            return
        self.set_font("Helvetica", "", 10)
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
        body = [[latin1(c) for c in r] for r in rows]
        if not body:
            return
        self.set_font("Helvetica", "", size)
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
                head.cell(latin1(h))
            for r in body:
                row = table.row()
                for cell in r:
                    row.cell(cell)
        self.set_font("Helvetica", "", 10)
        self.ln(1)

    def signature_lines(self, roles: Sequence[str]) -> None:
        """Blank lines for handwritten signatures, name and date/time."""
        self.heading("Signatures", keep_mm=14 * len(roles))
        for role in roles:
            if self.get_y() > self.h - 35:
                self.add_page()
            self.ln(7)
            y = self.get_y()
            self.set_font("Helvetica", "", 9)
            columns = ((self.l_margin, 70, role), (90, 55, "Name (print)"), (150, 45, "Date/time"))
            for x, width, label in columns:
                self.line(x, y, x + width - 4, y)
                self.set_xy(x, y + 1)
                self.cell(width - 4, 4, latin1(label))
            self.set_xy(self.l_margin, y + 6)
        self.set_font("Helvetica", "", 10)

    def box(self, title: str, lines: Sequence[tuple[str, bool]]) -> None:
        """A framed block (the label): (text, bold) lines."""
        needed = 10 + 5.5 * len(lines)
        if self.get_y() + needed > self.h - 20:
            self.add_page()
        self.ln(2)
        x, y = self.l_margin, self.get_y()
        width = min(120.0, self.w - self.l_margin - self.r_margin)
        self.set_xy(x + 3, y + 2)
        self.set_font("Helvetica", "B", 11)
        self.cell(width - 6, 6, latin1(title), new_x=XPos.LEFT, new_y=YPos.NEXT)
        for text, bold in lines:
            self.set_x(x + 3)
            self.set_font("Helvetica", "B" if bold else "", 10)
            self.multi_cell(width - 6, 5.5, latin1(text), new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottom = self.get_y() + 2
        self.set_line_width(0.6)
        self.rect(x, y, width, bottom - y)
        self.set_line_width(0.2)
        self.set_xy(self.l_margin, bottom + 2)
        self.set_font("Helvetica", "", 10)

    def bytes(self) -> bytes:
        """The finished PDF."""
        return bytes(self.output())


# ------------------------------------------------------------------ the order


def _patient_rows(patient: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("Patient", patient.get("name") or "-"),
        ("MRN", patient.get("mrn") or "-"),
        ("Date of birth", patient.get("birth_date") or "-"),
        ("Sex", patient.get("sex") or "-"),
    ]


def _decision_section(pdf: ReportPdf, decision: Mapping[str, Any]) -> None:
    pdf.heading("Engine decision (inocds course engine)")
    if not decision:
        pdf.paragraph("No engine decision is attached to this order.")
        return
    action = str(decision.get("action") or "-")
    about = f"cycle {decision.get('cycle')}" + (
        f" day {decision.get('day')}" if decision.get("day") else ""
    )
    rows: list[tuple[str, Any]] = [
        ("Decision", f"{action.upper()}: {_ACTIONS.get(action, action)} ({about})"),
    ]
    if decision.get("dose_mg_per_m2") is not None:
        rows.append(
            (
                "Engine dose",
                f"{_num(decision.get('dose_mg_per_m2'), 'mg/m2')} = "
                f"{_num(decision.get('dose_mg'), 'mg')} (level {decision.get('dose_level')})",
            )
        )
    if decision.get("next_dose_date"):
        rows.append(("Next dose not before", decision["next_dose_date"]))
    if decision.get("needs_clinician_review"):
        rows.append(("Clinician review", "required: the sources leave this to the clinician"))
    pdf.fields(rows)
    reasons = decision.get("reasons") or []
    if reasons:
        pdf.paragraph("Reasons, in the order the rules applied:", bold=True)
        pdf.grid(
            ("Rule id", "Finding", "Source"),
            [(r.get("rule", ""), r.get("message", ""), r.get("source", "")) for r in reasons],
            (38, 90, 52),
        )
    warnings = decision.get("warnings") or []
    if warnings:
        pdf.paragraph("Warnings:", bold=True)
        pdf.bullets(
            f"{w.get('code', '')}: {w.get('message', '')}" if isinstance(w, Mapping) else str(w)
            for w in warnings
        )


def order_pdf(order: Mapping[str, Any]) -> bytes:
    """The printable order (PDF bytes).

    `order` has the order's fields (`id`, `status`, `cycle`, `day`, `scheduled_on`,
    `height_cm`, `weight_kg`, `bsa_m2`, `dose_mg_per_m2`, `dose_mg`, `flagged`,
    `override_reason`, `engine_decision`, `signed_at`) plus `patient` (`name`, `mrn`,
    `birth_date`, `sex`), `course` (`id`, `hsct_planned`, `start_weight_kg`),
    `bsa_formula`, `prescriber` (`name`), and `verification` (`pharmacist`,
    `verified_at`, `height_cm`, `weight_kg`, `dose_mg`) or None. Missing keys print "-".
    """
    patient = order.get("patient") or {}
    course = order.get("course") or {}
    decision = order.get("engine_decision") or {}
    pdf = ReportPdf(
        "Medication order - inotuzumab ozogamicin",
        f"Order {_v(order, 'id')} - {patient.get('name') or ''}",
    )
    pdf.title_block(
        f"Order {_v(order, 'id')}: inotuzumab ozogamicin (Besponsa)",
        [
            f"Status: {_v(order, 'status')}"
            + (f" ({order['status_reason']})" if order.get("status_reason") else ""),
            f"Cycle {_v(order, 'cycle')}, day {_v(order, 'day')}; "
            f"scheduled for {_v(order, 'scheduled_on')}",
        ],
    )
    pdf.heading("Patient and course")
    pdf.fields(
        [
            *_patient_rows(patient),
            ("Course", _v(course, "id")),
            ("Transplant planned", _yes(course.get("hsct_planned"))),
            ("Course start weight", _num(course.get("start_weight_kg"), "kg")),
        ]
    )
    pdf.heading("Dose")
    formula = order.get("bsa_formula") or "mosteller"
    pdf.fields(
        [
            ("Ordered dose", f"{_num(order.get('dose_mg_per_m2'), 'mg/m2')}"),
            (
                "Dose",
                f"{_num(order.get('dose_mg'), 'mg')} "
                f"({_num(order.get('dose_mg_per_m2'))} mg/m2 x {_num(order.get('bsa_m2'))} m2)",
            ),
            ("Body surface area", f"{_num(order.get('bsa_m2'), 'm2')} ({formula})"),
            (
                "Height and weight used",
                f"{_num(order.get('height_cm'), 'cm')}, {_num(order.get('weight_kg'), 'kg')}",
            ),
            (
                "Route",
                f"intravenous infusion over {_infusion_minutes()} min, protected from light "
                "(prep.infusion, prep.light)",
            ),
        ]
    )
    _decision_section(pdf, decision)
    pdf.heading("Flags and override")
    differences = decision.get("differences") or []
    pdf.fields(
        [
            ("Flagged", _yes(order.get("flagged"))),
            ("Override reason", order.get("override_reason") or "-"),
            ("Weight change acknowledged", _yes(decision.get("weight_change_acknowledged"))),
        ]
    )
    if differences:
        pdf.paragraph("Differences from the engine:", bold=True)
        pdf.bullets(str(d) for d in differences)
    prescriber = order.get("prescriber") or {}
    verification = order.get("verification")
    pdf.heading("Prescriber and verification")
    rows: list[tuple[str, Any]] = [
        ("Prescriber", prescriber.get("name") or "-"),
        ("Signed at", _when(order.get("signed_at"))),
    ]
    if verification:
        rows += [
            ("Verified by", verification.get("pharmacist") or "-"),
            ("Verified at", _when(verification.get("verified_at"))),
            (
                "Independent entry",
                f"{_num(verification.get('height_cm'), 'cm')}, "
                f"{_num(verification.get('weight_kg'), 'kg')} -> "
                f"{_num(verification.get('dose_mg'), 'mg')}",
            ),
        ]
    else:
        rows.append(("Verification", "not yet verified by a pharmacist"))
    pdf.fields(rows)
    pdf.signature_lines(("Prescriber", "Verifying pharmacist", "Administering nurse"))
    return pdf.bytes()


# ------------------------------------------------------------------ the worksheet


def _beyond_use_section(pdf: ReportPdf, worksheet: Mapping[str, Any]) -> None:
    clock = worksheet.get("beyond_use")
    steps = worksheet.get("steps") or {}
    limits = steps.get("time_limits") or {}
    pdf.heading("Beyond-use times", keep_mm=70)
    if not clock:
        pdf.paragraph(
            "Not prepared yet: the clock starts at reconstitution. Dilute within "
            f"{_num(limits.get('reconstitution_to_dilution_max_hours'))} h of reconstitution "
            f"and end the infusion within {_num(limits.get('reconstitution_to_end_max_hours'))} "
            "h of it; a diluted product keeps "
            f"{_num(limits.get('diluted_room_temperature_max_hours'))} h at room temperature "
            f"or {_num(limits.get('diluted_refrigerated_max_hours'))} h at 2-8 C, and a "
            f"refrigerated one needs about {_num(limits.get('warm_up_minutes'))} min to warm "
            "up (prep.beyond_use)."
        )
        pdf.fields(
            [
                ("Reconstituted at", "____________________"),
                ("Diluted at", "____________________"),
                ("Infusion must start by", "____________________"),
                ("Infusion must end by", "____________________"),
            ]
        )
        return
    rows: list[tuple[str, Any]] = [
        ("Reconstituted at", _when(clock.get("reconstituted_at"))),
        ("Diluted at", _when(clock.get("diluted_at")) if clock.get("diluted_at") else "not given"),
        ("Diluted product stored", "2-8 C" if clock.get("diluted_refrigerated") else "20-25 C"),
        ("Dilute by", _when(clock.get("latest_dilution_at"))),
    ]
    if clock.get("latest_removal_from_refrigerator_at"):
        rows.append(
            ("Out of refrigerator by", _when(clock.get("latest_removal_from_refrigerator_at")))
        )
    rows += [
        ("START INFUSION BY", _when(clock.get("latest_infusion_start_at"))),
        ("END INFUSION BY", _when(clock.get("latest_infusion_end_at"))),
        ("Binding limit", ", ".join(clock.get("binding_limits") or []) or "-"),
    ]
    pdf.fields(rows)
    limits_list = clock.get("limits") or []
    if limits_list:
        pdf.grid(
            ("Limit", "Time", "Why (rule)"),
            [
                (
                    str(x.get("limit", "")).replace("_", " "),
                    _when(x.get("at")),
                    f"{x.get('message', '')} ({x.get('rule')})",
                )
                for x in limits_list
            ],
            (42, 40, 98),
        )
    notes = clock.get("notes") or []
    if notes:
        pdf.bullets(notes)


def _label(pdf: ReportPdf, worksheet: Mapping[str, Any]) -> None:
    patient = worksheet.get("patient") or {}
    order = worksheet.get("order") or {}
    dose = worksheet.get("dose") or {}
    prep = worksheet.get("preparation") or {}
    clock = worksheet.get("beyond_use") or {}
    lots = ", ".join(prep.get("vial_lots") or []) or "________________"
    pdf.heading("Label")
    pdf.box(
        "INOTUZUMAB OZOGAMICIN - for intravenous infusion",
        [
            (f"{_v(patient, 'name')}   MRN {_v(patient, 'mrn')}", True),
            (f"Born {_v(patient, 'birth_date')}   Order {_v(order, 'id')}", False),
            (
                f"{_num(dose.get('dose_mg'), 'mg')} in {_num(dose.get('final_volume_ml'), 'mL')} "
                f"{dose.get('diluent', '')} ({_num(dose.get('final_concentration_mg_per_ml'))} "
                f"mg/mL), {dose.get('container', '')}",
                True,
            ),
            (
                f"Infuse over {_num(dose.get('infusion_minutes'), 'min')} at "
                f"{_num(dose.get('infusion_rate_ml_per_h'), 'mL/h')} by {dose.get('device', '')}",
                False,
            ),
            ("PROTECT FROM LIGHT. Do not shake. Flush the line after.", True),
            (
                "Start infusion by: "
                + (_when(clock.get("latest_infusion_start_at")) if clock else "__________"),
                True,
            ),
            (
                "End infusion by: "
                + (_when(clock.get("latest_infusion_end_at")) if clock else "__________"),
                True,
            ),
            (f"Vial lots: {lots}", False),
            (
                f"Prepared by: {prep.get('pharmacist') or '__________'}   Checked by: __________",
                False,
            ),
        ],
    )


def worksheet_pdf(worksheet: Mapping[str, Any]) -> bytes:
    """The printable pharmacy preparation worksheet (PDF bytes) of `build_worksheet`'s dict."""
    patient = worksheet.get("patient") or {}
    order = worksheet.get("order") or {}
    dose = worksheet.get("dose") or {}
    steps = worksheet.get("steps") or {}
    prep = worksheet.get("preparation") or {}
    pdf = ReportPdf(
        "Pharmacy preparation worksheet - inotuzumab ozogamicin",
        f"Order {_v(order, 'id')} - {patient.get('name') or ''}",
    )
    pdf.title_block(
        f"Preparation worksheet: order {_v(order, 'id')}",
        [
            f"{_v(patient, 'name')}, MRN {_v(patient, 'mrn')}, born {_v(patient, 'birth_date')}",
            f"Cycle {_v(order, 'cycle')}, day {_v(order, 'day')}; scheduled for "
            f"{_v(order, 'scheduled_on')}; order status {_v(order, 'status')}",
        ],
    )
    for warning in worksheet.get("warnings") or []:
        pdf.paragraph(f"STOP: {warning}", bold=True)
    pdf.heading("Dose")
    pdf.fields(
        [
            (
                "Dose",
                f"{_num(dose.get('dose_mg'), 'mg')} ({_num(dose.get('dose_mg_per_m2'))} mg/m2 x "
                f"{_num(dose.get('bsa_m2'))} m2)",
            ),
            (
                "Vials",
                f"{_num(dose.get('vials'))} x {_num(dose.get('vial_mg'), 'mg')} "
                f"(waste {_num(dose.get('waste_mg'), 'mg')})",
            ),
        ]
    )
    recon = steps.get("reconstitution") or {}
    pdf.heading("1. Reconstitution (prep.reconstitution)")
    pdf.fields(
        [
            ("Diluent", _v(recon, "diluent")),
            ("Volume per vial", f"{_num(recon.get('diluent_ml_per_vial'), 'mL')} of the diluent"),
            ("Concentration", _num(recon.get("concentration_mg_per_ml"), "mg/mL")),
            ("Deliverable per vial", _num(recon.get("deliverable_ml_per_vial"), "mL")),
            ("Mixing", _v(recon, "mixing")),
            ("Check", _v(recon, "expected_appearance")),
            ("Storage", _v(recon, "storage")),
        ]
    )
    dilution = steps.get("dilution") or {}
    pdf.heading(f"2. Dilution ({_v(dilution, 'rule')})")
    rows: list[tuple[str, Any]] = [
        ("Withdraw", f"{_num(dilution.get('withdraw_ml'), 'mL')} of the reconstituted solution"),
        ("Container", _v(dilution, "container")),
        ("Diluent", f"{_v(dilution, 'diluent')}: {_num(dilution.get('diluent_volume_ml'))} mL"),
        ("Final volume", _num(dilution.get("final_volume_ml"), "mL")),
        ("Final concentration", _num(dilution.get("final_concentration_mg_per_ml"), "mg/mL")),
    ]
    if dilution.get("mixing"):
        rows.append(("Mixing", dilution["mixing"]))
    if dilution.get("bag_materials"):
        rows.append(("Bag materials", ", ".join(dilution["bag_materials"])))
    pdf.fields(rows)
    if dilution.get("instructions"):
        pdf.paragraph(dilution["instructions"])
    admin = steps.get("administration") or {}
    pdf.heading("3. Administration (prep.infusion)")
    pdf.fields(
        [
            ("Rate", _num(admin.get("infusion_rate_ml_per_h"), "mL/h")),
            ("Duration", _num(admin.get("infusion_minutes"), "min")),
            ("Device", _v(admin, "device")),
            ("Lines", ", ".join(admin.get("line_materials") or []) or "-"),
        ]
    )
    if admin.get("instructions"):
        pdf.paragraph(admin["instructions"])
    filters = steps.get("filters") or {}
    light = steps.get("light_protection") or {}
    pdf.heading("4. Filters and light (prep.filters, prep.light)")
    pdf.fields(
        [
            ("In-line filter", "not required" if not filters.get("required") else "required"),
            ("Filters allowed", ", ".join(filters.get("allowed") or []) or "-"),
            ("Filters FORBIDDEN", ", ".join(filters.get("forbidden") or []) or "-"),
            ("Light", light.get("instructions", "Protect from light.")),
        ]
    )
    _beyond_use_section(pdf, worksheet)
    if prep:
        pdf.heading("Preparation record")
        pdf.fields(
            [
                ("Prepared by", prep.get("pharmacist") or "-"),
                ("Recorded at", _when(prep.get("prepared_at"))),
                ("Vial lots", ", ".join(prep.get("vial_lots") or []) or "-"),
            ]
        )
    _label(pdf, worksheet)
    pdf.signature_lines(("Prepared by (pharmacist)", "Checked by"))
    return pdf.bytes()
