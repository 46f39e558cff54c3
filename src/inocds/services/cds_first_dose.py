"""What can still be checked when today's decision cannot be made: a first-dose draft's
amount, and the interactions of the patient's medications.

With no dose of the drug in the history the course is on cycle 1 day 1 (CONTRACT.md:
with no events the first dose is due today). Where the labs for the decision are
missing, the draft's amount can still be checked: the engine's regimen gives the day 1
dose per m2 (`clinical.rules.regimen.cycle_regimen`) and its `dose` command the mg for this
patient. The card beside it says that whether to give is not decided. Interactions
need no labs: the screen's own matcher (`clinical.interactions.match_medications`)
answers them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.adapters.fhir.course import FhirData, is_drug, medication_name
from inocds.adapters.fhir.observations import latest_values, read_observations
from inocds.clinical.rules.regimen import cycle_regimen
from inocds.clinical.validation import InputError
from inocds.protocol.loader import load_protocol
from inocds.services.commands import run_command

__all__ = ["first_dose_answer", "interactions_answer"]


def first_dose_answer(data: FhirData, today: dt.date) -> dict[str, Any] | None:
    """An assess-shaped answer holding only cycle 1 day 1's dose, or None when not computable."""
    if any(is_drug(r) for r in data.administrations):
        return None
    values, _problems, _unknown = read_observations(data.observations)
    body = latest_values([v for v in values if v.field in ("height_cm", "weight_kg")], today)
    if len(body) != 2:
        return None
    regimen = cycle_regimen(1, False, "full")
    day, per_m2 = regimen.doses[0]
    try:
        dose = run_command(
            "dose",
            {
                "height_cm": body["height_cm"],
                "weight_kg": body["weight_kg"],
                "dose_mg_per_m2": per_m2,
            },
        )
    except InputError:
        return None
    rule = load_protocol()[regimen.rules[0]]
    return {
        "action": "give",
        "cycle": 1,
        "day": day,
        "dose_mg_per_m2": per_m2,
        "dose_mg": dose["dose_mg"],
        "bsa_m2": dose["bsa_m2"],
        "reasons": [{"rule": rule.id, "message": rule.statement, "source": rule.source}],
    }


def interactions_answer(data: FhirData) -> dict[str, Any]:
    """The screen-shaped interactions of the patient's other active medications."""
    from inocds.clinical.interactions import match_medications
    from inocds.protocol.interactions import load_interactions

    names = sorted({medication_name(r) for r in data.medication_requests if not is_drug(r)})
    result = match_medications([n for n in names if n], load_interactions())
    return {"interactions": [hit.to_dict() for hit in result.interactions]}
