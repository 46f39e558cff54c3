"""Message templates of the protocol, filled with the rule's params and the case's values."""

from __future__ import annotations

from typing import Any

from inocds.clinical.reasons import Reason, cite
from inocds.protocol.loader import ProtocolError, load_protocol

__all__ = ["render", "say", "warning"]


def render(rule_id: str, key: str = "message", **values: Any) -> str:
    """The rule's template `key` with `{param}` from its params and `{name}` from `values`."""
    rule = load_protocol()[rule_id]
    template = rule.messages.get(key)
    if template is None:
        raise ProtocolError(f"{rule_id} has no message template {key!r}")
    return template.format(**{**rule.params, **values})


def say(rule_id: str, key: str = "message", **values: Any) -> Reason:
    """A Reason for `rule_id` with its rendered template."""
    return cite(rule_id, render(rule_id, key, **values))


def warning(rule_id: str, key: str = "message", **values: Any) -> dict[str, str]:
    """A `{"code", "message"}` warning whose code is the rule id."""
    return {"code": rule_id, "message": render(rule_id, key, **values)}
