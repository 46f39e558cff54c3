"""Message and recheck templates of the protocol, filled with the rule's params and the case.

Every human sentence of the engine (reasons, warnings, walk log, recheck conditions) is
a `[rule.messages]` template of `protocol/*.toml`: `{param}` comes from the rule's own
params, `{name}` from the case. `render` is the one renderer; a template and its params
are looked up and compiled once per process (rules.templates: the `str.format_map` of
the template written out as an f-string function; no template engine).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from inocds.clinical.reasons import Reason, source_of
from inocds.clinical.rules.templates import Fill, compile_template
from inocds.protocol.loader import ProtocolError, load_protocol

__all__ = [
    "gap_days",
    "ge14_days",
    "listed",
    "param",
    "recheck",
    "render",
    "say",
    "warning",
    "window_days",
]


@lru_cache(maxsize=512)
def _template(rule_id: str, key: str) -> tuple[str, Mapping[str, Any]]:
    rule = load_protocol()[rule_id]
    template = rule.messages.get(key)
    if template is None:
        raise ProtocolError(f"{rule_id} has no message template {key!r}")
    return template, rule.params


@lru_cache(maxsize=512)
def _filler(rule_id: str, key: str) -> Fill:
    """The template `key` of the rule compiled with its params (rules.templates)."""
    return compile_template(*_template(rule_id, key))


@lru_cache(maxsize=512)
def _cited(rule_id: str, key: str) -> tuple[Fill, str]:
    """`_filler` and the rule's source, in one look-up (for `say`)."""
    return _filler(rule_id, key), source_of(rule_id)


def render(rule_id: str, key: str = "message", **values: Any) -> str:
    """The rule's template `key` with `{param}` from its params and `{name}` from `values`."""
    return _filler(rule_id, key)(values)


def say(rule_id: str, key: str = "message", **values: Any) -> Reason:
    """A Reason for `rule_id` with its rendered template: `cite(rule_id, render(rule_id,
    key, **values))` written out (the engine's most frequent call; two calls fewer)."""
    fill, source = _cited(rule_id, key)
    return Reason(rule_id, fill(values), source)


def warning(rule_id: str, key: str = "message", **values: Any) -> dict[str, str]:
    """A `{"code", "message"}` warning whose code is the rule id."""
    return {"code": rule_id, "message": render(rule_id, key, **values)}


@lru_cache(maxsize=64)
def param(rule_id: str, name: str) -> str:
    """A numeric param of a rule as message text (`14`, `0.75`), read from the protocol."""
    return f"{load_protocol()[rule_id].number(name):g}"


def ge14_days() -> str:
    """interruption.ge14's length in days, as message text."""
    return param("interruption.ge14", "days")


def gap_days() -> str:
    """schedule.min_interval's days between doses, as message text."""
    return param("schedule.min_interval", "min_days_between_doses")


def window_days() -> str:
    """schedule.window's days either side, as message text."""
    return param("schedule.window", "window_days")


def listed(items: Iterable[object], last: str = "and") -> str:
    """'1', '1 and 8', '1, 8 and 15' (an English list)."""
    shown = [str(i) for i in items]
    if len(shown) < 2:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" {last} " + shown[-1]


@lru_cache(maxsize=128)
def recheck(rule_id: str) -> str | None:
    """The rule's recheck condition (what must be true before the dose goes ahead), if any.

    The same template serves the engine and every page that shows a held dose.
    """
    protocol = load_protocol()
    if rule_id not in protocol or "recheck" not in protocol[rule_id].messages:
        return None
    return render(rule_id, "recheck")
