"""Loads the statements on which the sources disagree (conflicts.toml).

Each conflict names at least two distinct source documents, what each says in
the project's own words, and the resolution the engine uses.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "CONFLICT_FILE",
    "Conflict",
    "ConflictError",
    "SourceStatement",
    "load_conflicts",
    "parse_conflicts",
    "source_document",
]

CONFLICT_FILE = "conflicts.toml"
MIN_SOURCES = 2

_CONFLICT_KEYS = frozenset({"id", "topic", "statements", "resolution", "affects"})
_STATEMENT_KEYS = frozenset({"source", "says"})


class ConflictError(ValueError):
    """The conflicts data is invalid (missing source, too few sources, duplicate id)."""


@dataclass(frozen=True)
class SourceStatement:
    """What one source says, in the project's own words."""

    source: str
    says: str

    @property
    def document(self) -> str:
        """The source document (the part of `source` before its section)."""
        return source_document(self.source)

    def to_dict(self) -> dict[str, str]:
        """The JSON form `{"source", "says"}`."""
        return {"source": self.source, "says": self.says}


@dataclass(frozen=True)
class Conflict:
    """One disagreement between sources and how the engine resolves it."""

    id: str
    topic: str
    statements: tuple[SourceStatement, ...]
    resolution: str
    affects: tuple[str, ...] = ()

    @property
    def documents(self) -> tuple[str, ...]:
        """The distinct source documents, in order of first mention."""
        return tuple(dict.fromkeys(s.document for s in self.statements))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in the screen's `source_conflicts`."""
        return {
            "id": self.id,
            "topic": self.topic,
            "statements": [s.to_dict() for s in self.statements],
            "resolution": self.resolution,
            "affects": list(self.affects),
        }


def source_document(source: str) -> str:
    """The document a source string names: `000_x.txt: Section` -> `000_x.txt`."""
    return source.split(":", 1)[0].strip()


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _statements(where: str, raw: Any, problems: list[str]) -> tuple[SourceStatement, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: statements must be a non-empty list")
        return ()
    statements: list[SourceStatement] = []
    for index, item in enumerate(raw):
        at = f"{where} statement #{index + 1}"
        if not isinstance(item, Mapping):
            problems.append(f"{at}: must be a table with source and says")
            continue
        extra = set(item) - _STATEMENT_KEYS
        if extra:
            problems.append(f"{at}: unknown keys {sorted(extra)}")
        source = _text(item.get("source"))
        says = _text(item.get("says"))
        if source is None or not source_document(source):
            problems.append(f"{at}: missing source")
        if says is None:
            problems.append(f"{at}: missing says")
        if source is not None and says is not None:
            statements.append(SourceStatement(source=source, says=says))
    return tuple(statements)


def parse_conflicts(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> tuple[Conflict, ...]:
    """Validates parsed conflict documents `(file name, TOML table)` into Conflicts."""
    conflicts: dict[str, Conflict] = {}
    problems: list[str] = []
    for file_name, document in documents:
        unknown = set(document) - {"conflict"}
        if unknown:
            problems.append(f"{file_name}: unknown top-level keys {sorted(unknown)}")
        entries = document.get("conflict", [])
        if not isinstance(entries, list):
            problems.append(f"{file_name}: conflict must be an array of tables")
            continue
        for index, raw in enumerate(entries):
            where = f"{file_name} conflict #{index + 1}"
            if not isinstance(raw, Mapping):
                problems.append(f"{where}: must be a table")
                continue
            extra = set(raw) - _CONFLICT_KEYS
            if extra:
                problems.append(f"{where}: unknown keys {sorted(extra)}")
            conflict_id = _text(raw.get("id"))
            if conflict_id is None:
                problems.append(f"{where}: missing id")
                continue
            where = f"{file_name} conflict {conflict_id!r}"
            topic = _text(raw.get("topic"))
            resolution = _text(raw.get("resolution"))
            if topic is None:
                problems.append(f"{where}: missing topic")
            if resolution is None:
                problems.append(f"{where}: missing resolution")
            statements = _statements(where, raw.get("statements"), problems)
            documents_named = {s.document for s in statements}
            if len(documents_named) < MIN_SOURCES:
                problems.append(
                    f"{where}: needs at least {MIN_SOURCES} distinct source documents, "
                    f"got {len(documents_named)}"
                )
            affects_raw = raw.get("affects", [])
            if not isinstance(affects_raw, list) or not all(
                isinstance(a, str) and a for a in affects_raw
            ):
                problems.append(f"{where}: affects must be a list of rule ids")
                affects_raw = []
            if conflict_id in conflicts:
                problems.append(f"{where}: duplicate id")
            conflicts[conflict_id] = Conflict(
                id=conflict_id,
                topic=topic or "",
                statements=statements,
                resolution=resolution or "",
                affects=tuple(affects_raw),
            )
    if problems:
        raise ConflictError("; ".join(problems))
    return tuple(conflicts.values())


@lru_cache(maxsize=1)
def load_conflicts() -> tuple[Conflict, ...]:
    """Reads and validates the packaged conflicts file (cached for the process)."""
    resource = resources.files("inocds.protocol").joinpath(CONFLICT_FILE)
    document = tomllib.loads(resource.read_text(encoding="utf-8"))
    return parse_conflicts([(CONFLICT_FILE, document)])
