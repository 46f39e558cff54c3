"""A whole spec tree of `clinical.validation` written out as one Python function.

The closures of `clinical.validation_compiled` still cost one Python call per field;
a course document has some fifty fields. Here the tree is written once as source text,
each field's test inline (the same tests as the closure twins, which mirror `check`),
and compiled with `compile`/`exec` on first use. Specs of other kinds (plausibility's
`Count`) are called through their twin. The function returns the cleaned value or
raises `Refused`, exactly as the closure twin of the same spec does
(tests/unit/test_validation_compiled.py compares all three with `validate`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.clinical.validation import (
    Bool,
    Choice,
    Date,
    Enum,
    ListOf,
    Num,
    Obj,
    Spec,
    Text,
    Union,
    validate,
)
from inocds.clinical.validation_compiled import Check, Refused, compiled

__all__ = ["validator", "written_out"]


class _Writer:
    """Source lines, the constants they name and fresh variable names."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {"Refused": Refused, "_date": dt.date.fromisoformat}
        self.count = 0

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def fresh(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)


def _number(w: _Writer, spec: Num, raw: str, out: str, depth: int) -> None:
    if not spec.finite:
        w.line(depth, "raise Refused")
        return
    kind = w.fresh()
    lo, hi = w.constant(spec.lo), w.constant(spec.hi)
    below = f"{raw} <= {lo}" if spec.lo_open else f"{raw} < {lo}"
    whole = f" and {raw} == int({raw})" if spec.integer else ""
    w.line(depth, f"{kind} = type({raw})")
    w.line(
        depth,
        f"if not (({kind} is int or {kind} is float) and not {below} and {raw} <= {hi}{whole}):",
    )
    w.line(depth + 1, "raise Refused")
    w.line(depth, f"{out} = {'int' if spec.integer else 'float'}({raw})")


def _scalar(w: _Writer, spec: Spec, raw: str, out: str, depth: int) -> bool:
    """Writes the test of a scalar spec; False when `spec` is not one written inline."""
    test = None
    cleaned = raw
    if type(spec) is Num:
        _number(w, spec, raw, out, depth)
        return True
    if type(spec) is Text:
        test = f"type({raw}) is str and len({raw}) <= {spec.max_length} and {raw}.strip()"
    elif type(spec) is Bool:
        test = f"type({raw}) is bool"
    elif type(spec) is Enum:
        test = f"type({raw}) is str and {raw} in {w.constant(frozenset(spec.values))}"
    elif type(spec) is Choice:
        kind = w.fresh()
        w.line(depth, f"{kind} = type({raw})")
        test = f"({kind} is int or {kind} is float) and {raw} in {w.constant(spec.values)}"
        cleaned = f"int({raw})"
    elif type(spec) is Date:
        w.line(depth, f"if type({raw}) is not str or len({raw}) != 10:")
        w.line(depth + 1, "raise Refused")
        w.line(depth, "try:")
        w.line(depth + 1, f"{out} = _date({raw})")
        w.line(depth, "except ValueError:")
        w.line(depth + 1, "raise Refused from None")
        return True
    if test is None:
        return False
    w.line(depth, f"if not ({test}):")
    w.line(depth + 1, "raise Refused")
    w.line(depth, f"{out} = {cleaned}")
    return True


def _write(w: _Writer, spec: Spec, raw: str, out: str, depth: int) -> None:
    """Writes code that reads variable `raw` and sets `out` to the cleaned value."""
    if _scalar(w, spec, raw, out, depth):
        return
    if type(spec) is Obj:
        _object(w, spec, raw, out, depth)
    elif type(spec) is ListOf:
        item, cleaned = w.fresh(), w.fresh()
        w.line(depth, f"if type({raw}) is not list or len({raw}) > {spec.max_items}:")
        w.line(depth + 1, "raise Refused")
        w.line(depth, f"{out} = []")
        w.line(depth, f"for {item} in {raw}:")
        _write(w, spec.item, item, cleaned, depth + 1)
        w.line(depth + 1, f"{out}.append({cleaned})")
    elif type(spec) is Union:
        kind = w.fresh()
        w.line(depth, f"if type({raw}) is not dict:")
        w.line(depth + 1, "raise Refused")
        w.line(depth, f"{kind} = {raw}.get({spec.key!r})")
        w.line(depth, f"if type({kind}) is not str:")
        w.line(depth + 1, "raise Refused")
        for index, (name, choice) in enumerate(spec.choices.items()):
            w.line(depth, f"{'if' if index == 0 else 'elif'} {kind} == {name!r}:")
            _write(w, choice, raw, out, depth + 1)
        w.line(depth, "else:")
        w.line(depth + 1, "raise Refused")
    else:
        w.line(depth, f"{out} = {w.constant(compiled(spec))}({raw})")


def _object(w: _Writer, spec: Obj, raw: str, out: str, depth: int) -> None:
    needed, known = w.constant(spec.needed), w.constant(frozenset(spec.known))
    key, value, cleaned = w.fresh(), w.fresh(), w.fresh()
    w.line(depth, f"if type({raw}) is not dict or not {needed} <= {raw}.keys() <= {known}:")
    w.line(depth + 1, "raise Refused")
    w.line(depth, f"{out} = {{}}")
    if not spec.known:
        return
    w.line(depth, f"for {key}, {value} in {raw}.items():")
    names = list(spec.known)
    for index, name in enumerate(names):
        branch = "if" if index == 0 else "elif"
        w.line(depth + 1, "else:" if index == len(names) - 1 else f"{branch} {key} == {name!r}:")
        inner = depth + 2
        if name in spec.nullable:
            w.line(inner, f"if {value} is None:")
            w.line(inner + 1, f"{cleaned} = None")
            w.line(inner, "else:")
            inner += 1
        _write(w, spec.known[name], value, cleaned, inner)
        w.line(depth + 2, f"{out}[{key}] = {cleaned}")
    if spec.checks:
        errors = w.fresh()
        w.line(depth, f"{errors} = []")
        w.line(depth, f"for rule in {w.constant(spec.checks)}:")
        w.line(depth + 1, f"rule({out}, '', {errors})")
        w.line(depth, f"if {errors}:")
        w.line(depth + 1, "raise Refused")


def written_out(spec: Spec) -> Check:
    """`spec` as one compiled function: the cleaned value, or `Refused`."""
    w = _Writer()
    w.line(0, "def written_out(v0):")
    _write(w, spec, "v0", "result", 1)
    w.line(1, "return result")
    namespace = dict(w.constants)
    exec(compile("\n".join(w.lines), f"<validator of {type(spec).__name__}>", "exec"), namespace)
    function: Check = namespace["written_out"]
    return function


def validator(spec: Spec) -> Check:
    """`validate(spec, document)` with the written-out twin first: the same cleaned value,
    or the same InputError (on any refusal the interpreter reads the whole document)."""
    fast = written_out(spec)

    def run(document: Any) -> Any:
        try:
            return fast(document)
        except Refused:
            return validate(spec, document)

    return run
