"""The pharmacy preparation worksheet as data: what `worksheet_pdf` prints.

`build_worksheet(order, patient, preparation)` recomputes the dose from the order's
BSA and mg/m2 (`clinical.dose.compute_dose`: vials, volume to withdraw, the bag or
syringe) and the preparation steps (`clinical.preparation.preparation_steps`), and
adds the stored beyond-use clock when the preparation has been recorded. A
recomputed dose that differs from the ordered mg is reported in `warnings`, never
silently replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from inocds.clinical.dose import DoseResult, compute_dose
from inocds.clinical.preparation import preparation_steps
from inocds.clinical.withdraw import withdraw_plan

__all__ = ["build_worksheet"]

_NOT_TO_PREPARE = {
    "signed": "it is not verified yet; do not prepare it before the pharmacist's check",
    "returned": "it was sent back for recalculation; do not prepare it",
    "cancelled": "do not prepare it",
}


def build_worksheet(
    order: Mapping[str, Any],
    patient: Mapping[str, Any],
    preparation: Mapping[str, Any] | None = None,
    *,
    generated_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The worksheet of one order.

    `order` needs `bsa_m2`, `dose_mg_per_m2` and `dose_mg` (and shows `id`, `cycle`,
    `day`, `scheduled_on`, `status` when present); `patient` is shown as given (`name`,
    `mrn`, `birth_date`); `preparation` is the recorded compounding (`reconstituted_at`,
    `diluted_at`, `refrigerated`, `vial_lots`, `pharmacist`, `prepared_at`) with its
    stored clock under `beyond_use` (the `BeyondUse.to_dict()` form), or None before it.
    """
    result = compute_dose(float(order["bsa_m2"]), float(order["dose_mg_per_m2"]))
    infusion = result.infusion
    warnings = _warnings(order, result)
    return {
        "order": {
            key: order.get(key)
            for key in (
                "id",
                "cycle",
                "day",
                "scheduled_on",
                "status",
                "bsa_m2",
                "dose_mg_per_m2",
                "dose_mg",
                "height_cm",
                "weight_kg",
            )
        },
        "patient": dict(patient),
        "dose": _dose(result),
        "steps": preparation_steps(result.vials, result.volume_ml, result.dose_mg, infusion),
        "withdraw": withdraw_plan(result.volume_ml, result.concentration_mg_per_ml).to_dict(),
        "preparation": None if preparation is None else dict(preparation),
        "beyond_use": None if preparation is None else preparation.get("beyond_use"),
        "warnings": warnings,
        "generated_at": (generated_at or dt.datetime.now(dt.UTC)).isoformat(),
    }


def _warnings(order: Mapping[str, Any], result: DoseResult) -> list[str]:
    """A recomputed dose that differs from the ordered mg; an order not to prepare."""
    warnings: list[str] = []
    ordered = order.get("dose_mg")
    if ordered is not None and abs(float(ordered) - result.dose_mg) > 0.005:
        warnings.append(
            f"The order says {float(ordered):g} mg but {order['dose_mg_per_m2']:g} mg/m2 x "
            f"{result.bsa_m2:g} m2 gives {result.dose_mg:g} mg: ask the prescriber before "
            "preparing."
        )
    status = order.get("status")
    if status in _NOT_TO_PREPARE:
        warnings.append(f"The order is {status}: {_NOT_TO_PREPARE[status]}.")
    return warnings


def _dose(result: DoseResult) -> dict[str, Any]:
    """The recomputed dose: vials, volume to withdraw, and the bag or syringe."""
    infusion = result.infusion
    return {
        "bsa_m2": result.bsa_m2,
        "dose_mg_per_m2": result.dose_mg_per_m2,
        "dose_mg": result.dose_mg,
        "vial_mg": result.vial_mg,
        "vials": result.vials,
        "concentration_mg_per_ml": result.concentration_mg_per_ml,
        "volume_ml": result.volume_ml,
        "waste_mg": result.waste_mg,
        "container": infusion.container,
        "diluent": infusion.diluent,
        "diluent_volume_ml": infusion.diluent_volume_ml,
        "final_volume_ml": infusion.final_volume_ml,
        "final_concentration_mg_per_ml": infusion.final_concentration_mg_per_ml,
        "infusion_rate_ml_per_h": infusion.infusion_rate_ml_per_h,
        "infusion_minutes": infusion.infusion_minutes,
        "device": infusion.device,
        "container_rule": infusion.rule,
    }
