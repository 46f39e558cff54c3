"""One dose of inotuzumab ozogamicin and its preparation (the contract's `dose`).

Scope
- BSA from height and actual body weight by one of five formulas (clinical.bsa;
  Mosteller by default), or given directly as `bsa_m2`; rounded to 2 decimals,
  and the dose computed from the rounded value (dose.bsa).
- dose_mg = dose_mg_per_m2 x bsa_m2, rounded to 2 decimals; volume of the
  0.25 mg/mL reconstituted solution; whole 0.9 mg vials; waste and cost
  (prep.vial, prep.reconstitution).
- The diluted infusion and the preparation steps (clinical.preparation).
- A dose above the protocol's largest single dose (regimen.max_single_dose,
  0.8 mg/m2) is refused unless `override_reason` is given; then it is a warning.

Arithmetic is decimal and rounds half up, as done by hand: 0.5 x 1.73 = 0.865
gives 0.87 mg, and 1.8 mg is exactly 2 vials of 0.9 mg.

Sources: FACTS.md "Product and preparation"; US prescribing information 2.1, 2.4.
Every number is read from protocol/preparation.toml and rules.toml.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from inocds.clinical.bsa import body_surface_area_m2
from inocds.clinical.dose_warnings import dose_warnings
from inocds.clinical.preparation import Infusion, plan_infusion, preparation_steps
from inocds.clinical.rules import ids
from inocds.clinical.rules.dose_limit import max_single_dose
from inocds.clinical.rules.plausibility import bmi_errors
from inocds.clinical.validation import (
    Enum,
    FieldError,
    InputError,
    Num,
    Obj,
    Spec,
    Text,
)
from inocds.protocol.loader import load_protocol, rule_integer
from inocds.protocol.schema import BSA_FORMULAS, DEFAULT_BSA_FORMULA

__all__ = [
    "DoseRequest",
    "DoseResult",
    "collect_dose_request",
    "compute_dose",
    "dose_answer",
    "dose_mg",
    "dose_request_spec",
    "rounded_bsa_m2",
    "run_dose",
]

_CENT = Decimal("0.01")


def _dec(value: float) -> Decimal:
    """The decimal a person reads in `value` (its shortest repr), not its binary expansion."""
    return Decimal(repr(float(value)))


def _round2(value: Decimal) -> float:
    return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def rounded_bsa_m2(height_cm: float, weight_kg: float, formula: str = DEFAULT_BSA_FORMULA) -> float:
    """BSA in m2 by `formula`, rounded half up to the protocol's decimals (dose.bsa)."""
    quantum = _quantum(rule_integer("dose.bsa", "bsa_decimals"))
    raw = body_surface_area_m2(height_cm, weight_kg, formula)
    return float(_dec(raw).quantize(quantum, rounding=ROUND_HALF_UP))


@lru_cache(maxsize=8)
def _quantum(decimals: int) -> Decimal:
    """10 ** -decimals, the unit `quantize` rounds to."""
    return Decimal(1).scaleb(-decimals)


class DoseResult(NamedTuple):
    """One dose from a rounded BSA: amounts, vials, waste, cost and the diluted infusion."""

    bsa_m2: float
    dose_mg_per_m2: float
    dose_mg: float
    concentration_mg_per_ml: float
    """Of the reconstituted vial."""
    volume_ml: float
    """Reconstituted solution to withdraw."""
    vial_mg: float
    vials: int
    waste_mg: float
    cost_usd: float
    """Price of the vials used (average wholesale price)."""
    infusion: Infusion


def dose_mg(bsa_m2: float, dose_mg_per_m2: float) -> Decimal:
    """The dose in mg: the per-m2 amount times the BSA rounded half up to 2 decimals,
    rounded half up to 2 decimals (ValueError unless both are positive, as compute_dose)."""
    if not (math.isfinite(bsa_m2) and bsa_m2 > 0):
        raise ValueError(f"bsa_m2 must be a positive number, got {bsa_m2!r}")
    if not (math.isfinite(dose_mg_per_m2) and dose_mg_per_m2 > 0):
        raise ValueError(f"dose_mg_per_m2 must be a positive number, got {dose_mg_per_m2!r}")
    bsa = _dec(bsa_m2).quantize(_CENT, rounding=ROUND_HALF_UP)
    dose = (_dec(dose_mg_per_m2) * bsa).quantize(_CENT, rounding=ROUND_HALF_UP)
    if dose <= 0:
        raise ValueError(f"the dose rounds to 0 mg ({dose_mg_per_m2} mg/m2 x {bsa} m2)")
    return dose


def compute_dose(bsa_m2: float, dose_mg_per_m2: float) -> DoseResult:
    """The dose for an already-rounded BSA (rounded again to 2 decimals, which is idempotent).

    Pure: no validation of plausibility beyond positivity (ValueError otherwise);
    the course engine passes doses it has already checked.
    """
    dose = dose_mg(bsa_m2, dose_mg_per_m2)
    bsa = _dec(bsa_m2).quantize(_CENT, rounding=ROUND_HALF_UP)
    protocol = load_protocol()
    vial = protocol["prep.vial"]
    concentration = _dec(protocol["prep.reconstitution"].number("concentration_mg_per_ml"))
    vial_mg = _dec(vial.number("vial_mg"))
    volume = dose / concentration
    vials = math.ceil(dose / vial_mg)  # exact in decimals: 1.8 / 0.9 is 2, not 2.0000000000000004
    waste = vials * vial_mg - dose
    return DoseResult(
        bsa_m2=float(bsa),
        dose_mg_per_m2=float(dose_mg_per_m2),
        dose_mg=float(dose),
        concentration_mg_per_ml=float(concentration),
        volume_ml=_round2(volume),
        vial_mg=float(vial_mg),
        vials=vials,
        waste_mg=_round2(waste),
        cost_usd=_round2(vials * _dec(vial.number("price_usd_per_vial"))),
        infusion=plan_infusion(float(dose), _round2(volume)),
    )


# ------------------------------------------------------------------ request


class DoseRequest(NamedTuple):
    """A validated `dose` request, its BSA already computed and rounded."""

    bsa_m2: float
    bsa_source: str
    """"height_weight" or "given"."""
    bsa_formula: str | None
    height_cm: float | None
    weight_kg: float | None
    dose_mg_per_m2: float
    override_reason: str | None


_BODY_FIELDS = ("height_cm", "weight_kg")
_BSA_ONLY = "give either bsa_m2 or height_cm and weight_kg (with an optional bsa_formula), not both"


def dose_request_spec(
    extra_required: Mapping[str, Spec] | None = None,
    extra_optional: Mapping[str, Spec] | None = None,
) -> Obj:
    """The fields of a `dose` request (plus a caller's extra fields) and their limits."""
    protocol = load_protocol()
    limits = protocol["dose.bsa"]
    request_limits = protocol["dose.request_limits"]
    min_dose = request_limits.number("min_dose_mg_per_m2")
    max_override = request_limits.number("max_dose_with_override_mg_per_m2")
    min_bsa, max_bsa = limits.number("min_bsa_m2"), limits.number("max_bsa_m2")
    return Obj(
        required={"dose_mg_per_m2": Num(min_dose, max_override), **(extra_required or {})},
        optional={
            "height_cm": Num(limits.number("min_height_cm"), limits.number("max_height_cm")),
            "weight_kg": Num(limits.number("min_weight_kg"), limits.number("max_weight_kg")),
            "bsa_m2": Num(min_bsa, max_bsa),
            "bsa_formula": Enum(BSA_FORMULAS),
            "override_reason": Text(),
            **(extra_optional or {}),
        },
    )


def collect_dose_request(
    raw: Any,
    errors: list[FieldError],
    extra_required: Mapping[str, Spec] | None = None,
    extra_optional: Mapping[str, Spec] | None = None,
) -> tuple[DoseRequest | None, dict[str, Any]]:
    """Checks a `dose` request (plus a caller's extra fields), appending every bad field.

    Returns the request (None when anything is bad) and the cleaned extra fields.
    Never raises on input.
    """
    max_single = max_single_dose()
    spec = dose_request_spec(extra_required, extra_optional)
    start = len(errors)
    cleaned = spec.check(raw, "", errors)
    if not isinstance(raw, Mapping) or not isinstance(cleaned, dict):
        return None, {}
    _reword_dose_errors(raw, errors, start, max_single)
    _bsa_or_body_errors(raw, errors)
    dose_per_m2 = cleaned.get("dose_mg_per_m2")
    if dose_per_m2 is not None and dose_per_m2 > max_single and "override_reason" not in raw:
        errors.append(
            FieldError(
                "dose_mg_per_m2",
                f"{dose_per_m2:g} mg/m2 is above the protocol's largest single dose of "
                f"{max_single:g} mg/m2 (regimen.max_single_dose); a larger dose needs an "
                "override_reason",
            )
        )
    formula = cleaned.get("bsa_formula") or DEFAULT_BSA_FORMULA
    bsa = _request_bsa(raw, cleaned, formula, errors)
    extra_names = {*(extra_required or {}), *(extra_optional or {})}
    extra = {name: cleaned[name] for name in extra_names if name in cleaned}
    if len(errors) > start or bsa is None or dose_per_m2 is None:
        return None, extra
    given = "bsa_m2" in raw
    return (
        DoseRequest(
            bsa_m2=bsa,
            bsa_source="given" if given else "height_weight",
            bsa_formula=None if given else formula,
            height_cm=cleaned.get("height_cm"),
            weight_kg=cleaned.get("weight_kg"),
            dose_mg_per_m2=dose_per_m2,
            override_reason=cleaned.get("override_reason"),
        ),
        extra,
    )


def _reword_dose_errors(
    raw: Mapping[str, Any], errors: list[FieldError], start: int, max_single: float
) -> None:
    """Every error on dose_mg_per_m2 (from `start` on) says what the dose may be."""
    request_limits = load_protocol()["dose.request_limits"]
    min_dose = request_limits.number("min_dose_mg_per_m2")
    max_override = request_limits.number("max_dose_with_override_mg_per_m2")
    dose_allowed = (
        f"a number from {min_dose:g} to {max_single:g} mg/m2 (the protocol's largest single "
        f"dose, regimen.max_single_dose), or up to {max_override:g} with override_reason"
    )
    for index in range(start, len(errors)):
        if errors[index].field == "dose_mg_per_m2":
            got = repr(raw["dose_mg_per_m2"]) if "dose_mg_per_m2" in raw else None
            message = (
                f"must be {dose_allowed}; got {got}" if got else f"is required: {dose_allowed}"
            )
            errors[index] = FieldError("dose_mg_per_m2", message)


def _bsa_or_body_errors(raw: Mapping[str, Any], errors: list[FieldError]) -> None:
    """Either bsa_m2, or height_cm and weight_kg: never both, never neither."""
    if "bsa_m2" in raw:
        clash = [name for name in (*_BODY_FIELDS, "bsa_formula") if name in raw]
        for name in ["bsa_m2", *clash] if clash else []:
            errors.append(FieldError(name, _BSA_ONLY))
    else:
        missing = [name for name in _BODY_FIELDS if name not in raw]
        for name in missing:
            other = next(n for n in _BODY_FIELDS if n != name)
            needs = "unless bsa_m2 is given" if len(missing) == 2 else f"with {other}"
            errors.append(FieldError(name, f"is required {needs} (or give bsa_m2 instead)"))


def _request_bsa(
    raw: Mapping[str, Any], cleaned: dict[str, Any], formula: str, errors: list[FieldError]
) -> float | None:
    """The rounded BSA: from height and weight (checked for plausibility), or as given."""
    height, weight = cleaned.get("height_cm"), cleaned.get("weight_kg")
    if "bsa_m2" not in raw and height is not None and weight is not None:
        limits = load_protocol()["dose.bsa"]
        min_bsa, max_bsa = limits.number("min_bsa_m2"), limits.number("max_bsa_m2")
        bsa = rounded_bsa_m2(height, weight, formula)
        implausible = bmi_errors(height, weight)  # data.bmi: inches, pounds, typos
        errors.extend(implausible)
        if not implausible and not min_bsa <= bsa <= max_bsa:
            for name in _BODY_FIELDS:
                errors.append(
                    FieldError(
                        name,
                        f"height_cm {height:g} and weight_kg {weight:g} give a BSA of "
                        f"{bsa:g} m2 ({formula}), outside the plausible {min_bsa:g}-"
                        f"{max_bsa:g} m2 (dose.bsa); check both",
                    )
                )
        return bsa
    if cleaned.get("bsa_m2") is not None:
        return float(_dec(cleaned["bsa_m2"]).quantize(_CENT, rounding=ROUND_HALF_UP))
    return None


# ------------------------------------------------------------------ answer


def dose_answer(request: DoseRequest) -> dict[str, Any]:
    """The `dose` answer for a validated request."""
    result = compute_dose(request.bsa_m2, request.dose_mg_per_m2)
    infusion = result.infusion
    max_single = max_single_dose()
    rules = ["dose.bsa", "prep.vial", "prep.reconstitution", infusion.rule, "prep.infusion"]
    if request.dose_mg_per_m2 > max_single:
        rules.append(ids.REGIMEN_MAX_SINGLE_DOSE)
    answer: dict[str, Any] = {
        "bsa_m2": result.bsa_m2,
        "bsa_formula": request.bsa_formula,
        "bsa_source": request.bsa_source,
        "dose_mg_per_m2": result.dose_mg_per_m2,
        "dose_mg": result.dose_mg,
        "concentration_mg_per_ml": result.concentration_mg_per_ml,
        "volume_ml": result.volume_ml,
        "vial_mg": result.vial_mg,
        "vials": result.vials,
        "waste_mg": result.waste_mg,
        "cost_usd": result.cost_usd,
        "container": infusion.container,
        "diluent": infusion.diluent,
        "diluent_volume_ml": infusion.diluent_volume_ml,
        "final_volume_ml": infusion.final_volume_ml,
        "final_concentration_mg_per_ml": infusion.final_concentration_mg_per_ml,
        "infusion_rate_ml_per_h": infusion.infusion_rate_ml_per_h,
        "infusion_minutes": infusion.infusion_minutes,
        "preparation": preparation_steps(result.vials, result.volume_ml, result.dose_mg, infusion),
        "warnings": dose_warnings(
            result.bsa_m2,
            request.dose_mg_per_m2,
            request.override_reason,
            result.dose_mg,
            infusion,
        ),
        "rules": rules,
    }
    if request.override_reason is not None:
        answer["override_reason"] = request.override_reason
    return answer


def run_dose(raw: Any) -> dict[str, Any]:
    """The `dose` command: validates the request (InputError naming every bad field), answers."""
    errors: list[FieldError] = []
    request, _ = collect_dose_request(raw, errors)
    if errors or request is None:
        raise InputError(errors)
    return dose_answer(request)
