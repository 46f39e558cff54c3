"""Message templates compiled once into fill functions (`compile_template`), for `rules.text`.

`compile_template(template, params)` returns `fill(values) -> str` equal to
`template.format_map({**params, **values})`: `{name}` from `values`, else from the
rule's `params`. It is that call written out once per template as an f-string
function, made when the template is first used.

Why (callgrind, one `say` of schedule.min_interval's 5-field template): `format_map`
re-parses the template and makes and hashes a key per field on every call, ~12.5 K
instructions; the f-string function ~3 K. A field filled with a plain `datetime.date`
takes its text from a small cache of `date.isoformat` (~0.5 K instead of ~3-4.5 K per
date, the same text: `format(date, "")` is `str(date)`, i.e. its isoformat).

A template this compiler does not handle (a field with an attribute or index, a positional
field, a nested or unusual format spec) falls back to `format_map` itself, so errors
(KeyError of a missing name included) stay those of `format_map`. One difference only on
a call that fails anyway: every name is looked up before any field is formatted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from string import Formatter
from typing import Any

__all__ = ["Fill", "compile_template", "date_text"]

Fill = Callable[[Mapping[str, Any]], str]
"""A compiled template: the case's values -> the message."""

date_text: Callable[[dt.date], str] = lru_cache(maxsize=1024)(dt.date.isoformat)
"""`str(d)` of a plain date, from a bounded cache (the same few dates recur on a course)."""

_SPEC = re.compile(r"[A-Za-z0-9.,%+ #<>=^_-]*")
"""Format specs written straight into the f-string (no braces, quotes or backslashes)."""


def compile_template(template: str, params: Mapping[str, Any]) -> Fill:
    """`fill(values)` == `template.format_map({**params, **values})` (see the module)."""
    pieces = list(Formatter().parse(template))
    if not all(_simple(name, spec, conversion) for _, name, spec, conversion in pieces):
        return _format_map_fill(template, params)
    names: list[str] = []  # each field's name once, in order of first use
    body = []
    for literal, name, spec, conversion in pieces:
        body.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        if name not in names:
            names.append(name)
        local = f"f{names.index(name)}"
        if conversion is None and not spec:
            # a plain date: cached isoformat text (what format() would give, cheaper)
            body.append(f"{{_date_text({local}) if type({local}) is _date else {local}}}")
        else:
            shown = f"!{conversion}" if conversion else ""
            body.append(f"{{{local}{shown}{':' + spec if spec else ''}}}")
    return _build(names, "".join(body), params)


def _simple(name: str | None, spec: str | None, conversion: str | None) -> bool:
    if name is None:
        return True
    return (
        name.isidentifier()
        and conversion in (None, "r", "s", "a")
        and _SPEC.fullmatch(spec or "") is not None
    )


def _build(names: list[str], body: str, params: Mapping[str, Any]) -> Fill:
    """The fill function's source, compiled: one local per field, then the f-string."""
    constants: dict[str, Any] = {"_date": dt.date, "_date_text": date_text}
    lines = ["def fill(v):"]
    for index, name in enumerate(names):
        if name in params:  # the case's value wins over the rule's param
            constants[f"p{index}"] = params[name]
            lines.append(f"    f{index} = v[{name!r}] if {name!r} in v else p{index}")
        else:
            lines.append(f"    f{index} = v[{name!r}]")
    lines.append(f"    return f{body!r}")
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), constants, namespace)  # our own generated source (see _build)
    fill: Fill = namespace["fill"]
    return fill


def _format_map_fill(template: str, params: Mapping[str, Any]) -> Fill:
    def fill(values: Mapping[str, Any]) -> str:
        return template.format_map({**params, **values} if params else values)

    return fill
