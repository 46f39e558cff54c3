"""The monitoring calendar of the screen: which checks fall due on which dates,
what each check looks at, and why (screen.toml `monitoring.*`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from inocds.clinical.documents import CourseDocument
from inocds.clinical.screen.common import Collector, DoseDate, pregnancy_relevant

__all__ = ["MONITORING_CHECKS", "Due", "MonitoringCheck", "monitoring_checks"]

MONITORING_CHECKS = (
    "cbc",
    "lfts",
    "ecg_electrolytes",
    "pregnancy_test",
    "hbv_screening",
    "tls",
    "lfts_post_hsct",
    "infusion_observation",
    "myelosuppression_signs",
    "vod_signs",
)


@dataclass(frozen=True)
class Due:
    """One date a check falls due, and why."""

    date: dt.date
    basis: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"date": self.date.isoformat(), "basis": self.basis}


@dataclass(frozen=True)
class MonitoringCheck:
    """A monitoring check and the dates it falls due in this course."""

    check: str
    rule: str
    when: str
    due: tuple[Due, ...]
    source: str
    note: str | None = None
    window: tuple[dt.date, dt.date] | None = None
    triggered_by: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form: `due` is the sorted list of distinct dates; `due_details` says why."""
        dates = sorted({d.date for d in self.due})
        out: dict[str, Any] = {
            "check": self.check,
            "rule": self.rule,
            "when": self.when,
            "checks": list(self.checks),
            "due": [d.isoformat() for d in dates],
            "due_details": [d.to_dict() for d in self.due],
            "source": self.source,
            "note": self.note,
        }
        if self.window is not None:
            out["window"] = {
                "from": self.window[0].isoformat(),
                "until": self.window[1].isoformat(),
            }
        if self.triggered_by:
            out["triggered_by"] = list(self.triggered_by)
        return out


def _make(
    c: Collector,
    name: str,
    due: Iterable[Due],
    note: str | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    triggered_by: tuple[str, ...] = (),
) -> MonitoringCheck:
    """The check `monitoring.<name>` due on these dates, its rule cited."""
    rule = c.rule(f"monitoring.{name}")
    due_t = tuple(due)
    check = MonitoringCheck(
        check=name,
        rule=rule.id,
        when=rule.text("when"),
        due=due_t,
        source=rule.source,
        note=note,
        window=window,
        triggered_by=triggered_by,
        checks=rule.texts("checks"),
    )
    dates = ", ".join(sorted({d.date.isoformat() for d in due_t})) or "no date in this course"
    when = rule.text("when")
    looks_at = ", ".join(rule.texts("checks"))
    c.add(rule.id, f"{when[:1].upper()}{when[1:]} ({looks_at}): {dates}.")
    return check


def _baseline_checks(
    doc: CourseDocument, first: DoseDate | None, qt_drugs: tuple[str, ...], c: Collector
) -> list[MonitoringCheck]:
    """ECG and electrolytes, pregnancy test and hepatitis B screen before the first dose."""
    baseline = [Due(first.date, f"baseline, before the {first.label}")] if first else []
    ecg_note = "Repeat periodically during treatment as clinically indicated."
    if qt_drugs:
        ecg_note += (
            f" QTc-prolonging medication on the list ({', '.join(qt_drugs)}): repeat the ECG "
            "and electrolytes after it is started."
        )
    checks = [_make(c, "ecg_electrolytes", baseline, note=ecg_note, triggered_by=qt_drugs)]
    pregnancy = pregnancy_relevant(doc)
    if pregnancy is not False:
        note = None
        if pregnancy is None:
            note = "Whether the patient can become pregnant is not recorded; check it."
        checks.append(_make(c, "pregnancy_test", baseline, note=note))
        c.add(
            "reproductive.pregnancy_test",
            "Pregnancy status is to be confirmed before treatment.",
        )
    checks.append(_make(c, "hbv_screening", baseline))
    return checks


def _tls_and_transplant(
    doc: CourseDocument, doses: Sequence[DoseDate], c: Collector
) -> list[MonitoringCheck]:
    """Tumour lysis labs in the risk cycles; liver tests after a planned transplant."""
    risk_cycles = set(c.rule("monitoring.tls_period").integers("risk_cycles"))
    tls_due = [Due(d.date, f"at the {d.label}") for d in doses if d.cycle in risk_cycles]
    c.add(
        "monitoring.tls_period",
        f"Tumour lysis risk period taken as cycle(s) {', '.join(map(str, sorted(risk_cycles)))}.",
    )
    checks = [_make(c, "tls", tls_due)]
    if doc.patient.hsct_planned:
        post = c.rule("monitoring.lfts_post_hsct")
        note = (
            f"Every {post.integer('interval_days')} days or sooner for "
            f"{post.integer('period_months')} month(s) from the transplant date, which "
            "the course document does not give."
        )
        checks.append(_make(c, "lfts_post_hsct", [], note=note))
    return checks


def _vod_signs(doc: CourseDocument, doses: Sequence[DoseDate], c: Collector) -> MonitoringCheck:
    """VOD signs at each dose and through the window after the last one."""
    vod_rule = c.rule("monitoring.vod_signs")
    days_after = vod_rule.integer("days_after_last_dose")
    window = None
    if doses:
        first = min(d.date for d in doses)
        window = (first, max(d.date for d in doses) + dt.timedelta(days=days_after))
    vod_note = f"Through {days_after} days after the last dose" + (
        ", and closely after the transplant." if doc.patient.hsct_planned else "."
    )
    due = [Due(d.date, f"at the {d.label}") for d in doses]
    return _make(c, "vod_signs", due, vod_note, window)


def monitoring_checks(
    doc: CourseDocument,
    doses: Sequence[DoseDate],
    qt_names: Sequence[str],
    c: Collector,
) -> list[MonitoringCheck]:
    """Each monitoring check with the dates it falls due in this course."""
    first = min(doses, key=lambda d: d.date) if doses else None
    lft_due = [Due(d.date, f"{side} the {d.label}") for d in doses for side in ("before", "after")]
    return [
        _make(c, "cbc", [Due(d.date, f"before the {d.label}") for d in doses]),
        _make(c, "lfts", lft_due),
        *_baseline_checks(doc, first, tuple(qt_names), c),
        *_tls_and_transplant(doc, doses, c),
        _make(c, "infusion_observation", [Due(d.date, f"after the {d.label}") for d in doses]),
        _make(c, "myelosuppression_signs", [Due(d.date, f"at the {d.label}") for d in doses]),
        _vod_signs(doc, doses, c),
    ]
