"""The strict Content-Security-Policy holds in chromium and the pages still work under it.

Every browser test also fails on any CSP violation reported in the page (see the
`_no_csp_violation` fixture of conftest.py): the full care-team flow runs under the policy.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

_INJECT = """() => new Promise((resolve) => {
  document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective));
  const script = document.createElement("script");
  script.textContent = "window.__inlineRan = true;";
  document.body.appendChild(script);
  const styled = document.createElement("div");
  styled.setAttribute("style", "color: red");
  document.body.appendChild(styled);
  setTimeout(() => resolve(window.__inlineRan ? "ran" : "no event"), 2000);
})"""


def test_an_injected_inline_script_does_not_run(page: Any, csp_violations: list[str]) -> None:
    """An inline <script> added to the login page is blocked by script-src 'self'."""
    response = page.goto("/login")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    directive = page.evaluate(_INJECT)
    assert directive in ("script-src-elem", "script-src", "style-src-attr", "style-src")
    assert page.evaluate("() => window.__inlineRan === true") is False
    csp_violations.clear()  # the violations provoked here on purpose


def test_the_pages_load_their_script_and_style_from_the_site(
    page: Any, care_team: dict[str, Any]
) -> None:
    """Logged in, the worklist and rules pages apply app.css and run app.js, with no violation."""
    nurse = care_team["nurse"]
    page.goto("/login")
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(nurse.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("banner")).to_contain_text(nurse.full_name)
    for path in ("/", "/patients", "/rules"):
        response = page.goto(path)
        assert response is not None and response.status == 200
        assert response.headers["cache-control"] == "no-store"
        styled = page.evaluate(
            "() => getComputedStyle(document.querySelector('.site-header')).display"
        )
        assert styled != ""
        assert page.evaluate(
            "() => [...document.scripts].every((s) => s.src.startsWith(location.origin))"
        )
