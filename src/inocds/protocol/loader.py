"""Loads the protocol's [[rule]] files into typed, validated objects.

Every number the clinical core uses is read from here; each rule carries its
id, a statement in the project's own words, its source and its status.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = [
    "CACHED_FILES",
    "RULE_FILES",
    "Protocol",
    "ProtocolError",
    "Rule",
    "data_file",
    "load_protocol",
    "parse_rules",
    "rule_integer",
    "rule_number",
    "write_cache",
]

RULE_FILES = ("rules.toml", "preparation.toml", "screen.toml")
STATUSES = frozenset({"label", "default", "practice"})

ParamValue = Any
"""A parameter's value as written in TOML: number, string, list or table."""


class ProtocolError(ValueError):
    """The protocol data is invalid (missing source, duplicate id, bad parameter)."""


class Rule(NamedTuple):
    """One protocol rule: identity, own-words statement, source, status, parameters."""

    id: str
    statement: str
    source: str
    status: str
    params: Mapping[str, ParamValue]
    messages: Mapping[str, str] = {}
    """Message and recheck templates with `{param}` placeholders (filled by clinical.rules)."""
    informational: bool = False
    """True for a rule the engine states but never decides by (no logic, no fixtures needed)."""

    def number(self, name: str) -> float:
        """The numeric parameter `name` (int or float in the file)."""
        value = self._param(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProtocolError(f"{self.id}.{name} is not a number")
        return float(value)

    def integer(self, name: str) -> int:
        """The integer parameter `name`."""
        value = self._param(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(f"{self.id}.{name} is not an integer")
        return value

    def text(self, name: str) -> str:
        """The string parameter `name`."""
        value = self._param(name)
        if not isinstance(value, str):
            raise ProtocolError(f"{self.id}.{name} is not a string")
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        """The list-of-strings parameter `name`."""
        value = self._param(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProtocolError(f"{self.id}.{name} is not a list of strings")
        return tuple(value)

    def numbers(self, name: str) -> tuple[float, ...]:
        """The list-of-numbers parameter `name` (integers or decimals)."""
        value = self._param(name)
        if not isinstance(value, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            raise ProtocolError(f"{self.id}.{name} is not a list of numbers")
        return tuple(float(v) for v in value)

    def integers(self, name: str) -> tuple[int, ...]:
        """The list-of-integers parameter `name`."""
        value = self._param(name)
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise ProtocolError(f"{self.id}.{name} is not a list of integers")
        return tuple(value)

    def day_doses(self, name: str = "doses") -> tuple[tuple[int, float], ...]:
        """A regimen's `(day, dose_mg_per_m2)` pairs."""
        value = self._param(name)
        if not isinstance(value, list):
            raise ProtocolError(f"{self.id}.{name} is not a list")
        pairs: list[tuple[int, float]] = []
        for item in value:
            if not isinstance(item, dict) or set(item) != {"day", "dose_mg_per_m2"}:
                raise ProtocolError(f"{self.id}.{name}: each item needs day and dose_mg_per_m2")
            pairs.append((int(item["day"]), float(item["dose_mg_per_m2"])))
        return tuple(pairs)

    def _param(self, name: str) -> ParamValue:
        if name not in self.params:
            raise ProtocolError(f"{self.id} has no parameter {name!r}")
        return self.params[name]


class Protocol:
    """All rules by id, in file order."""

    __slots__ = ("rules",)

    def __init__(self, rules: Mapping[str, Rule]) -> None:
        self.rules = rules

    def __getitem__(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise ProtocolError(f"unknown rule id {rule_id!r}") from None

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def all(self) -> tuple[Rule, ...]:
        """Every rule, in file order."""
        return tuple(self.rules.values())


def parse_rules(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> Protocol:
    """Validates parsed rule documents `(file name, TOML table)` into a Protocol."""
    rules: dict[str, Rule] = {}
    problems: list[str] = []
    for file_name, document in documents:
        unknown = set(document) - {"rule"}
        if unknown:
            problems.append(f"{file_name}: unknown top-level keys {sorted(unknown)}")
        for index, raw in enumerate(document.get("rule", [])):
            where = f"{file_name} rule #{index + 1}"
            extra = set(raw) - {
                "id",
                "statement",
                "source",
                "status",
                "params",
                "messages",
                "informational",
            }
            if extra:
                problems.append(f"{where}: unknown keys {sorted(extra)}")
            rule_id = raw.get("id")
            if not isinstance(rule_id, str) or not rule_id:
                problems.append(f"{where}: missing id")
                continue
            for key in ("statement", "source"):
                if not isinstance(raw.get(key), str) or not raw[key].strip():
                    problems.append(f"{rule_id}: missing {key}")
            if raw.get("status") not in STATUSES:
                problems.append(f"{rule_id}: status must be one of {sorted(STATUSES)}")
            if rule_id in rules:
                problems.append(f"{rule_id}: duplicate id")
            messages = raw.get("messages", {})
            if not isinstance(messages, dict) or not all(
                isinstance(v, str) for v in messages.values()
            ):
                problems.append(f"{rule_id}: messages must be a table of text templates")
                messages = {}
            if not isinstance(raw.get("informational", False), bool):
                problems.append(f"{rule_id}: informational must be true or false")
            rules[rule_id] = Rule(
                id=rule_id,
                statement=str(raw.get("statement", "")),
                source=str(raw.get("source", "")),
                status=str(raw.get("status", "")),
                params=dict(raw.get("params", {})),
                messages=dict(messages),
                informational=raw.get("informational") is True,
            )
    if problems:
        raise ProtocolError("; ".join(problems))
    return Protocol(rules=rules)


_FOLDER = os.path.dirname(os.path.abspath(__file__))  # the data files sit beside this module
_CACHE = os.path.join(
    _FOLDER, "__pycache__", f"protocol.{sys.implementation.cache_tag}.m{marshal.version}"
)
"""The parsed TOML of RULE_FILES, stamped with each file's size and mtime (see
_read_documents): a cold `inocds dose` then skips importing and running the TOML parser."""

Documents = list[tuple[str, dict[str, Any]]]


CACHED_FILES = (*RULE_FILES, "schema.toml")
"""The data files kept in the cache: the rule files and the schema constants."""


def _stamp() -> list[tuple[str, int, int]]:
    """(name, size, mtime in ns) of each cached data file present."""
    found = []
    for name in CACHED_FILES:
        try:
            info = os.stat(os.path.join(_FOLDER, name))
        except FileNotFoundError:
            continue
        found.append((name, info.st_size, info.st_mtime_ns))
    return found


def _read_documents() -> Documents:
    """The rule files parsed: from the cache when its stamp matches the files, else by
    tomllib (then the cache is rewritten where the folder is writable, as Python writes
    its bytecode; PYTHONDONTWRITEBYTECODE turns that off too)."""
    stamp = _stamp()
    try:
        with open(_CACHE, "rb") as handle:
            cached_stamp, documents = marshal.load(handle)
        if cached_stamp == stamp:
            return list(documents)
    except (OSError, ValueError, EOFError, TypeError):
        pass  # no cache, an unreadable one, or another Python's: parse the files
    documents = _parse_files(stamp)
    if not sys.dont_write_bytecode:
        _write_cache(stamp, documents)
    return documents


def _parse_files(stamp: list[tuple[str, int, int]]) -> Documents:
    import tomllib

    documents = []
    for name, _, _ in stamp:
        with open(os.path.join(_FOLDER, name), encoding="utf-8") as handle:
            documents.append((name, tomllib.loads(handle.read())))
    return documents


def write_cache() -> None:
    """Writes the parsed-protocol cache now, whatever PYTHONDONTWRITEBYTECODE says (the
    Makefile runs it after compileall, as the bytecode is written ahead of time)."""
    stamp = _stamp()
    _write_cache(stamp, _parse_files(stamp))


def _write_cache(stamp: list[tuple[str, int, int]], documents: Documents) -> None:
    temporary = f"{_CACHE}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(_CACHE), exist_ok=True)
        with open(temporary, "wb") as handle:
            marshal.dump((stamp, documents), handle)
        os.replace(temporary, _CACHE)  # atomic: a reader sees the old cache or the new one
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.remove(temporary)


@lru_cache(maxsize=1)
def _documents() -> dict[str, dict[str, Any]]:
    return dict(_read_documents())


def data_file(name: str) -> dict[str, Any]:
    """The parsed TOML of one packaged data file of CACHED_FILES (cached for the process)."""
    try:
        return _documents()[name]
    except KeyError:
        raise ProtocolError(f"{name}: no such data file beside the protocol") from None


@lru_cache(maxsize=1)
def load_protocol() -> Protocol:
    """Reads and validates the packaged protocol files (cached for the process)."""
    documents = _documents()
    return parse_rules([(name, documents[name]) for name in RULE_FILES if name in documents])


@lru_cache(maxsize=512)
def rule_number(rule_id: str, name: str) -> float:
    """`load_protocol()[rule_id].number(name)`, read once per process (the protocol is
    immutable; the course walk and the rules ask for the same few numbers every request)."""
    return load_protocol()[rule_id].number(name)


@lru_cache(maxsize=512)
def rule_integer(rule_id: str, name: str) -> int:
    """`load_protocol()[rule_id].integer(name)`, read once per process."""
    return load_protocol()[rule_id].integer(name)
