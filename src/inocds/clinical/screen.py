"""The safety screen of a patient (`inocds screen`).

`screen_course(doc)` is pure: from a validated course document it derives drug
interactions, VOD risk factors, the monitoring calendar, the reproductive
windows, the need for cytoreduction, the premedication, the eligibility
criteria and the source conflicts, each with the rules that shaped it.
`run_screen(raw)` validates the JSON request first and returns the JSON answer.

Every number comes from the protocol files (screen.toml, rules.toml); the
source disagreements from conflicts.toml.
"""

from __future__ import annotations

import calendar
import datetime as dt
import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inocds.clinical.documents import CourseDocument, LabValue, parse_course
from inocds.clinical.reasons import Reason
from inocds.protocol.conflicts import Conflict, load_conflicts
from inocds.protocol.loader import Protocol, Rule, load_protocol

__all__ = [
    "DIAGNOSIS_CRITERIA",
    "MONITORING_CHECKS",
    "VOD_FACTORS",
    "DoseDate",
    "MonitoringCheck",
    "Reason",
    "ScreenResult",
    "add_months",
    "age_in_years",
    "run_screen",
    "screen_course",
]

VOD_FACTORS = (
    "prior_hsct",
    "age_55_or_more",
    "liver_disease",
    "prior_vod",
    "later_salvage_line",
    "hsct_planned",
    "cycles_more_than_2",
    "bilirubin_at_or_above_uln",
)
"""The contract's VOD risk factor ids, in the contract's order."""

MONITORING_CHECKS = (
    "cbc",
    "lfts",
    "ecg_electrolytes",
    "pregnancy_test",
    "hbv_screening",
    "tls",
    "lfts_post_hsct",
    "infusion_observation",
    "vod_signs",
)

DIAGNOSIS_CRITERIA = ("cd22_positive", "b_cell_precursor_all", "relapsed_or_refractory")
_CRITERION_LABELS = {
    "cd22_positive": "CD22-positive blasts",
    "b_cell_precursor_all": "B-cell precursor ALL",
    "relapsed_or_refractory": "relapsed or refractory disease",
}

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"


# ------------------------------------------------------------------ values


@dataclass(frozen=True)
class DoseDate:
    """A dose the checks are tied to: recorded, or planned by the course engine."""

    date: dt.date
    cycle: int | None
    day: int | None
    recorded: bool

    @property
    def label(self) -> str:
        """E.g. `recorded dose, cycle 1 day 8`."""
        kind = "recorded dose" if self.recorded else "planned dose"
        if self.cycle is None:
            return kind
        day = f" day {self.day}" if self.day is not None else ""
        return f"{kind}, cycle {self.cycle}{day}"


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

    def to_dict(self) -> dict[str, Any]:
        """JSON form: `due` is the sorted list of distinct dates; `due_details` says why."""
        dates = sorted({d.date for d in self.due})
        out: dict[str, Any] = {
            "check": self.check,
            "rule": self.rule,
            "when": self.when,
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

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON answer (with this project's extra fields)."""
        return {
            "interactions": [dict(i) for i in self.interactions],
            "unmatched": list(self.unmatched),
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


# ------------------------------------------------------------------ date arithmetic


def add_months(date: dt.date, months: int) -> dt.date:
    """`date` plus whole calendar months, the day clamped to the target month's end."""
    index = date.month - 1 + months
    year, month = date.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def age_in_years(birth: dt.date, on: dt.date) -> int:
    """Completed years of age on a date (a 29 February birthday counts from 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# ------------------------------------------------------------------ helpers


class _Collector:
    """Gathers reasons in the order rules are applied."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.reasons: list[Reason] = []

    def rule(self, rule_id: str) -> Rule:
        return self.protocol[rule_id]

    def add(self, rule_id: str, message: str) -> Reason:
        reason = Reason(rule_id, message, self.protocol[rule_id].source)
        self.reasons.append(reason)
        return reason


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _planned_doses(doc: CourseDocument, plan: Any = None) -> list[DoseDate]:
    """The doses the course engine plans next (`plan`, when the caller has it)."""
    try:
        if plan is None:
            plan = importlib.import_module("inocds.clinical.plan").plan_course(doc)
        planned: list[DoseDate] = []
        for dose in getattr(plan, "doses", None) or ():
            date = dose.date
            if isinstance(date, str):
                date = dt.date.fromisoformat(date)
            if not isinstance(date, dt.date):
                continue
            cycle = getattr(dose, "cycle", None) or getattr(plan, "cycle", None)
            day = getattr(dose, "day", None)
            planned.append(
                DoseDate(
                    date=date,
                    cycle=cycle if isinstance(cycle, int) else None,
                    day=day if isinstance(day, int) else None,
                    recorded=False,
                )
            )
        return planned
    except (ImportError, AttributeError):
        return []


def _current_cycle_rest(doc: CourseDocument, c: _Collector) -> list[DoseDate]:
    """The not-yet-recorded days of the cycle in progress, at their nominal dates.

    The course engine's plan covers the next cycle only; the rest of the current
    one is dated here as cycle start + day - 1, kept while its window is open.
    """
    starts = {e.cycle: e.date for e in doc.of_type("cycle_start") if e.cycle is not None}
    for e in doc.of_type("dose"):
        if e.cycle is not None and e.day == 1:
            starts.setdefault(e.cycle, e.date)
    if not starts:
        return []
    cycle = max(starts)
    start = starts[cycle]
    given = {e.day for e in doc.of_type("dose") if e.cycle == cycle}
    window = dt.timedelta(days=c.rule("schedule.window").integer("window_days"))
    days = [day for day, _ in c.rule("regimen.cycle1").day_doses()]
    rest: list[DoseDate] = []
    for day in days:
        nominal = start + dt.timedelta(days=day - 1)
        if day not in given and nominal + window >= doc.today.date:
            rest.append(DoseDate(nominal, cycle, day, False))
    return rest


def _dose_dates(doc: CourseDocument, c: _Collector, plan: Any = None) -> tuple[DoseDate, ...]:
    """Recorded doses, then the rest of the current cycle and the planned next cycle."""
    recorded = [DoseDate(e.date, e.cycle, e.day, True) for e in doc.of_type("dose")]
    if doc.of_type("discontinued"):
        return tuple(recorded)
    known = {(d.cycle, d.day) for d in recorded}
    ahead: list[DoseDate] = []
    for d in [*_current_cycle_rest(doc, c), *_planned_doses(doc, plan)]:
        if (d.cycle, d.day) not in known:
            known.add((d.cycle, d.day))
            ahead.append(d)
    if not recorded and not ahead:
        ahead = [DoseDate(doc.today.date, 1, 1, False)]
    first_due = "" if recorded else f" (the first on {min(d.date for d in ahead)})"
    c.add(
        "monitoring.dose_dates",
        f"{len(recorded)} recorded dose(s) and {len(ahead)} ahead{first_due}.",
    )
    return tuple(recorded) + tuple(sorted(ahead, key=lambda d: d.date))


def _latest_bilirubin(doc: CourseDocument) -> tuple[LabValue, str] | None:
    """Today's bilirubin, else the latest lab event's, else the pretreatment value."""
    if doc.today.labs.bilirubin is not None:
        return doc.today.labs.bilirubin, f"today ({doc.today.date})"
    for event in reversed(doc.events):
        if event.labs is not None and event.labs.bilirubin is not None:
            return event.labs.bilirubin, f"lab event of {event.date}"
    if doc.patient.pretreatment.bilirubin is not None:
        return doc.patient.pretreatment.bilirubin, "pretreatment"
    return None


# ------------------------------------------------------------------ sections


def _interactions(
    doc: CourseDocument, c: _Collector
) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    names = list(doc.patient.medications)
    if not names:
        return [], [], []
    from inocds.clinical.interactions import match_medications
    from inocds.protocol.interactions import load_interactions

    result = match_medications(names, load_interactions())
    hits = [dict(hit.to_dict()) for hit in result.interactions]
    unmatched = [str(name) for name in result.unmatched]
    if hits:
        found = ", ".join(sorted({f"{h.get('drug')} (risk {h.get('risk')})" for h in hits}))
        c.add("screen.interactions", f"Interacting medication(s): {found}.")
    if unmatched:
        c.add(
            "screen.interactions",
            f"Not in the interaction table (not proof of safety): {', '.join(unmatched)}.",
        )
    listed = [dict(hit.to_dict()) for hit in result.listed_only]
    if listed:
        shown = ", ".join(f"{h.get('drug')} ({h.get('listed_in')})" for h in listed)
        c.add(
            "screen.interactions",
            f"Named only in the patient monograph's lists, without a risk rating: {shown}.",
        )
    return hits, unmatched, listed


def _vod(
    doc: CourseDocument, c: _Collector
) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    p = doc.patient
    found: dict[str, str] = {}
    unknown: dict[str, str] = {}

    if p.prior_hsct:
        found["prior_hsct"] = "The patient has had a stem cell transplant before."

    age_rule = c.rule("vod.age_55_or_more")
    age = age_in_years(p.birth_date, doc.today.date)
    line = age_rule.integer("age_years")
    if age >= line:
        found["age_55_or_more"] = f"Age {age} years on {doc.today.date} (at least {line})."

    if p.liver_disease:
        found["liver_disease"] = "Ongoing or past liver disease is recorded."

    course_vod = [e for e in doc.of_type("toxicity") if e.category == "vod"]
    if p.prior_vod:
        found["prior_vod"] = "A previous episode of VOD is recorded."
    elif course_vod or doc.today.vod:
        when = course_vod[0].date if course_vod else doc.today.date
        found["prior_vod"] = f"VOD recorded during this course ({when})."

    salvage_rule = c.rule("vod.later_salvage_line")
    min_line = salvage_rule.integer("min_salvage_line")
    if p.salvage_line is None:
        unknown["later_salvage_line"] = "Salvage line not recorded."
    elif p.salvage_line >= min_line:
        found["later_salvage_line"] = f"Salvage line {p.salvage_line} (at least {min_line})."

    if p.hsct_planned:
        found["hsct_planned"] = (
            "A stem cell transplant is planned after this drug: keep to 2 cycles before it "
            "and avoid conditioning with two alkylating agents (003 also names thiotepa)."
        )

    cycles_rule = c.rule("vod.cycles_more_than_2")
    limit = cycles_rule.integer("max_cycles_without_flag")
    cycles = {e.cycle for e in doc.events if e.type in ("cycle_start", "dose") and e.cycle}
    highest = max(cycles, default=0)
    if highest > limit:
        found["cycles_more_than_2"] = f"Cycle {highest} has been started (more than {limit})."

    bili_rule = c.rule("vod.bilirubin_at_or_above_uln")
    factor = bili_rule.number("bilirubin_x_uln")
    latest = _latest_bilirubin(doc)
    if latest is None:
        unknown["bilirubin_at_or_above_uln"] = "No bilirubin on record."
    else:
        lab, where = latest
        if lab.value >= factor * lab.uln:
            found["bilirubin_at_or_above_uln"] = (
                f"Latest bilirubin ({where}) {_fmt(lab.value)} with ULN {_fmt(lab.uln)}: "
                f"at or above {factor:g} x ULN."
            )

    ids = [f for f in VOD_FACTORS if f in found]
    details: list[dict[str, Any]] = []
    for factor_id in ids:
        reason = c.add(f"vod.{factor_id}", found[factor_id])
        details.append({"id": factor_id, **reason.to_dict()})
    unknown_details = [
        {
            "id": factor_id,
            "rule": f"vod.{factor_id}",
            "message": unknown[factor_id],
            "source": c.rule(f"vod.{factor_id}").source,
        }
        for factor_id in VOD_FACTORS
        if factor_id in unknown
    ]
    return ids, details, unknown_details


def _pregnancy_relevant(doc: CourseDocument) -> bool | None:
    """True if the patient can become pregnant, None if it is not recorded for a non-male."""
    p = doc.patient
    if p.can_become_pregnant is not None:
        return p.can_become_pregnant
    return None if p.sex != "male" else False


def _monitoring(
    doc: CourseDocument,
    doses: Sequence[DoseDate],
    hits: Iterable[Mapping[str, Any]],
    c: _Collector,
) -> list[MonitoringCheck]:
    checks: list[MonitoringCheck] = []
    first = min(doses, key=lambda d: d.date) if doses else None
    last_date = max((d.date for d in doses), default=None)

    def make(
        name: str,
        due: Iterable[Due],
        note: str | None = None,
        window: tuple[dt.date, dt.date] | None = None,
        triggered_by: tuple[str, ...] = (),
    ) -> MonitoringCheck:
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
        )
        dates = ", ".join(sorted({d.date.isoformat() for d in due_t})) or "no date in this course"
        when = rule.text("when")
        c.add(rule.id, f"{when[:1].upper()}{when[1:]}: {dates}.")
        return check

    every_dose = [Due(d.date, f"before the {d.label}") for d in doses]
    checks.append(make("cbc", every_dose))
    checks.append(
        make(
            "lfts",
            [Due(d.date, f"{side} the {d.label}") for d in doses for side in ("before", "after")],
        )
    )

    baseline = [Due(first.date, f"baseline, before the {first.label}")] if first else []
    qt_drugs = tuple(
        sorted(
            {
                str(h.get("drug"))
                for h in hits
                if "qt" in f"{h.get('effect', '')} {h.get('management', '')}".lower()
            }
        )
    )
    ecg_note = "Repeat periodically during treatment as clinically indicated."
    if qt_drugs:
        ecg_note += (
            f" QTc-prolonging medication on the list ({', '.join(qt_drugs)}): repeat the ECG "
            "and electrolytes after it is started."
        )
    checks.append(make("ecg_electrolytes", baseline, note=ecg_note, triggered_by=qt_drugs))

    pregnancy = _pregnancy_relevant(doc)
    if pregnancy is not False:
        note = None
        if pregnancy is None:
            note = "Whether the patient can become pregnant is not recorded; check it."
        checks.append(make("pregnancy_test", baseline, note=note))
        c.add(
            "reproductive.pregnancy_test",
            "Pregnancy status is to be confirmed before treatment.",
        )

    checks.append(make("hbv_screening", baseline))

    risk_cycles = set(c.rule("monitoring.tls_period").integers("risk_cycles"))
    tls_due = [Due(d.date, f"at the {d.label}") for d in doses if d.cycle in risk_cycles]
    c.add(
        "monitoring.tls_period",
        f"Tumour lysis risk period taken as cycle(s) {', '.join(map(str, sorted(risk_cycles)))}.",
    )
    checks.append(make("tls", tls_due))

    if doc.patient.hsct_planned:
        post = c.rule("monitoring.lfts_post_hsct")
        checks.append(
            make(
                "lfts_post_hsct",
                [],
                note=(
                    f"Every {post.integer('interval_days')} days or sooner for "
                    f"{post.integer('period_months')} month(s) from the transplant date, which "
                    "the course document does not give."
                ),
            )
        )

    checks.append(
        make("infusion_observation", [Due(d.date, f"after the {d.label}") for d in doses])
    )

    vod_rule = c.rule("monitoring.vod_signs")
    window = None
    if first is not None and last_date is not None:
        window = (
            first.date,
            last_date + dt.timedelta(days=vod_rule.integer("days_after_last_dose")),
        )
    vod_note = f"Through {vod_rule.integer('days_after_last_dose')} days after the last dose" + (
        ", and closely after the transplant." if doc.patient.hsct_planned else "."
    )
    checks.append(
        make("vod_signs", [Due(d.date, f"at the {d.label}") for d in doses], vod_note, window)
    )
    return checks


def _reproductive(doc: CourseDocument, c: _Collector) -> dict[str, Any]:
    """Contraception and breastfeeding windows from the last recorded dose."""
    p = doc.patient
    last = max((e.date for e in doc.of_type("dose")), default=None)
    pregnancy = _pregnancy_relevant(doc)
    female_rule = c.rule("reproductive.contraception_female")
    milk_rule = c.rule("reproductive.breastfeeding")

    contraception: list[tuple[Rule, str]] = []
    notes: list[str] = []
    if pregnancy is True:
        contraception.append((female_rule, "the patient can become pregnant"))
    elif pregnancy is None and p.sex == "female":
        contraception.append((female_rule, "pregnancy potential not recorded"))
        notes.append(
            f"Pregnancy potential is not recorded: the "
            f"{female_rule.integer('months_after_last_dose')}-month window is shown as if the "
            "patient could become pregnant."
        )
    elif pregnancy is None:
        notes.append(
            "Sex and pregnancy potential do not settle which contraception window applies."
        )
    if p.sex == "male":
        contraception.append(
            (
                c.rule("reproductive.contraception_male"),
                "male patient; partner could become pregnant",
            )
        )
    breastfeeding = p.sex == "female" or pregnancy is True

    out: dict[str, Any] = {
        "contraception_until": None,
        "no_breastfeeding_until": None,
        "last_dose_date": last.isoformat() if last else None,
        "contraception_rule": None,
        "breastfeeding_rule": milk_rule.id if breastfeeding else None,
        "note": None,
    }
    if last is None:
        if contraception or breastfeeding:
            notes.insert(
                0,
                "No dose given yet: the windows are counted from the last dose; contraception "
                "(and no breastfeeding) already apply from the first dose.",
            )
        for rule, why in contraception:
            c.add(rule.id, f"Applies ({why}); no dose given yet.")
        if breastfeeding:
            c.add(milk_rule.id, "Applies; no dose given yet.")
        out["note"] = " ".join(notes) or None
        return out

    windows = [
        (add_months(last, rule.integer("months_after_last_dose")), rule, why)
        for rule, why in contraception
    ]
    if windows:
        until, rule, why = max(windows, key=lambda w: w[0])
        out["contraception_until"] = until.isoformat()
        out["contraception_rule"] = rule.id
        c.add(
            rule.id,
            f"Contraception until {until}: {rule.integer('months_after_last_dose')} months after "
            f"the last dose of {last} ({why}).",
        )
    if breastfeeding:
        until = add_months(last, milk_rule.integer("months_after_last_dose"))
        out["no_breastfeeding_until"] = until.isoformat()
        c.add(
            milk_rule.id,
            f"No breastfeeding until {until}: {milk_rule.integer('months_after_last_dose')} "
            f"months after the last dose of {last}.",
        )
    if windows or breastfeeding:
        c.add(
            "reproductive.window_arithmetic",
            "Calendar months from the last dose, the day clamped to the month's end.",
        )
    out["note"] = " ".join(notes) or None
    return out


def _cytoreduction(doc: CourseDocument, c: _Collector) -> tuple[bool, dict[str, Any]]:
    rule = c.rule("cytoreduction")
    limit = rule.number("max_peripheral_blasts_per_mm3")
    blasts = doc.patient.pretreatment_blasts_per_mm3
    if blasts is None:
        required = False
        message = (
            "Pretreatment peripheral blast count not recorded; check it before the first dose."
        )
    else:
        required = blasts > limit
        verdict = "above" if required else "not above"
        message = (
            f"Pretreatment peripheral blasts {_fmt(blasts)}/mm3, {verdict} {_fmt(limit)}/mm3"
            + (": cytoreduce before the first dose." if required else ".")
        )
    c.add(rule.id, message)
    return required, {
        "rule": rule.id,
        "peripheral_blasts_per_mm3": blasts,
        "max_peripheral_blasts_per_mm3": limit,
        "message": message,
        "source": rule.source,
    }


def _premedication(doc: CourseDocument, c: _Collector) -> tuple[list[str], dict[str, Any]]:
    rule = c.rule("premedication")
    agents = list(rule.texts("agents"))
    adult_age = c.rule("eligibility.age").integer("eu_min_age_years")
    age = age_in_years(doc.patient.birth_date, doc.today.date)
    details: dict[str, Any] = {
        "rule": rule.id,
        "agents": agents,
        "timing": "before each dose",
        "minutes_before": rule.integer("minutes_before"),
        "minutes_before_note": "The lead time is from 003 only (see premedication.timing).",
        "pediatric": None,
        "source": rule.source,
    }
    c.add(rule.id, f"Before each dose: {', '.join(agents)}.")
    if age < adult_age:
        per_kg = rule.number("pediatric_methylprednisolone_mg_per_kg")
        cap = rule.number("pediatric_methylprednisolone_max_mg")
        dose_mg = round(min(per_kg * doc.patient.weight_kg, cap), 2)
        details["pediatric"] = {
            "agent": "methylprednisolone",
            "mg_per_kg": per_kg,
            "max_mg": cap,
            "dose_mg": dose_mg,
        }
        c.add(
            "premedication.pediatric_age",
            f"Age {age} years (under {adult_age}): methylprednisolone {per_kg:g} mg/kg x "
            f"{doc.patient.weight_kg:g} kg, at most {cap:g} mg = {dose_mg:g} mg.",
        )
    return agents, details


def _eligibility(doc: CourseDocument, c: _Collector) -> dict[str, Any]:
    out: dict[str, Any] = {}
    details: list[dict[str, Any]] = []
    for name in DIAGNOSIS_CRITERIA:
        value = doc.patient.diagnosis.get(name)
        status = UNKNOWN if value is None else MET if value else NOT_MET
        out[name] = status
        shown = "not recorded" if value is None else status.replace("_", " ")
        reason = c.add(f"eligibility.{name}", f"{_CRITERION_LABELS[name]}: {shown}.")
        details.append({"criterion": name, "status": status, **reason.to_dict()})
    rule = c.rule("eligibility.age")
    age = age_in_years(doc.patient.birth_date, doc.today.date)
    us_min, eu_min = rule.integer("us_min_age_years"), rule.integer("eu_min_age_years")
    out["age_years"] = age
    out["age_us"] = MET if age >= us_min else NOT_MET
    out["age_eu"] = MET if age >= eu_min else NOT_MET
    reason = c.add(
        rule.id,
        f"Age {age} years: US (from {us_min} year) {out['age_us'].replace('_', ' ')}; "
        f"EU (from {eu_min} years) {out['age_eu'].replace('_', ' ')}.",
    )
    details.append(
        {
            "criterion": "age",
            "status": {"us": out["age_us"], "eu": out["age_eu"]},
            **reason.to_dict(),
        }
    )

    def overall(age_status: str) -> str:
        statuses = [out[n] for n in DIAGNOSIS_CRITERIA] + [age_status]
        if NOT_MET in statuses:
            return NOT_MET
        return UNKNOWN if UNKNOWN in statuses else MET

    out["overall_us"] = overall(out["age_us"])
    out["overall_eu"] = overall(out["age_eu"])
    out["details"] = details
    return out


# ------------------------------------------------------------------ entry points


def screen_course(doc: CourseDocument, plan: Any = None) -> ScreenResult:
    """The safety screen of a validated course document (pure); `plan` is the engine's
    `CyclePlan` of the course when the caller has it (else it is computed here)."""
    c = _Collector(load_protocol())
    hits, unmatched, listed_only = _interactions(doc, c)
    vod_ids, vod_details, vod_unknown = _vod(doc, c)
    doses = _dose_dates(doc, c, plan)
    monitoring = _monitoring(doc, doses, hits, c)
    reproductive = _reproductive(doc, c)
    cytoreduction, cyto_details = _cytoreduction(doc, c)
    premedication, premed_details = _premedication(doc, c)
    eligibility = _eligibility(doc, c)
    return ScreenResult(
        interactions=tuple(hits),
        unmatched=tuple(unmatched),
        listed_only=tuple(listed_only),
        vod_risk_factors=tuple(vod_ids),
        vod_risk_details=tuple(vod_details),
        vod_risk_unknown=tuple(vod_unknown),
        monitoring=tuple(monitoring),
        reproductive=reproductive,
        cytoreduction_required=cytoreduction,
        cytoreduction_details=cyto_details,
        premedication=tuple(premedication),
        premedication_details=premed_details,
        eligibility=eligibility,
        source_conflicts=load_conflicts(),
        reasons=tuple(c.reasons),
        dose_dates=doses,
    )


def run_screen(raw: Any) -> dict[str, Any]:
    """Validates the course document and returns the screen's JSON answer."""
    return screen_course(parse_course(raw)).to_dict()
