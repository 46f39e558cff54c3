"""A ward's day on the worklist and the forms, in a real browser (issue 11, items 1, 3, 7).

The story, dated back from today (T):

    D0 = T-30  cycle 1 starts (ANC 1,800, platelets 90,000); days 1, 8, 15 given
               (history entries, 0.8 + 0.5 + 0.5 = 1.8 mg/m2 cumulative)
    T-10       labs: ANC typed "1,500" (stored 1500, as the pages show counts)
    T-9 = D21  cycle 2 due (no counts of that day: held)
    T          labs: ANC "-600" is refused beside "ANC", the typed values kept; then
               ANC 600 -> hold (heme.anc_gate: 600 < 1,000); the physician signs
               cycle 2 day 1 with an override reason;
               the nurse's worklist shows "Hold", its reason and the override marker.

Patient "Ünal, Zoë": 165 cm, 62 kg. The worklist and the course page are shot at
1280 px and 390 px (artifacts/screenshots) and must not scroll sideways at 390 px.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.browser.test_care_team_flow import (
    _utc_today,
    course_on,
    decision,
    fill_liver_tests,
    log_in,
    open_course,
    record_panel,
    register_patient,
    switch_user,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shoot(page: Page, artifacts: Path, name: str) -> None:
    """Full-page screenshots at 1280 px and 390 px; no sideways scrolling at 390 px."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(
            path=str(artifacts / f"{name}-{label}-{size['width']}px.png"), full_page=True
        )
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: the page scrolls {overflow} px sideways at 390 px"
    page.set_viewport_size(DESKTOP)


def history_dose(page: Page, day: dt.date, cycle: int, dose_day: int, mg_per_m2: str) -> None:
    """A dose given before (history entry of the course page)."""
    panel = record_panel(page, "Dose given outside this system (history)")
    panel.get_by_label("Given on").fill(day.isoformat())
    panel.get_by_label("Cycle").fill(str(cycle))
    panel.get_by_label("Day", exact=False).first.select_option(str(dose_day))
    panel.get_by_label("Dose (mg/m²)").fill(mg_per_m2)
    panel.get_by_role("button", name="Record the dose").click()
    expect(page.get_by_role("status")).to_have_text(
        "The dose given outside this system is recorded."
    )


def test_held_course_with_override_on_the_nurse_worklist(
    new_context: Callable[..., Any],
    care_team: dict[str, Any],
    assert_accessible: Callable[[Any], None],
    artifacts: Path,
) -> None:
    """Counts as shown are stored as counts, a negative count is refused beside its label,
    and the nurse sees the engine's hold beside the physician's override order."""
    today = _utc_today()
    d0 = today - dt.timedelta(days=30)
    page = new_context(viewport=DESKTOP).new_page()
    team = care_team

    log_in(page, team["physician"])
    register_patient(page, "E2E-ZOE", "Ünal", "Zoë", measured_on=d0)
    course_id = open_course(page)

    course_on(page, course_id, d0)
    panel = record_panel(page, "Start of a cycle")
    panel.get_by_label("Cycle", exact=False).first.fill("1")
    panel.get_by_label("ANC at the start (/mm³)").fill("1,800")
    panel.get_by_label("Platelets at the start (/mm³)").fill("90,000")
    panel.get_by_role("button", name="Record the start").click()
    expect(page.get_by_role("status")).to_have_text("The start of the cycle is recorded.")
    for days, dose_day, amount in ((0, 1, "0.8"), (7, 8, "0.5"), (14, 15, "0.5")):
        history_dose(page, d0 + dt.timedelta(days=days), 1, dose_day, amount)

    # "1,500" as the pages display counts: stored as 1500, never 1.5.
    course_on(page, course_id, today - dt.timedelta(days=10))
    panel = record_panel(page, "Lab values")
    panel.get_by_label("ANC (/mm³)").fill("1,500")
    panel.get_by_label("Platelets (/mm³)").fill("88,000")
    fill_liver_tests(panel)
    panel.get_by_role("button", name="Record the labs").click()
    expect(page.get_by_role("status")).to_have_text("The lab values are recorded.")
    entries = page.get_by_role("table", name="Entries in force, by date")
    expect(entries).to_contain_text("ANC 1,500/mm³, platelets 88,000/mm³")
    stored = page.request.get(f"/api/v1/courses/{course_id}/events").json()
    labs = [e["event"] for e in stored if e["type"] == "labs"]
    assert labs[0]["anc_per_mm3"] == 1500 and labs[0]["platelets_per_mm3"] == 88000

    # Today (cycle 2 due since D21): a negative ANC is a form error beside "ANC", with
    # its label, and everything typed is kept; then ANC 600 holds the cycle.
    page.goto(f"/courses/{course_id}")
    panel = record_panel(page, "Lab values")
    panel.get_by_label("ANC (/mm³)").fill("-600")
    panel.get_by_label("Platelets (/mm³)").fill("85,000")
    fill_liver_tests(panel)
    panel.get_by_role("button", name="Record the labs").click()
    panel = record_panel(page, "Lab values")
    summary = panel.get_by_role("alert")
    expect(summary).to_contain_text("ANC: must not be negative")
    expect(panel.get_by_label("ANC (/mm³)")).to_have_value("-600")
    expect(panel.get_by_label("Platelets (/mm³)")).to_have_value("85,000")
    expect(panel.get_by_label("Total bilirubin", exact=True)).to_have_value("0.9")
    expect(panel.get_by_label("ANC (/mm³)")).to_have_attribute("aria-invalid", "true")
    panel.get_by_label("ANC (/mm³)").fill("600")
    panel.get_by_role("button", name="Record the labs").click()
    expect(page.get_by_role("status")).to_have_text("The lab values are recorded.")

    # The course page shows the hold and the dose history; the physician overrides.
    page.goto(f"/courses/{course_id}")
    expect(decision(page).locator(".headline")).to_contain_text("Hold")
    expect(page.get_by_text("Cumulative dose given: 1.8 mg/m²")).to_be_visible()
    form = page.get_by_role("form", name="Sign an order")
    form.get_by_label("Dose (mg/m²)").fill("0.8")
    form.get_by_label("Override reason").fill("Counts recovering; treating physician's decision")
    form.get_by_role("button", name="Sign the order").click()
    expect(page.get_by_role("status")).to_contain_text("The order is signed.")
    page.goto(f"/courses/{course_id}")
    shoot(page, artifacts, "ward-day-course")

    # The nurse's worklist: the engine's hold and its reason beside the override order.
    switch_user(page, team["nurse"], "/")
    row = page.get_by_role("row").filter(has_text="Ünal, Zoë")
    expect(row.locator(".action-hold")).to_have_text("Hold")
    expect(row).to_contain_text("hold: ANC 600")
    expect(row).to_contain_text("Override of the engine: Counts recovering")
    expect(row).to_contain_text(re.compile(r"Order \d+ \(C2 D1\): Signed"))
    shoot(page, artifacts, "ward-day-worklist-nurse")
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)

    # Accent-insensitive search: "zoe" and "unal" find "Ünal, Zoë".
    for typed in ("zoe", "unal zoe", "ÜNAL"):
        page.goto(f"/patients?q={typed}")
        expect(page.get_by_role("link", name="Ünal, Zoë")).to_be_visible()
