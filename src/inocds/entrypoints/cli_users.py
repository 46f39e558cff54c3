"""The account commands of `inocds`: `user add --role ROLE NAME` (how the first admin is made).

Acts on `INOCDS_DATABASE_URL` after applying pending migrations. The password comes
from standard input with `--password-stdin` (one line), else it is asked twice without
echo. Prints the new account as JSON; a bad role, username or password exits 2 with
the contract's `{"errors": [...]}`. Heavy imports happen inside the command.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["USER_COMMANDS", "add_user_parsers", "run_user_command"]

USER_COMMANDS = ("user",)
EXIT_BAD_INPUT = 2


def add_user_parsers(sub: Any) -> None:
    """Adds `user add` to the `inocds` subcommands."""
    user = sub.add_parser("user", help="User accounts: create one (the first admin).")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser(
        "add",
        help="Create an account in INOCDS_DATABASE_URL.",
        description="Create an account (roles: physician, pharmacist, nurse, admin).",
    )
    add.add_argument("name", metavar="NAME", help="the username (kept in lower case)")
    add.add_argument("--role", required=True, help="physician, pharmacist, nurse or admin")
    add.add_argument("--full-name", default="", help="the person's name as shown")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )


def _emit(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _password(from_stdin: bool) -> str | None:
    """The password, or None after printing why there is none."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != first:
        _emit({"errors": [{"field": "password", "message": "the two entries differ"}]})
        return None
    return first


def _user_add(args: argparse.Namespace) -> int:
    from inocds.clinical.validation import InputError
    from inocds.services.accounts import create_user
    from inocds.services.auth import user_json
    from inocds.services.database import transaction_at, upgrade
    from inocds.services.errors import ServiceError
    from inocds.settings import load_settings

    password = _password(args.password_stdin)
    if password is None:
        return EXIT_BAD_INPUT
    url = load_settings().database_url
    upgrade(url)
    try:
        with transaction_at(url) as session:
            user = create_user(session, None, args.name, args.full_name, args.role, password)
            shown = user_json(user)
    except (InputError, ServiceError) as error:
        _emit(error.to_dict())
        return EXIT_BAD_INPUT
    _emit(shown)
    return 0


def run_user_command(args: argparse.Namespace) -> int:
    """Runs `user …`; the exit status."""
    return _user_add(args)
