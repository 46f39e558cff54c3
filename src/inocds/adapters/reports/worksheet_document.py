"""The pharmacy preparation worksheet as a PDF (from `worksheet.build_worksheet`'s dict).

Vials, reconstitution, the volume to withdraw as it is measured (syringe and
graduation, `clinical.withdraw`), the bag to use, diluent, final volume and
concentration, rate and duration, filters, light protection, the beyond-use times
in the site's zone, and a hazardous-drug label with storage and "out of the fridge
by". Sources are printed with the documents' titles, not file names or rule ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from inocds.adapters.reports.pdf import ReportPdf, num, value_of, when
from inocds.protocol.sources import rule_source

__all__ = ["worksheet_pdf"]


def _beyond_use_section(
    pdf: ReportPdf, worksheet: Mapping[str, Any], zone: dt.tzinfo | None
) -> None:
    clock = worksheet.get("beyond_use")
    steps = worksheet.get("steps") or {}
    limits = steps.get("time_limits") or {}
    pdf.heading("Beyond-use times", keep_mm=70)
    if not clock:
        _clock_not_started(pdf, limits)
        return
    pdf.fields(_clock_rows(clock, zone))
    limits_list = clock.get("limits") or []
    if limits_list:
        pdf.grid(
            ("Limit", "Time", "Why (source)"),
            [
                (
                    str(x.get("limit", "")).replace("_", " "),
                    when(x.get("at"), zone),
                    f"{x.get('message', '')} ({rule_source(str(x.get('rule'))) or '-'})",
                )
                for x in limits_list
            ],
            (42, 40, 98),
        )
    notes = clock.get("notes") or []
    if notes:
        pdf.bullets(notes)


def _clock_not_started(pdf: ReportPdf, limits: Mapping[str, Any]) -> None:
    """Before preparation: the limits in words and blanks to fill in by hand."""
    pdf.paragraph(
        "Not prepared yet: the clock starts at reconstitution. Dilute within "
        f"{num(limits.get('reconstitution_to_dilution_max_hours'))} h of reconstitution "
        f"and end the infusion within {num(limits.get('reconstitution_to_end_max_hours'))} "
        "h of it; a diluted product keeps "
        f"{num(limits.get('diluted_room_temperature_max_hours'))} h at room temperature "
        f"or {num(limits.get('diluted_refrigerated_max_hours'))} h at 2–8 °C, and a "
        f"refrigerated one needs about {num(limits.get('warm_up_minutes'))} min to warm "
        "up (" + rule_source("prep.beyond_use") + ")."
    )
    pdf.fields(
        [
            ("Reconstituted at", "____________________"),
            ("Diluted at", "____________________"),
            ("Infusion must start by", "____________________"),
            ("Infusion must end by", "____________________"),
        ]
    )


def _clock_rows(clock: Mapping[str, Any], zone: dt.tzinfo | None) -> list[tuple[str, Any]]:
    """The stored clock: when it started, and the latest times it sets."""
    rows: list[tuple[str, Any]] = [
        ("Reconstituted at", when(clock.get("reconstituted_at"), zone)),
        (
            "Diluted at",
            when(clock.get("diluted_at"), zone) if clock.get("diluted_at") else "not given",
        ),
        ("Diluted product stored", "2–8 °C" if clock.get("diluted_refrigerated") else "20–25 °C"),
        ("Dilute by", when(clock.get("latest_dilution_at"), zone)),
    ]
    if clock.get("latest_removal_from_refrigerator_at"):
        rows.append(
            ("Out of refrigerator by", when(clock.get("latest_removal_from_refrigerator_at"), zone))
        )
    rows += [
        ("START INFUSION BY", when(clock.get("latest_infusion_start_at"), zone)),
        ("END INFUSION BY", when(clock.get("latest_infusion_end_at"), zone)),
        (
            "Binding limit",
            ", ".join(str(b).replace("_", " ") for b in clock.get("binding_limits") or []) or "-",
        ),
    ]
    return rows


def _storage_lines(clock: Mapping[str, Any], zone: dt.tzinfo | None) -> list[tuple[str, bool]]:
    """Where the bag is kept and when it must leave the refrigerator."""
    refrigerated = bool(clock.get("diluted_refrigerated"))
    out_of_fridge = clock.get("latest_removal_from_refrigerator_at")
    return [
        (
            "Store: "
            + (
                "in the refrigerator (2–8 °C) until taken out"
                if refrigerated
                else ("at room temperature (20–25 °C)" if clock else "__________")
            ),
            False,
        ),
        (
            "OUT OF THE FRIDGE BY: "
            + (
                when(out_of_fridge, zone)
                if refrigerated and out_of_fridge
                else "not refrigerated"
                if clock
                else "__________"
            ),
            True,
        ),
    ]


def _label_lines(worksheet: Mapping[str, Any], zone: dt.tzinfo | None) -> list[tuple[str, bool]]:
    """The label's (text, bold) lines: patient, product, storage, times, handling."""
    patient = worksheet.get("patient") or {}
    order = worksheet.get("order") or {}
    dose = worksheet.get("dose") or {}
    prep = worksheet.get("preparation") or {}
    clock = worksheet.get("beyond_use") or {}
    lots = ", ".join(prep.get("vial_lots") or []) or "________________"
    return [
        (f"{value_of(patient, 'name')}   MRN {value_of(patient, 'mrn')}", True),
        (f"Born {value_of(patient, 'birth_date')}   Order {value_of(order, 'id')}", False),
        (
            f"{num(dose.get('dose_mg'), 'mg')} in {num(dose.get('final_volume_ml'), 'mL')} "
            f"{dose.get('diluent', '')} ({num(dose.get('final_concentration_mg_per_ml'))} "
            f"mg/mL), {dose.get('container', '')}",
            True,
        ),
        (
            f"Infuse over {num(dose.get('infusion_minutes'), 'min')} at "
            f"{num(dose.get('infusion_rate_ml_per_h'), 'mL/h')} by {dose.get('device', '')}",
            False,
        ),
        ("PROTECT FROM LIGHT. Do not shake. Do not freeze. Flush the line after.", True),
        *_storage_lines(clock, zone),
        (
            "Start infusion by: "
            + (when(clock.get("latest_infusion_start_at"), zone) if clock else "__________"),
            True,
        ),
        (
            "End infusion by: "
            + (when(clock.get("latest_infusion_end_at"), zone) if clock else "__________"),
            True,
        ),
        (
            "Cytotoxic: handle with hazardous-drug precautions (NIOSH, USP 800); "
            "dispose of as hazardous waste.",
            False,
        ),
        (f"Vial lots: {lots}", False),
        (
            f"Prepared by: {prep.get('pharmacist') or '__________'}   Checked by: __________",
            False,
        ),
    ]


def _label(pdf: ReportPdf, worksheet: Mapping[str, Any], zone: dt.tzinfo | None) -> None:
    """The framed hazardous-drug label."""
    pdf.heading("Label", keep_mm=95)
    pdf.box(
        "HAZARDOUS DRUG - INOTUZUMAB OZOGAMICIN - for intravenous infusion",
        _label_lines(worksheet, zone),
    )


def _measured(worksheet: Mapping[str, Any]) -> str:
    """`5.4 mL in a 10 mL syringe (0.2 mL marks) = 1.35 mg`, per draw."""
    plan = worksheet.get("withdraw") or {}
    draws = plan.get("draws") or []
    if not draws:
        return "-"
    parts = [
        f"{num(d.get('volume_ml'), 'mL')} in a {num(d.get('syringe_ml'), 'mL')} syringe "
        f"({num(d.get('graduation_ml'), 'mL')} marks)"
        for d in draws
    ]
    total = f" = {num(plan.get('measured_ml'), 'mL')}" if len(parts) > 1 else ""
    return (
        " + ".join(parts)
        + f"{total} = {num(plan.get('measured_mg'), 'mg')} "
        + "(syringe sizes and marks: this project's table, set to the pharmacy's stock)"
    )


def _bag_to_use(dilution: Mapping[str, Any]) -> str:
    container = str(dilution.get("container") or "-")
    materials = dilution.get("bag_materials") or []
    total = num(dilution.get("final_volume_ml"), "mL")
    text = (
        f"{container} of {value_of(dilution, 'diluent')}, final volume {total}: "
        f"{num(dilution.get('diluent_volume_ml'), 'mL')} of the diluent + the drug"
    )
    if materials:
        text += f"; bag of {', '.join(materials)} only"
    return text


def _reconstitution(pdf: ReportPdf, steps: Mapping[str, Any]) -> None:
    recon = steps.get("reconstitution") or {}
    pdf.heading(f"1. Reconstitution ({rule_source('prep.reconstitution')})")
    pdf.fields(
        [
            ("Diluent", value_of(recon, "diluent")),
            ("Volume per vial", f"{num(recon.get('diluent_ml_per_vial'), 'mL')} of the diluent"),
            ("Concentration", num(recon.get("concentration_mg_per_ml"), "mg/mL")),
            ("Deliverable per vial", num(recon.get("deliverable_ml_per_vial"), "mL")),
            ("Mixing", value_of(recon, "mixing")),
            ("Check", value_of(recon, "expected_appearance")),
            ("Storage", value_of(recon, "storage")),
        ]
    )


def _withdraw_and_dilute(pdf: ReportPdf, worksheet: Mapping[str, Any]) -> None:
    steps = worksheet.get("steps") or {}
    dilution = steps.get("dilution") or {}
    pdf.heading(f"2. Withdraw and dilute ({rule_source(str(dilution.get('rule'))) or '-'})")
    rows: list[tuple[str, Any]] = [
        (
            "Withdraw (exact)",
            f"{num(dilution.get('withdraw_ml'), 'mL')} of the reconstituted solution",
        ),
        ("Measure it as", _measured(worksheet)),
        ("Bag to use", _bag_to_use(dilution)),
        (
            "Diluent",
            f"{value_of(dilution, 'diluent')}: {num(dilution.get('diluent_volume_ml'))} mL",
        ),
        ("Final volume", num(dilution.get("final_volume_ml"), "mL")),
        ("Final concentration", num(dilution.get("final_concentration_mg_per_ml"), "mg/mL")),
    ]
    if dilution.get("mixing"):
        rows.append(("Mixing", dilution["mixing"]))
    pdf.fields(rows)
    if dilution.get("instructions"):
        pdf.paragraph(dilution["instructions"])


def _administration_and_filters(pdf: ReportPdf, steps: Mapping[str, Any]) -> None:
    admin = steps.get("administration") or {}
    pdf.heading(f"3. Administration ({rule_source('prep.infusion')})")
    pdf.fields(
        [
            ("Rate", num(admin.get("infusion_rate_ml_per_h"), "mL/h")),
            ("Duration", num(admin.get("infusion_minutes"), "min")),
            ("Device", value_of(admin, "device")),
            ("Lines", ", ".join(admin.get("line_materials") or []) or "-"),
        ]
    )
    if admin.get("instructions"):
        pdf.paragraph(admin["instructions"])
    filters = steps.get("filters") or {}
    light = steps.get("light_protection") or {}
    pdf.heading(f"4. Filters and light ({rule_source('prep.filters')})")
    pdf.fields(
        [
            ("In-line filter", "not required" if not filters.get("required") else "required"),
            ("Filters allowed", ", ".join(filters.get("allowed") or []) or "-"),
            ("Filters FORBIDDEN", ", ".join(filters.get("forbidden") or []) or "-"),
            ("Light", light.get("instructions", "Protect from light.")),
        ]
    )


def worksheet_pdf(worksheet: Mapping[str, Any], zone: dt.tzinfo | None = None) -> bytes:
    """The printable preparation worksheet (PDF bytes); times in `zone` (default: the site's)."""
    patient = worksheet.get("patient") or {}
    order = worksheet.get("order") or {}
    dose = worksheet.get("dose") or {}
    steps = worksheet.get("steps") or {}
    prep = worksheet.get("preparation") or {}
    pdf = ReportPdf(
        "Pharmacy preparation worksheet - inotuzumab ozogamicin",
        f"Order {value_of(order, 'id')} - {patient.get('name') or ''}",
    )
    pdf.title_block(
        f"Preparation worksheet: order {value_of(order, 'id')}",
        [
            f"{value_of(patient, 'name')}, MRN {value_of(patient, 'mrn')}, "
            f"born {value_of(patient, 'birth_date')}",
            f"Cycle {value_of(order, 'cycle')}, day {value_of(order, 'day')}; scheduled for "
            f"{value_of(order, 'scheduled_on')}; order status {value_of(order, 'status')}",
        ],
    )
    for warning in worksheet.get("warnings") or []:
        pdf.paragraph(f"STOP: {warning}", bold=True)
    pdf.heading("Dose")
    pdf.fields(
        [
            (
                "Dose",
                f"{num(dose.get('dose_mg'), 'mg')} ({num(dose.get('dose_mg_per_m2'))} mg/m² × "
                f"{num(dose.get('bsa_m2'))} m²)",
            ),
            (
                "Vials",
                f"{num(dose.get('vials'))} x {num(dose.get('vial_mg'), 'mg')} "
                f"(waste {num(dose.get('waste_mg'), 'mg')})",
            ),
        ]
    )
    _reconstitution(pdf, steps)
    _withdraw_and_dilute(pdf, worksheet)
    _administration_and_filters(pdf, steps)
    _beyond_use_section(pdf, worksheet, zone)
    if prep:
        pdf.heading("Preparation record")
        pdf.fields(
            [
                ("Prepared by", prep.get("pharmacist") or "-"),
                ("Recorded at", when(prep.get("prepared_at"), zone)),
                ("Vial lots", ", ".join(prep.get("vial_lots") or []) or "-"),
            ]
        )
    _label(pdf, worksheet, zone)
    pdf.signature_lines(("Prepared by (pharmacist)", "Checked by"))
    return pdf.bytes()
