"""The `prepare` command: the `dose` answer plus the preparation's beyond-use clock.

Kept apart from `preparation` (the container and the steps, which `dose` uses) so that
the command can use `dose` without an import loop.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.clinical.beyond_use import beyond_use, hours_of
from inocds.clinical.dose import collect_dose_request, dose_answer
from inocds.clinical.validation import Bool, FieldError, InputError, Spec, Timestamp
from inocds.protocol.loader import load_protocol

__all__ = ["PREPARE_OPTIONAL", "PREPARE_REQUIRED", "run_prepare"]


PREPARE_REQUIRED: dict[str, Spec] = {
    "reconstituted_at": Timestamp(),
    "diluted_refrigerated": Bool(),
}
PREPARE_OPTIONAL: dict[str, Spec] = {"diluted_at": Timestamp()}


def run_prepare(raw: Any) -> dict[str, Any]:
    """The `prepare` command: the dose answer plus its `beyond_use` clock.

    Takes the `dose` request fields plus `reconstituted_at` (timestamp with offset),
    `diluted_refrigerated` (bool) and optional `diluted_at`. Raises InputError.
    """
    errors: list[FieldError] = []
    request, extra = collect_dose_request(raw, errors, PREPARE_REQUIRED, PREPARE_OPTIONAL)
    reconstituted = extra.get("reconstituted_at")
    diluted = extra.get("diluted_at")
    if isinstance(reconstituted, dt.datetime) and isinstance(diluted, dt.datetime):
        clock = load_protocol()["prep.beyond_use"]
        latest = reconstituted + hours_of(clock, "reconstitution_to_dilution_max_hours")
        if not reconstituted <= diluted <= latest:
            zone = reconstituted.tzinfo
            errors.append(
                FieldError(
                    "diluted_at",
                    f"must be at or after reconstituted_at "
                    f"({reconstituted.isoformat()}) and at most "
                    f"{clock.number('reconstitution_to_dilution_max_hours'):g} h after it "
                    f"(by {latest.astimezone(zone).isoformat()}, prep.beyond_use); got "
                    f"{diluted.isoformat()}",
                )
            )
    refrigerated = extra.get("diluted_refrigerated")
    if errors or request is None or reconstituted is None or refrigerated is None:
        raise InputError(errors)
    answer = dose_answer(request)
    answer["beyond_use"] = beyond_use(reconstituted, refrigerated, diluted).to_dict()
    return answer
