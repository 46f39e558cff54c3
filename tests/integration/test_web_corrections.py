"""The correction page of a course entry (`GET /courses/{id}/events/{event_id}/correct`):
who sees which form, the forms' answers, and what it refuses (pages/course_corrections.py).
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.integration import test_web_pages as web
from tests.integration.test_web_pages import Client, location, new_course, post, token

# The web pages' fixtures: the app on SQLite with a fixed clock, accounts, logged-in browsers.
app = web.app
account = web.account
login = web.login
ward_zone = web._ward_zone


def _record(browser: TestClient, course: str, kind: str, fields: dict[str, str]) -> str:
    """Records an entry through its form; the id of the entry the course page shows last."""
    assert location(post(browser, course, f"{course}/{kind}", fields)) == course
    found = re.findall(r"/events/(\d+)/correct", browser.get(course).text)
    assert found, "no entry the user may correct"
    return max(found, key=int)


DIARRHEA = {"category": "nonhematologic", "name": "diarrhea", "grade": "2", "onset": "2026-05-04"}
LABS = {"date": "2026-05-04", "anc_per_mm3": "1200"}


def test_the_physician_sees_both_forms_for_an_open_toxicity(login: Client) -> None:
    doctor = login("physician")
    course = new_course(doctor)
    tox = _record(doctor, course, "toxicity", DIARRHEA)
    page = doctor.get(f"{course}/events/{tox}/correct")
    assert page.status_code == 200
    assert "diarrhea, grade 2" in page.text and "Test physician" in page.text
    assert f'action="{course}/events/{tox}/resolve"' in page.text
    assert f'action="{course}/events/{tox}/retract"' in page.text
    assert f'<label for="resolve-{tox}-resolved">' in page.text
    assert f'<label for="retract-{tox}-reason">' in page.text
    assert page.text.count('name="csrf_token"') >= 2
    assert f'href="{course}#events"' in page.text


def test_a_pharmacist_may_withdraw_labs_but_not_a_toxicity(login: Client) -> None:
    doctor = login("physician")
    course = new_course(doctor)
    tox = _record(doctor, course, "toxicity", DIARRHEA)
    pharmacist = login("pharmacist")
    labs = _record(pharmacist, course, "labs", LABS)
    assert f"/events/{tox}/correct" not in pharmacist.get(course).text
    page = pharmacist.get(f"{course}/events/{labs}/correct")
    assert page.status_code == 200 and "/retract" in page.text and "/resolve" not in page.text
    refused = pharmacist.get(f"{course}/events/{tox}/correct")
    assert refused.status_code == 200 and "Your role may not change this entry" in refused.text
    assert "/retract" not in refused.text and "/resolve" not in refused.text
    # The handler refuses it as before (403), the error beside the form on this page.
    retract = f"{course}/events/{tox}/retract"
    answer = post(pharmacist, f"{course}/events/{labs}/correct", retract, {"reason": "no"})
    assert answer.status_code == 403 and "only physician or nurse" in answer.text
    assert "diarrhea, grade 2" in doctor.get(course).text


def test_other_roles_strangers_and_other_courses_are_refused(
    login: Client, account: object
) -> None:
    doctor = login("physician")
    course = new_course(doctor)
    other = new_course(doctor, mrn="MRN-200")
    tox = _record(doctor, course, "toxicity", DIARRHEA)
    assert login("admin").get(f"{course}/events/{tox}/correct").status_code == 403
    anonymous = TestClient(doctor.app).get(f"{course}/events/{tox}/correct", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert doctor.get(f"{other}/events/{tox}/correct").status_code == 404
    assert doctor.get(f"{course}/events/999999/correct").status_code == 404


def test_a_form_without_the_csrf_token_is_refused(login: Client) -> None:
    doctor = login("physician")
    course = new_course(doctor)
    tox = _record(doctor, course, "toxicity", DIARRHEA)
    for action, field in (
        ("retract", {"reason": "wrong"}),
        ("resolve", {"resolved": "2026-05-04"}),
    ):
        answer = doctor.post(f"{course}/events/{tox}/{action}", data=field, follow_redirects=False)
        assert answer.status_code == 403 and "CSRF" in answer.text
        forged = {**field, "csrf_token": "not-the-token"}
        answer = doctor.post(f"{course}/events/{tox}/{action}", data=forged)
        assert answer.status_code == 403
    assert "not resolved" in doctor.get(course).text


def test_a_replaced_entry_is_no_longer_correctable(login: Client) -> None:
    doctor = login("physician")
    course = new_course(doctor)
    tox = _record(doctor, course, "toxicity", DIARRHEA)
    correct = f"{course}/events/{tox}/correct"
    resolved = post(doctor, correct, f"{course}/events/{tox}/resolve", {"resolved": "2026-05-04"})
    assert location(resolved) == course
    page = doctor.get(correct)
    assert page.status_code == 200 and "no longer in force" in page.text
    assert "/retract" not in page.text and "/resolve" not in page.text
    # A form posted from a stale page: refused (409) on this page, nothing changed.
    again = doctor.post(
        f"{course}/events/{tox}/retract",
        data={"csrf_token": token(doctor.get(course)), "reason": "late"},
    )
    assert again.status_code == 409 and "no longer in force" in again.text
    assert "Withdrawn entries" not in doctor.get(course).text
