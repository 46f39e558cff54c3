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
from collections.abc import Callable
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

__all__ = ["Maker", "made", "reader", "validator", "written_out"]


Maker = Callable[[tuple[str, ...]], Callable[..., Any] | None]
"""What an object at a path becomes (see `made`): a function of its fields, or None (a dict).
The path holds the field names from the root, `*` for a list's item and a union's choice."""


def _no_maker(path: tuple[str, ...]) -> None:
    return None


class _Writer:
    """Source lines, the constants they name and fresh variable names."""

    def __init__(self, maker: Maker = _no_maker) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {"Refused": Refused, "_date": dt.date.fromisoformat}
        self.count = 0
        self.maker = maker

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
    whole = f" and ({kind} is int or {raw} == int({raw}))" if spec.integer else ""
    w.line(depth, f"{kind} = type({raw})")
    w.line(
        depth,
        f"if not (({kind} is int or {kind} is float) and not {below} and {raw} <= {hi}{whole}):",
    )
    w.line(depth + 1, "raise Refused")
    if spec.integer:  # int() of an int is that int: no call for the common case
        w.line(depth, f"{out} = {raw} if {kind} is int else int({raw})")
    else:
        w.line(depth, f"{out} = float({raw})")


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
        cleaned = f"{raw} if {kind} is int else int({raw})"
    elif type(spec) is Date:
        w.line(depth, f"if type({raw}) is not str or len({raw}) != 10:")
        w.line(depth + 1, "raise Refused")
        w.line(depth, "try:")
        w.line(depth + 1, f"{out} = _date({raw})")
        w.line(depth, "except ValueError:")
        w.line(depth + 1, "raise Refused from None")
        return True
    if test is None:
        own = spec.written(raw, out, w.constant)  # e.g. plausibility.Count
        if own is None:
            return False
        for text in own:
            w.line(depth, text)
        return True
    w.line(depth, f"if not ({test}):")
    w.line(depth + 1, "raise Refused")
    w.line(depth, f"{out} = {cleaned}")
    return True


def _write(
    w: _Writer,
    spec: Spec,
    raw: str,
    out: str,
    depth: int,
    path: tuple[str, ...] = (),
    position: str | None = None,
) -> None:
    """Writes code that reads variable `raw` and sets `out` to the cleaned value (or what
    the maker of `path` makes of it; `position`: the variable of a list item's index)."""
    if _scalar(w, spec, raw, out, depth):
        return
    if type(spec) is Obj:
        make = w.maker(path)
        if make is None:
            _object(w, spec, raw, out, depth, path)
        else:
            _made_object(w, spec, raw, out, depth, path, (make, position))
    elif type(spec) is ListOf:
        item, cleaned, at = w.fresh(), w.fresh(), w.fresh()
        w.line(depth, f"if type({raw}) is not list or len({raw}) > {spec.max_items}:")
        w.line(depth + 1, "raise Refused")
        w.line(depth, f"{out} = []")
        w.line(depth, f"for {at}, {item} in enumerate({raw}):")
        _write(w, spec.item, item, cleaned, depth + 1, (*path, "*"), at)
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
            _write(w, choice, raw, out, depth + 1, (*path, name), position)
        w.line(depth, "else:")
        w.line(depth + 1, "raise Refused")
    else:
        w.line(depth, f"{out} = {w.constant(compiled(spec))}({raw})")


def _object(w: _Writer, spec: Obj, raw: str, out: str, depth: int, path: tuple[str, ...]) -> None:
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
        _write(w, spec.known[name], value, cleaned, inner, (*path, name))
        w.line(depth + 2, f"{out}[{key}] = {cleaned}")
    if spec.checks:
        errors = w.fresh()
        w.line(depth, f"{errors} = []")
        w.line(depth, f"for rule in {w.constant(spec.checks)}:")
        w.line(depth + 1, f"rule({out}, '', {errors})")
        w.line(depth, f"if {errors}:")
        w.line(depth + 1, "raise Refused")


def _made_object(
    w: _Writer,
    spec: Obj,
    raw: str,
    out: str,
    depth: int,
    path: tuple[str, ...],
    make: tuple[Callable[..., Any], str | None],
) -> None:
    """An object with a maker: each known field read by its name into a variable (None when
    absent), then `out = maker([position,] field, ...)`. An object with cross-field checks
    is cleaned into its dict first (the checks read it).

    The keys are checked without a set comparison (~0.6 us an object): a missing required
    field raises KeyError where it is read (written_out turns it into Refused), and the
    object holds no unknown field when its size is the number of known fields it holds."""
    function, position = make
    names = list(spec.known)
    _check_signature(function, names, position is not None, path)
    args = [position] if position is not None else []
    if spec.checks:
        cleaned = w.fresh()
        _object(w, spec, raw, cleaned, depth, path)
        args += [f"{cleaned}.get({name!r})" for name in names]
        w.line(depth, f"{out} = {_call(w, function, args)}")
        return
    w.line(depth, f"if type({raw}) is not dict:")
    w.line(depth + 1, "raise Refused")
    held = w.fresh()
    w.line(depth, f"{held} = {len(spec.needed)}")
    for name in names:
        value, cleaned = w.fresh(), w.fresh()
        inner = depth
        if name not in spec.needed:
            w.line(depth, f"if {name!r} not in {raw}:")
            w.line(depth + 1, f"{cleaned} = None")
            w.line(depth, "else:")
            inner += 1
            w.line(inner, f"{held} += 1")
        w.line(inner, f"{value} = {raw}[{name!r}]")
        if name in spec.nullable:
            w.line(inner, f"if {value} is None:")
            w.line(inner + 1, f"{cleaned} = None")
            w.line(inner, "else:")
            inner += 1
        _write(w, spec.known[name], value, cleaned, inner, (*path, name))
        args.append(cleaned)
    w.line(depth, f"if len({raw}) != {held}:")
    w.line(depth + 1, "raise Refused")
    w.line(depth, f"{out} = {_call(w, function, args)}")


def _call(w: _Writer, function: Callable[..., Any], args: list[str]) -> str:
    """The maker's call; a NamedTuple class is made with `tuple.__new__` and its fields
    in order (its generated __new__ would be one more Python call), the same value."""
    if _is_named_tuple(function):
        return f"{w.constant(tuple.__new__)}({w.constant(function)}, ({', '.join(args)},))"
    return f"{w.constant(function)}({', '.join(args)})"


def _is_named_tuple(function: Callable[..., Any]) -> bool:
    return (
        isinstance(function, type) and issubclass(function, tuple) and hasattr(function, "_fields")
    )


def _check_signature(
    function: Callable[..., Any], names: list[str], positioned: bool, path: tuple[str, ...]
) -> None:
    """A maker takes the object's fields by position: its parameters must bear their names,
    in the spec's order (`position` first for a list's item), so no field lands elsewhere;
    a NamedTuple class's fields likewise."""
    expected = (["position"] if positioned else []) + names
    if _is_named_tuple(function):
        parameters = list(function._fields)  # type: ignore[attr-defined]
    else:
        code = function.__code__
        parameters = list(code.co_varnames[: code.co_argcount])
    if parameters != expected:
        raise TypeError(f"the maker of {'.'.join(path) or 'the document'} must take {expected}")


def made(
    spec: Spec,
    cleaned: Any,
    maker: Maker,
    path: tuple[str, ...] = (),
    position: int | None = None,
) -> Any:
    """What the written-out reader makes of a document, from `validate`'s cleaned value:
    each object with a maker made of its fields (None when absent), in the spec's order."""
    if cleaned is None:
        return None
    if type(spec) is Obj:
        function = maker(path)
        if function is None:
            return {n: made(spec.known[n], v, maker, (*path, n)) for n, v in cleaned.items()}
        names = list(spec.known)
        _check_signature(function, names, position is not None, path)
        args = [made(spec.known[n], cleaned.get(n), maker, (*path, n)) for n in names]
        return function(*args) if position is None else function(position, *args)
    if type(spec) is ListOf:
        item = (*path, "*")
        return [made(spec.item, v, maker, item, i) for i, v in enumerate(cleaned)]
    if type(spec) is Union:
        kind = cleaned[spec.key]
        return made(spec.choices[kind], cleaned, maker, (*path, kind), position)
    return cleaned


def reader(spec: Spec, maker: Maker) -> Check:
    """`made(spec, validate(spec, document), maker)` with the written-out twin first, which
    reads and makes in one pass: the same value, or the same InputError (on any refusal the
    interpreter reads the whole document)."""
    fast = written_out(spec, maker)

    def run(document: Any) -> Any:
        try:
            return fast(document)
        except Refused:
            return made(spec, validate(spec, document), maker)

    return run


def written_out(spec: Spec, maker: Maker = _no_maker) -> Check:
    """`spec` as one compiled function: the cleaned value (or what `maker` makes of each
    object, as `made` does), or `Refused`."""
    w = _Writer(maker)
    w.line(0, "def written_out(v0):")
    w.line(1, "try:")
    _write(w, spec, "v0", "result", 2)
    w.line(1, "except KeyError:  # a required field missing where it is read by name")
    w.line(2, "raise Refused from None")
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
