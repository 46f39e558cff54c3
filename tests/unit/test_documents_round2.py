"""Round 2 of the documents: Unicode names, the handout's new sections and reading grade,
schedules that follow the engine's plan, the order's new elements, the worksheet's draws.
"""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import icalendar
from pypdf import PdfReader
from tests.builders import course, dose, start, toxicity
from tests.unit.test_reports import an_order, day8_document, plan_and_screen

from inocds.adapters.reports import course_calendar, handout_pdf, order_pdf, patient_handout
from inocds.adapters.reports.fonts import FontsMissing, font_paths
from inocds.clinical.assess import assess_course
from inocds.clinical.documents import parse_course
from inocds.clinical.withdraw import withdraw_plan

CHILD = {
    "age_years": 14,
    "given_name": "Ünal",
    "allergies": ["penicillin: hives"],
    "medications": ["fluconazole", "ondansetron"],
}


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def _syllables(word: str) -> int:
    """Vowel groups, less a silent final e; at least one (a plain textbook heuristic)."""
    word = word.lower()
    groups = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and groups > 1:
        groups -= 1
    return max(1, groups)


def flesch_kincaid_grade(text: str) -> float:
    """0.39 x words per sentence + 11.8 x syllables per word - 15.59."""
    sentences = [s for s in re.split(r"[.!?:]+(?:\s|$)|\n", text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    syllables = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * syllables / len(words) - 15.59


def handout_text(**kwargs: Any) -> str:
    """The visible text of the HTML handout of the day-8 course (blocks on their own line)."""
    document = day8_document(medications=["fluconazole", "ondansetron"])
    plan, screen = plan_and_screen(document)
    page = patient_handout(document, screen, plan, patient_name="Jo Doe", **kwargs)
    body = page[page.index("<main>") :]
    body = re.sub(r"</(p|li|h1|h2|td|th)>", "\n", body)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def test_handout_pdf_prints_a_latin_and_a_cjk_name() -> None:
    """The handout of "Ünal 李" carries both names as written (pypdf reads them back)."""
    document = day8_document()
    plan, screen = plan_and_screen(document)
    text = "\n".join(pdf_pages(handout_pdf(document, screen, plan, patient_name="Ünal 李")))
    assert "Ünal 李" in text and "?" not in text.split("Ünal", 1)[1][:3]


def test_fonts_missing_is_a_clear_error(monkeypatch: Any) -> None:
    """Without the font files the documents refuse with the package to install."""
    import inocds.adapters.reports.fonts as fonts

    monkeypatch.setattr(fonts, "_DIRS", ())
    monkeypatch.setenv("INOCDS_FONT_DIRS", "/nonexistent")
    try:
        font_paths()
    except FontsMissing as missing:
        assert "fonts-droid-fallback" in str(missing) and "ensure-fonts" in str(missing)
    else:
        raise AssertionError("FontsMissing not raised")


def test_handout_reading_grade_is_under_8() -> None:
    """The Flesch-Kincaid grade of the whole handout (adult and child versions) stays < 8."""
    for patient in (None, CHILD):
        grade = flesch_kincaid_grade(handout_text(patient=patient))
        assert grade < 8, grade


def test_handout_has_the_new_sections_and_the_patients_flagged_drugs() -> None:
    """Side effects, before-you-start, every medicine (fluconazole flagged), vaccines, missed."""
    text = handout_text(patient=CHILD)
    for expected in (
        "Common side effects and what to do",
        "Before you start",
        "have or had liver disease",
        "had a stem cell transplant",
        "are pregnant",
        "penicillin: hives",
        "Tell us every medicine you take",
        "fluconazole",
        "Do not get a live vaccine",
        "The people you live with",
        "If you miss an appointment",
        "For the parent or guardian of Ünal",
        "Your child's treatment",
        "Call your care team straight away if your child has",
    ):
        assert expected in text, expected


def test_handout_uses_us_spelling() -> None:
    """No British spellings (leukaemia, colour, haem-, centre, programme) in the handout."""
    text = handout_text(patient=CHILD).lower()
    for british in ("leukaemia", "colour", "haem", "centre", "programme", "oedema", "anaemia"):
        assert british not in text, british
    assert "leukemia" in text


def test_adult_handout_is_not_addressed_to_a_guardian() -> None:
    """At 44 (born 1981) the handout speaks to the patient."""
    assert "guardian" not in handout_text(patient={"age_years": 44})


def test_urgent_box_stays_on_one_page() -> None:
    """The urgent section's first and last lines are on the same PDF page."""
    document = day8_document()
    plan, screen = plan_and_screen(document)
    pages = pdf_pages(handout_pdf(document, screen, plan, patient=CHILD))
    first = [i for i, t in enumerate(pages) if "Call your care team straight away if" in t]
    last = [i for i, t in enumerate(pages) if "after your last dose" in t and "VOD" in t]
    assert first and first == last


def delayed_day15() -> dict[str, Any]:
    """Cycle 1 from 2026-11-16; day 15 (due 11-30) held for a grade-3 toxicity, given 12-06."""
    events = [
        start(1, "2026-11-16"),
        dose(1, 1, "2026-11-16", 0.8),
        dose(1, 8, "2026-11-23", 0.5),
        toxicity("2026-11-28", "2026-12-05", grade=3),
    ]
    return course(events, today="2026-12-06")


def test_plan_agrees_with_assess_after_a_delayed_day_15() -> None:
    """Day 15 given 12-06: assess allows the next dose from 12-12 (6 days); the plan too."""
    document = delayed_day15()
    decision = assess_course(parse_course(document)).to_dict()
    plan, _ = plan_and_screen(document)
    assert (decision["action"], decision["day"]) == ("give", 15)
    assert decision["next_dose_date"] == "2026-12-12"
    assert plan["cycle"] == 2 and plan["doses"][0]["date"] == "2026-12-12"


def test_handout_and_calendar_follow_the_plan_after_a_delayed_day_15() -> None:
    """Both list cycle 1 day 15 on 12-06 and cycle 2 day 1 on 12-12, never 12-07."""
    document = delayed_day15()
    plan, screen = plan_and_screen(document)
    page = patient_handout(document, screen, plan)
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", page)
    assert ("Sunday, December 6, 2026", "Cycle 1, day 15") in rows
    assert ("Saturday, December 12, 2026", "Cycle 2, day 1") in rows
    calendar = icalendar.Calendar.from_ical(course_calendar(document, plan, "Jo"))
    dates = sorted(e.decoded("DTSTART").isoformat() for e in calendar.walk("VEVENT"))
    assert "2026-12-12" in dates and "2026-12-07" not in dates and "2026-12-06" in dates


def test_handout_of_a_course_waiting_for_cytoreduction_lists_no_date() -> None:
    """25,000 blasts/mm3 before any dose: assess delays day 1; the handout gives no date."""
    document = course([], today="2026-05-04")
    document["patient"]["pretreatment"]["peripheral_blasts_per_mm3"] = 25000
    plan, screen = plan_and_screen(document)
    assert screen["cytoreduction_required"] is True
    page = patient_handout(document, screen, plan)
    assert "does not have a date yet" in page
    assert "May 4, 2026" not in page.split("Printed on", 1)[1].split("</p>", 1)[1]
    assert "May 5, 2026" not in page


def test_order_pdf_prints_the_order_elements() -> None:
    """Diagnosis, regimen, cycle start and length, measured date, allergies, premedication
    (a 14-year-old of 40 kg: 1 mg/kg = 40 mg methylprednisolone), labs, prepared and given."""
    order = an_order(
        patient={"name": "Ünal 李", "mrn": "M-9", "age_years": 14, "allergies": ["latex"]},
        diagnosis="CD22-positive relapsed or refractory B-cell precursor ALL",
        regimen={
            "name": "inotuzumab ozogamicin monotherapy (full dose level)",
            "cycle_start": "2026-05-04",
            "cycle_length_days": 21,
            "schedule": "day 1: 0.8 mg/m², day 8: 0.5 mg/m², day 15: 0.5 mg/m²",
        },
        measurement={"measured_on": "2026-05-01", "weight_kg": 40},
        premedication={
            "agents": ["corticosteroid", "antipyretic", "antihistamine"],
            "minutes_before": 60,
            "pediatric": {
                "agent": "methylprednisolone",
                "mg_per_kg": 1,
                "max_mg": 50,
                "dose_mg": 40,
            },
        },
        labs={
            "anc_per_mm3": {"value": 1500, "date": "2026-05-03"},
            "bilirubin": {"value": {"value": 0.6, "uln": 1.2}, "date": "2026-05-03", "x_uln": 0.5},
        },
        preparation={
            "pharmacist": "Pat Pharmacist",
            "reconstituted_at": "2026-05-04T06:40:00+00:00",
            "checked_by": "Sam Second",
        },
        administration={
            "nurse": "Nia Nurse",
            "started_at": "2026-05-04T08:00:00+00:00",
            "ended_at": "2026-05-04T09:00:00+00:00",
            "reaction": None,
        },
    )
    text = "\n".join(pdf_pages(order_pdf(order)))
    for expected in (
        "Ünal 李",
        "CD22-positive relapsed or refractory",
        "started 2026-05-04, 21-day cycle",
        "measured on 2026-05-01",
        "latex",
        "methylprednisolone 40 mg",
        "1,500 /mm³",
        "0.5 x ULN",
        "Pat Pharmacist",
        "Sam Second",
        "Nia Nurse",
        "2026-05-04 08:00",
    ):
        assert expected in text, expected


def test_withdraw_plan_reads_each_syringe_to_its_marks() -> None:
    """5.36 mL -> 5.4 mL in a 10 mL syringe (0.2 mL marks) = 1.35 mg; 12.5 mL -> 10 + 2.5."""
    plan = withdraw_plan(5.36, 0.25)
    assert [(d.syringe_ml, d.volume_ml) for d in plan.draws] == [(10, 5.4)]
    assert plan.measured_mg == 1.35
    large = withdraw_plan(12.5, 0.25)
    assert [(d.syringe_ml, d.volume_ml) for d in large.draws] == [(10, 10), (3, 2.5)]
    assert large.measured_ml == 12.5
