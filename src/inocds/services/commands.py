"""The contract's stateless commands, by name.

Each command takes the request's parsed JSON and returns the answer's JSON, or
raises `InputError` (exit 2 / HTTP 422). Each runner imports its module only
when its command runs, so a cold `inocds dose` does not pay for the course engine;
the table maps names to functions (no import by string).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["COMMANDS", "Command", "run_command"]

Answer = dict[str, Any]


class Command(NamedTuple):
    """One stateless command: the function that answers it and its one-line help."""

    run: Callable[[Any], Answer]
    help: str


def _dose(document: Any) -> Answer:
    from inocds.clinical.dose import run_dose

    return run_dose(document)


def _prepare(document: Any) -> Answer:
    from inocds.clinical.prepare_command import run_prepare

    return run_prepare(document)


def _plan(document: Any) -> Answer:
    from inocds.clinical.plan import run_plan

    return run_plan(document)


def _assess(document: Any) -> Answer:
    from inocds.clinical.assess import run_assess

    return run_assess(document)


def _explain(document: Any) -> Answer:
    from inocds.clinical.explain import run_explain

    return run_explain(document)


def _screen(document: Any) -> Answer:
    from inocds.clinical.screen import run_screen

    return run_screen(document)


def _vial_plan(document: Any) -> Answer:
    from inocds.clinical.vials import run_vial_plan

    return run_vial_plan(document)


COMMANDS: dict[str, Command] = {
    "dose": Command(_dose, "One dose and its preparation."),
    "prepare": Command(_prepare, "A dose's preparation with its beyond-use clock."),
    "plan": Command(_plan, "The next cycle of the course."),
    "assess": Command(_assess, "What to do on today.date."),
    "explain": Command(_explain, "The course so far and today's decision, rule by rule."),
    "screen": Command(_screen, "The patient's safety screen."),
    "vial-plan": Command(
        _vial_plan, "The pharmacy day's vials: the fewest the sharing policy allows."
    ),
}


def run_command(name: str, document: Any) -> Answer:
    """Runs one command on a parsed JSON document."""
    return COMMANDS[name].run(document)
