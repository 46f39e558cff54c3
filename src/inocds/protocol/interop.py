"""Loads `interop.toml`: LOINC codes of the course document's values, the bilirubin
molar mass, and the CDS Hooks card limits, each with its source. No logic."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["DATA_FILE", "Interop", "InteropError", "LoincEntry", "load_interop"]

DATA_FILE = "interop.toml"
KINDS = frozenset({"count", "liver", "bilirubin", "height_cm", "weight_kg"})


class InteropError(ValueError):
    """`interop.toml` is invalid (missing source, unknown kind, duplicate code)."""


class LoincEntry(NamedTuple):
    """One LOINC code and the course-document field its value fills."""

    code: str
    display: str
    field: str
    kind: str


class Interop(NamedTuple):
    """The interop data, validated."""

    loinc: dict[str, LoincEntry]
    bilirubin_molar_mass_g_per_mol: float
    bilirubin_source: str
    card_summary_max_chars: int
    dose_difference_warning_fraction: float
    dose_difference_source: str
    jwt_max_lifetime_s: int
    drug_names: tuple[str, ...]


def _number(table: dict[str, Any], name: str) -> float:
    value = table.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InteropError(f"{DATA_FILE}: {name} must be a number")
    return float(value)


def _text(table: dict[str, Any], name: str) -> str:
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InteropError(f"{DATA_FILE}: {name} must be a non-empty string")
    return value


def _names(table: dict[str, Any]) -> tuple[str, ...]:
    _text(table, "source")
    names = table.get("names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InteropError(f"{DATA_FILE}: drug.names must be a non-empty list of strings")
    return tuple(n.lower() for n in names)


def parse_interop(document: dict[str, Any]) -> Interop:
    """Validates a parsed `interop.toml`."""
    loinc: dict[str, LoincEntry] = {}
    for raw in document.get("loinc", []):
        entry = LoincEntry(_text(raw, "code"), _text(raw, "display"), _text(raw, "field"), "")
        kind = _text(raw, "kind")
        if kind not in KINDS:
            raise InteropError(f"{DATA_FILE}: LOINC {entry.code}: unknown kind {kind!r}")
        if entry.code in loinc:
            raise InteropError(f"{DATA_FILE}: LOINC {entry.code} listed twice")
        loinc[entry.code] = entry._replace(kind=kind)
    bilirubin = document.get("bilirubin", {})
    cds = document.get("cds", {})
    for table, name in ((bilirubin, "source"), (cds, "summary_source"), (cds, "jwt_source")):
        _text(table, name)
    return Interop(
        loinc=loinc,
        bilirubin_molar_mass_g_per_mol=_number(bilirubin, "molar_mass_g_per_mol"),
        bilirubin_source=_text(bilirubin, "source"),
        card_summary_max_chars=int(_number(cds, "summary_max_chars")),
        dose_difference_warning_fraction=_number(cds, "dose_difference_warning_fraction"),
        dose_difference_source=_text(cds, "dose_difference_source"),
        jwt_max_lifetime_s=int(_number(cds, "jwt_max_lifetime_s")),
        drug_names=_names(document.get("drug", {})),
    )


@lru_cache(maxsize=1)
def load_interop() -> Interop:
    """Reads and validates the packaged `interop.toml` (cached for the process)."""
    path = Path(__file__).parent / DATA_FILE
    return parse_interop(tomllib.loads(path.read_text(encoding="utf-8")))
