"""The pharmacist's day in a real browser, on a real HTTP server whose clock can move.

Two patients are signed and verified for today (through the services): 165 cm / 62 kg
(Mosteller sqrt(165 x 62 / 3600) = 1.6858 -> 1.69 m2; 0.8 x 1.69 = 1.352 -> 1.35 mg) and
150 cm / 45 kg (1.369 -> 1.37 m2; 0.8 x 1.37 = 1.096 -> 1.10 mg). 2.45 mg in all:
ceil(2.45 / 0.9) = 3 vials when shared across patients, 2 + 2 = 4 without.

In the browser the pharmacist plans the day, records three vials (LOT-A, LOT-B, LOT-C),
makes the first bag from A (0.9) and B (0.45) and the second from B (0.45) and C (0.65),
so LOT-B is shared; closes C (0.25 mg left). 3 h 10 min later (the server's clock is
moved forward: a bag diluted at room temperature must start within 3 h) the second bag is expired
and discarded; the ledger shows the vial remainder and the expired bag.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from tests.e2e.browser.conftest import TABLET, check_accessible
from tests.e2e.servers import free_port

from inocds.adapters.db.engine import transaction
from inocds.entrypoints.api import clock, create_app
from inocds.services import courses, orders, patients
from inocds.services.accounts import create_user
from inocds.settings import Settings

pytestmark = pytest.mark.e2e

PASSWORD = "pharmacy-tablet-passphrase"


class MovableClock:
    """The server's clock: the wall clock plus an offset the test moves forward.

    It starts at 08:00 UTC of today's date, so the day's steps never cross midnight.
    """

    def __init__(self) -> None:
        wall = dt.datetime.now(dt.UTC)
        self.offset = dt.datetime.combine(wall.date(), dt.time(8), dt.UTC) - wall

    def now(self) -> dt.datetime:
        """Now, moved by the offset (UTC)."""
        return dt.datetime.now(dt.UTC) + self.offset


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, MovableClock, Any]]:
    """The application (vials shared across patients) under uvicorn in a thread."""
    saved = os.environ.get("INOCDS_TIMEZONE")
    os.environ["INOCDS_TIMEZONE"] = "UTC"
    folder = tmp_path_factory.mktemp("pharmacy")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'pharmacy.sqlite3'}",
        vial_sharing_policy="across_patients",
    )
    app = create_app(settings)
    moving = MovableClock()
    app.dependency_overrides[clock.now] = moving.now
    app.dependency_overrides[clock.today] = lambda: moving.now().date()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", moving, app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if saved is None:
            os.environ.pop("INOCDS_TIMEZONE", None)
        else:
            os.environ["INOCDS_TIMEZONE"] = saved


def _verified_order(
    app: Any, users: dict[str, Any], mrn: str, height: float, weight: float, now: dt.datetime
) -> int:
    today = now.date()
    with transaction(app.state.session_factory) as s:
        patient = patients.create_patient(
            s,
            users["physician"],
            patients.PatientInput(
                mrn=mrn,
                family_name=f"Patient{mrn[-1]}",
                given_name="Sam",
                birth_date=dt.date(1975, 3, 1),
                sex="female",
                height_cm=height,
                weight_kg=weight,
                measured_on=today,
            ),
        )
        pre = {
            "anc_per_mm3": 1800,
            "platelets_per_mm3": 90000,
            "bilirubin": {"value": 0.6, "uln": 1.2},
            "ast": {"value": 25, "uln": 40},
            "alt": {"value": 22, "uln": 40},
        }
        course = courses.create_course(s, users["physician"], patient.id, False, pre, today)
        data = orders.OrderInput(1, 1, 0.8, today)
        order_id = orders.sign(s, users["physician"], course.id, data, today, now=now).id
    with transaction(app.state.session_factory) as s:
        verified = orders.verify(s, users["pharmacist2"], order_id, height, weight, now=now)
        assert verified is not None
    return order_id


@pytest.fixture(scope="module")
def the_day(served: tuple[str, MovableClock, Any]) -> tuple[dt.date, list[int]]:
    """Users, and two orders of today signed and verified."""
    _, moving, app = served
    today = moving.now().date()
    users = {}
    with transaction(app.state.session_factory) as s:
        for name, role in (
            ("physician", "physician"),
            ("pharmacist", "pharmacist"),
            ("pharmacist2", "pharmacist"),
        ):
            users[name] = create_user(s, None, f"e2e-{name}", f"E2E {name}", role, PASSWORD)
    ids = [
        _verified_order(app, users, "MRN-PH-1", 165, 62, moving.now()),
        _verified_order(app, users, "MRN-PH-2", 150, 45, moving.now()),
    ]
    return today, ids


@pytest.fixture
def pharmacist_page(browser: Any, served: tuple[str, MovableClock, Any]) -> Iterator[Page]:
    """A tablet-sized page, logged in as the pharmacist."""
    context = browser.new_context(
        base_url=served[0], viewport=TABLET, timezone_id="UTC", locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/login?next=/pharmacy/today")
    page.get_by_label("Username").fill("e2e-pharmacist")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pharmacy day")
    yield page
    context.close()


def test_the_pharmacist_plans_shares_a_vial_and_discards_an_expired_bag(
    pharmacist_page: Page,
    served: tuple[str, MovableClock, Any],
    the_day: tuple[dt.date, list[int]],
    screenshot: Callable[[Any, str], list[Path]],
) -> None:
    """3 vials planned (4 without sharing); LOT-B serves both bags; the expired bag (1.1 mg)
    and LOT-C's remainder (3 x 0.9 - 2.45 = 0.25 mg) are in the ledger."""
    page = pharmacist_page
    _, moving, _ = served
    today, (first, second) = the_day
    page.goto(f"/pharmacy/today?on={today.isoformat()}")
    due = page.get_by_role("table", name=re.compile("orders due on"))
    expect(due.get_by_role("row")).to_have_count(3)
    page.get_by_label(f"Dilution time of order {first}").fill("09:00")
    page.get_by_label(f"Dilution time of order {second}").fill("10:00")
    page.get_by_role("button", name="Plan the vials").click()
    expect(page.get_by_role("heading", name="Vial plan: 3 vials")).to_be_visible()
    expect(page.get_by_text("4 without sharing")).to_be_visible()
    check_accessible(page)

    for lot in ("LOT-A", "LOT-B", "LOT-C"):
        form = page.get_by_role("form", name="Record a reconstituted vial")
        form.get_by_label("Lot number").fill(lot)
        form.get_by_role("button", name="Record the vial").click()
        expect(page.get_by_role("status").first).to_have_text("The vial is recorded.")

    def bag(order_id: int, draws: dict[str, str]) -> None:
        form = page.get_by_role("form", name=f"Prepare the bag of order {order_id}")
        for lot, mg in draws.items():  # the plan's rule has filled them in already
            expect(form.get_by_label(f"mg from lot {lot}")).to_have_value(mg)
            form.get_by_label(f"mg from lot {lot}").fill(mg)
        form.get_by_label("Room temperature").check()
        form.get_by_role("button", name="Prepare the bag").click()
        expect(page.get_by_role("status").first).to_contain_text("The bag is prepared")

    bag(first, {"LOT-A": "0.9", "LOT-B": "0.45"})
    bag(second, {"LOT-B": "0.45", "LOT-C": "0.65"})
    vials = page.get_by_role("table", name=re.compile("Reconstituted vials"))
    shared = vials.get_by_role("row").filter(has_text="LOT-B")
    expect(shared).to_contain_text(f"order {first}: 0.45 mg")
    expect(shared).to_contain_text(f"order {second}: 0.45 mg")
    page.get_by_role("button", name="Close vial LOT-C and discard what is left").click()
    expect(page.get_by_role("status").first).to_contain_text("its remainder is in the waste ledger")
    screenshot(page, "pharmacy-day-bags")

    moving.offset += dt.timedelta(hours=3, minutes=10)  # the bags had to start within 3 h
    page.goto(f"/pharmacy/today?on={today.isoformat()}")
    card = page.get_by_role("article").filter(has_text=f"Order {second}")
    expect(card).to_contain_text("expired")
    form = page.get_by_role("form", name=f"Discard the bag of order {second}")
    form.get_by_label("Why the bag is discarded").select_option("expired_bag")
    form.get_by_label("Note").fill("patient delayed in radiology")
    form.get_by_role("button", name="Discard the bag").click()
    expect(page.get_by_role("status").first).to_contain_text("The bag is discarded")

    page.get_by_role("link", name=re.compile("^Waste ledger")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Waste ledger")
    entries = page.get_by_role("table", name=re.compile("Ledger entries"))
    expect(entries.get_by_role("row").filter(has_text="Expired bag")).to_contain_text("1.1")
    expect(entries.get_by_role("row").filter(has_text="Unused vial remainder")).to_contain_text(
        "0.25"
    )
    # 0.25 + 1.10 = 1.35 mg
    expect(page.get_by_text("1.35 mg discarded")).to_be_visible()
    check_accessible(page)
    screenshot(page, "pharmacy-waste-ledger")
