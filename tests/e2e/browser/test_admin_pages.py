"""The pages a ward was missing, in headless chromium against the real server: the users
page's account actions (as the admin), the edit-patient page and the audit trail (as a
physician). Each page passes axe-core; screenshots at 1280 px and 390 px are saved.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def log_in(page: Page, username: str, password: str) -> None:
    """Logs in through the form."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def shots(page: Page, artifacts: Path, name: str) -> None:
    """Full-page screenshots at 1280 px and 390 px wide."""
    for label, size in (("1280", WIDE), ("390", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(artifacts / f"{name}-{label}px.png"), full_page=True)
    page.set_viewport_size(WIDE)


def account_row(page: Page, username: str) -> Any:
    """The users table's row of an account."""
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=username, exact=True))


def test_admin_resets_a_password_deactivates_and_reactivates(
    new_context: Callable[..., Any],
    care_team: dict[str, Any],
    assert_accessible: Callable[[Any], None],
    artifacts: Path,
) -> None:
    """The admin adds a nurse, resets her password (the new one logs in), deactivates the
    account (login refused), reactivates it and changes its account type."""
    admin = care_team["admin"]
    username = f"rn.temp{secrets.token_hex(2)}"
    page = new_context(WIDE).new_page()
    log_in(page, admin.username, admin.password)
    page.goto("/users")
    add = page.locator("form[action='/users']")
    add.get_by_label("Username").fill(username)
    add.get_by_label("Full name").fill("Tess Temp")
    add.get_by_label("Role").select_option("nurse")
    add.get_by_label("Password (required)", exact=True).fill("first-password-of-tess")
    add.get_by_label("Password again (required)", exact=True).fill("first-password-of-tess")
    add.get_by_role("button", name="Add the user").click()
    expect(page.get_by_role("status")).to_have_text("The account is created.")

    row = account_row(page, username)
    row.get_by_text(f"Change {username}").click()
    row.get_by_label(f"New password for {username}").fill("second-password-of-tess")
    row.get_by_label("Password again").fill("second-password-of-tess")
    row.get_by_role("button", name="Reset the password").click()
    expect(page.get_by_role("status")).to_have_text("The account is changed.")
    assert_accessible(page)
    shots(page, artifacts, "users-actions")

    nurse = new_context(WIDE).new_page()
    log_in(nurse, username, "second-password-of-tess")

    row = account_row(page, username)
    row.get_by_text(f"Change {username}").click()
    row.get_by_role("button", name=f"Deactivate {username}").click()
    expect(account_row(page, username)).to_contain_text("inactive")
    nurse.goto("/patients")
    expect(nurse).to_have_url(re.compile(r"/login"))  # the open session ended
    nurse.get_by_label("Username").fill(username)
    nurse.get_by_label("Password").fill("second-password-of-tess")
    nurse.get_by_role("button", name="Log in").click()
    expect(nurse.get_by_role("alert")).to_contain_text("Wrong username or password.")

    row = account_row(page, username)
    row.get_by_text(f"Change {username}").click()
    row.get_by_role("button", name=f"Reactivate {username}").click()
    row = account_row(page, username)
    row.get_by_text(f"Change {username}").click()
    row.get_by_label(f"Account type of {username}").select_option("pharmacist")
    row.get_by_role("button", name="Change the account type").click()
    expect(account_row(page, username)).to_contain_text("pharmacist")
    log_in(nurse, username, "second-password-of-tess")
    page.context.close()
    nurse.context.close()


def test_physician_edits_a_patient_and_reads_the_audit_trail(
    new_context: Callable[..., Any],
    care_team: dict[str, Any],
    assert_accessible: Callable[[Any], None],
    artifacts: Path,
) -> None:
    """Allergies and a co-medication are saved from the edit page, shown on the patient page,
    found in the audit trail filtered by that patient, and the chain checks intact."""
    physician = care_team["physician"]
    page = new_context(WIDE).new_page()
    log_in(page, physician.username, physician.password)
    mrn = f"EDIT-{secrets.token_hex(3)}"
    page.goto("/patients/new")
    page.get_by_label("Medical record number (MRN)").fill(mrn)
    page.get_by_label("Family name").fill("李")
    page.get_by_label("Given name").fill("Ünal")
    page.get_by_label("Birth date").fill("1970-01-01")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Height (cm)").fill("165")
    page.get_by_label("Weight (kg)").fill("58")
    page.get_by_role("button", name="Register the patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("李, Ünal")
    patient_path = re.sub(r"^https?://[^/]+", "", page.url).split("?")[0]

    page.get_by_role("link", name="Edit details, medications and allergies").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit 李, Ünal")
    assert_accessible(page)
    page.get_by_label("Allergies").fill("penicillin: hives\nlatex")
    page.get_by_label("Current medications (co-medications)").fill("fluconazole")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_role("status")).to_have_text("The patient's details are saved.")
    expect(page.locator("dl.facts")).to_contain_text("penicillin: hives; latex")
    expect(page.locator("dl.facts")).to_contain_text("fluconazole")
    shots(page, artifacts, "patient-after-edit")

    patient_id = patient_path.rsplit("/", 1)[1]
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Patient number").fill(patient_id)
    page.get_by_role("button", name="Filter").click()
    table = page.locator("table.audit")
    expect(table).to_contain_text("patient.update")
    expect(table).to_contain_text("allergies")
    expect(table).to_contain_text("patient.create")
    page.get_by_role("button", name="Verify the chain").click()
    expect(page.locator("#chain-result")).to_contain_text("The chain is intact")
    assert_accessible(page)
    shots(page, artifacts, "audit-trail")
    page.context.close()
