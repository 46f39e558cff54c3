"""Frozen dataclasses with their own fast `__init__` (types.py, 'Fast __init__', issue 13).

Such an `__init__` sets the fields in `self.__dict__` instead of the generated
`object.__setattr__` per field. Every one found in `inocds.clinical` must take the same
parameters as the generated one (names, order, defaults), store each value under its own
name, and leave the value frozen, equal and hashable as the dataclass makes it.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Any

import pytest

import inocds.clinical


def _fast_init_classes() -> list[type[Any]]:
    """Every dataclass of inocds.clinical whose `__init__` is written out in its module."""
    found: dict[str, type[Any]] = {}
    for info in pkgutil.walk_packages(inocds.clinical.__path__, "inocds.clinical."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == info.name
                and value.__init__.__code__.co_filename != "<string>"  # not generated
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


FAST = _fast_init_classes()


def test_the_hot_values_have_fast_inits() -> None:
    """The values made many times per request are among them (the finder itself works)."""
    names = {cls.__name__ for cls in FAST}
    assert {"Reason", "GateResult", "LogEntry", "Span", "Episode", "Stop", "Decision"} <= names


def _expected_parameters(cls: type[Any]) -> list[tuple[str, object]]:
    """(name, default) of the generated `__init__`: a field's default, or its factory's value."""
    shown = []
    for f in dataclasses.fields(cls):
        assert f.init, f"{cls.__name__}.{f.name}: a non-init field needs the generated __init__"
        if f.default is not dataclasses.MISSING:
            default: object = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = inspect.Parameter.empty
        shown.append((f.name, default))
    return shown


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__qualname__)
def test_fast_init_takes_the_fields(cls: type[Any]) -> None:
    """Parameters in field order, each default the field's (a factory's value for factories,
    an immutable one: tuple() is the one empty tuple)."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [(p.name, p.default) for p in params] == _expected_parameters(cls)
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__qualname__)
def test_fast_init_stores_each_value_under_its_name(cls: type[Any]) -> None:
    """Distinct values, given by position and by keyword, land in their own fields; the
    value is frozen and equals (and hashes as) one made by keywords."""
    names = [f.name for f in dataclasses.fields(cls)]
    values = [f"value of {name}" for name in names]
    by_position = cls(*values)
    by_keyword = cls(**dict(zip(names, values, strict=True)))
    assert by_position.__dict__ == dict(zip(names, values, strict=True))
    assert by_position == by_keyword
    assert hash(by_position) == hash(by_keyword)
    assert [getattr(by_position, n) for n in names] == values
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(by_position, names[0], "changed")
    # defaults: only the required fields given
    required = [n for n, d in _expected_parameters(cls) if d is inspect.Parameter.empty]
    partial = cls(**{n: f"value of {n}" for n in required})
    for name, default in _expected_parameters(cls):
        if default is not inspect.Parameter.empty:
            assert getattr(partial, name) == default
