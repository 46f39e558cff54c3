"""The schema constants, read once from the data: what a request, a document and a form accept.

`schema.toml` holds the enumerations (BSA formulas and the default, sex, toxicity
categories and CTCAE grades, response statuses) and the typo guards; the rules hold
the regimen's days, the dose ceiling and the height and weight bounds. The clinical
validators, the API's pydantic models, the web forms and the templates all read the
names below; none writes such a value by hand (tests/unit/test_schema_constants.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from inocds.protocol.loader import ProtocolError, data_file, load_protocol

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "BSA_FORMULAS",
    "DEFAULT_BSA_FORMULA",
    "ENTRY",
    "MAX_GRADE",
    "MIN_GRADE",
    "MRD_RESULTS",
    "RESPONSE_STATUSES",
    "SEXES",
    "TOXICITY_CATEGORIES",
    "TOXICITY_GRADES",
    "TYPO_GUARD",
    "BodyLimits",
    "EntryLimits",
    "TypoGuard",
    "body_limits",
    "dose_ceiling_mg_per_m2",
    "dose_days",
    "load_schema",
]

SCHEMA_FILE = "schema.toml"


def load_schema(path: Path | None = None) -> dict[str, Any]:
    """The tables of `schema.toml` (or of the file at `path`), each checked to name its
    source; the packaged file is read through the protocol's parsed-data cache."""
    if path is None:
        data = data_file(SCHEMA_FILE)
    else:
        import tomllib

        with path.open("rb") as handle:
            data = tomllib.load(handle)
    unsourced = sorted(name for name, table in data.items() if not table.get("source"))
    if unsourced:
        raise ProtocolError(f"{SCHEMA_FILE}: tables without a source: {unsourced}")
    return data


def _texts(table: dict[str, Any], name: str) -> tuple[str, ...]:
    value = table.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ProtocolError(f"{SCHEMA_FILE}: {name} is not a list of strings")
    return tuple(value)


def _integer(table: dict[str, Any], name: str) -> int:
    value = table.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{SCHEMA_FILE}: {name} is not an integer")
    return value


class TypoGuard(NamedTuple):
    """The largest values a ward could mean (not protocol numbers)."""

    max_cycle: int
    max_salvage_line: int
    max_age_years: int
    max_anc_per_mm3: float
    max_platelets_per_mm3: float
    max_blasts_per_mm3: float
    max_lab_value: float


class EntryLimits(NamedTuple):
    """The largest amounts staff type into the order pages and the order-step API."""

    max_dose_mg: float
    max_draw_mg: float
    max_volume_ml: float


class BodyLimits(NamedTuple):
    """Plausible heights and weights (dose.bsa)."""

    min_height_cm: float
    max_height_cm: float
    min_weight_kg: float
    max_weight_kg: float


_DATA = load_schema()

BSA_FORMULAS: Final = _texts(_DATA["bsa_formula"], "values")
DEFAULT_BSA_FORMULA: Final[str] = _DATA["bsa_formula"]["default"]
if DEFAULT_BSA_FORMULA not in BSA_FORMULAS:
    raise ProtocolError(f"{SCHEMA_FILE}: the default BSA formula is not among the formulas")
SEXES: Final = _texts(_DATA["sex"], "values")
TOXICITY_CATEGORIES: Final = _texts(_DATA["toxicity"], "categories")
MIN_GRADE: Final = _integer(_DATA["toxicity"], "min_grade")
MAX_GRADE: Final = _integer(_DATA["toxicity"], "max_grade")
TOXICITY_GRADES: Final = tuple(range(MIN_GRADE, MAX_GRADE + 1))
RESPONSE_STATUSES: Final = _texts(_DATA["response"], "statuses")
MRD_RESULTS: Final = _texts(_DATA["response"], "mrd")
_GUARD = _DATA["typo_guard"]
TYPO_GUARD: Final = TypoGuard(
    max_cycle=_integer(_GUARD, "max_cycle"),
    max_salvage_line=_integer(_GUARD, "max_salvage_line"),
    max_age_years=_integer(_GUARD, "max_age_years"),
    max_anc_per_mm3=float(_integer(_GUARD, "max_anc_per_mm3")),
    max_platelets_per_mm3=float(_integer(_GUARD, "max_platelets_per_mm3")),
    max_blasts_per_mm3=float(_integer(_GUARD, "max_blasts_per_mm3")),
    max_lab_value=float(_integer(_GUARD, "max_lab_value")),
)
ENTRY: Final = EntryLimits(*(_integer(_DATA["entry"], n) for n in EntryLimits._fields))

_REGIMENS = ("regimen.cycle1", "regimen.subsequent_cr", "regimen.subsequent_no_cr")


@lru_cache(maxsize=1)
def dose_days() -> tuple[int, ...]:
    """The scheduled dose days of a cycle (every regimen's days, in order)."""
    protocol = load_protocol()
    return tuple(sorted({day for rule in _REGIMENS for day, _ in protocol[rule].day_doses()}))


def dose_ceiling_mg_per_m2() -> float:
    """The largest dose per m2 accepted anywhere, even with an override (dose.request_limits)."""
    return load_protocol()["dose.request_limits"].number("max_dose_with_override_mg_per_m2")


def body_limits() -> BodyLimits:
    """Plausible heights and weights, from dose.bsa."""
    rule = load_protocol()["dose.bsa"]
    return BodyLimits(*(rule.number(name) for name in BodyLimits._fields))
