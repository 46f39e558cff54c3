"""Words of the pages: the engine's actions, order states, grades, checks and clocks.

The codes stay in the data and the JSON API; the pages show these words beside them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from inocds.entrypoints.web.forms import to_local
from inocds.protocol import schema
from inocds.protocol.loader import load_protocol
from inocds.services.records import ROLES

__all__ = [
    "ACTION_LABELS",
    "ACTION_SHORT",
    "BSA_FORMULA_OPTIONS",
    "CHECK_LABELS",
    "CTCAE_GRADES",
    "DAY_OPTIONS",
    "GRADE_OPTIONS",
    "LIMIT_LABELS",
    "MRD_OPTIONS",
    "ORDER_STATUS_LABELS",
    "ORDER_STATUS_SHORT",
    "RESPONSE_OPTIONS",
    "ROLE_OPTIONS",
    "SEX_OPTIONS",
    "SLOT_STATUS",
    "TOXICITY_LABELS",
    "VOD_LABELS",
    "Clock",
    "bedside_reminders",
    "counts_text",
    "event_summary",
    "labs_text",
    "plain_words",
    "time_left",
]

ACTION_LABELS = {
    "give": "Give the dose",
    "delay": "Delay the dose",
    "omit": "Skip this dose",
    "hold": "Hold: the next cycle may not start yet",
    "discontinue": "Stop treatment",
    "complete": "Course complete",
    "none_due": "No dose due",
}
"""The engine's actions in plain words (the action code is shown beside them)."""

ACTION_SHORT = {
    "give": "Give",
    "delay": "Delay",
    "omit": "Skip",
    "hold": "Hold",
    "discontinue": "Stop",
    "complete": "Complete",
    "none_due": "Nothing due",
}
"""The engine's actions in one word, for the worklist's rows."""

ORDER_STATUS_LABELS = {
    "signed": "Signed, awaiting pharmacist verification",
    "verified": "Verified, awaiting preparation",
    "prepared": "Prepared, awaiting administration",
    "administered": "Administered",
    "returned": "Returned for recalculation",
    "cancelled": "Cancelled",
}
ORDER_STATUS_SHORT = {
    "signed": "signed",
    "verified": "verified",
    "prepared": "prepared",
    "administered": "given",
    "returned": "returned",
    "cancelled": "cancelled",
}
"""The order status in one word, for one-line summaries."""

VOD_LABELS = {
    "prior_hsct": "Earlier stem cell transplant",
    "age_55_or_more": "Age 55 or older",
    "liver_disease": "Liver disease",
    "prior_vod": "Earlier VOD/SOS",
    "later_salvage_line": "Later salvage line",
    "hsct_planned": "Transplant planned",
    "cycles_more_than_2": "More than 2 cycles",
    "bilirubin_at_or_above_uln": "Bilirubin at or above the upper limit of normal",
}

TOXICITY_LABELS = {
    "nonhematologic": "Non-hematologic",
    "hepatic": "Liver (hepatic)",
    "infusion_reaction": "Infusion reaction",
    "vod": "VOD / sinusoidal obstruction syndrome",
    "bleeding": "Bleeding",
    "infection": "Infection",
}
assert set(TOXICITY_LABELS) == set(schema.TOXICITY_CATEGORIES)

CTCAE_GRADES = (
    (1, "Grade 1 — mild", "few or no symptoms; watching is enough"),
    (2, "Grade 2 — moderate", "limits some daily activities; simple treatment helps"),
    (3, "Grade 3 — severe", "disabling or needs a hospital stay, not yet life-threatening"),
    (4, "Grade 4 — life-threatening", "needs urgent intervention"),
    (5, "Grade 5 — death", "death related to the event"),
)
"""CTCAE grades with a short reminder of what each means (in our own words)."""
assert tuple(grade for grade, _, _ in CTCAE_GRADES) == schema.TOXICITY_GRADES

GRADE_OPTIONS = [(str(grade), title) for grade, title, _ in CTCAE_GRADES]
"""The grades as the options of a select (an infusion reaction's grade)."""

DAY_OPTIONS = [(str(day), f"Day {day}") for day in schema.dose_days()]
"""The regimen's dose days (regimen.* in rules.toml) as the options of a select."""


def _options(words: dict[str, str], values: tuple[str, ...]) -> list[tuple[str, str]]:
    """`(value, words)` in the data's order; the words must name exactly the data's values."""
    assert set(words) == set(values), (sorted(words), values)
    return [(value, words[value]) for value in values]


_BSA_FORMULA_WORDS = {
    "mosteller": "Mosteller",
    "dubois": "DuBois",
    "haycock": "Haycock",
    "gehan_george": "Gehan and George",
    "boyd": "Boyd",
}
BSA_FORMULA_OPTIONS = [
    (value, f"{words} (default)" if value == schema.DEFAULT_BSA_FORMULA else words)
    for value, words in _options(_BSA_FORMULA_WORDS, schema.BSA_FORMULAS)
]
RESPONSE_OPTIONS = _options(
    {
        "CR": "CR — complete remission",
        "CRi": "CRi — complete remission, incomplete count recovery",
        "none": "No CR or CRi",
    },
    schema.RESPONSE_STATUSES,
)
MRD_OPTIONS = _options({"negative": "Negative", "positive": "Positive"}, schema.MRD_RESULTS)
ROLE_OPTIONS = _options(
    {
        "physician": "Physician — orders, course events",
        "pharmacist": "Pharmacist — verification, preparation",
        "nurse": "Nurse — administration, labs, toxicities",
        "admin": "Administrator — accounts only",
    },
    ROLES,
)
SEX_OPTIONS = _options(
    {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}, schema.SEXES
)

CHECK_LABELS = {
    "cbc": "Blood count",
    "lfts": "Liver tests",
    "lfts_post_hsct": "Liver tests after a transplant",
    "ecg_electrolytes": "ECG and electrolytes",
    "pregnancy_test": "Pregnancy test",
    "hbv_screening": "Hepatitis B screening",
    "tls": "Tumour lysis labs",
    "tls_period": "Tumour lysis risk period",
    "infusion_observation": "Watching during and after the infusion",
    "vod_signs": "Signs of VOD",
    "dose_dates": "Dose dates",
}
"""The screen's monitoring checks in plain words."""

SLOT_STATUS = {
    "given": "Given",
    "late": "Given late",
    "omitted": "Omitted",
    "delayed": "Delayed",
    "due": "Due today",
    "pending": "Pending",
    "planned": "Planned",
}


@dataclass(frozen=True)
class Clock:
    """A beyond-use deadline and how long is left at `now`."""

    at: dt.datetime
    """The deadline, in the ward's zone."""
    left: str
    expired: bool
    urgent: bool
    """Less than an hour left."""


def time_left(deadline: dt.datetime, now: dt.datetime) -> Clock:
    """The time from `now` to `deadline` in words ("1 h 05 min left", "expired 3 min ago")."""
    at = to_local(deadline)
    seconds = int((at - now).total_seconds())
    minutes = abs(seconds) // 60
    hours, rest = divmod(minutes, 60)
    span = f"{hours} h {rest:02d} min" if hours else f"{rest} min"
    if seconds < 0:
        return Clock(at, f"expired {span} ago", True, True)
    return Clock(at, f"{span} left", False, seconds < 3600)


LIMIT_LABELS = {
    "reconstitution_to_dilution": "Dilute by",
    "reconstitution_to_end_of_infusion": "Infusion ends (limit from reconstitution)",
    "diluted_room_temperature": "Diluted solution at room temperature",
    "diluted_refrigerated": "Diluted solution in the refrigerator",
    "warm_up_before_start": "Warmed up, ready to start",
    "infusion_duration": "Infusion ends (start time + infusion length)",
}
"""The beyond-use limits of a preparation, named for the page."""

_PLAIN_WORDS = (
    (re.compile(r"\s*\((?:see )?prep\.[a-z_.]+\)"), ""),
    (
        re.compile(r"give diluted_at to put that limit on the clock"),
        "no dilution time was recorded, so that limit is not counted here: "
        "keep track of it from the moment of dilution",
    ),
    (re.compile(r"\bdiluted_at\b"), "the dilution time"),
    (re.compile(r"\b2-8 C\b"), "2–8 °C"),
    (re.compile(r"\b20-25 C\b"), "20–25 °C"),
)


def plain_words(text: str) -> str:
    """A worksheet note or limit message without internal field and rule names.

    The stored worksheet (and the JSON API) keeps the engine's wording; the page shows
    the rule as a link beside the text instead.
    """
    for pattern, words in _PLAIN_WORDS:
        text = pattern.sub(words, text)
    return text


def bedside_reminders() -> dict[str, Any]:
    """What the nurse does around the infusion: premedication before, observation after."""
    protocol = load_protocol()
    premedication = protocol["premedication"]
    observation = protocol["prep.observation"]
    agents = [f"{'an' if a[:1] in 'aeiou' else 'a'} {a}" for a in premedication.texts("agents")]
    return {
        "agents": list(premedication.texts("agents")),
        "agents_text": " and ".join(
            [", ".join(agents[:-1]), agents[-1]] if len(agents) > 1 else agents
        ),
        "minutes_before": premedication.integer("minutes_before"),
        "premedication_rule": premedication.id,
        "observation_minutes": observation.integer("observation_minutes"),
        "observation_rule": observation.id,
    }


def counts_text(payload: dict[str, Any]) -> str:
    """ "ANC 1,500/mm³, platelets 80,000/mm³" (the counts present)."""
    parts = []
    if payload.get("anc_per_mm3") is not None:
        parts.append(f"ANC {payload['anc_per_mm3']:,g}/mm³")
    if payload.get("platelets_per_mm3") is not None:
        parts.append(f"platelets {payload['platelets_per_mm3']:,g}/mm³")
    return ", ".join(parts)


def labs_text(payload: dict[str, Any]) -> str:
    """The values of a labs event in one line."""
    parts = [counts_text(payload)] if counts_text(payload) else []
    for key, label in (("bilirubin", "bilirubin"), ("ast", "AST"), ("alt", "ALT")):
        item = payload.get(key)
        if isinstance(item, dict):
            parts.append(f"{label} {item['value']:g} (ULN {item['uln']:g})")
    return ", ".join(parts)


def event_summary(payload: dict[str, Any]) -> str:
    """A course event in one line of plain words."""
    kind = payload.get("type")
    if kind == "dose":
        return (
            f"Cycle {payload.get('cycle')} day {payload.get('day')}: "
            f"{payload.get('dose_mg_per_m2')} mg/m² given"
        )
    if kind == "cycle_start":
        counts = counts_text(payload)
        return f"Cycle {payload.get('cycle')} started" + (f" ({counts})" if counts else "")
    if kind == "labs":
        return "Labs: " + (labs_text(payload) or "no values")
    if kind == "toxicity":
        category = TOXICITY_LABELS.get(str(payload.get("category")), payload.get("category"))
        name = f" — {payload['name']}" if payload.get("name") else ""
        resolved = payload.get("resolved")
        end = f", resolved {resolved}" if resolved else ", not resolved"
        return f"Toxicity: {category}{name}, grade {payload.get('grade')}{end}"
    if kind == "response":
        mrd = f", MRD {payload['mrd']}" if payload.get("mrd") else ""
        return f"Response: {payload.get('status')}{mrd}"
    if kind == "discontinued":
        reason = f": {payload['reason']}" if payload.get("reason") else ""
        return f"Treatment stopped{reason}"
    return str(kind)
