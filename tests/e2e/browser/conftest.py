"""Browser fixtures: the real `inocds serve`, Debian's chromium driven by Playwright, axe-core.

Playwright never downloads a browser here: it launches the system chromium at
`/usr/bin/chromium` (the Makefile's `test` target installs it through
`scripts/ensure-chromium`). Without it, and when it cannot be installed, the browser
tests skip with the reason, except on CI (`CI` set), where they fail.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.servers import running_server

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1280, "height": 900}
# The axe-core impacts that fail the check: "serious" and "critical".
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def _ensure_chromium() -> str | None:
    """None when chromium is there (installing it if it can), else why it is not."""
    if CHROMIUM.exists():
        return None
    script = REPO / "scripts" / "ensure-chromium"
    done = subprocess.run([str(script)], capture_output=True, text=True, timeout=900)
    if done.returncode == 0 and CHROMIUM.exists():
        return None
    return (
        f"{CHROMIUM} is absent and scripts/ensure-chromium could not install it: "
        f"{(done.stderr or done.stdout).strip()[-400:]}"
    )


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of Debian's chromium; skips (fails on CI) when absent and not installable."""
    reason = _ensure_chromium()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def web_server(inocds: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`inocds serve` on a free port with its own empty SQLite database; yields the base URL.

    A database of its own, so the first-run page (no admin yet) is what the browser sees.
    """
    env = {"TZ": "UTC", "INOCDS_TIMEZONE": "UTC"}
    with running_server(inocds, tmp_path_factory.mktemp("web"), "web.sqlite3", env) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[Any]:
    """One headless chromium for the session (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def csp_violations() -> list[str]:
    """Every Content-Security-Policy violation chromium reported, in any page of the session."""
    return []


@pytest.fixture(autouse=True)
def _no_csp_violation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a browser test during which a page broke the CSP (an inline script or style)."""
    if "new_context" not in request.fixturenames:
        yield
        return
    seen: list[str] = request.getfixturevalue("csp_violations")
    before = len(seen)
    yield
    assert seen[before:] == [], "Content-Security-Policy violations:\n" + "\n".join(seen[before:])


@pytest.fixture(scope="session")
def new_context(
    browser: Any, web_server: str, csp_violations: list[str]
) -> Iterator[Callable[..., Any]]:
    """Makes browser contexts (separate cookies, like separate tablets) on the server.

    The ward's clock is UTC on both sides (server `TZ`/`INOCDS_TIMEZONE`, browser
    `timezone_id`), so the dates typed and the dates shown agree.
    """
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=web_server,
            viewport=viewport or TABLET,
            accept_downloads=True,
            timezone_id="UTC",
            locale="en-GB",
        )
        context.set_default_timeout(10_000)
        context.on(
            "console",
            lambda message: (
                csp_violations.append(f"{message.location}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Iterator[Any]:
    """A page at tablet width in a fresh context (no session cookie)."""
    context = new_context()
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """`<repo>/artifacts/screenshots` (git-ignored), where the screenshots go."""
    folder = REPO / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _describe(violation: dict[str, Any]) -> str:
    nodes = violation.get("nodes", [])
    targets = "; ".join(
        f"{node.get('target')}: {node.get('failureSummary', '').strip()}"[:300]
        for node in nodes[:5]
    )
    return (
        f"[{violation.get('impact')}] {violation.get('id')}: {violation.get('help')} "
        f"({len(nodes)} node(s)) {targets}"
    )


def check_accessible(page: Any) -> None:
    """Runs axe-core in the page; fails on any serious or critical violation (printed)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response.get("violations", [])
    for violation in violations:
        print(f"axe {page.url}: {_describe(violation)}")
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {page.url}:\n" + "\n".join(_describe(v) for v in blocking)


@pytest.fixture(scope="session")
def assert_accessible() -> Callable[[Any], None]:
    """The axe-core check: `assert_accessible(page)` fails on serious/critical violations."""
    return check_accessible


@pytest.fixture(scope="session")
def screenshot(artifacts: Path) -> Callable[[Any, str], list[Path]]:
    """`screenshot(page, name)`: full-page PNGs at tablet and desktop width; returns the paths."""

    def take(page: Any, name: str) -> list[Path]:
        saved = []
        original = page.viewport_size
        for label, size in (("tablet", TABLET), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            path = artifacts / f"{name}-{label}-{size['width']}x{size['height']}.png"
            page.screenshot(path=str(path), full_page=True)
            saved.append(path)
        if original:
            page.set_viewport_size(original)
        return saved

    return take


@dataclass(frozen=True)
class Account:
    """A care-team account created through the pages."""

    username: str
    full_name: str
    role: str
    password: str = "ward-tablet-passphrase-2026"


CARE_TEAM = {
    "admin": Account("admin", "Alex Admin", "admin"),
    "physician": Account("dr.okafor", "Dr Ngozi Okafor", "physician"),
    "pharmacist": Account("ph.lindqvist", "Karin Lindqvist", "pharmacist"),
    "nurse": Account("rn.moreau", "Julie Moreau", "nurse"),
}


def _fill_account(form: Any, account: Account) -> None:
    form.get_by_label("Username").fill(account.username)
    form.get_by_label("Full name").fill(account.full_name)
    form.get_by_label("Password (required)", exact=True).fill(account.password)
    form.get_by_label("Password again (required)", exact=True).fill(account.password)


@pytest.fixture(scope="session")
def care_team(new_context: Callable[..., Any]) -> dict[str, Account]:
    """First run through the pages: / leads to /setup, the admin is created and adds the team.

    Asserts what the pages show on the way (this is the "first login" of the issue).
    """
    from playwright.sync_api import expect

    context = new_context()
    page = context.new_page()
    admin = CARE_TEAM["admin"]

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create the first administrator")
    check_accessible(page)
    _fill_account(page, admin)
    page.get_by_role("button", name="Create and log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    expect(page.get_by_role("banner")).to_contain_text(f"{admin.full_name} (admin)")

    page.get_by_role("link", name="Manage users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    for role in ("physician", "pharmacist", "nurse"):
        account = CARE_TEAM[role]
        _fill_account(page, account)
        page.get_by_label("Role").select_option(role)
        page.get_by_role("button", name="Add the user").click()
        expect(page.get_by_role("status")).to_have_text("The account is created.")
        row = page.get_by_role("row").filter(has_text=account.username)
        expect(row).to_contain_text(account.full_name)
        expect(row).to_contain_text(role)
        expect(row).to_contain_text("active")
    check_accessible(page)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    # The first-run page is gone once an account exists.
    response = page.goto("/setup")
    assert response is not None and response.status == 404
    context.close()
    return CARE_TEAM
