"""A plain-language handout for the patient: the treatment, the dates, what to report.

Written for a patient leaflet (short sentences, everyday words) in the project's own
words, from the facts of the patient-facing sources (001, 002): what the medicine
is and how it is given, the dates of the doses (`schedule.dose_schedule`), the
symptoms to report at once, birth control and breastfeeding dates (the screen's
`reproductive` block, whose dates count from the last dose), and who to call.

`patient_handout(...)` gives a complete, printable HTML page; `handout_pdf(...)`
the same content as a PDF. Both render one list of sections, so they never differ.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from inocds.adapters.reports.pdf import ReportPdf
from inocds.adapters.reports.schedule import ScheduledDose, dose_schedule
from inocds.protocol.loader import load_protocol

__all__ = ["handout_pdf", "handout_style_hash", "patient_handout"]

Block = tuple[str, Any]
"""("p", text) | ("strong", text) | ("list", [text]) | ("table", (headings, rows))
| ("blanks", [label])."""


@dataclass(frozen=True)
class _Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    urgent: bool = False


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
    """`Monday 11 May 2026`."""
    return f"{value.strftime('%A')} {value.day} {value.strftime('%B %Y')}"


def _today(document: Mapping[str, Any]) -> dt.date:
    today = document.get("today")
    found = _date(today.get("date")) if isinstance(today, Mapping) else None
    return found or dt.date.today()


def _weeks(days: int) -> str:
    return f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"


def _about() -> _Section:
    protocol = load_protocol()
    minutes = protocol["prep.infusion"].integer("infusion_minutes")
    watch = protocol["prep.observation"].integer("observation_minutes")
    hours = "1 hour" if minutes == 60 else f"{minutes} minutes"
    stay = "1 hour" if watch == 60 else f"{watch} minutes"
    return _Section(
        "What is this treatment?",
        [
            (
                "p",
                "Your medicine is called inotuzumab ozogamicin. Its brand name is Besponsa. "
                "It treats a type of blood cancer called acute lymphoblastic leukaemia (ALL).",
            ),
            (
                "p",
                "The medicine is an antibody joined to a strong cancer drug. The antibody "
                "looks for a marker called CD22 on the leukaemia cells. It sticks to these "
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


def _schedule(document: Mapping[str, Any], plan: Mapping[str, Any] | None) -> _Section:
    today = _today(document)
    doses = dose_schedule(document, plan)
    ahead = [d for d in doses if not d.given and (d.latest or d.date) >= today]
    given = [d for d in doses if d.given]
    section = _Section("Your treatment dates")
    if ahead:
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


def _symptoms() -> _Section:
    days = load_protocol()["monitoring.vod_signs"].integer("days_after_last_dose")
    return _Section(
        "Call your care team straight away if you have",
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


def _reproductive(document: Mapping[str, Any], screen: Mapping[str, Any]) -> _Section | None:
    protocol = load_protocol()
    repro = screen.get("reproductive") if isinstance(screen, Mapping) else None
    repro = repro if isinstance(repro, Mapping) else {}
    patient = document.get("patient")
    patient = patient if isinstance(patient, Mapping) else {}
    sex = patient.get("sex")
    pregnant_possible = patient.get("can_become_pregnant")
    rule = repro.get("contraception_rule")
    if rule is None:
        if pregnant_possible is True or (pregnant_possible is None and sex == "female"):
            rule = "reproductive.contraception_female"
        elif sex == "male":
            rule = "reproductive.contraception_male"
    breastfeeding = repro.get("breastfeeding_rule") is not None or sex == "female"
    if rule is None and not breastfeeding:
        return None
    until = _date(repro.get("contraception_until"))
    milk_until = _date(repro.get("no_breastfeeding_until"))
    last = _date(repro.get("last_dose_date"))
    section = _Section("Pregnancy, birth control and breastfeeding")
    section.blocks.append(
        ("p", "This medicine can harm an unborn baby. Pregnancy must be avoided.")
    )
    if rule is not None:
        months = protocol[rule].integer("months_after_last_dose")
        after = f"{months} months after your last dose"
        if rule == "reproductive.contraception_male":
            who = "If your partner could become pregnant, use effective birth control"
        else:
            who = "If you could become pregnant, use effective birth control"
        if until is not None:
            section.blocks.append(
                ("strong", f"{who} during treatment and until at least {_long(until)} ({after}).")
            )
        else:
            section.blocks.append(("strong", f"{who} during treatment and for {after}."))
        if rule != "reproductive.contraception_male":
            section.blocks.append(
                (
                    "p",
                    "You may have a pregnancy test before you start. If you think you might "
                    "be pregnant, tell your care team straight away.",
                )
            )
        else:
            section.blocks.append(
                ("p", "If your partner becomes pregnant, tell your care team straight away.")
            )
    if breastfeeding:
        months = protocol["reproductive.breastfeeding"].integer("months_after_last_dose")
        after = f"{months} months after your last dose"
        if milk_until is not None:
            text = f"Do not breastfeed during treatment and until at least {_long(milk_until)}"
            section.blocks.append(("strong", f"{text} ({after})."))
        else:
            section.blocks.append(
                ("strong", f"Do not breastfeed during treatment and for {after}.")
            )
    counted = _date(repro.get("counted_from")) or last
    if counted is not None and repro.get("basis") == "last_planned_dose":
        section.blocks.append(
            (
                "p",
                f"These dates count from your last planned dose, on {_long(counted)}. If your "
                "treatment goes on longer or changes, they move later; ask your care team.",
            )
        )
    elif counted is not None:
        section.blocks.append(
            (
                "p",
                f"These dates count from your most recent dose, on {_long(counted)}. Each new "
                "dose moves them later; ask your care team for the new dates.",
            )
        )
    return section


def _everyday() -> _Section:
    return _Section(
        "Looking after yourself",
        [
            (
                "list",
                [
                    "Wash your hands often and keep away from people who are ill.",
                    "Use a soft toothbrush, and take care with razors, knives and nail "
                    "clippers. Avoid rough sports and anything that could cause injury.",
                    "Do not start any new medicine, including ones you buy yourself, herbal "
                    "remedies or vitamins, without asking your care team first.",
                    "Ask your care team before having any vaccine.",
                ],
            )
        ],
    )


def _contacts(contacts: Sequence[tuple[str, str]] | None) -> _Section:
    if contacts:
        return _Section("Who to call", [("list", [f"{who}: {how}" for who, how in contacts])])
    return _Section(
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


def _sections(
    document: Mapping[str, Any],
    screen: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    contacts: Sequence[tuple[str, str]] | None,
) -> list[_Section]:
    sections = [_about(), _schedule(document, plan), _symptoms()]
    reproductive = _reproductive(document, screen)
    if reproductive is not None:
        sections.append(reproductive)
    sections += [_everyday(), _contacts(contacts)]
    return sections


# ------------------------------------------------------------------ HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;
font-size:1.1rem;line-height:1.55;color:#1a1a1a;max-width:46rem;margin:1.5rem auto;
padding:0 1rem}
h1{font-size:1.7rem;margin:0 0 .3rem}h2{font-size:1.3rem;margin:1.6rem 0 .5rem;
border-bottom:2px solid #1f5fa8;padding-bottom:.2rem}
.meta{color:#444;margin:0 0 1rem}
section.urgent{border:3px solid #b00020;border-radius:6px;padding:.2rem 1rem .6rem;
background:#fff6f6}section.urgent h2{border-color:#b00020;color:#8a0019}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#e8eef5}
.blank{display:flex;gap:.5rem;margin:.9rem 0}.blank span{flex:none}
.blank i{flex:1;border-bottom:1px solid #333}
.no-print a{color:#1f5fa8}
@media print{body{margin:0;font-size:11pt}.no-print{display:none}
section{break-inside:avoid}}
"""


def _html_block(kind: str, value: Any) -> str:
    if kind == "p":
        return f"<p>{escape(value)}</p>"
    if kind == "strong":
        return f"<p><strong>{escape(value)}</strong></p>"
    if kind == "list":
        return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in value) + "</ul>"
    if kind == "table":
        headings, rows = value
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headings)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if kind == "blanks":
        return "".join(
            f'<p class="blank"><span>{escape(label)}:</span><i></i></p>' for label in value
        )
    raise ValueError(f"unknown block {kind!r}")


def handout_style_hash() -> str:
    """The CSP source admitting the page's one inline style sheet: `'sha256-…'` of its text."""
    digest = hashlib.sha256(_CSS.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def patient_handout(
    document: Mapping[str, Any],
    screen: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    *,
    patient_name: str = "",
    contacts: Sequence[tuple[str, str]] | None = None,
    pdf_href: str | None = None,
) -> str:
    """The handout as a complete HTML page (printable, no script, no external resource).

    `document` is the contract's course document, `screen` the screen answer (its
    `reproductive` block), `plan` the plan answer or None. `contacts` are (who, how)
    pairs; without them the page leaves lines to write the numbers on. `pdf_href`
    adds a link to the PDF version (hidden when printed).
    """
    today = _today(document)
    title = "Your treatment with inotuzumab ozogamicin (Besponsa)"
    for_whom = f"For {patient_name}. " if patient_name else ""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(for_whom)}Printed on {escape(_long(today))}. '
        "Keep this sheet with you and show it to any doctor or nurse you see.</p>",
    ]
    if pdf_href:
        parts.append(f'<p class="no-print"><a href="{escape(pdf_href)}">Download as PDF</a></p>')
    for section in _sections(document, screen, plan, contacts):
        css = ' class="urgent"' if section.urgent else ""
        parts.append(f"<section{css}><h2>{escape(section.title)}</h2>")
        parts.extend(_html_block(kind, value) for kind, value in section.blocks)
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


# ------------------------------------------------------------------ PDF


def handout_pdf(
    document: Mapping[str, Any],
    screen: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    *,
    patient_name: str = "",
    contacts: Sequence[tuple[str, str]] | None = None,
) -> bytes:
    """The same handout as a PDF (A4, large type)."""
    today = _today(document)
    pdf = ReportPdf(
        "Your treatment with inotuzumab ozogamicin",
        patient_name,
        footer_text="Questions? Ask your care team.",
    )
    pdf.title_block(
        "Your treatment with inotuzumab ozogamicin (Besponsa)",
        [
            (f"For {patient_name}. " if patient_name else "")
            + f"Printed on {_long(today)}. Keep this sheet with you and show it to any "
            "doctor or nurse you see."
        ],
    )
    for section in _sections(document, screen, plan, contacts):
        pdf.heading(section.title)
        for kind, value in section.blocks:
            if kind == "p":
                pdf.paragraph(value, size=11)
            elif kind == "strong":
                pdf.paragraph(value, bold=True, size=11)
            elif kind == "list":
                pdf.bullets(value, size=11)
            elif kind == "table":
                headings, rows = value
                pdf.grid(headings, rows, (60, 45, 75), size=11)
            elif kind == "blanks":
                pdf.blanks(value)
            pdf.ln(1.5)
    return pdf.bytes()
