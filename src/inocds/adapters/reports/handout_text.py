"""The handout's sections about the treatment itself: what it is, the dates, what to
report at once (the urgent box), pregnancy and breastfeeding, and who to call; and
`sections(...)`, the whole handout in reading order (with `handout_care`).

Plain words, short sentences, US spelling; a reading grade under 8 (a unit test
computes the Flesch-Kincaid grade). Dates come from `schedule.dose_schedule`: the
engine's plan for the next cycle and `assess` for the dose due, never recomputed.
Under 18 (eligibility.age, eu_min_age_years) the handout speaks to the parent or
guardian.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from inocds.adapters.reports.handout_care import (
    Block,
    Section,
    all_care_sections,
    for_the_guardian,
)
from inocds.adapters.reports.schedule import ScheduledDose, dose_schedule
from inocds.protocol.loader import load_protocol

__all__ = ["Section", "sections", "today_of"]


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _long(value: dt.date) -> str:
    """`Monday, May 11, 2026` (US order)."""
    return f"{value.strftime('%A')}, {value.strftime('%B')} {value.day}, {value.year}"


def _today(document: Mapping[str, Any]) -> dt.date:
    today = document.get("today")
    found = _date(today.get("date")) if isinstance(today, Mapping) else None
    return found or dt.date.today()


def _weeks(days: int) -> str:
    return f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"


def _about() -> Section:
    protocol = load_protocol()
    minutes = protocol["prep.infusion"].integer("infusion_minutes")
    watch = protocol["prep.observation"].integer("observation_minutes")
    hours = "1 hour" if minutes == 60 else f"{minutes} minutes"
    stay = "1 hour" if watch == 60 else f"{watch} minutes"
    return Section(
        "What is this treatment?",
        [
            (
                "p",
                "Your medicine is called inotuzumab ozogamicin. Its brand name is Besponsa. "
                "It treats a type of blood cancer called acute lymphoblastic leukemia (ALL).",
            ),
            (
                "p",
                "The medicine is an antibody joined to a strong cancer drug. The antibody "
                "looks for a marker called CD22 on the leukemia cells. It sticks to these "
                "cells and carries the drug inside them, where it kills them.",
            ),
            (
                "p",
                f"A nurse gives it to you in hospital as a drip into a vein (an infusion). "
                f"Each infusion takes about {hours}. You will be asked to stay for at least "
                f"{stay} afterwards, so the team can check you are well.",
            ),
            (
                "p",
                "Before each infusion you will get medicines to lower the chance of a "
                "reaction: a steroid, a medicine for fever and an allergy medicine.",
            ),
            (
                "p",
                "Treatment is given in rounds called cycles. A cycle lasts 3 or 4 weeks. "
                "In most cycles you have a dose on day 1, day 8 and day 15. Your dose depends "
                "on your height and weight. You will have blood tests before every dose.",
            ),
        ],
    )


def _schedule(
    document: Mapping[str, Any], plan: Mapping[str, Any] | None, screen: Mapping[str, Any]
) -> Section:
    today = _today(document)
    doses = dose_schedule(document, plan)
    ahead = [d for d in doses if not d.given and (d.latest or d.date) >= today]
    given = [d for d in doses if d.given]
    section = Section("Your treatment dates")
    if _waiting_for_cytoreduction(document, screen):
        section.blocks.append(
            (
                "strong",
                "Your first dose does not have a date yet. First, other medicines will "
                "lower the number of leukemia cells in your blood.",
            )
        )
        section.blocks.append(
            ("p", "Your care team will check your blood and tell you the date of your first dose.")
        )
    elif ahead:
        section.blocks.append(
            (
                "p",
                "These are your next planned doses. A date can move by a day or two, or "
                "be put off, depending on your blood tests and how you are. Your care "
                "team will tell you if a date changes.",
            )
        )
        section.blocks.append(("table", (("Date", "Which dose", "Can move to"), _rows(ahead))))
    else:
        section.blocks.append(
            ("p", "No further doses are planned at the moment. Your care team will tell you.")
        )
    if given:
        last = given[-1]
        section.blocks.append(
            (
                "p",
                f"You have had {len(given)} dose{'s' if len(given) != 1 else ''} so far. "
                f"Your most recent dose was on {_long(last.date)}.",
            )
        )
    return section


def _rows(doses: Sequence[ScheduledDose]) -> list[tuple[str, str, str]]:
    rows = []
    for dose in doses:
        window = "-"
        if dose.earliest and dose.latest and dose.earliest != dose.latest:
            window = f"{_long(dose.earliest)} to {_long(dose.latest)}"
        rows.append((_long(dose.date), dose.label.capitalize(), window))
    return rows


def _symptoms(minor: bool = False) -> Section:
    days = load_protocol()["monitoring.vod_signs"].integer("days_after_last_dose")
    return Section(
        "Call your care team straight away if your child has"
        if minor
        else "Call your care team straight away if you have",
        [
            (
                "strong",
                "Do not wait until your next visit. Call at any time of day or night.",
            ),
            (
                "list",
                [
                    "Fever, chills or shaking, or you suddenly feel very unwell. This treatment "
                    "makes infections more likely and they can become serious quickly.",
                    "Signs of infection such as a sore throat, a cough, or pain or burning "
                    "when you pass urine.",
                    "Bleeding or bruising: nosebleeds or bleeding gums that do not stop, blood "
                    "in your urine or stools, black stools, tiny red or purple spots on your "
                    "skin, bruises you cannot explain, or heavier periods than usual.",
                    "Yellow skin or yellow whites of the eyes, dark urine or pale stools.",
                    "Pain or swelling in your belly, especially on the right side under the ribs.",
                    "Sudden weight gain, or your belly or legs swelling up.",
                    "A fast, pounding or uneven heartbeat, dizziness or fainting.",
                ],
            ),
            (
                "p",
                "During or soon after an infusion, tell the nurse at once if you have fever, "
                "chills, a rash or itching, trouble breathing, or feel dizzy or faint.",
            ),
            (
                "p",
                "This medicine can cause a serious liver problem (called VOD) in which the "
                "small blood vessels of the liver get blocked. It is more likely after a stem "
                "cell transplant. Keep watching for yellow skin or eyes, belly pain or "
                "swelling and sudden weight gain during treatment, after any transplant, and "
                f"for at least {_weeks(days)} after your last dose.",
            ),
        ],
        urgent=True,
    )


def _reproductive(document: Mapping[str, Any], screen: Mapping[str, Any]) -> Section | None:
    repro = screen.get("reproductive") if isinstance(screen, Mapping) else None
    repro = repro if isinstance(repro, Mapping) else {}
    patient = document.get("patient")
    patient = patient if isinstance(patient, Mapping) else {}
    sex = patient.get("sex")
    rule = _contraception_rule(repro, patient)
    breastfeeding = repro.get("breastfeeding_rule") is not None or sex == "female"
    if rule is None and not breastfeeding:
        return None
    section = Section("Pregnancy, birth control and breastfeeding")
    section.blocks.append(
        ("p", "This medicine can harm an unborn baby. Pregnancy must be avoided.")
    )
    if rule is not None:
        section.blocks.extend(_contraception(rule, _date(repro.get("contraception_until"))))
    if breastfeeding:
        section.blocks.append(_no_breastfeeding(_date(repro.get("no_breastfeeding_until"))))
    section.blocks.extend(_counted_from(repro))
    return section


def _contraception_rule(repro: Mapping[str, Any], patient: Mapping[str, Any]) -> str | None:
    """The screen's contraception rule; without a screen, the one the patient's sex implies."""
    rule = repro.get("contraception_rule")
    if rule is None:
        sex = patient.get("sex")
        pregnant_possible = patient.get("can_become_pregnant")
        if pregnant_possible is True or (pregnant_possible is None and sex == "female"):
            rule = "reproductive.contraception_female"
        elif sex == "male":
            rule = "reproductive.contraception_male"
    return rule


def _contraception(rule: str, until: dt.date | None) -> list[Block]:
    """Birth control during treatment and for the rule's months after the last dose."""
    months = load_protocol()[rule].integer("months_after_last_dose")
    after = f"{months} months after your last dose"
    if rule == "reproductive.contraception_male":
        who = "If your partner could become pregnant, use effective birth control"
    else:
        who = "If you could become pregnant, use effective birth control"
    if until is not None:
        blocks: list[Block] = [
            ("strong", f"{who} during treatment and until at least {_long(until)} ({after}).")
        ]
    else:
        blocks = [("strong", f"{who} during treatment and for {after}.")]
    if rule != "reproductive.contraception_male":
        blocks.append(
            (
                "p",
                "You may have a pregnancy test before you start. If you think you might "
                "be pregnant, tell your care team straight away.",
            )
        )
    else:
        blocks.append(("p", "If your partner becomes pregnant, tell your care team straight away."))
    return blocks


def _no_breastfeeding(milk_until: dt.date | None) -> Block:
    """No breastfeeding during treatment and for the months after the last dose."""
    months = load_protocol()["reproductive.breastfeeding"].integer("months_after_last_dose")
    after = f"{months} months after your last dose"
    if milk_until is not None:
        text = f"Do not breastfeed during treatment and until at least {_long(milk_until)}"
        return ("strong", f"{text} ({after}).")
    return ("strong", f"Do not breastfeed during treatment and for {after}.")


def _counted_from(repro: Mapping[str, Any]) -> list[Block]:
    """Which dose the dates count from, and whether a later dose moves them."""
    counted = _date(repro.get("counted_from")) or _date(repro.get("last_dose_date"))
    if counted is not None and repro.get("basis") == "last_planned_dose":
        return [
            (
                "p",
                f"These dates count from your last planned dose, on {_long(counted)}. If your "
                "treatment goes on longer or changes, they move later; ask your care team.",
            )
        ]
    if counted is not None:
        return [
            (
                "p",
                f"These dates count from your most recent dose, on {_long(counted)}. Each new "
                "dose moves them later; ask your care team for the new dates.",
            )
        ]
    return []


def _contacts(contacts: Sequence[tuple[str, str]] | None) -> Section:
    if contacts:
        return Section("Who to call", [("list", [f"{who}: {how}" for who, how in contacts])])
    return Section(
        "Who to call",
        [
            ("p", "Your care team will write their numbers here:"),
            (
                "blanks",
                [
                    "Your treatment unit",
                    "Phone (daytime)",
                    "Phone (evenings, nights and weekends)",
                ],
            ),
            (
                "p",
                "If you cannot reach anyone and you feel very unwell, call the emergency services.",
            ),
        ],
    )


def today_of(document: Mapping[str, Any]) -> dt.date:
    """The document's today."""
    return _today(document)


def _waiting_for_cytoreduction(document: Mapping[str, Any], screen: Mapping[str, Any]) -> bool:
    """No dose yet and the blast count must come down first: no date is set."""
    given = any(
        isinstance(e, Mapping) and e.get("type") == "dose" for e in document.get("events") or ()
    )
    return not given and bool(screen.get("cytoreduction_required"))


def is_minor(patient: Mapping[str, Any] | None) -> bool:
    """Younger than the adult age of the EU indication (eligibility.age)."""
    age = (patient or {}).get("age_years")
    adult = load_protocol()["eligibility.age"].integer("eu_min_age_years")
    return isinstance(age, int) and age < adult


def sections(
    document: Mapping[str, Any],
    screen: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    contacts: Sequence[tuple[str, str]] | None,
    patient: Mapping[str, Any] | None = None,
) -> list[Section]:
    """Every section of the handout, in reading order."""
    found: list[Section] = []
    minor = is_minor(patient)
    if minor:
        found.append(for_the_guardian(str((patient or {}).get("given_name") or "")))
    found += [_about(), _schedule(document, plan, screen), _symptoms(minor)]
    found += all_care_sections(patient, screen)
    reproductive = _reproductive(document, screen)
    if reproductive is not None:
        found.append(reproductive)
    found.append(_contacts(contacts))
    return found
