"""Every rule id of the protocol as a typed constant (a test checks them against the TOML)."""

from __future__ import annotations

from typing import Final

# safety net (v1.1)
HEPATIC_SEVERE_LABS: Final = "hepatic.severe_labs"
HEPATIC_PRETREATMENT_LIMITS: Final = "hepatic.pretreatment_limits"
LABS_MISSING: Final = "labs.missing"
DATA_TOXICITY_BEFORE_FIRST_DOSE: Final = "data.toxicity_before_first_dose"
DATA_RESPONSE_MISSING: Final = "data.response_missing"
DATA_RESPONSE_LOST: Final = "data.response_lost"
DATA_AGE_BELOW_INDICATED: Final = "data.age_below_indicated"
DATA_MRD_UNKNOWN: Final = "data.mrd_unknown"
DATA_COUNT_UNITS: Final = "data.count_units"
DATA_BMI: Final = "data.bmi"
HISTORY_MIN_INTERVAL: Final = "history.min_interval"
HISTORY_CYCLE_BEFORE_DUE: Final = "history.cycle_before_due"
HISTORY_GATE_NOT_MET: Final = "history.gate_not_met"
HISTORY_DOSE_WITHOUT_CYCLE_START: Final = "history.dose_without_cycle_start"
HISTORY_DOSE_ABOVE_LEVEL: Final = "history.dose_above_level"
