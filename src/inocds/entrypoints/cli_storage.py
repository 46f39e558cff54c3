"""The storage commands of `inocds`: `db upgrade`, `audit verify` and `audit anchor`.

Both act on `INOCDS_DATABASE_URL` (default: the settings' SQLite file in the current
directory). Heavy imports happen inside the commands, so `inocds --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["STORAGE_COMMANDS", "add_storage_parsers", "run_storage_command"]

STORAGE_COMMANDS = ("db", "audit")


def add_storage_parsers(sub: Any) -> None:
    """Adds `db upgrade` and `audit verify` to the `inocds` subcommands."""
    db = sub.add_parser("db", help="Database schema: apply migrations.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="Apply every pending migration to INOCDS_DATABASE_URL.")
    audit = sub.add_parser("audit", help="The audit trail: check it, print its head.")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_sub.add_parser(
        "verify",
        help="Report any edited, inserted or deleted audit entry, and any order, event, "
        "patient or user row changed outside the application (exit 1 if any).",
    )
    verify.add_argument(
        "--anchor",
        metavar="HEAD",
        help="a head printed earlier by `inocds audit anchor`: reports newest entries deleted",
    )
    audit_sub.add_parser(
        "anchor", help="Print the chain's head (ID:HASH) to keep outside the database."
    )


def _database_url() -> str:
    from inocds.settings import load_settings

    return load_settings().database_url


def _db_upgrade() -> int:
    from inocds.services.database import head_revision, upgrade

    upgrade(_database_url())
    sys.stdout.write(f"database at revision {head_revision()}\n")
    return 0


def _audit_verify(anchor_text: str | None) -> int:
    from inocds.services.audit import count
    from inocds.services.audit_verify import parse_anchor, verify_all
    from inocds.services.database import session_at

    if anchor_text is not None and parse_anchor(anchor_text) is None:
        message = "expected ID:HASH as printed by `inocds audit anchor`"
        sys.stdout.write(json.dumps({"errors": [{"field": "anchor", "message": message}]}) + "\n")
        return 2
    with session_at(_database_url()) as session:
        problems = verify_all(session, anchor_text)
        entries = count(session)
    if problems:
        sys.stdout.write(f"audit chain BROKEN: {len(problems)} problem(s) in {entries} entries\n")
        for problem in problems:
            sys.stdout.write(f"  {problem}\n")
        return 1
    sys.stdout.write(f"audit chain intact: {entries} entries\n")
    return 0


def _audit_anchor() -> int:
    from inocds.services.audit_verify import anchor
    from inocds.services.database import session_at

    with session_at(_database_url()) as session:
        sys.stdout.write(anchor(session) + "\n")
    return 0


def run_storage_command(args: argparse.Namespace) -> int:
    """Runs `db …` or `audit …`; the exit status."""
    if args.command == "db":
        return _db_upgrade()
    if args.audit_command == "anchor":
        return _audit_anchor()
    return _audit_verify(args.anchor)
