"""rules.templates: every protocol template compiled renders as `str.format_map` did."""

from __future__ import annotations

import datetime as dt
from string import Formatter
from typing import Any

import pytest

from inocds.clinical.rules.templates import compile_template, date_text
from inocds.protocol.loader import load_protocol

_PLAIN: tuple[Any, ...] = (
    3,
    0,
    -12,
    2.5,
    300.0,
    1e-07,
    True,
    None,
    dt.date(2026, 1, 5),
    dt.date(1999, 12, 31),
    dt.datetime(2026, 1, 5, 7, 30),  # a date subclass: formatted as itself, not isoformat
    "grade 3 {not a field}",
    "",
    (1, 2),
)
_NUMBERS: tuple[Any, ...] = (3, 2.5, 1234567.891, 0.004, -1.5)


def _templates() -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for rule in load_protocol().all():
        for key, template in rule.messages.items():
            found.append((rule.id, key, template, dict(rule.params)))
    return found


def _fields(template: str) -> list[tuple[str, str]]:
    return [(name, spec or "") for _, name, spec, _ in Formatter().parse(template) if name]


def _old(template: str, params: dict[str, Any], values: dict[str, Any]) -> str:
    """The renderer before compilation (rules.text before session 14)."""
    merged = {**params, **values} if params and values else (values or params)
    return template.format_map(merged)


def _outcome(render: Any) -> tuple[str, Any]:
    try:
        return "ok", render()
    except Exception as error:  # the same failure is part of "the same"
        return type(error).__name__, str(error)


def _cases(template: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    fields = _fields(template)
    case_names = [name for name, _ in fields if name not in params]
    cases = []
    for shift in range(len(_PLAIN)):
        values = {}
        for index, (name, spec) in enumerate(fields):
            pool = _NUMBERS if spec else _PLAIN
            if name not in params or shift % 3 == 0:  # now and then a param overridden
                values[name] = pool[(index + shift) % len(pool)]
        cases.append(values)
    if case_names:
        cases.append({n: 1 for n in case_names[1:]})  # the first case value missing
    return cases


TEMPLATES = _templates()


@pytest.mark.parametrize(("rule_id", "key", "template", "params"), TEMPLATES)
def test_every_template_renders_as_format_map(
    rule_id: str, key: str, template: str, params: dict[str, Any]
) -> None:
    fill = compile_template(template, params)
    for values in _cases(template, params):
        assert _outcome(lambda v=values: fill(v)) == _outcome(
            lambda v=values: _old(template, params, v)
        ), (rule_id, key, values)


def test_there_are_templates_with_dates_params_and_specs() -> None:
    """The sample above reaches each kind of field."""
    all_fields = [f for _, _, t, _ in TEMPLATES for f in _fields(t)]
    assert len(TEMPLATES) > 100
    assert any(spec for _, spec in all_fields)
    assert any(name in p for _, _, t, p in TEMPLATES for name, _ in _fields(t))
    assert any(name == "date" for name, _ in all_fields)


@pytest.mark.parametrize(
    "template",
    [
        "a {{literal}} {x} and {x!r} or {x!s}, '\"\\ {y:>6}",
        "{x.real} {y}",  # attribute: the format_map fallback
        "{0} {x}",  # positional: format_map's own ValueError
        "{x:{y}}",  # nested spec: the fallback
        "line\nbreak {x} \t tab é ≥ {y:.1f}",
        "",
        "no fields",
    ],
)
def test_unusual_templates(template: str) -> None:
    params = {"y": 2.25}
    fill = compile_template(template, params)
    for values in ({"x": 4}, {"x": dt.date(2026, 2, 28), "y": 7}, {"x": "s"}, {}):
        assert _outcome(lambda v=values: fill(v)) == _outcome(
            lambda v=values: _old(template, params, v)
        )


def test_date_text_is_str_of_a_date() -> None:
    for day in (dt.date(2026, 1, 1), dt.date(1, 1, 1), dt.date(9999, 12, 31)):
        assert date_text(day) == str(day) == format(day, "")
