"""The care team's day in a real browser: a course with a hold and a delay, one dose end to end.

One shared tablet (one page): each member logs in, works, logs out. The story, dated
back from today (T) so that today's dose is the one that goes through the whole
order workflow:

    D0 = T-33  cycle 1 starts; days 1, 8, 15 given (recorded as history: an order
               signed today cannot be given on an earlier day)
    T-12       cycle 2 due, ANC 800/mm3 -> hold (heme.anc_gate)
    T-10       ANC 1500: cycle 2 starts, day 1 given
    T-3        cycle 2 day 8 due; grade 2 diarrhea that day -> delay (interruption.lt7)
    T-1        the diarrhea resolved
    T          cycle 2 day 8 (0.5 mg/m2 x 1.69 m2 = 0.845 -> 0.85 mg): signed, verified,
               prepared, administered; the PDFs and the .ics downloaded and parsed

Patient: 165 cm, 62 kg: Mosteller sqrt(165 x 62 / 3600) = 1.6858 -> 1.69 m2.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

pytestmark = pytest.mark.e2e

HEIGHT_CM = "165"
WEIGHT_KG = "62"
TODAY_DOSE_MG = "0.85"  # 0.5 mg/m2 x 1.69 m2 = 0.845 -> 0.85 mg


def _utc_today() -> dt.date:
    """Today on the server's clock (UTC); waits out the last minutes before midnight."""
    now = dt.datetime.now(dt.UTC)
    if now.hour == 23 and now.minute >= 57:
        time.sleep((60 - now.minute) * 60 - now.second + 5)
    return dt.datetime.now(dt.UTC).date()


# ------------------------------------------------------------------ helpers


def log_in(page: Page, account: Any, next_path: str = "/") -> None:
    """Logs in through the login form (then lands on `next_path`)."""
    page.goto(f"/login?next={next_path}")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("banner")).to_contain_text(f"{account.full_name} ({account.role})")


def log_out(page: Page) -> None:
    """Logs out with the header's button; the login form comes back."""
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def switch_user(page: Page, account: Any, next_path: str) -> None:
    """The next person on the shared tablet: log out (if someone is in), log in."""
    if page.get_by_role("button", name="Log out").count():
        log_out(page)
    log_in(page, account, next_path)


def record_panel(page: Page, summary: str) -> Locator:
    """Opens a collapsed form of the course page ("Lab values", "Toxicity" …); its locator."""
    panel = page.locator("details.form-panel").filter(
        has=page.locator("summary", has_text=re.compile(f"^{re.escape(summary)}$"))
    )
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    return panel


def fill_liver_tests(panel: Locator) -> None:
    """Normal liver tests in the labs form (its ULN inputs come pre-filled: 1.2, 40, 40)."""
    expect(panel.get_by_label("Total bilirubin ULN")).to_have_value("1.2")
    panel.get_by_label("Total bilirubin", exact=True).fill("0.9")
    panel.get_by_label("AST", exact=True).fill("35")
    panel.get_by_label("ALT", exact=True).fill("30")


def decision(page: Page) -> Locator:
    """The decision panel of the course page."""
    return page.get_by_role("region", name=re.compile(r"^Decision for"))


def reasons(page: Page) -> Locator:
    """The table of every rule behind the decision."""
    return page.get_by_role("table", name="Every rule behind this decision, in order")


def expect_rule_link(table: Locator, rule_id: str) -> None:
    """The reasons cite `rule_id` as a link to its rule page."""
    expect(table.get_by_role("link", name=rule_id, exact=True)).to_have_attribute(
        "href", f"/rules/{rule_id}"
    )


def order_id_of(page: Page) -> int:
    """The order id in the current URL (/orders/<id>)."""
    found = re.search(r"/orders/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def register_patient(
    page: Page, mrn: str, family: str, given: str, measured_on: dt.date | None = None
) -> None:
    """The physician registers a patient through Patients -> Register a new patient."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a new patient").click()
    page.get_by_label("Medical record number (MRN)").fill(mrn)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Birth date").fill("1970-01-01")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Can become pregnant").select_option("no")
    page.get_by_label("Height (cm)").fill(HEIGHT_CM)
    page.get_by_label("Weight (kg)").fill(WEIGHT_KG)
    if measured_on is not None:
        page.get_by_label("Measured on").fill(measured_on.isoformat())
    page.get_by_label("Salvage line").fill("1")
    page.get_by_label("CD22-positive blasts").select_option("yes")
    page.get_by_label("B-cell precursor ALL").select_option("yes")
    page.get_by_label("Relapsed or refractory").select_option("yes")
    page.get_by_label("Current medications").fill("ondansetron\nfluconazole")
    page.get_by_role("button", name="Register the patient").click()
    expect(page.get_by_role("status")).to_have_text("The patient is registered.")


def open_course(page: Page) -> int:
    """On the patient page: no transplant planned, counts and liver tests; the course id."""
    page.get_by_label("No", exact=True).check()  # no transplant planned: up to 6 cycles
    page.get_by_label("ANC (/mm³)").fill("1800")
    page.get_by_label("Platelets (/mm³)").fill("90000")
    page.get_by_label("Total bilirubin", exact=True).fill("0.8")
    page.get_by_label("Total bilirubin ULN").fill("1.2")
    page.get_by_label("AST", exact=True).fill("30")
    page.get_by_label("AST ULN").fill("40")
    page.get_by_label("ALT", exact=True).fill("25")
    page.get_by_label("ALT ULN").fill("40")
    page.get_by_role("button", name="Open the course").click()
    expect(page.get_by_role("status")).to_have_text("The course is open.")
    found = re.search(r"/courses/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def course_on(page: Page, course_id: int, day: dt.date) -> None:
    """The course page's date view, through its own form ("Decision for the date")."""
    page.goto(f"/courses/{course_id}")
    page.get_by_label("Decision for the date").fill(day.isoformat())
    page.get_by_role("button", name="Show the decision").click()
    expect(page).to_have_url(re.compile(rf"on={day.isoformat()}"))
    expect(decision(page).get_by_role("heading", level=2)).to_contain_text(day.isoformat())


def sign_due_dose(
    page: Page, course_id: int, day: dt.date, cycle: int, dose_day: int, mg_per_m2: str
) -> int:
    """The physician signs the dose the engine proposes on `day` (form pre-filled); its id."""
    if day == _utc_today():
        page.goto(f"/courses/{course_id}")
    else:
        course_on(page, course_id, day)
    expect(decision(page).locator(".action")).to_have_text("Give the dose")
    form = page.get_by_role("form", name="Sign an order")
    expect(form.get_by_label("Cycle")).to_have_value(str(cycle))
    expect(form.get_by_label("Day", exact=False).first).to_have_value(str(dose_day))
    expect(form.get_by_label("Dose (mg/m²)")).to_have_value(mg_per_m2)
    expect(form.get_by_label("To be given on")).to_have_value(day.isoformat())
    form.get_by_role("button", name="Sign the order").click()
    expect(page.get_by_role("status")).to_contain_text("The order is signed.")
    expect(page.get_by_role("heading", name=re.compile("^Status:"))).to_have_text(
        "Status: Signed, awaiting pharmacist verification"
    )
    expect(page.get_by_text("Flagged:")).to_have_count(0)
    return order_id_of(page)


def verify(page: Page) -> None:
    """The pharmacist re-enters height and weight; the dose is reproduced."""
    page.get_by_label("Height (cm)").fill(HEIGHT_CM)
    page.get_by_label("Weight (kg)").fill(WEIGHT_KG)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status")).to_contain_text("The order is verified")
    expect(page.get_by_role("heading", name=re.compile("^Status:"))).to_have_text(
        "Status: Verified, awaiting preparation"
    )


def prepare(page: Page, reconstituted_at: str | None = None) -> None:
    """The pharmacist records the preparation (room temperature); the clock starts."""
    form = page.get_by_role("form", name="Record the preparation")
    if reconstituted_at is not None:
        form.get_by_label("Reconstituted at").fill(reconstituted_at)
    form.get_by_label("Room temperature").check()
    form.get_by_label("Vial lot numbers").fill("LOT-E2E-001")
    form.get_by_role("button", name="Record the preparation").click()
    expect(page.get_by_role("status")).to_contain_text("The preparation is recorded")
    expect(page.get_by_role("heading", name=re.compile("^Status:"))).to_have_text(
        "Status: Prepared, awaiting administration"
    )


def administer(page: Page, started_at: str | None = None) -> None:
    """The nurse records the infusion; it becomes the course's dose."""
    if started_at is not None:
        page.get_by_label("Infusion started at").fill(started_at)
    page.get_by_role("button", name="Record the administration").click()
    expect(page.get_by_role("status")).to_contain_text(
        "The administration is recorded as the course's dose."
    )
    expect(page.get_by_role("heading", name=re.compile("^Status:"))).to_have_text(
        "Status: Administered"
    )


def give_past_dose(
    page: Page,
    team: dict[str, Any],
    course_id: int,
    day: dt.date,
    cycle: int,
    dose_day: int,
    mg_per_m2: str,
) -> None:
    """A dose of the course's history, recorded as given on `day` (the course page's history
    form): an order signed today cannot carry an earlier administration (times follow each
    other: signed, verified, prepared, started)."""
    switch_user(page, team["physician"], f"/courses/{course_id}")
    course_on(page, course_id, day)
    panel = record_panel(page, "Dose given outside this system (history)")
    panel.get_by_label("Given on").fill(day.isoformat())
    panel.get_by_label("Cycle", exact=False).first.fill(str(cycle))
    panel.get_by_label("Day", exact=False).first.select_option(str(dose_day))
    panel.get_by_label("Dose (mg/m²)").fill(mg_per_m2)
    panel.get_by_role("button", name="Record the dose").click()
    expect(page.get_by_role("status")).to_have_text(
        "The dose given outside this system is recorded."
    )


def record_liver_tests(page: Page, team: dict[str, Any], course_id: int, on: dt.date) -> None:
    """The physician records the liver tests drawn before a dose (labs.missing: every dose
    needs bilirubin, AST and ALT measured since the previous dose)."""
    switch_user(page, team["physician"], f"/courses/{course_id}")
    course_on(page, course_id, on)
    panel = record_panel(page, "Lab values")
    expect(panel.get_by_label("Date of the sample")).to_have_value(on.isoformat())
    fill_liver_tests(panel)
    panel.get_by_role("button", name="Record the labs").click()
    expect(page.get_by_role("status")).to_have_text("The lab values are recorded.")


def timeline_row(page: Page, css_class: str) -> Any:
    """The first row of the timeline with a slot status class (slot-delayed, slot-pending…)."""
    timeline = page.get_by_role("table", name=re.compile("Each dose of the started cycles"))
    return timeline.locator(f"tr.{css_class}").first


def download(page: Page, link_name: str, artifacts: Path) -> tuple[str, bytes]:
    """Clicks a download link as a user would; the file's suggested name and bytes."""
    with page.expect_download() as waiting:
        page.get_by_role("link", name=link_name).click()
    file = waiting.value
    target = artifacts.parent / "downloads" / file.suggested_filename
    target.parent.mkdir(parents=True, exist_ok=True)
    file.save_as(target)
    return file.suggested_filename, target.read_bytes()


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF (fails when it does not parse)."""
    assert content.startswith(b"%PDF-"), content[:20]
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 1
    return "\n".join(page.extract_text() or "" for page in reader.pages)


# ------------------------------------------------------------------ the story


def test_care_team_course_with_hold_delay_and_one_dose_end_to_end(
    new_context: Callable[..., Any],
    care_team: dict[str, Any],
    assert_accessible: Callable[[Any], None],
    screenshot: Callable[[Any, str], list[Path]],
    artifacts: Path,
) -> None:
    """Physician, pharmacist and nurse drive the pages through the whole course story."""
    today = _utc_today()
    d0 = today - dt.timedelta(days=33)

    def day(n: int) -> dt.date:
        return d0 + dt.timedelta(days=n)

    page = new_context().new_page()
    team = care_team

    # --- the physician registers the patient and opens a course
    log_in(page, team["physician"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Worklist for")
    register_patient(page, "E2E-0001", "Lefèvre", "Camille", measured_on=d0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Lefèvre, Camille")
    course_id = open_course(page)

    # --- cycle 1 starts on D0 and its three doses are given (history, back-dated)
    course_on(page, course_id, d0)
    panel = record_panel(page, "Start of a cycle")
    expect(panel.get_by_label("Start date (day 1)")).to_have_value(d0.isoformat())
    panel.get_by_label("Cycle", exact=False).first.fill("1")
    panel.get_by_label("ANC at the start (/mm³)").fill("1800")
    panel.get_by_label("Platelets at the start (/mm³)").fill("90000")
    panel.get_by_role("button", name="Record the start").click()
    expect(page.get_by_role("status")).to_have_text("The start of the cycle is recorded.")

    give_past_dose(page, team, course_id, day(0), 1, 1, "0.8")
    record_liver_tests(page, team, course_id, day(7))
    give_past_dose(page, team, course_id, day(7), 1, 8, "0.5")
    record_liver_tests(page, team, course_id, day(14))
    give_past_dose(page, team, course_id, day(14), 1, 15, "0.5")

    # --- cycle 2 is due on D0+21 (T-12): ANC 800 -> hematologic hold
    switch_user(page, team["physician"], f"/courses/{course_id}")
    course_on(page, course_id, day(21))
    panel = record_panel(page, "Lab values")
    expect(panel.get_by_label("Date of the sample")).to_have_value(day(21).isoformat())
    panel.get_by_label("ANC (/mm³)").fill("800")
    panel.get_by_label("Platelets (/mm³)").fill("85000")
    fill_liver_tests(panel)
    panel.get_by_role("button", name="Record the labs").click()
    expect(page.get_by_role("status")).to_have_text("The lab values are recorded.")

    course_on(page, course_id, day(21))
    headline = decision(page).locator(".headline")
    expect(headline).to_contain_text("Hold: the next cycle may not start yet")
    expect(headline).to_contain_text("(hold)")
    expect(headline).to_contain_text("cycle 2 day 1")
    expect(reasons(page)).to_contain_text("ANC 800/mm3 is below 1000")
    expect_rule_link(reasons(page), "heme.anc_gate")
    timeline = page.get_by_role("table", name=re.compile("Each dose of the started cycles"))
    for row_day in ("1", "8", "15"):
        row = (
            timeline.get_by_role("row")
            .filter(has=page.get_by_role("cell", name=row_day, exact=True))
            .first
        )
        expect(row).to_contain_text("Given")
    screenshot(page, "course-hold")
    # The rule id opens the rule's statement and source.
    reasons(page).get_by_role("link", name="heme.anc_gate", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rule heme.anc_gate")
    expect(page.locator(".statement")).not_to_be_empty()
    expect(page.locator("dd.source")).not_to_be_empty()
    page.go_back()

    # --- T-10: counts recovered, cycle 2 starts, day 1 given
    course_on(page, course_id, day(23))
    panel = record_panel(page, "Lab values")
    panel.get_by_label("ANC (/mm³)").fill("1500")
    panel.get_by_label("Platelets (/mm³)").fill("95000")
    fill_liver_tests(panel)
    panel.get_by_role("button", name="Record the labs").click()
    expect(page.get_by_role("status")).to_have_text("The lab values are recorded.")
    course_on(page, course_id, day(23))
    panel = record_panel(page, "Start of a cycle")
    expect(panel.get_by_label("Cycle", exact=False).first).to_have_value("2")
    panel.get_by_label("ANC at the start (/mm³)").fill("1500")
    panel.get_by_label("Platelets at the start (/mm³)").fill("95000")
    panel.get_by_role("button", name="Record the start").click()
    expect(page.get_by_role("status")).to_have_text("The start of the cycle is recorded.")
    give_past_dose(page, team, course_id, day(23), 2, 1, "0.8")

    # --- T-3: day 8 due; grade 2 diarrhea that day -> the dose is delayed
    switch_user(page, team["physician"], f"/courses/{course_id}")
    course_on(page, course_id, day(30))
    panel = record_panel(page, "Toxicity")
    panel.get_by_label("Category").select_option("nonhematologic")
    panel.get_by_label("Name").fill("diarrhea")
    panel.get_by_label("Grade 2 — moderate").check()
    expect(panel.get_by_label("Onset")).to_have_value(day(30).isoformat())
    panel.get_by_role("button", name="Record the toxicity").click()
    expect(page.get_by_role("status")).to_have_text("The toxicity is recorded.")
    # Still unresolved today: the dose stays delayed.
    expect(decision(page).locator(".headline")).to_contain_text("Delay the dose")

    course_on(page, course_id, day(30))
    headline = decision(page).locator(".headline")
    expect(headline).to_contain_text("Delay the dose")
    expect(headline).to_contain_text("(delay)")
    expect(headline).to_contain_text("cycle 2 day 8")
    expect_rule_link(reasons(page), "interruption.lt7")
    expect_rule_link(reasons(page), "nonheme.grade2")
    expect(decision(page)).to_contain_text("Recheck from")
    expect(decision(page).locator(".recheck")).to_contain_text("the toxicity is back to grade ≤ 1")
    expect(page.locator(".banner-past")).to_contain_text("not today")
    delayed = timeline_row(page, "slot-delayed")
    expect(delayed).to_contain_text("nonheme.grade2")
    screenshot(page, "course-delay")

    # --- T-1: resolved, marked on the entry (a correction that supersedes it).
    page.goto(f"/courses/{course_id}")
    expect(page.locator(".banner-past")).to_have_count(0)
    entries = page.get_by_role("table", name="Entries in force, by date")
    row = entries.get_by_role("row").filter(has_text="diarrhea")
    row.get_by_role("link", name=re.compile("^Mark resolved")).click()
    expect(page.get_by_role("heading", name="Mark resolved")).to_be_visible()
    assert_accessible(page)  # the entry's correction page
    page.get_by_label("Resolved on").fill(day(32).isoformat())
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.get_by_role("status")).to_contain_text("The toxicity is marked resolved")
    expect(entries.get_by_role("row").filter(has_text="diarrhea")).to_contain_text(
        f"resolved {day(32).isoformat()}"
    )

    # --- today: give cycle 2 day 8, after the delay (liver tests drawn this morning)
    record_liver_tests(page, team, course_id, today)
    page.goto(f"/courses/{course_id}")
    headline = decision(page).locator(".headline")
    expect(headline).to_contain_text("Give the dose")
    expect(headline).to_contain_text("cycle 2 day 8")
    expect(decision(page).locator("dd.dose")).to_have_text(
        f"0.5 mg/m² × 1.69 m² = {TODAY_DOSE_MG} mg"
    )
    expect_rule_link(reasons(page), "interruption.lt7")
    screenshot(page, "course-today")
    assert_accessible(page)

    order_id = sign_due_dose(page, course_id, today, 2, 8, "0.5")
    expect(page.locator("dd.dose")).to_have_text(f"0.5 mg/m² × 1.69 m² = {TODAY_DOSE_MG} mg")
    log_out(page)

    # --- the pharmacist: worklist shows the order waiting; verify by re-entry, prepare
    log_in(page, team["pharmacist"])
    row = page.get_by_role("row").filter(has_text="Lefèvre, Camille")
    expect(row).to_contain_text(f"Ordered — order {order_id}, signed")  # not "Give the dose"
    expect(row).not_to_contain_text("Give the dose")
    expect(row).to_contain_text(
        f"Order {order_id} (C2 D8): Signed, awaiting pharmacist verification"
    )
    screenshot(page, "worklist-pharmacist")
    row.get_by_role("link", name=f"Order {order_id}").click()
    # A wrong weight is refused beside the field, and the typed values are kept.
    page.get_by_label("Height (cm)").fill(HEIGHT_CM)
    page.get_by_label("Weight (kg)").fill("60")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("the dose is not reproduced")
    expect(page.get_by_label("Weight (kg)")).to_have_value("60")
    expect(page.get_by_label("Weight (kg)")).to_have_attribute("aria-invalid", "true")
    verify(page)

    sheet = page.get_by_role("table", name="Numbers of the preparation")
    expect(sheet.get_by_role("row", name=re.compile("^Dose"))).to_contain_text(
        f"{TODAY_DOSE_MG} mg"
    )
    expect(sheet.get_by_role("row", name=re.compile("^Vials"))).to_contain_text("1 × 0.9 mg")
    expect(sheet.get_by_role("row", name=re.compile("^Withdraw"))).to_contain_text("3.4 mL")
    expect(sheet.get_by_role("row", name=re.compile("^Container"))).to_contain_text(
        re.compile("Infusion bag|Syringe")
    )
    screenshot(page, "worksheet-to-prepare")
    prepare(page)
    status_panel = page.locator(".status-panel")
    expect(status_panel).to_contain_text("Start by")
    expect(status_panel).to_contain_text("Dilute by")  # no dilution time was recorded
    countdown = page.get_by_role("region", name="Beyond-use times")
    expect(countdown).to_contain_text("Start the infusion by")
    expect(countdown).to_contain_text("The infusion must end by")
    expect(countdown.locator("[data-countdown-left]").first).to_have_text(
        re.compile(r"\(\d+ h \d\d min left\)")
    )
    label = page.get_by_role("region", name="Label", exact=True)
    expect(label).to_contain_text(f"Inotuzumab ozogamicin {TODAY_DOSE_MG} mg")
    expect(label).to_contain_text("LEFÈVRE, Camille")
    screenshot(page, "worksheet")
    assert_accessible(page)
    log_out(page)

    # --- the nurse: the worklist shows the running clock; administer
    log_in(page, team["nurse"])
    clocks = page.get_by_role("region", name="Prepared doses waiting to be given")
    expect(clocks).to_contain_text(f"order {order_id}, cycle 2 day 8, {TODAY_DOSE_MG} mg")
    expect(clocks).to_contain_text("start the infusion by")
    worklist_row = page.get_by_role("row").filter(has_text="Lefèvre, Camille")
    expect(worklist_row).to_contain_text("Prepared, awaiting administration")
    expect(worklist_row).to_contain_text("VOD risk factors: Age 55 or older")
    expect(worklist_row).to_contain_text(f"Ordered — order {order_id}, prepared, start by")
    screenshot(page, "worklist")
    assert_accessible(page)
    clocks.get_by_role("link", name=re.compile(f"order {order_id}")).click()
    administer(page)
    expect(page.get_by_role("region", name="Given", exact=True)).to_contain_text(
        "Recorded in the course as cycle 2 day 8"
    )

    # --- documents: the order and the worksheet as PDF, the calendar as .ics
    name, content = download(page, "Order (PDF)", artifacts)
    assert name.endswith(".pdf")
    text = pdf_text(content)
    assert f"{TODAY_DOSE_MG} mg" in text, text[:500]
    assert "Lefèvre" in text or "LEFÈVRE" in text, text[:500]

    name, content = download(page, "Worksheet (PDF)", artifacts)
    text = pdf_text(content)
    assert f"{TODAY_DOSE_MG} mg" in text, text[:500]
    assert "LOT-E2E-001" in text, text[:800]

    page.get_by_role("link", name=f"Course {course_id}").click()
    name, content = download(page, "Calendar (.ics)", artifacts)
    assert name.endswith(".ics")
    calendar = Calendar.from_ical(content)
    starts = {event.decoded("dtstart") for event in calendar.walk("VEVENT")}
    starts = {s.date() if isinstance(s, dt.datetime) else s for s in starts}
    given = {day(0), day(7), day(14), day(23), today}
    assert given <= starts, sorted(starts)

    # The course page now shows the dose given today and the next cycle's plan.
    page.goto(f"/courses/{course_id}")
    timeline = page.get_by_role("table", name=re.compile("Each dose of the started cycles"))
    expect(timeline.get_by_role("row").filter(has_text=today.isoformat())).to_contain_text(
        "Given late"
    )
    expect(page.get_by_role("region", name="Next cycle")).to_contain_text("Cycle 3")

    # The handout opens for the patient.
    page.get_by_role("link", name="Patient handout").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("inotuzumab ozogamicin")
    expect(page.get_by_role("heading", name="Your treatment dates")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Call your care team"))).to_be_visible()


# ------------------------------------------------------------------ forms


def test_a_refused_form_keeps_what_was_typed_and_names_the_field(
    new_context: Callable[..., Any], care_team: dict[str, Any]
) -> None:
    """A patient with an impossible height: the error sits beside Height, nothing typed is lost."""
    page = new_context().new_page()
    log_in(page, care_team["nurse"], "/patients/new")
    page.get_by_label("Medical record number (MRN)").fill("E2E-0002")
    page.get_by_label("Family name").fill("Nakamura")
    page.get_by_label("Given name").fill("Aiko")
    page.get_by_label("Birth date").fill("1985-06-30")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Height (cm)").fill("1650")
    page.get_by_label("Weight (kg)").fill("58")
    page.get_by_label("Current medications").fill("posaconazole")
    page.get_by_role("button", name="Register the patient").click()
    expect(page.get_by_role("alert")).to_contain_text("This form was not saved")
    height = page.get_by_label("Height (cm)")
    expect(height).to_have_attribute("aria-invalid", "true")
    expect(height).to_have_value("1650")
    error_id = (height.get_attribute("aria-describedby") or "").split()
    assert any(i.endswith("-error") for i in error_id), error_id
    expect(page.get_by_label("Family name")).to_have_value("Nakamura")
    expect(page.get_by_label("Birth date")).to_have_value("1985-06-30")
    expect(page.get_by_label("Sex")).to_have_value("female")
    expect(page.get_by_label("Weight (kg)")).to_have_value("58")
    expect(page.get_by_label("Current medications")).to_have_value("posaconazole")
    # The error summary links to the field.
    page.get_by_role("alert").get_by_role("link").first.click()
    expect(height).to_be_focused()


def test_blood_counts_alone_are_saved(
    new_context: Callable[..., Any], care_team: dict[str, Any]
) -> None:
    """A nurse records ANC and platelets only (no liver tests): the entry is saved.

    The labs form pre-fills the ULN inputs from earlier entries; those alone must not
    turn a counts-only entry into "give the value with its upper limit of normal".
    """
    page = new_context().new_page()
    log_in(page, care_team["physician"])
    register_patient(page, "E2E-0003", "Okoye", "Chidi")
    course_id = open_course(page)
    switch_user(page, care_team["nurse"], f"/courses/{course_id}")
    panel = record_panel(page, "Lab values")
    panel.get_by_label("ANC (/mm³)").fill("1200")
    panel.get_by_label("Platelets (/mm³)").fill("80000")
    panel.get_by_role("button", name="Record the labs").click()
    expect(page.get_by_role("status")).to_have_text("The lab values are recorded.")
