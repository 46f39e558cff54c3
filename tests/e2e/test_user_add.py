"""`inocds user add` through the real command: the first admin, and bad input refused (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from inocds.adapters.db.engine import make_engine, make_session_factory, transaction
from inocds.services.auth import authenticate

pytestmark = pytest.mark.e2e

CLI_TIMEOUT_S = 60.0
PASSWORD = "twelve chars at least"


def _user_add(inocds: str, url: str, *args: str, stdin: str) -> tuple[int, Any]:
    done = subprocess.run(
        [inocds, "user", "add", *args, "--password-stdin"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        env={**os.environ, "INOCDS_DATABASE_URL": url},
    )
    return done.returncode, json.loads(done.stdout)


def test_user_add_creates_the_first_admin_who_can_log_in(inocds: str, tmp_path: Path) -> None:
    """On a new database the command migrates, stores the admin, and the password logs in."""
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    code, shown = _user_add(
        inocds, url, "--role", "admin", "Ada", "--full-name", "Ada L.", stdin=PASSWORD + "\n"
    )
    assert code == 0, shown
    assert (shown["username"], shown["role"], shown["full_name"]) == ("ada", "admin", "Ada L.")
    assert "password_hash" not in shown
    engine = make_engine(url)
    try:
        with transaction(make_session_factory(engine)) as session:
            assert authenticate(session, "ada", PASSWORD).role == "admin"
    finally:
        engine.dispose()


def test_user_add_refuses_bad_role_short_password_and_taken_name(
    inocds: str, tmp_path: Path
) -> None:
    """A bad role and a short password exit 2 naming both; a taken username exits 2 too."""
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    code, shown = _user_add(inocds, url, "--role", "surgeon", "bob", stdin="short\n")
    assert code == 2
    assert {error["field"] for error in shown["errors"]} == {"role", "password"}
    assert _user_add(inocds, url, "--role", "nurse", "bob", stdin=PASSWORD)[0] == 0
    code, shown = _user_add(inocds, url, "--role", "nurse", "BOB", stdin=PASSWORD)
    assert code == 2
    assert shown["errors"][0]["field"] == "username"
