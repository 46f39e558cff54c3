"""The `inocds` command line: one JSON document in, one JSON document out.

Exit 0 with the answer; exit 2 with `{"errors": [...]}` on bad input; exit 1
with an error document if the program itself fails (never a traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from inocds.services.commands import COMMANDS

if TYPE_CHECKING:
    import argparse

__all__ = ["main"]

EXIT_BAD_INPUT = 2


def _emit(document: Any, stream: Any = None) -> None:
    out = stream or sys.stdout
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _bad_input(errors: list[dict[str, str]]) -> NoReturn:
    _emit({"errors": errors})
    raise SystemExit(EXIT_BAD_INPUT)


def _read_document(path: str | None) -> Any:
    try:
        if path in (None, "-"):
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as error:
        _bad_input([{"field": "--input", "message": f"cannot read {path}: {error.strerror}"}])
    except UnicodeDecodeError as error:
        _bad_input([{"field": "(body)", "message": f"not valid UTF-8: {error.reason}"}])
    from inocds.clinical.json_limits import loads
    from inocds.clinical.validation import InputError

    try:
        return loads(text)
    except InputError as error:  # bad JSON, too deep, too long a number, control characters
        _bad_input([e.to_dict() for e in error.errors])


def _run_json_command(name: str, args: argparse.Namespace | _Plain) -> int:
    from inocds.clinical.validation import InputError
    from inocds.services.commands import run_command

    document = _read_document(args.input)
    try:
        answer = run_command(name, document)
    except InputError as error:
        _emit(error.to_dict())
        return EXIT_BAD_INPUT
    if name == "explain" and args.format == "text":
        sys.stdout.write(str(answer.get("text", "")) + "\n")
    else:
        _emit(answer)
    return 0


def _rules(args: argparse.Namespace) -> int:
    from inocds.protocol.loader import load_protocol

    protocol = load_protocol()
    if args.rule_id:
        if args.rule_id not in protocol:
            _bad_input([{"field": "RULE_ID", "message": f"no rule {args.rule_id!r}"}])
        rules = [protocol[args.rule_id]]
    else:
        rules = list(protocol.all())
    if args.format == "json":
        _emit(
            [
                {
                    "id": r.id,
                    "statement": r.statement,
                    "source": r.source,
                    "status": r.status,
                    "params": dict(r.params),
                }
                for r in rules
            ]
        )
        return 0
    for r in rules:
        sys.stdout.write(f"{r.id}  [{r.status}]\n  {r.statement}\n  source: {r.source}\n")
        if r.params and args.rule_id:
            for key, value in r.params.items():
                sys.stdout.write(f"  {key} = {value}\n")
    return 0


def _interactions(args: argparse.Namespace) -> int:
    from inocds.clinical.interactions import match_medications
    from inocds.clinical.screen.alerts import medication_alerts
    from inocds.clinical.screen.common import Collector
    from inocds.protocol.interactions import load_interactions
    from inocds.protocol.loader import load_protocol

    knowledge = load_interactions()
    result = match_medications(args.drugs, knowledge)
    alerts = medication_alerts(result, knowledge, Collector(load_protocol()))
    _emit(
        {
            "interactions": [hit.to_dict() for hit in result.interactions],
            "alerts": [alert.to_dict() for alert in alerts],
            "unmatched": list(result.unmatched),
            "unmatched_details": [u.to_dict() for u in result.unmatched_details],
            "listed_only": [hit.to_dict() for hit in result.listed_only],
            "duplicates": [
                {"drug": d.canonical, "names": list(d.names)} for d in result.duplicates
            ],
            "qt_drugs": list(result.qt_drugs),
            "inexact": [r.to_dict() for r in result.inexact],
        }
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from inocds.entrypoints.serving import serve

    if args.workers < 1:
        _bad_input([{"field": "--workers", "message": "must be 1 or more"}])
    serve(args.host, args.port, args.workers, args.access_log, args.pin_cpu)
    return 0


def _parser() -> argparse.ArgumentParser:
    import argparse

    from inocds.entrypoints.cli_storage import add_storage_parsers
    from inocds.entrypoints.cli_users import add_user_parsers

    parser = argparse.ArgumentParser(
        prog="inocds",
        description="Clinical decision support for inotuzumab ozogamicin (Besponsa).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument(
            "--input", "-i", metavar="FILE", help="JSON request file ('-' or absent: stdin)"
        )
        if name == "explain":
            cmd.add_argument("--format", choices=("text", "json"), default="text")
    rules = sub.add_parser("rules", help="List the protocol's rules, or show one.")
    rules.add_argument("rule_id", nargs="?", metavar="RULE_ID")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    inter = sub.add_parser("interactions", help="Look up drug interactions by name.")
    inter.add_argument("drugs", nargs="+", metavar="DRUG")
    serve = sub.add_parser("serve", help="Start the HTTP service.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (each with its own database pool; see NOTES.md)",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="also write uvicorn's line per request to stderr (reads of patient data "
        "are in the audit access log either way)",
    )
    serve.add_argument(
        "--pin-cpu",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep each server process on one CPU (default; Linux): its threads then hand "
        "the interpreter lock to each other without moving between CPUs (see NOTES.md)",
    )
    add_storage_parsers(sub)
    add_user_parsers(sub)
    return parser


class _Plain:
    """The arguments of `inocds COMMAND [--input FILE]` read without argparse."""

    __slots__ = ("command", "format", "input")

    def __init__(self, command: str, path: str | None) -> None:
        self.command = command
        self.input = path
        self.format = "text"  # explain's default


def _plain(argv: list[str]) -> _Plain | None:
    """`COMMAND`, `COMMAND --input FILE`, `COMMAND -i FILE` or `COMMAND --input=FILE` of a
    JSON command, else None (argparse reads it, with its help and its errors). A cold
    `inocds dose` then skips importing argparse, gettext, locale and shutil."""
    if not argv or argv[0] not in COMMANDS:
        return None
    rest = argv[1:]
    if not rest:
        return _Plain(argv[0], None)
    if len(rest) == 2 and rest[0] in ("--input", "-i") and not rest[1].startswith("-"):
        return _Plain(argv[0], rest[1])
    if len(rest) == 1 and rest[0].startswith("--input=") and len(rest[0]) > len("--input="):
        return _Plain(argv[0], rest[0][len("--input=") :])
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `inocds` command."""
    plain = _plain(sys.argv[1:] if argv is None else argv)
    if plain is not None:
        return _guarded(partial(_run_json_command, plain.command, plain))
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    return _guarded(partial(_dispatch, args))


def _dispatch(args: argparse.Namespace) -> int:
    from inocds.entrypoints.cli_storage import STORAGE_COMMANDS, run_storage_command
    from inocds.entrypoints.cli_users import USER_COMMANDS, run_user_command

    if args.command in COMMANDS:
        return _run_json_command(args.command, args)
    if args.command == "rules":
        return _rules(args)
    if args.command == "interactions":
        return _interactions(args)
    if args.command in STORAGE_COMMANDS:
        return run_storage_command(args)
    if args.command in USER_COMMANDS:
        return run_user_command(args)
    return _serve(args)


def _guarded(run: Callable[[], int]) -> int:
    """Runs a command: an error document for any failure of ours, never a traceback."""
    try:
        return run()
    except SystemExit as stop:
        return int(stop.code or 0)
    except Exception as error:  # the last guard: an error document, never a traceback
        _emit({"errors": [{"field": "(internal)", "message": f"{type(error).__name__}: {error}"}]})
        return 1


if __name__ == "__main__":
    sys.exit(main())
