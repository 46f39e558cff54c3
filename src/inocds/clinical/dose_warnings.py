"""The warnings of the `dose` answer: an unusual BSA, a dose on override, the container.

Split from `clinical.dose` (which builds the answer); the numbers are read from
protocol/preparation.toml and rules.toml (dose.bsa, regimen.max_single_dose,
prep.bag, prep.syringe, prep.bag_large_dose).
"""

from __future__ import annotations

from inocds.clinical.preparation import Infusion
from inocds.clinical.rules.dose_limit import max_single_dose
from inocds.protocol.loader import load_protocol

__all__ = ["dose_warnings"]


def _warning(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def dose_warnings(
    bsa_m2: float,
    dose_mg_per_m2: float,
    override_reason: str | None,
    dose_mg: float,
    infusion: Infusion,
) -> list[dict[str, str]]:
    """What the dose answer asks a person to look at twice: BSA, dose and container."""
    return [
        *_bsa_warnings(bsa_m2),
        *_dose_warnings(dose_mg_per_m2, override_reason),
        *_container_warnings(dose_mg, infusion),
    ]


def _bsa_warnings(bsa_m2: float) -> list[dict[str, str]]:
    """A BSA outside the usual adult range (dose.bsa)."""
    limits = load_protocol()["dose.bsa"]
    usual_min, usual_max = limits.number("usual_min_bsa_m2"), limits.number("usual_max_bsa_m2")
    if bsa_m2 > usual_max:
        return [
            _warning(
                "bsa_above_usual_range",
                f"BSA {bsa_m2:g} m2 is above the usual {usual_max:g} m2: check height and "
                "weight. The dose uses actual body weight with no cap (dose.bsa).",
            )
        ]
    if bsa_m2 < usual_min:
        return [
            _warning(
                "bsa_below_usual_range",
                f"BSA {bsa_m2:g} m2 is below the usual {usual_min:g} m2 (a small child): "
                "check height and weight.",
            )
        ]
    return []


def _dose_warnings(dose_mg_per_m2: float, override_reason: str | None) -> list[dict[str, str]]:
    """A dose given on override, or an override that changes nothing."""
    max_single = max_single_dose()
    if dose_mg_per_m2 > max_single:
        return [
            _warning(
                "dose_above_protocol_maximum",
                f"{dose_mg_per_m2:g} mg/m2 is above the protocol's largest single dose "
                f"of {max_single:g} mg/m2 (regimen.max_single_dose); given on override: "
                f"{override_reason}",
            )
        ]
    if override_reason is not None:
        return [
            _warning(
                "override_reason_not_needed",
                f"The dose is within the protocol's {max_single:g} mg/m2, so the "
                "override_reason has no effect.",
            )
        ]
    return []


def _container_warnings(dose_mg: float, infusion: Infusion) -> list[dict[str, str]]:
    """A syringe instead of the bag, or a larger bag (prep.syringe, prep.bag_large_dose)."""
    if infusion.container == "syringe":
        bag = load_protocol()["prep.bag"]
        smallest = bag.number("min_concentration_mg_per_ml") * bag.number("total_volume_ml")
        return [
            _warning(
                "syringe_route",
                f"{dose_mg:g} mg is below {smallest:g} mg, too dilute for a "
                f"{bag.number('total_volume_ml'):g} mL bag: prepare {infusion.final_volume_ml:g} "
                f"mL in a syringe ({infusion.final_concentration_mg_per_ml:g} mg/mL) and give it "
                f"by {infusion.device} (prep.syringe).",
            )
        ]
    if infusion.rule == "prep.bag_large_dose":
        return [
            _warning(
                "bag_volume_increased",
                f"{dose_mg:g} mg would be too concentrated in the standard bag: use "
                f"{infusion.final_volume_ml:g} mL at {infusion.infusion_rate_ml_per_h:g} mL/h "
                "(prep.bag_large_dose).",
            )
        ]
    return []
