"""Loads `interactions.toml`: the drug-interaction entries, the patient-monograph lists
and the group-membership table, validated into frozen dataclasses.

`parse_interactions` validates an already-parsed TOML document (so tests can feed it
small invalid documents); `load_interactions` reads the packaged file once.
Standard library only.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, cast

__all__ = [
    "DATA_FILE",
    "LIST_NAMES",
    "RISKS",
    "GroupMember",
    "InteractionDataError",
    "InteractionEntry",
    "InteractionKnowledge",
    "Kind",
    "ListName",
    "ListNote",
    "ListedDrug",
    "Risk",
    "load_interactions",
    "parse_interactions",
]

DATA_FILE = "interactions.toml"

Risk = Literal["X", "D", "C"]
Kind = Literal["drug", "group"]
ListName = Literal["not_recommended", "usually_not_recommended"]

RISKS: tuple[Risk, ...] = ("X", "D", "C")
"""Risk ratings, most severe first."""
KINDS: tuple[Kind, ...] = ("drug", "group")
LIST_NAMES: tuple[ListName, ...] = ("not_recommended", "usually_not_recommended")

_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_MAX_PROBLEMS = 20


class InteractionDataError(ValueError):
    """`interactions.toml` is invalid (missing source, duplicate id, dangling reference ...)."""


@dataclass(frozen=True)
class InteractionEntry:
    """One interaction entry of the clinician monograph (seed 000), in the project's words."""

    id: str
    name: str
    kind: Kind
    risk: Risk
    effect: str
    management: str
    source: str
    qt_prolonging: bool = False
    """Seed 000 files the entry under a QTc interaction (counts for the QT alert)."""


@dataclass(frozen=True)
class ListedDrug:
    """A drug named in one of the patient monograph's two lists (seed 001)."""

    name: str
    list: ListName
    entry: str | None
    """Id of the seed-000 entry that covers the drug, or None when none does."""
    source: str
    aliases: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class GroupMember:
    """A real drug (with brand names / ward spellings) that an entry covers."""

    drug: str
    entry: str
    aliases: tuple[str, ...]
    source: str
    note: str = ""
    listed_as: str = ""
    """The seed-001 name that covers this drug although its words differ."""


@dataclass(frozen=True)
class ListNote:
    """What to show for a seed-001 list when no seed-000 entry covers the drug."""

    list: ListName
    label: str
    effect: str
    management: str
    source: str
    equivalent_risk: Risk | None = None
    """The seed-000 risk the list stands for (not recommended ~ X); None: not compared."""


@dataclass(frozen=True)
class InteractionKnowledge:
    """Everything `interactions.toml` holds, validated and cross-referenced."""

    entries: tuple[InteractionEntry, ...]
    listed: tuple[ListedDrug, ...]
    members: tuple[GroupMember, ...]
    list_notes: tuple[ListNote, ...]
    _by_id: Mapping[str, InteractionEntry] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _notes: Mapping[str, ListNote] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({e.id: e for e in self.entries}))
        object.__setattr__(self, "_notes", MappingProxyType({n.list: n for n in self.list_notes}))

    def entry(self, entry_id: str) -> InteractionEntry:
        """The entry with id `entry_id` (KeyError if unknown)."""
        return self._by_id[entry_id]

    def note(self, list_name: str) -> ListNote:
        """The note for seed-001 list `list_name` (KeyError if unknown)."""
        return self._notes[list_name]


# --------------------------------------------------------------------------- parsing


class _Problems:
    """Collects validation problems so one run reports all of them."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def raise_if_any(self) -> None:
        if self.items:
            shown = self.items[:_MAX_PROBLEMS]
            more = len(self.items) - len(shown)
            suffix = f"; ... and {more} more" if more else ""
            raise InteractionDataError(f"{DATA_FILE} is invalid: " + "; ".join(shown) + suffix)


def _tables(doc: Mapping[str, Any], key: str, problems: _Problems) -> list[Mapping[str, Any]]:
    raw = doc.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(t, Mapping) for t in raw):
        problems.add(f"[[{key}]] must be an array of tables")
        return []
    return cast("list[Mapping[str, Any]]", raw)


def _check_keys(
    where: str,
    table: Mapping[str, Any],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    problems: _Problems,
) -> None:
    for key in required:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.add(f"{where}: {key!r} must be a non-empty string")
    unknown = sorted(set(table) - set(required) - set(optional))
    if unknown:
        problems.add(f"{where}: unknown key(s) {', '.join(unknown)}")


def _text(table: Mapping[str, Any], key: str) -> str:
    value = table.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _aliases(where: str, table: Mapping[str, Any], problems: _Problems) -> tuple[str, ...]:
    raw = table.get("aliases", [])
    if not isinstance(raw, list) or not all(isinstance(a, str) and a.strip() for a in raw):
        problems.add(f"{where}: 'aliases' must be a list of non-empty strings")
        return ()
    return tuple(a.strip() for a in raw)


def _parse_entries(doc: Mapping[str, Any], problems: _Problems) -> tuple[InteractionEntry, ...]:
    entries: list[InteractionEntry] = []
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    required = ("id", "name", "kind", "risk", "effect", "management", "source")
    for i, table in enumerate(_tables(doc, "entry", problems)):
        where = f"entry #{i + 1} ({table.get('id', '?')})"
        _check_keys(where, table, required, ("qt_prolonging",), problems)
        qt = table.get("qt_prolonging", False)
        if not isinstance(qt, bool):
            problems.add(f"{where}: 'qt_prolonging' must be true or false")
        entry_id, name = _text(table, "id"), _text(table, "name")
        kind, risk = _text(table, "kind"), _text(table, "risk")
        if entry_id and not _ID.match(entry_id):
            problems.add(f"{where}: id must be a lower-case slug (a-z, 0-9, _)")
        if entry_id in seen_ids:
            problems.add(f"{where}: duplicate id {entry_id!r}")
        if name and name.casefold() in seen_names:
            problems.add(f"{where}: duplicate name {name!r}")
        seen_ids.add(entry_id)
        seen_names.add(name.casefold())
        if kind not in KINDS:
            problems.add(f"{where}: kind must be one of {', '.join(KINDS)}")
        if risk not in RISKS:
            problems.add(f"{where}: risk must be one of {', '.join(RISKS)}")
        entries.append(
            InteractionEntry(
                id=entry_id,
                name=name,
                kind=cast("Kind", kind),
                risk=cast("Risk", risk),
                effect=_text(table, "effect"),
                management=_text(table, "management"),
                source=_text(table, "source"),
                qt_prolonging=qt is True,
            )
        )
    if not entries:
        problems.add("no [[entry]] tables")
    return tuple(entries)


def _parse_listed(
    doc: Mapping[str, Any], ids: set[str], problems: _Problems
) -> tuple[ListedDrug, ...]:
    listed: list[ListedDrug] = []
    seen: dict[str, str] = {}
    for i, table in enumerate(_tables(doc, "listed", problems)):
        where = f"listed #{i + 1} ({table.get('name', '?')})"
        _check_keys(
            where, table, ("name", "list", "source"), ("entry", "aliases", "note"), problems
        )
        name, list_name = _text(table, "name"), _text(table, "list")
        raw_entry = table.get("entry", "")
        if not isinstance(raw_entry, str):
            problems.add(f"{where}: 'entry' must be a string")
            raw_entry = ""
        entry = raw_entry.strip() or None
        if list_name not in LIST_NAMES:
            problems.add(f"{where}: list must be one of {', '.join(LIST_NAMES)}")
        if entry is not None and entry not in ids:
            problems.add(f"{where}: entry {entry!r} is not an [[entry]] id")
        key = name.casefold()
        if key in seen:
            problems.add(f"{where}: {name!r} is listed twice ({seen[key]} and {list_name})")
        seen[key] = list_name
        aliases = _aliases(where, table, problems)
        if aliases and entry is not None:
            problems.add(f"{where}: a linked drug takes its aliases from its [[member]] row")
        listed.append(
            ListedDrug(
                name=name,
                list=cast("ListName", list_name),
                entry=entry,
                source=_text(table, "source"),
                aliases=aliases,
                note=_text(table, "note"),
            )
        )
    return tuple(listed)


def _parse_members(
    doc: Mapping[str, Any], ids: set[str], problems: _Problems
) -> tuple[GroupMember, ...]:
    members: list[GroupMember] = []
    seen: set[tuple[str, str]] = set()
    for i, table in enumerate(_tables(doc, "member", problems)):
        where = f"member #{i + 1} ({table.get('drug', '?')})"
        _check_keys(
            where, table, ("drug", "entry", "source"), ("aliases", "note", "listed_as"), problems
        )
        drug, entry = _text(table, "drug"), _text(table, "entry")
        if entry and entry not in ids:
            problems.add(f"{where}: entry {entry!r} is not an [[entry]] id")
        pair = (drug.casefold(), entry)
        if pair in seen:
            problems.add(f"{where}: duplicate member {drug!r} -> {entry!r}")
        seen.add(pair)
        members.append(
            GroupMember(
                drug=drug,
                entry=entry,
                aliases=_aliases(where, table, problems),
                source=_text(table, "source"),
                note=_text(table, "note"),
                listed_as=_text(table, "listed_as"),
            )
        )
    return tuple(members)


def _parse_notes(doc: Mapping[str, Any], problems: _Problems) -> tuple[ListNote, ...]:
    raw = doc.get("list", {})
    if not isinstance(raw, Mapping):
        problems.add("[list] must be a table of [list.<name>] tables")
        return ()
    notes: list[ListNote] = []
    for name in sorted(set(raw) - set(LIST_NAMES)):
        problems.add(f"[list.{name}]: unknown list (expected {', '.join(LIST_NAMES)})")
    for list_name in LIST_NAMES:
        table = raw.get(list_name)
        where = f"[list.{list_name}]"
        if not isinstance(table, Mapping):
            problems.add(f"{where} is missing")
            continue
        _check_keys(
            where,
            table,
            ("label", "effect", "management", "source"),
            ("equivalent_risk",),
            problems,
        )
        equivalent = _text(table, "equivalent_risk") or None
        if equivalent is not None and equivalent not in RISKS:
            problems.add(f"{where}: equivalent_risk must be one of {', '.join(RISKS)}")
        notes.append(
            ListNote(
                list=list_name,
                label=_text(table, "label"),
                effect=_text(table, "effect"),
                management=_text(table, "management"),
                source=_text(table, "source"),
                equivalent_risk=cast("Risk | None", equivalent),
            )
        )
    return tuple(notes)


def parse_interactions(doc: Mapping[str, Any]) -> InteractionKnowledge:
    """Validate a parsed `interactions.toml` document and build the knowledge base.

    Raises InteractionDataError (a ValueError) listing every problem found: a missing
    or empty source, a duplicate id or name, an unknown risk/kind/list, a reference to
    an entry id that does not exist, or an unknown key.
    """
    problems = _Problems()
    unknown = sorted(set(doc) - {"entry", "listed", "member", "list"})
    if unknown:
        problems.add(f"unknown top-level key(s) {', '.join(unknown)}")
    entries = _parse_entries(doc, problems)
    ids = {e.id for e in entries}
    listed = _parse_listed(doc, ids, problems)
    members = _parse_members(doc, ids, problems)
    listed_names = {row.name for row in listed}
    for member in members:
        if member.listed_as and member.listed_as not in listed_names:
            problems.add(f"member {member.drug!r}: listed_as {member.listed_as!r} is not listed")
    notes = _parse_notes(doc, problems)
    problems.raise_if_any()
    return InteractionKnowledge(entries=entries, listed=listed, members=members, list_notes=notes)


@lru_cache(maxsize=1)
def load_interactions() -> InteractionKnowledge:
    """The packaged interaction knowledge, parsed and validated once per process."""
    text = resources.files("inocds.protocol").joinpath(DATA_FILE).read_text(encoding="utf-8")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InteractionDataError(f"{DATA_FILE} is not valid TOML: {exc}") from exc
    return parse_interactions(doc)
