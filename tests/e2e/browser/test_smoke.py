"""The browser reaches the real server; an anonymous visitor gets the login form."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_healthz_in_the_browser(page: Any) -> None:
    """Chromium loads /healthz from the server started for the browser tests."""
    response = page.goto("/healthz")
    assert response is not None and response.status == 200
    assert '"ok"' in page.content()


def test_anonymous_home_shows_the_login_form(
    page: Any, care_team: dict[str, Any], assert_accessible: Callable[[Any], None]
) -> None:
    """GET / without a session (an admin exists) answers the login form itself, axe-clean."""
    response = page.goto("/")
    assert response is not None and response.status == 200
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("Username")).to_be_editable()
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert_accessible(page)


def test_a_wrong_password_is_shown_beside_the_field(page: Any, care_team: dict[str, Any]) -> None:
    """A refused login keeps the username, never the password, and names the error."""
    page.goto("/login")
    page.get_by_label("Username").fill(care_team["nurse"].username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value(care_team["nurse"].username)
    expect(page.get_by_label("Password")).to_have_value("")
