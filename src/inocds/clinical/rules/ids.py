"""Every rule id of `protocol/rules.toml` as a typed constant (a test checks both ways).

Code cites `ids.HEPATIC_VOD`, not the string: a typo is an import-time error, and
the registry test finds every rule's logic by its constant.
"""

from __future__ import annotations

from typing import Final

# regimen
REGIMEN_CYCLE1: Final = "regimen.cycle1"
REGIMEN_CYCLE1_EXTENSION: Final = "regimen.cycle1_extension"
REGIMEN_SUBSEQUENT_CR: Final = "regimen.subsequent_cr"
REGIMEN_SUBSEQUENT_NO_CR: Final = "regimen.subsequent_no_cr"
REGIMEN_MAX_SINGLE_DOSE: Final = "regimen.max_single_dose"
REGIMEN_RESPONSE_DEFINITIONS: Final = "regimen.response_definitions"
REGIMEN_RESPONSE_LATEST: Final = "regimen.response_latest"
# duration
DURATION_NO_CR_AFTER_3: Final = "duration.no_cr_after_3"
DURATION_HSCT: Final = "duration.hsct"
DURATION_MAX_6: Final = "duration.max_6"
# course
COURSE_DISCONTINUED: Final = "course.discontinued"
COURSE_COMPLETE: Final = "course.complete"
COURSE_START: Final = "course.start"
# schedule
SCHEDULE_WINDOW: Final = "schedule.window"
SCHEDULE_MIN_INTERVAL: Final = "schedule.min_interval"
SCHEDULE_MISSED: Final = "schedule.missed"
# heme
HEME_ANC_GATE: Final = "heme.anc_gate"
HEME_PLATELET_GATE: Final = "heme.platelet_gate"
HEME_LOW_BASELINE_GATE: Final = "heme.low_baseline_gate"
HEME_GATES_DAY1_ONLY: Final = "heme.gates_day1_only"
HEME_PERSISTING_28D: Final = "heme.persisting_28d"
HEME_WITHIN_CYCLE: Final = "heme.within_cycle"
# hepatic
HEPATIC_VOD: Final = "hepatic.vod"
HEPATIC_INTERRUPT: Final = "hepatic.interrupt"
HEPATIC_GILBERT_HEMOLYSIS: Final = "hepatic.gilbert_hemolysis"
HEPATIC_BASELINE: Final = "hepatic.baseline"
# nonheme
NONHEME_GRADE2: Final = "nonheme.grade2"
NONHEME_BLEEDING_INFECTION: Final = "nonheme.bleeding_infection"
# interruption
INTERRUPTION_LT7: Final = "interruption.lt7"
INTERRUPTION_GE7: Final = "interruption.ge7"
INTERRUPTION_GE14: Final = "interruption.ge14"
INTERRUPTION_GT28: Final = "interruption.gt28"
INTERRUPTION_LENGTH: Final = "interruption.length"
# reduction
REDUCTION_LEVEL1: Final = "reduction.level1"
REDUCTION_LEVEL2: Final = "reduction.level2"
REDUCTION_NOT_TOLERATED: Final = "reduction.not_tolerated"
REDUCTION_NO_REESCALATION: Final = "reduction.no_reescalation"
# infusion
INFUSION_REACTION: Final = "infusion.reaction"
INFUSION_SEVERE: Final = "infusion.severe"
# premedication
PREMEDICATION: Final = "premedication"
# cytoreduction
CYTOREDUCTION: Final = "cytoreduction"
# workflow
WORKFLOW_DOSE_TOLERANCE: Final = "workflow.dose_tolerance"
WORKFLOW_WEIGHT_CHANGE: Final = "workflow.weight_change"
# hepatic
HEPATIC_SEVERE_LABS: Final = "hepatic.severe_labs"
HEPATIC_PRETREATMENT_LIMITS: Final = "hepatic.pretreatment_limits"
# labs
LABS_MISSING: Final = "labs.missing"
# data
DATA_TOXICITY_BEFORE_FIRST_DOSE: Final = "data.toxicity_before_first_dose"
DATA_RESPONSE_MISSING: Final = "data.response_missing"
DATA_RESPONSE_LOST: Final = "data.response_lost"
DATA_AGE_BELOW_INDICATED: Final = "data.age_below_indicated"
DATA_MRD_UNKNOWN: Final = "data.mrd_unknown"
DATA_COUNT_UNITS: Final = "data.count_units"
DATA_BMI: Final = "data.bmi"
# history
HISTORY_MIN_INTERVAL: Final = "history.min_interval"
HISTORY_CYCLE_BEFORE_DUE: Final = "history.cycle_before_due"
HISTORY_GATE_NOT_MET: Final = "history.gate_not_met"
HISTORY_DOSE_WITHOUT_CYCLE_START: Final = "history.dose_without_cycle_start"
HISTORY_DOSE_ABOVE_LEVEL: Final = "history.dose_above_level"
