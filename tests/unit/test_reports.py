"""The documents of `inocds.adapters.reports`: PDFs, calendar, handout and lab plots."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from typing import Any

import icalendar
import pytest
from pypdf import PdfReader
from tests.builders import course, dose, start

from inocds.adapters.reports import (
    build_worksheet,
    course_calendar,
    dose_schedule,
    handout_pdf,
    lab_plots_svg,
    order_pdf,
    patient_handout,
    worksheet_pdf,
)
from inocds.adapters.reports.plots import PLOT_KEYS
from inocds.clinical.documents import parse_course
from inocds.clinical.plan import plan_course
from inocds.clinical.preparation import beyond_use
from inocds.clinical.screen import screen_course

SVG = "{http://www.w3.org/2000/svg}"
PLUS_2 = dt.timezone(dt.timedelta(hours=2))
RECONSTITUTED = dt.datetime(2026, 5, 4, 8, 0, tzinfo=PLUS_2)
PATIENT = {"name": "Jo Doe", "mrn": "MRN-1", "birth_date": "1981-09-14", "sex": "male"}


def pdf_text(content: bytes) -> str:
    """Every page's text of a PDF (which must parse)."""
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def day8_document(**patient: Any) -> dict[str, Any]:
    """Cycle 1 started 2026-05-04 with day 1 given; today is day 8 (2026-05-11), counts low."""
    events = [
        start(1, "2026-05-04"),
        dose(1, 1, "2026-05-04", 0.8),
        {
            "type": "labs",
            "date": "2026-05-08",
            "anc_per_mm3": 900,
            "platelets_per_mm3": 45000,
            "bilirubin": {"value": 1.0, "uln": 1.2},
            "ast": {"value": 60, "uln": 40},
            "alt": {"value": 110, "uln": 40},
        },
    ]
    labs = {
        "anc_per_mm3": 400,
        "platelets_per_mm3": 20000,
        "bilirubin": {"value": 0.7, "uln": 1.2},
        "ast": {"value": 28, "uln": 40},
        "alt": {"value": 30, "uln": 40},
    }
    return course(events, today="2026-05-11", labs=labs, **patient)


def plan_and_screen(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The engine's plan and screen answers for a document."""
    parsed = parse_course(document)
    return plan_course(parsed).to_dict(), screen_course(parsed).to_dict()


def an_order(**changes: Any) -> dict[str, Any]:
    """A signed and verified order of 0.8 mg/m2 on 1.68 m2 (170 cm, 60 kg): 1.34 mg."""
    order: dict[str, Any] = {
        "id": 7,
        "status": "verified",
        "cycle": 1,
        "day": 1,
        "scheduled_on": "2026-05-04",
        "height_cm": 170,
        "weight_kg": 60,
        "bsa_m2": 1.68,
        "bsa_formula": "mosteller",
        "dose_mg_per_m2": 0.8,
        "dose_mg": 1.34,
        "flagged": False,
        "override_reason": None,
        "engine_decision": {
            "action": "give",
            "cycle": 1,
            "day": 1,
            "dose_mg_per_m2": 0.8,
            "dose_mg": 1.34,
            "dose_level": "full",
            "reasons": [
                {
                    "rule": "regimen.cycle1",
                    "message": "cycle 1: day 1: 0.8 mg/m2",
                    "source": "000_c5f9e82afaac5f57.txt: Dosing: Adult",
                }
            ],
            "warnings": [],
            "differences": [],
        },
        "signed_at": "2026-05-04T06:10:00+00:00",
        "patient": PATIENT,
        "course": {"id": 3, "hsct_planned": True, "start_weight_kg": 60},
        "prescriber": {"name": "Dr Ada Physician"},
        "verification": {
            "pharmacist": "Pat Pharmacist",
            "verified_at": "2026-05-04T06:30:00+00:00",
            "height_cm": 170,
            "weight_kg": 60,
            "dose_mg": 1.34,
        },
    }
    order.update(changes)
    return order


# ------------------------------------------------------------------ PDFs


def test_order_pdf_shows_the_dose_decision_and_signatures() -> None:
    """The order PDF parses and shows the dose, BSA, the source's title and the people involved."""
    text = pdf_text(order_pdf(an_order()))
    assert "regimen.cycle1" not in text and "000_c5f9e82afaac5f57.txt" not in text
    for expected in (
        "1.34 mg",
        "0.8 mg/m²",
        "1.68 m²",
        "170 cm, 60 kg",
        "Clinician drug monograph (2025): Dosing: Adult",
        "GIVE",
        "Dr Ada Physician",
        "Pat Pharmacist",
        "Jo Doe",
        "Administering nurse",
    ):
        assert expected in text


def test_order_pdf_shows_flag_and_override() -> None:
    """A flagged order prints its override reason and the engine's difference."""
    decision = {**an_order()["engine_decision"], "differences": ["0.85 differs from 0.8"]}
    order = an_order(flagged=True, override_reason="protocol amendment", engine_decision=decision)
    text = pdf_text(order_pdf(order))
    assert "protocol amendment" in text and "0.85 differs from 0.8" in text


def test_pdfs_print_unicode_names_and_signs() -> None:
    """≥, –, …, m², °C and names in Latin, Greek, Cyrillic and CJK script print as written."""
    order = an_order(
        override_reason="bilirubin ≥ 1.5 – see note … 2–8 °C",
        patient={"name": "Ünal 李 Ζωή Жанна", "allergies": ["penicillin"]},
    )
    text = pdf_text(order_pdf(order))
    assert "bilirubin ≥ 1.5 – see note … 2–8 °C" in text
    assert "Ünal 李 Ζωή Жанна" in text
    assert "m²" in text


def test_order_pdf_of_an_empty_order_does_not_crash() -> None:
    """Missing fields print as dashes."""
    assert "Order -" in pdf_text(order_pdf({}))


def test_worksheet_pdf_shows_volumes_and_beyond_use_times() -> None:
    """Reconstituted 08:00 (+02:00), kept at room temperature: start by 15:00, end by 16:00."""
    clock = beyond_use(RECONSTITUTED, False).to_dict()
    preparation = {
        "pharmacist": "Pat Pharmacist",
        "reconstituted_at": clock["reconstituted_at"],
        "diluted_at": None,
        "refrigerated": False,
        "vial_lots": ["LOT-42"],
        "prepared_at": "2026-05-04T08:05:00+02:00",
        "beyond_use": clock,
    }
    worksheet = build_worksheet(an_order(), PATIENT, preparation)
    assert worksheet["dose"]["vials"] == 2 and worksheet["dose"]["volume_ml"] == 5.36
    text = pdf_text(worksheet_pdf(worksheet, PLUS_2))
    for expected in (
        "1.34 mg",
        "2 x 0.9 mg",
        "5.4 mL in a 10 mL syringe (0.2 mL marks)",  # 5.36 mL read to the 0.2 mL mark
        "= 1.35 mg",  # 5.4 mL x 0.25 mg/mL, shown beside the ordered 1.34 mg
        "HAZARDOUS DRUG",
        "OUT OF THE FRIDGE BY: not refrigerated",
        "at room temperature (20–25 °C)",
        "4 mL of the diluent",  # reconstitution volume per vial
        "0.25 mg/mL",
        "5.36 mL",  # 1.34 mg / 0.25 mg/mL
        "44.64 mL",  # 50 - 5.36 of sodium chloride
        "50 mL/h",
        "nylon",
        "2026-05-04 15:00",
        "2026-05-04 16:00",
        "LOT-42",
        "PROTECT FROM LIGHT",
    ):
        assert expected in text, expected


def test_worksheet_before_preparation_leaves_the_times_to_fill_in() -> None:
    """Without a preparation record the worksheet states the limits and leaves blanks."""
    text = pdf_text(worksheet_pdf(build_worksheet(an_order(), PATIENT, None)))
    assert "Not prepared yet" in text and "Reconstituted at" in text


def test_worksheet_of_a_refrigerated_bag_says_when_it_leaves_the_fridge() -> None:
    """Reconstituted 08:00, diluted 09:00 and refrigerated: out of the fridge by 12:00 (3 h)."""
    diluted = RECONSTITUTED + dt.timedelta(hours=1)
    clock = beyond_use(RECONSTITUTED, True, diluted).to_dict()
    preparation = {"pharmacist": "Pat", "refrigerated": True, "beyond_use": clock}
    text = pdf_text(worksheet_pdf(build_worksheet(an_order(), PATIENT, preparation), PLUS_2))
    assert "OUT OF THE FRIDGE BY: 2026-05-04 12:00" in text
    assert "in the refrigerator (2–8 °C)" in text


def test_worksheet_of_a_small_dose_uses_a_syringe() -> None:
    """0.5 mg/m2 x 0.5 m2 = 0.25 mg is below the 50 mL bag window: 5 mL syringe."""
    order = {"bsa_m2": 0.5, "dose_mg_per_m2": 0.5, "dose_mg": 0.25}
    worksheet = build_worksheet(order, {}, None)
    assert (worksheet["dose"]["container"], worksheet["dose"]["final_volume_ml"]) == ("syringe", 5)
    assert "syringe" in pdf_text(worksheet_pdf(worksheet))


def test_worksheet_reports_an_order_whose_mg_does_not_match() -> None:
    """An ordered 1.50 mg where the BSA gives 1.34 mg is flagged, not replaced."""
    worksheet = build_worksheet(an_order(dose_mg=1.5), PATIENT, None)
    assert worksheet["warnings"] and "STOP" in pdf_text(worksheet_pdf(worksheet))


def test_worksheet_warns_against_preparing_a_cancelled_order() -> None:
    """A cancelled or returned order's worksheet says not to prepare it."""
    for status in ("cancelled", "returned"):
        worksheet = build_worksheet(an_order(status=status), PATIENT, None)
        assert any(status in w and "do not prepare" in w for w in worksheet["warnings"])


# ------------------------------------------------------------------ calendar


def test_calendar_has_one_event_per_recorded_and_planned_dose() -> None:
    """Day 1 given; days 8 and 15 of cycle 1 and the 3 doses of cycle 2 ahead: 6 events."""
    document = day8_document()
    plan, _ = plan_and_screen(document)
    raw = course_calendar(document, plan, "Jo Doe", calendar_id="course-3")
    calendar = icalendar.Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))
    dates = [e.decoded("DTSTART") for e in events]
    assert dates == [
        dt.date(2026, 5, 4),
        dt.date(2026, 5, 11),
        dt.date(2026, 5, 18),
        dt.date(2026, 5, 25),
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 8),
    ]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED"] + ["TENTATIVE"] * 5
    assert all(e.decoded("DTEND") - e.decoded("DTSTART") == dt.timedelta(days=1) for e in events)
    day8 = str(events[1]["DESCRIPTION"])  # due today (11 May): never earlier than today
    assert "from Monday 11 May 2026 to Wednesday 13 May 2026" in day8


def test_calendar_lines_are_crlf_and_folded() -> None:
    """Every line ends in CRLF and none is longer than 75 octets."""
    document = day8_document()
    plan, _ = plan_and_screen(document)
    raw = course_calendar(document, plan, "Jo Doe " + "é" * 80)
    lines = raw.split(b"\r\n")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 75
    assert "é" * 80 in str(icalendar.Calendar.from_ical(raw)["X-WR-CALNAME"])


@pytest.mark.parametrize("breaker", ["\r", "\n", "\r\n"])
def test_a_line_break_in_the_patient_name_cannot_inject_lines(breaker: str) -> None:
    """A CR, LF or CRLF in the name stays inside X-WR-CALNAME: no new property, no new event."""
    document = day8_document()
    plan, _ = plan_and_screen(document)
    name = f"Jo{breaker}END:VEVENT{breaker}BEGIN:VEVENT{breaker}SUMMARY:forged"
    raw = course_calendar(document, plan, name, calendar_id="course-3")
    clean = course_calendar(document, plan, "Jo", calendar_id="course-3")
    lines = raw.split(b"\r\n")
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    assert lines.count(b"BEGIN:VEVENT") == clean.split(b"\r\n").count(b"BEGIN:VEVENT") == 6
    assert not any(line.startswith(b"SUMMARY:forged") for line in lines)
    parsed = icalendar.Calendar.from_ical(raw)
    assert len(list(parsed.walk("VEVENT"))) == 6
    assert "forged" in str(parsed["X-WR-CALNAME"])


def test_calendar_uids_are_stable_and_unique() -> None:
    """Two downloads at different times give the same UIDs, one per dose."""
    document = day8_document()
    plan, _ = plan_and_screen(document)

    def uids(now: dt.datetime) -> list[str]:
        raw = course_calendar(document, plan, "Jo Doe", now=now)
        return [str(e["UID"]) for e in icalendar.Calendar.from_ical(raw).walk("VEVENT")]

    first = uids(dt.datetime(2026, 5, 11, 9, tzinfo=dt.UTC))
    assert first == uids(dt.datetime(2026, 5, 12, 9, tzinfo=dt.UTC))
    assert len(set(first)) == len(first) == 6


def test_calendar_after_discontinuation_has_only_given_doses() -> None:
    """A discontinued course plans nothing ahead."""
    document = day8_document()
    document["events"].append({"type": "discontinued", "date": "2026-05-10", "reason": "VOD"})
    plan, _ = plan_and_screen(document)
    calendar = icalendar.Calendar.from_ical(course_calendar(document, plan, "Jo Doe"))
    assert [e.decoded("DTSTART") for e in calendar.walk("VEVENT")] == [dt.date(2026, 5, 4)]


def test_calendar_of_an_empty_course_is_valid() -> None:
    """No event and no plan: a calendar without events."""
    calendar = icalendar.Calendar.from_ical(course_calendar({}, None, ""))
    assert calendar.walk("VEVENT") == []


def test_schedule_of_a_new_course_is_the_plan() -> None:
    """With nothing recorded the schedule is cycle 1 as planned, from today."""
    document = course([], today="2026-05-04")
    plan, _ = plan_and_screen(document)
    schedule = dose_schedule(document, plan)
    assert [(d.cycle, d.day, d.date.isoformat(), d.given) for d in schedule] == [
        (1, 1, "2026-05-04", False),
        (1, 8, "2026-05-11", False),
        (1, 15, "2026-05-18", False),
    ]


def test_schedule_moves_a_delayed_dose_to_the_engines_next_date() -> None:
    """Day 8 held for bilirubin 2 x ULN with AST 3 x ULN: planned 2026-05-12, not today."""
    labs = {
        "anc_per_mm3": 1600,
        "platelets_per_mm3": 80000,
        "bilirubin": {"value": 2.4, "uln": 1.2},
        "ast": {"value": 120, "uln": 40},
        "alt": {"value": 30, "uln": 40},
    }
    events = [start(1, "2026-05-04"), dose(1, 1, "2026-05-04", 0.8)]
    document = course(events, today="2026-05-11", labs=labs)
    plan, _ = plan_and_screen(document)
    day8 = next(d for d in dose_schedule(document, plan) if (d.cycle, d.day) == (1, 8))
    assert (day8.date, day8.earliest, day8.latest) == (
        dt.date(2026, 5, 12),
        dt.date(2026, 5, 12),
        dt.date(2026, 5, 13),
    )


# ------------------------------------------------------------------ handout


def test_handout_gives_contraception_date_symptoms_and_next_doses() -> None:
    """Male patient mid-cycle: contraception to 2026-11-08, 5 months after the last planned dose."""
    document = day8_document()
    plan, screen = plan_and_screen(document)
    # day 1 given 2026-05-04; planned: cycle 1 days 8, 15 and cycle 2 (05-25) days 1, 8, 15
    # -> last planned dose 2026-06-08; + 5 months = 2026-11-08
    assert screen["reproductive"]["contraception_until"] == "2026-11-08"
    page = patient_handout(document, screen, plan, patient_name="Jo Doe")
    for expected in (
        "Sunday, November 8, 2026",
        "partner could become pregnant",
        "Fever, chills or shaking",
        "Bleeding or bruising",
        "Yellow skin",
        "belly",
        "Sudden weight gain",
        "trouble breathing",
        "Monday, May 18, 2026",  # cycle 1 day 15
        "Who to call",
    ):
        assert expected in page, expected


def test_handout_for_a_woman_gives_both_windows() -> None:
    """Can become pregnant: 8 months (2027-02-08) and no breastfeeding for 2 (2026-08-08)."""
    document = day8_document(sex="female", can_become_pregnant=True)
    plan, screen = plan_and_screen(document)
    page = patient_handout(document, screen, plan)
    # last planned dose 2026-06-08 (cycle 2 day 15): + 8 months, + 2 months
    assert "Monday, February 8, 2027" in page and "Saturday, August 8, 2026" in page
    assert "Do not breastfeed" in page


def test_handout_before_the_first_dose_counts_from_the_last_planned_dose() -> None:
    """No dose yet: the windows count from cycle 1's last planned dose."""
    document = course([], today="2026-05-04", sex="female", can_become_pregnant=True)
    plan, screen = plan_and_screen(document)
    page = patient_handout(document, screen, plan)
    # cycle 1 planned 05-04, 05-11, 05-18: + 8 months = 2027-01-18, + 2 months = 2026-07-18
    assert "Monday, January 18, 2027" in page and "Saturday, July 18, 2026" in page
    assert "(8 months after your last dose)" in page
    assert "count from your last planned dose, on Monday, May 18, 2026" in page
    assert "Monday, May 4, 2026" in page  # the first planned dose


def test_handout_escapes_what_it_prints() -> None:
    """A name with markup is shown as text."""
    document = day8_document()
    plan, screen = plan_and_screen(document)
    page = patient_handout(document, screen, plan, patient_name="<script>x</script>")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_handout_pdf_parses_and_has_the_dates() -> None:
    """The PDF handout carries the same contraception date."""
    document = day8_document()
    plan, screen = plan_and_screen(document)
    text = pdf_text(handout_pdf(document, screen, plan, patient_name="Jo Doe"))
    assert "Sunday, November 8, 2026" in text and "Yellow skin" in text


def test_handout_of_empty_data_does_not_crash() -> None:
    """No document content, no screen, no plan: still a page."""
    assert "Who to call" in patient_handout({}, {}, None)


# ------------------------------------------------------------------ plots


def parse_svg(markup: str) -> ET.Element:
    """The SVG as XML (it must parse), with its accessible name checked."""
    root = ET.fromstring(markup)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    return root


def test_plots_draw_values_thresholds_and_doses() -> None:
    """Each chart parses, labels its threshold, lists its values and marks the dose date."""
    plots = lab_plots_svg(day8_document())
    assert tuple(plots) == PLOT_KEYS
    expected = {
        "anc": ("ANC 1,000/mm3 (heme.anc_gate)", "2026-05-11: 400/mm3"),
        "platelets": ("Platelets 50,000/mm3 (heme.platelet_gate)", "before treatment: 70,000"),
        "bilirubin": ("1.5 x ULN (hepatic.interrupt)", "0.83 x ULN (1 of ULN 1.2)"),
        "transaminases": ("2.5 x ULN (hepatic.interrupt)", "ALT: before treatment: 0.55 x ULN"),
    }
    for key, (threshold, value) in expected.items():
        root = parse_svg(plots[key])
        labels = [
            "".join(t.itertext())
            for g in root.iter(f"{SVG}g")
            if g.get("class") == "threshold"
            for t in g.iter(f"{SVG}text")
        ]
        assert labels == [threshold]
        desc = root.findtext(f"{SVG}desc") or ""
        assert value in desc and "2026-05-04 (cycle 1 day 1, 0.8 mg/m2)" in desc
        assert sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "dose") == 1


def test_threshold_line_sits_at_its_value() -> None:
    """The ANC threshold line is drawn where a point of 1,000 would be."""
    document = course([], today="2026-05-04", labs={"anc_per_mm3": 1000})
    document["patient"]["pretreatment"] = {"anc_per_mm3": 1000, "platelets_per_mm3": 1}
    root = parse_svg(lab_plots_svg(document)["anc"])
    line = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "threshold")[0]
    points = [c for c in root.iter(f"{SVG}circle")]
    assert points and all(float(c.get("cy", 0)) == float(line.get("y1", -1)) for c in points)


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"patient": {"pretreatment": {"anc_per_mm3": 1500}}},
        {"today": {"date": "2026-05-04", "labs": {"platelets_per_mm3": 30000}}},
        {"events": [{"type": "labs", "date": "nonsense", "anc_per_mm3": "x"}]},
    ],
    ids=["empty", "pretreatment-only", "one-dated-point", "malformed"],
)
def test_plots_with_no_or_one_point_are_valid(document: dict[str, Any]) -> None:
    """Zero or one value still gives four valid charts; an empty one says so."""
    plots = lab_plots_svg(document)
    for markup in plots.values():
        parse_svg(markup)
    assert "No values recorded yet" in plots["bilirubin"]


def test_plot_ids_are_prefixed_and_safe() -> None:
    """The id prefix keeps titles unique on a page and cannot break the markup."""
    markup = lab_plots_svg({}, id_prefix='c1-"><x')["anc"]
    assert 'id="c1-xanc-title"' in markup
    parse_svg(markup)
