"""The API's field types for the schema constants, built once from the protocol data.

Enumerations are `Literal` types made at run time from `inocds.protocol.schema` (a
`Literal` cannot be spelt from data at type time, so mypy sees the base type), so the
OpenAPI document shows the same `enum` and the 422 answers name the same values as
before; bounds are `Field` constraints read from the same data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from inocds.protocol import schema

__all__ = [
    "BsaFormula",
    "Cycle",
    "DoseDay",
    "DoseMgPerM2",
    "EnteredDoseMg",
    "Grade",
    "HeightCm",
    "InfusedVolumeMl",
    "SalvageLine",
    "Sex",
    "WeightKg",
]

_BODY = schema.body_limits()

if TYPE_CHECKING:
    BsaFormula = str
    Sex = str
    DoseDay = int
else:
    BsaFormula = Literal[schema.BSA_FORMULAS]
    """One of the BSA formulas (protocol/schema.toml)."""
    Sex = Literal[schema.SEXES]
    DoseDay = Literal[schema.dose_days()]
    """A scheduled dose day of the regimen (regimen.* in rules.toml)."""

Grade = Annotated[int, Field(ge=schema.MIN_GRADE, le=schema.MAX_GRADE)]
"""A CTCAE grade."""
Cycle = Annotated[int, Field(ge=1, le=schema.TYPO_GUARD.max_cycle)]
SalvageLine = Annotated[int, Field(ge=1, le=schema.TYPO_GUARD.max_salvage_line)]
DoseMgPerM2 = Annotated[float, Field(gt=0, le=schema.dose_ceiling_mg_per_m2())]
"""A dose per m2, at most the ceiling of dose.request_limits."""
HeightCm = Annotated[float, Field(ge=_BODY.min_height_cm, le=_BODY.max_height_cm)]
WeightKg = Annotated[float, Field(ge=_BODY.min_weight_kg, le=_BODY.max_weight_kg)]
EnteredDoseMg = Annotated[float, Field(gt=0, le=schema.ENTRY.max_dose_mg)]
"""A dose in mg the pharmacist types (typo guard)."""
InfusedVolumeMl = Annotated[float, Field(gt=0, le=schema.ENTRY.max_volume_ml)]
