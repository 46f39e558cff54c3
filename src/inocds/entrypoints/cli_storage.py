"""The storage commands of `inocds`: `db upgrade` and `audit verify`.

Both act on `INOCDS_DATABASE_URL` (default: the settings' SQLite file in the current
directory). Heavy imports happen inside the commands, so `inocds --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["STORAGE_COMMANDS", "add_storage_parsers", "run_storage_command"]

STORAGE_COMMANDS = ("db", "audit")


def add_storage_parsers(sub: Any) -> None:
    """Adds `db upgrade` and `audit verify` to the `inocds` subcommands."""
    db = sub.add_parser("db", help="Database schema: apply migrations.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="Apply every pending migration to INOCDS_DATABASE_URL.")
    audit = sub.add_parser("audit", help="The audit trail: check its hash chain.")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    audit_sub.add_parser(
        "verify", help="Report any edited, inserted or deleted audit entry (exit 1 if any)."
    )


def _database_url() -> str:
    from inocds.settings import load_settings

    return load_settings().database_url


def _db_upgrade() -> int:
    from inocds.adapters.db.migrate import head_revision, upgrade

    upgrade(_database_url())
    sys.stdout.write(f"database at revision {head_revision()}\n")
    return 0


def _audit_verify() -> int:
    from inocds.adapters.db.engine import make_engine, make_session_factory
    from inocds.services.audit import count, verify

    engine = make_engine(_database_url())
    try:
        with make_session_factory(engine)() as session:
            problems = verify(session)
            entries = count(session)
    finally:
        engine.dispose()
    if problems:
        sys.stdout.write(f"audit chain BROKEN: {len(problems)} problem(s) in {entries} entries\n")
        for problem in problems:
            sys.stdout.write(f"  {problem}\n")
        return 1
    sys.stdout.write(f"audit chain intact: {entries} entries\n")
    return 0


def run_storage_command(args: argparse.Namespace) -> int:
    """Runs `db …` or `audit …`; the exit status."""
    if args.command == "db":
        return _db_upgrade()
    return _audit_verify()
