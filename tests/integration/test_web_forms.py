"""Forms that refuse nonsense, and a worklist that tells the truth (issue 11, items 1 and 3).

The course of `new_course`: 170 cm, 60 kg (BSA 1.68 m2), pretreatment ANC 1,500 and
platelets 70,000, transplant planned; today is 2026-05-04 (day 1 due).
"""

# ruff: noqa: F811  (the fixtures are imported from test_web_pages and used as arguments)
from __future__ import annotations

import re

from tests.integration.test_web_pages import (  # noqa: F401  (fixtures)
    PATIENT,
    Client,
    _ward_zone,
    account,
    app,
    error_beside,
    location,
    login,
    new_course,
    post,
    version,
)


def events_of(browser: object, course: str) -> list[dict[str, object]]:
    """The course's stored events (JSON API, with the browser's session cookie)."""
    answer = browser.get(f"/api/v1{course}/events")  # type: ignore[attr-defined]
    assert answer.status_code == 200, answer.text
    return [row["event"] for row in answer.json()]


def test_a_negative_count_is_a_form_error_with_its_label_and_the_values_kept(
    login: Client,
) -> None:
    """ANC -600: 422 (never 500), "ANC: must not be negative" in the summary, all typed kept."""
    browser = login("physician")
    course = new_course(browser)
    page = post(
        browser,
        course,
        f"{course}/labs",
        {"date": "2026-05-04", "anc_per_mm3": "-600", "platelets_per_mm3": "85,000"},
    )
    assert page.status_code == 422
    assert "ANC: must not be negative" in page.text
    assert error_beside(page, "labs", "anc_per_mm3") == "must not be negative"
    assert 'value="-600"' in page.text and 'value="85,000"' in page.text


def test_counts_as_the_pages_show_them_are_stored_as_counts(login: Client) -> None:
    """ "1,500" is stored as 1500 and "100,000" as 100000 (not 1.5 and 100)."""
    browser = login("physician")
    course = new_course(browser)
    done = post(
        browser,
        course,
        f"{course}/labs",
        {"date": "2026-05-04", "anc_per_mm3": "1,500", "platelets_per_mm3": "100,000"},
    )
    assert location(done) == course
    labs = [e for e in events_of(browser, course) if e["type"] == "labs"]
    assert labs[0]["anc_per_mm3"] == 1500 and labs[0]["platelets_per_mm3"] == 100000


def test_a_count_in_10_9_per_litre_is_converted_and_the_page_says_so(login: Client) -> None:
    """ANC 1.5 × 10^9/L = 1,500/mm³: stored as 1500, the notice shows the conversion."""
    browser = login("physician")
    course = new_course(browser)
    done = post(
        browser,
        course,
        f"{course}/labs",
        {"date": "2026-05-04", "anc_per_mm3": "1.5", "anc_per_mm3_unit": "e9_per_L"},
    )
    assert done.status_code == 303
    page = browser.get(done.headers["location"])
    assert "Converted: ANC 1.5 × 10^9/L = 1,500/mm³." in page.text
    assert [e["anc_per_mm3"] for e in events_of(browser, course) if e["type"] == "labs"] == [1500]


def test_a_transfused_platelet_count_is_not_recorded_as_a_gate_count(login: Client) -> None:
    """Platelets 60,000 after a transfusion: refused beside the platelets, citing the gate."""
    browser = login("physician")
    course = new_course(browser)
    page = post(
        browser,
        course,
        f"{course}/labs",
        {"date": "2026-05-04", "platelets_per_mm3": "60,000", "platelets_transfused": "on"},
    )
    assert page.status_code == 422
    assert "heme.platelet_gate" in error_beside(page, "labs", "platelets_per_mm3")


def test_an_ambiguous_weight_and_an_impossible_body_are_refused(login: Client) -> None:
    """Weight "1,500" (1.5 or 1500?) is refused; 175 cm / 3 kg (BMI 3 / 1.75² = 1) is not
    plausible; a measurement before birth, or from 1990 (> 365 days ago), is refused."""
    browser = login("physician")
    patient = location(post(browser, "/patients/new", "/patients/new", PATIENT))
    ambiguous = post(
        browser,
        patient,
        f"{patient}/measurements",
        {"measured_on": "2026-05-04", "height_cm": "170", "weight_kg": "1,500"},
    )
    assert ambiguous.status_code == 422
    assert "ambiguous" in error_beside(ambiguous, "measurement", "weight_kg")
    tiny = post(
        browser,
        patient,
        f"{patient}/measurements",
        {"measured_on": "2026-05-04", "height_cm": "175", "weight_kg": "3"},
    )
    assert tiny.status_code == 422
    assert "not plausible" in error_beside(tiny, "measurement", "weight_kg")
    before_birth = post(
        browser,
        patient,
        f"{patient}/measurements",
        {"measured_on": "1975-01-01", "height_cm": "170", "weight_kg": "60"},
    )
    assert "before the birth date" in error_beside(before_birth, "measurement", "measured_on")
    old = post(
        browser,
        patient,
        f"{patient}/measurements",
        {"measured_on": "1990-05-04", "height_cm": "170", "weight_kg": "60"},
    )
    assert "check the year" in error_beside(old, "measurement", "measured_on")


def test_impossible_histories_are_refused(login: Client) -> None:
    """A response dated 2001 and cycle 5 on the day cycle 1 started are refused."""
    browser = login("physician")
    course = new_course(browser)
    start = {"date": "2026-05-04", "cycle": "1"}
    assert location(post(browser, course, f"{course}/cycle-start", start)) == course
    old = post(browser, course, f"{course}/response", {"date": "2001-05-04", "status": "CR"})
    assert old.status_code == 422 and "check the year" in error_beside(old, "response", "date")
    fifth = post(browser, course, f"{course}/cycle-start", {"date": "2026-05-04", "cycle": "5"})
    assert fifth.status_code == 422
    assert "cycle 4" in error_beside(fifth, "cycle_start", "cycle")


def test_a_course_the_engine_ends_stays_listed_beside_its_override_order(login: Client) -> None:
    """Grade 3 hepatic toxicity after the first dose (27 April): the engine says stop; the row
    stays as "stop to be recorded", and an order signed anyway is listed with its override
    marker beside the engine's answer. (Before any dose the same toxicity only delays the first
    dose for the clinician: data.toxicity_before_first_dose.)"""
    doctor = login("physician")
    course = new_course(doctor)
    given = post(
        doctor,
        course,
        f"{course}/dose",
        {"date": "2026-04-27", "cycle": "1", "day": "1", "dose_mg_per_m2": "0.8"},
    )
    assert location(given) == course
    stop = post(
        doctor,
        course,
        f"{course}/toxicity",
        {"category": "hepatic", "grade": "3", "onset": "2026-05-03"},
    )
    assert location(stop) == course
    worklist = doctor.get("/?show=all")
    assert "Stop to be recorded" in worklist.text
    assert re.search(r'class="action action-discontinue">Stop<', worklist.text)
    order = post(
        doctor,
        course,
        f"{course}/orders",
        {
            "cycle": "1",
            "day": "8",
            "dose_mg_per_m2": "0.5",
            "scheduled_on": "2026-05-04",
            "override_reason": "clinician decision after review",
        },
    )
    assert order.status_code == 303, order.text
    nurse = login("nurse").get("/")
    assert "discontinue: " in nurse.text
    assert "Override of the engine: clinician decision after review" in nurse.text


def test_a_stale_order_form_says_who_changed_the_order(login: Client) -> None:
    """A verification posted with an old version answers 409 and names the last change."""
    doctor = login("physician")
    course = new_course(doctor)
    order = location(
        post(
            doctor,
            course,
            f"{course}/orders",
            {"cycle": "1", "day": "1", "dose_mg_per_m2": "0.8", "scheduled_on": "2026-05-04"},
        )
    )
    pharmacist = login("pharmacist")
    page = pharmacist.get(order)
    stale = int(version(page)) - 1 or 99
    answer = post(
        pharmacist,
        order,
        f"{order}/verify",
        {"height_cm": "170", "weight_kg": "60", "version": str(stale)},
    )
    assert answer.status_code == 409
    assert "was changed meanwhile: sign by Test physician" in answer.text


def test_an_order_dated_before_the_patient_was_born_is_refused_beside_its_date(
    login: Client,
) -> None:
    """ "To be given on" 1975-01-01 (born 1981): the error sits beside that date, in words."""
    doctor = login("physician")
    course = new_course(doctor)
    page = post(
        doctor,
        course,
        f"{course}/orders",
        {"cycle": "1", "day": "1", "dose_mg_per_m2": "0.8", "scheduled_on": "1975-01-01"},
    )
    assert page.status_code == 422
    message = error_beside(page, "sign", "scheduled_on")
    assert message.startswith("the course cannot be assessed on this date (Birth date")
    assert "today.date" not in page.text and "patient.birth_date" not in page.text
