"""The safety screen of a patient (`inocds screen`).

`screen_course(doc)` is pure: from a validated course document it derives drug
interactions and alerts, VOD risk factors, the monitoring calendar, the
reproductive windows, the need for cytoreduction, the premedication, the
eligibility criteria and the source conflicts, each with the rules that shaped
it. `run_screen(raw)` validates the JSON request first and returns the JSON answer.

One module per concern: `interactions` (+ `alerts`), `vod`, `monitoring`,
`reproductive`, `eligibility` (with cytoreduction and premedication); `doses`
dates the checks, `core` assembles the answer. Every number comes from the
protocol files (screen.toml, rules.toml); the source disagreements from
conflicts.toml and, per drug, from the interaction data.
"""

from inocds.clinical.reasons import Reason
from inocds.clinical.screen.alerts import Alert
from inocds.clinical.screen.common import DoseDate, add_months, age_in_years
from inocds.clinical.screen.core import ScreenResult, run_screen, screen_course
from inocds.clinical.screen.eligibility import DIAGNOSIS_CRITERIA
from inocds.clinical.screen.monitoring import MONITORING_CHECKS, MonitoringCheck
from inocds.clinical.screen.vod import VOD_FACTORS

__all__ = [
    "DIAGNOSIS_CRITERIA",
    "MONITORING_CHECKS",
    "VOD_FACTORS",
    "Alert",
    "DoseDate",
    "MonitoringCheck",
    "Reason",
    "ScreenResult",
    "add_months",
    "age_in_years",
    "run_screen",
    "screen_course",
]
