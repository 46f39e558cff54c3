"""The contract's stateless commands, by name.

Each command takes the request's parsed JSON and returns the answer's JSON, or
raises `InputError` (exit 2 / HTTP 422). Modules are imported only when their
command runs, so a cold `inocds dose` does not pay for the course engine.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["COMMANDS", "run_command"]

COMMANDS: dict[str, tuple[str, str, str]] = {
    "dose": ("inocds.clinical.dose", "run_dose", "One dose and its preparation."),
    "prepare": (
        "inocds.clinical.preparation",
        "run_prepare",
        "A dose's preparation with its beyond-use clock.",
    ),
    "plan": ("inocds.clinical.plan", "run_plan", "The next cycle of the course."),
    "assess": ("inocds.clinical.assess", "run_assess", "What to do on today.date."),
    "explain": (
        "inocds.clinical.explain",
        "run_explain",
        "The course so far and today's decision, rule by rule.",
    ),
    "screen": ("inocds.clinical.screen", "run_screen", "The patient's safety screen."),
    "vial-plan": (
        "inocds.clinical.vials",
        "run_vial_plan",
        "The pharmacy day's vials: the fewest the sharing policy allows.",
    ),
}


def command_function(name: str) -> Callable[[Any], dict[str, Any]]:
    """The function behind a command name."""
    module_name, function_name, _ = COMMANDS[name]
    module = importlib.import_module(module_name)
    function: Callable[[Any], dict[str, Any]] = getattr(module, function_name)
    return function


def run_command(name: str, document: Any) -> dict[str, Any]:
    """Runs one command on a parsed JSON document."""
    return command_function(name)(document)
