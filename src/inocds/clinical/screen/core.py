"""The screen's answer, assembled from its sections (one module per concern)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.reasons import Reason
from inocds.clinical.screen.alerts import Alert
from inocds.clinical.screen.common import Collector, DoseDate
from inocds.clinical.screen.doses import dose_dates
from inocds.clinical.screen.eligibility import cytoreduction, eligibility, premedication
from inocds.clinical.screen.interactions import interaction_section
from inocds.clinical.screen.monitoring import MonitoringCheck, monitoring_checks
from inocds.clinical.screen.reproductive import reproductive_windows
from inocds.clinical.screen.vod import vod_risk
from inocds.protocol.conflicts import Conflict, load_conflicts
from inocds.protocol.loader import load_protocol

__all__ = ["ScreenResult", "run_screen", "screen_course"]


@dataclass(frozen=True)
class ScreenResult:
    """The safety screen's answer."""

    interactions: tuple[Mapping[str, Any], ...]
    unmatched: tuple[str, ...]
    listed_only: tuple[Mapping[str, Any], ...]
    vod_risk_factors: tuple[str, ...]
    vod_risk_details: tuple[Mapping[str, Any], ...]
    vod_risk_unknown: tuple[Mapping[str, Any], ...]
    monitoring: tuple[MonitoringCheck, ...]
    reproductive: Mapping[str, Any]
    cytoreduction_required: bool
    cytoreduction_details: Mapping[str, Any]
    premedication: tuple[str, ...]
    premedication_details: Mapping[str, Any]
    eligibility: Mapping[str, Any]
    source_conflicts: tuple[Conflict, ...]
    reasons: tuple[Reason, ...]
    dose_dates: tuple[DoseDate, ...] = field(default=())
    alerts: tuple[Alert, ...] = ()
    unmatched_details: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON answer (with this project's extra fields)."""
        return {
            "interactions": [dict(i) for i in self.interactions],
            "alerts": [a.to_dict() for a in self.alerts],
            "unmatched": list(self.unmatched),
            "unmatched_details": [dict(u) for u in self.unmatched_details],
            "listed_only": [dict(x) for x in self.listed_only],
            "vod_risk_factors": list(self.vod_risk_factors),
            "vod_risk_details": [dict(d) for d in self.vod_risk_details],
            "vod_risk_unknown": [dict(d) for d in self.vod_risk_unknown],
            "monitoring": [m.to_dict() for m in self.monitoring],
            "reproductive": dict(self.reproductive),
            "cytoreduction_required": self.cytoreduction_required,
            "cytoreduction_details": dict(self.cytoreduction_details),
            "premedication": list(self.premedication),
            "premedication_details": dict(self.premedication_details),
            "eligibility": dict(self.eligibility),
            "source_conflicts": [c.to_dict() for c in self.source_conflicts],
            "reasons": [r.to_dict() for r in self.reasons],
        }


def screen_course(doc: CourseDocument) -> ScreenResult:
    """The safety screen of a validated course document (pure)."""
    c = Collector(load_protocol())
    meds = interaction_section(doc, c)
    vod_ids, vod_details, vod_unknown = vod_risk(doc, c)
    doses = dose_dates(doc, c)
    monitoring = monitoring_checks(doc, doses, meds.qt_drugs, c)
    reproductive = reproductive_windows(doc, doses, c)
    cyto_required, cyto_details = cytoreduction(doc, c)
    premed, premed_details = premedication(doc, c)
    criteria = eligibility(doc, c)
    return ScreenResult(
        interactions=meds.interactions,
        unmatched=meds.unmatched,
        listed_only=meds.listed_only,
        vod_risk_factors=tuple(vod_ids),
        vod_risk_details=tuple(vod_details),
        vod_risk_unknown=tuple(vod_unknown),
        monitoring=tuple(monitoring),
        reproductive=reproductive,
        cytoreduction_required=cyto_required,
        cytoreduction_details=cyto_details,
        premedication=tuple(premed),
        premedication_details=premed_details,
        eligibility=criteria,
        source_conflicts=(*load_conflicts(), *meds.conflicts),
        reasons=tuple(c.reasons),
        dose_dates=doses,
        alerts=meds.alerts,
        unmatched_details=meds.unmatched_details,
    )


def run_screen(raw: Any) -> dict[str, Any]:
    """Validates the course document and returns the screen's JSON answer."""
    return screen_course(parse_course(raw)).to_dict()
