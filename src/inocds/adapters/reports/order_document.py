"""The printable medication order (ASCO/ONS order elements) as a PDF.

`order_pdf(order)` prints one order: the patient with allergies, the diagnosis and the
regimen (name, cycle, its start and length), the height and weight with the date they
were measured, the dose with its BSA, the premedication (by weight under 18), the
day's treat-criteria labs, the engine's decision with every reason and its source
(document titles, not file names), flags and override, and who signed, verified,
prepared (and checked) and administered it, with times in the site's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from inocds.adapters.reports.pdf import ACTIONS, ReportPdf, num, value_of, when, yes_no
from inocds.protocol.loader import load_protocol
from inocds.protocol.schema import DEFAULT_BSA_FORMULA
from inocds.protocol.sources import cite, rule_source

__all__ = ["order_pdf"]

_LAB_NAMES = (
    ("anc_per_mm3", "ANC", "/mm³"),
    ("platelets_per_mm3", "Platelets", "/mm³"),
    ("bilirubin", "Total bilirubin", "x ULN"),
    ("ast", "AST", "x ULN"),
    ("alt", "ALT", "x ULN"),
)


def _patient_rows(patient: Mapping[str, Any]) -> list[tuple[str, Any]]:
    allergies = patient.get("allergies")
    if allergies is None:
        allergy_text = "-"
    else:
        allergy_text = "; ".join(str(a) for a in allergies) or "NONE RECORDED: ask before giving"
    age = patient.get("age_years")
    born = value_of(patient, "birth_date") + (f" (age {age})" if age is not None else "")
    return [
        ("Patient", patient.get("name") or "-"),
        ("MRN", patient.get("mrn") or "-"),
        ("Date of birth", born),
        ("Sex", patient.get("sex") or "-"),
        ("ALLERGIES", allergy_text),
    ]


def _regimen_rows(order: Mapping[str, Any]) -> list[tuple[str, Any]]:
    regimen = order.get("regimen") or {}
    course = order.get("course") or {}
    rows: list[tuple[str, Any]] = [
        ("Diagnosis", order.get("diagnosis") or "-"),
        ("Regimen", regimen.get("name") or "inotuzumab ozogamicin monotherapy"),
    ]
    if regimen:
        length = regimen.get("cycle_length_days")
        start = regimen.get("cycle_start")
        rows.append(
            (
                "Cycle",
                f"cycle {value_of(order, 'cycle')}"
                + (f", started {start}" if start else ", not started yet")
                + (f", {length}-day cycle" if length else ""),
            )
        )
        if regimen.get("schedule"):
            rows.append(("This cycle's doses", regimen["schedule"]))
    rows += [
        ("Course", value_of(course, "id")),
        ("Transplant planned", yes_no(course.get("hsct_planned"))),
        ("Course start weight", num(course.get("start_weight_kg"), "kg")),
    ]
    return rows


def _dose_rows(order: Mapping[str, Any]) -> list[tuple[str, Any]]:
    formula = order.get("bsa_formula") or DEFAULT_BSA_FORMULA
    measured = (order.get("measurement") or {}).get("measured_on")
    minutes = load_protocol()["prep.infusion"].integer("infusion_minutes")
    return [
        ("Ordered dose", num(order.get("dose_mg_per_m2"), "mg/m²")),
        (
            "Dose",
            f"{num(order.get('dose_mg'), 'mg')} "
            f"({num(order.get('dose_mg_per_m2'))} mg/m² × {num(order.get('bsa_m2'))} m²)",
        ),
        ("Body surface area", f"{num(order.get('bsa_m2'), 'm²')} ({formula})"),
        (
            "Height and weight used",
            f"{num(order.get('height_cm'), 'cm')}, {num(order.get('weight_kg'), 'kg')}"
            + (f", measured on {measured}" if measured else ", date measured not known"),
        ),
        (
            "Route",
            f"intravenous infusion over {minutes} min, protected from light "
            f"({rule_source('prep.infusion')})",
        ),
    ]


def _premedication_section(pdf: ReportPdf, order: Mapping[str, Any]) -> None:
    details = order.get("premedication") or {}
    rule = load_protocol()["premedication"]
    agents = details.get("agents") or list(rule.texts("agents"))
    minutes = details.get("minutes_before") or rule.integer("minutes_before")
    pdf.heading("Premedication", keep_mm=35)
    pdf.paragraph(
        f"Before every dose, about {minutes} min before the infusion: "
        f"{', '.join(agents)} ({rule_source('premedication')})."
    )
    pediatric = details.get("pediatric")
    rows: list[tuple[str, Any]] = []
    for agent in agents:
        if agent == "corticosteroid" and pediatric:
            weight = (order.get("measurement") or {}).get("weight_kg") or order.get("weight_kg")
            rows.append(
                (
                    "Corticosteroid (child)",
                    f"{pediatric.get('agent')} {num(pediatric.get('dose_mg'), 'mg')} "
                    f"({num(pediatric.get('mg_per_kg'))} mg/kg × {num(weight)} kg, at most "
                    f"{num(pediatric.get('max_mg'), 'mg')}; "
                    f"{rule_source('premedication.pediatric_age') or 'pediatric trial'})",
                )
            )
        else:
            rows.append((agent.capitalize(), "drug: ____________  dose: ________  given at: _____"))
    pdf.fields(rows)
    if not pediatric:
        pdf.paragraph(
            "The sources name the classes only; the drugs and doses follow the local protocol.",
            size=9,
        )


def _labs_section(pdf: ReportPdf, order: Mapping[str, Any]) -> None:
    labs = order.get("labs") or {}
    pdf.heading("Treat-criteria labs (latest on or before the dose date)", keep_mm=35)
    rows: list[Sequence[str]] = []
    for key, name, unit in _LAB_NAMES:
        found = labs.get(key)
        if not isinstance(found, Mapping):
            rows.append((name, "not recorded", "-"))
            continue
        value = found.get("value")
        if isinstance(value, Mapping):
            ratio = found.get("x_uln")
            shown = f"{num(value.get('value'))} (ULN {num(value.get('uln'))})"
            shown += f" = {ratio:.2g} {unit}" if isinstance(ratio, int | float) else ""
        elif isinstance(value, int | float):
            shown = f"{value:,.0f} {unit}"
        else:
            shown = str(value)
        rows.append((name, shown, value_of(found, "date")))
    pdf.grid(("Test", "Value", "Date"), rows, (45, 90, 45))


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
        ("Decision", f"{action.upper()}: {ACTIONS.get(action, action)} ({about})"),
    ]
    if decision.get("dose_mg_per_m2") is not None:
        rows.append(
            (
                "Engine dose",
                f"{num(decision.get('dose_mg_per_m2'), 'mg/m²')} = "
                f"{num(decision.get('dose_mg'), 'mg')} (level {decision.get('dose_level')})",
            )
        )
    if decision.get("next_dose_date"):
        rows.append(("Next dose not before", decision["next_dose_date"]))
    if decision.get("needs_clinician_review"):
        rows.append(("Clinician review", "required: the sources leave this to the clinician"))
    pdf.fields(rows)
    reasons = decision.get("reasons") or []
    if reasons:
        pdf.paragraph("Reasons, in the order they applied:", bold=True)
        pdf.grid(
            ("#", "Finding", "Source"),
            [
                (str(i), r.get("message", ""), cite(str(r.get("source", ""))))
                for i, r in enumerate(reasons, 1)
            ],
            (8, 102, 70),
        )
    warnings = decision.get("warnings") or []
    if warnings:
        pdf.paragraph("Warnings:", bold=True)
        pdf.bullets(
            str(w.get("message", "")) if isinstance(w, Mapping) else str(w) for w in warnings
        )


def _people_rows(order: Mapping[str, Any], zone: dt.tzinfo | None) -> list[tuple[str, Any]]:
    prescriber = order.get("prescriber") or {}
    verification = order.get("verification")
    preparation = order.get("preparation")
    administration = order.get("administration")
    rows: list[tuple[str, Any]] = [
        ("Prescribed by", f"{prescriber.get('name') or '-'}, {when(order.get('signed_at'), zone)}"),
    ]
    if verification:
        rows += [
            (
                "Verified by",
                f"{verification.get('pharmacist') or '-'}, "
                f"{when(verification.get('verified_at'), zone)}",
            ),
            (
                "Independent entry",
                f"{num(verification.get('height_cm'), 'cm')}, "
                f"{num(verification.get('weight_kg'), 'kg')} → "
                f"{num(verification.get('dose_mg'), 'mg')}",
            ),
        ]
    else:
        rows.append(("Verification", "not yet verified by a pharmacist"))
    if preparation:
        rows += [
            (
                "Prepared by",
                f"{preparation.get('pharmacist') or '-'}: reconstituted "
                f"{when(preparation.get('reconstituted_at'), zone)}"
                + (
                    f", diluted {when(preparation.get('diluted_at'), zone)}"
                    if preparation.get("diluted_at")
                    else ""
                ),
            ),
            ("Second check of the product", preparation.get("checked_by") or "__________________"),
        ]
    else:
        rows.append(("Preparation", "not prepared yet"))
    if administration:
        reaction = administration.get("reaction")
        rows.append(
            (
                "Administered by",
                f"{administration.get('nurse') or '-'}: started "
                f"{when(administration.get('started_at'), zone)}, ended "
                + (
                    when(administration.get("ended_at"), zone)
                    if administration.get("ended_at")
                    else "not recorded"
                ),
            )
        )
        if reaction:
            rows.append(("Infusion reaction", str(reaction)))
    else:
        rows.append(("Administration", "not given yet"))
    return rows


def order_pdf(order: Mapping[str, Any], zone: dt.tzinfo | None = None) -> bytes:
    """The printable order (PDF bytes); times in `zone` (default: the site's zone).

    `order` has the order's fields (`id`, `status`, `cycle`, `day`, `scheduled_on`,
    `height_cm`, `weight_kg`, `bsa_m2`, `dose_mg_per_m2`, `dose_mg`, `flagged`,
    `override_reason`, `engine_decision`, `signed_at`) plus `patient` (`name`, `mrn`,
    `birth_date`, `sex`, `age_years`, `allergies`), `diagnosis` (text), `regimen`
    (`name`, `cycle_start`, `cycle_length_days`, `schedule`), `measurement`
    (`measured_on`, `weight_kg`), `premedication` (the screen's premedication
    details), `labs` (key -> `value`, `date`, `x_uln`), `course`, `bsa_formula`,
    `prescriber`, `verification`, `preparation` (`pharmacist`, `reconstituted_at`,
    `diluted_at`, `checked_by`) and `administration` (`nurse`, `started_at`,
    `ended_at`, `reaction`), each None when not yet done. Missing keys print "-".
    """
    patient = order.get("patient") or {}
    decision = order.get("engine_decision") or {}
    pdf = ReportPdf(
        "Medication order - inotuzumab ozogamicin",
        f"Order {value_of(order, 'id')} - {patient.get('name') or ''}",
    )
    pdf.title_block(
        f"Order {value_of(order, 'id')}: inotuzumab ozogamicin (Besponsa)",
        [
            f"Status: {value_of(order, 'status')}"
            + (f" ({order['status_reason']})" if order.get("status_reason") else ""),
            f"Cycle {value_of(order, 'cycle')}, day {value_of(order, 'day')}; "
            f"to be given on {value_of(order, 'scheduled_on')}",
        ],
    )
    pdf.heading("Patient")
    pdf.fields(_patient_rows(patient))
    pdf.heading("Diagnosis and regimen")
    pdf.fields(_regimen_rows(order))
    pdf.heading("Dose")
    pdf.fields(_dose_rows(order))
    _premedication_section(pdf, order)
    _labs_section(pdf, order)
    _decision_section(pdf, decision)
    pdf.heading("Flags and override")
    pdf.fields(
        [
            ("Flagged", yes_no(order.get("flagged"))),
            ("Override reason", order.get("override_reason") or "-"),
            ("Weight change acknowledged", yes_no(decision.get("weight_change_acknowledged"))),
        ]
    )
    differences = decision.get("differences") or []
    if differences:
        pdf.paragraph("Differences from the engine:", bold=True)
        pdf.bullets(str(d) for d in differences)
    pdf.heading("Prescribed, verified, prepared and given")
    pdf.fields(_people_rows(order, zone))
    pdf.signature_lines(("Prescriber", "Verifying pharmacist", "Administering nurse"))
    return pdf.bytes()
