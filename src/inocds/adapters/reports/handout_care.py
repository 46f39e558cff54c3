"""Sections of the handout about living with the treatment, in plain words (US spelling):

common side effects and what to do, what to tell the team before starting (liver
disease, transplant, allergies, pregnancy), every medicine taken (the patient's own
drugs the screen flags), live vaccines and the people at home, a missed appointment,
and looking after oneself. Facts from the patient-facing sources (001, 002); the
words are this project's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Section",
    "before_you_start",
    "everyday",
    "missed_appointment",
    "side_effects",
    "vaccines",
    "your_medicines",
]

Block = tuple[str, Any]
"""("p", text) | ("strong", text) | ("list", [text]) | ("table", (headings, rows))
| ("blanks", [label])."""


@dataclass(frozen=True)
class Section:
    """One section of the handout: a title, its blocks, and whether it is the urgent box."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    urgent: bool = False


def side_effects() -> Section:
    """The common side effects (seed 002's list) and what to do about each."""
    return Section(
        "Common side effects and what to do",
        [
            ("p", "Most people have some side effects. Tell your care team about any you have."),
            (
                "table",
                (
                    ("Side effect", "What to do"),
                    [
                        (
                            "Low blood counts. You may get infections, bleed or bruise more, "
                            "or feel tired and short of breath.",
                            "You will have blood tests often. Take your temperature if you "
                            "feel unwell. Call us at once for a fever or bleeding.",
                        ),
                        (
                            "Feeling sick (nausea) or throwing up.",
                            "Eat small meals and drink often. Ask us for medicine for it. "
                            "Call us if you cannot keep fluids down.",
                        ),
                        (
                            "Tiredness.",
                            "Rest when you need to. Light walks can help. Tell us if it "
                            "stops you from doing daily tasks.",
                        ),
                        (
                            "Headache.",
                            "Ask us which pain medicine you can take. Do not take aspirin or "
                            "ibuprofen unless we say so: they can make bleeding worse.",
                        ),
                        (
                            "Fever.",
                            "Call us at once, day or night. Do not wait to see if it goes away.",
                        ),
                        (
                            "Belly pain.",
                            "Call us the same day. Call at once if it is on the right side "
                            "under the ribs or comes with yellow skin.",
                        ),
                        (
                            "Changes in liver blood tests.",
                            "You will not feel these. We check your blood before each dose.",
                        ),
                        (
                            "A reaction during the drip: chills, rash, itching or trouble "
                            "breathing.",
                            "Tell the nurse at once. The drip can be stopped and the "
                            "reaction treated.",
                        ),
                    ],
                ),
            ),
        ],
    )


def before_you_start(patient: Mapping[str, Any] | None) -> Section:
    """What to tell the team before the first dose, with the allergies on record."""
    allergies = [str(a) for a in (patient or {}).get("allergies") or []]
    blocks: list[Block] = [
        ("p", "Tell your care team before you start if you:"),
        (
            "list",
            [
                "have or had liver disease, such as hepatitis, or a liver problem called VOD.",
                "had a stem cell transplant, or one is planned.",
                "had an allergic reaction to any medicine, food, dye or latex.",
                "are pregnant, could be pregnant, or plan a pregnancy.",
                "are breastfeeding.",
                "have heart rhythm problems.",
            ],
        ),
    ]
    if allergies:
        blocks.append(("p", "Your record lists these allergies: " + "; ".join(allergies) + "."))
        blocks.append(("p", "Tell us if this list is wrong or missing something."))
    else:
        blocks.append(("p", "No allergies are on your record yet. Tell us about any you have."))
    return Section("Before you start", blocks)


def your_medicines(patient: Mapping[str, Any] | None, screen: Mapping[str, Any]) -> Section:
    """Every medicine taken, with the patient's own drugs that the screen flags."""
    flagged: list[str] = []
    for item in screen.get("interactions") or []:
        if isinstance(item, Mapping) and item.get("drug") and str(item["drug"]) not in flagged:
            flagged.append(str(item["drug"]))
    listed = [str(m) for m in (patient or {}).get("medications") or []]
    blocks: list[Block] = [
        (
            "strong",
            "Tell us every medicine you take. This means medicines from a doctor, ones you "
            "buy, vitamins and herbal products.",
        ),
        ("p", "Some medicines do not mix well with this treatment. Bring them all to your visit."),
    ]
    if flagged:
        blocks.append(
            (
                "p",
                "Ask your care team about these medicines of yours before your next dose. "
                "They may need to change:",
            )
        )
        blocks.append(("list", flagged))
    elif listed:
        blocks.append(("p", "We checked the medicines on your record: " + ", ".join(listed) + "."))
    blocks.append(("p", "Do not start or stop any medicine without asking us first."))
    return Section("Tell us every medicine you take", blocks)


def vaccines() -> Section:
    """Live vaccines (seed 001's not-recommended list) and the people at home."""
    return Section(
        "Vaccines and the people you live with",
        [
            (
                "list",
                [
                    "Do not get a live vaccine during treatment. Examples are MMR (measles, "
                    "mumps and rubella), chickenpox, yellow fever and nose-spray flu.",
                    "Ask your care team before you get any vaccine, even a flu shot.",
                    "The people you live with should ask their doctor before they get a live "
                    "vaccine. Tell us if someone at home gets one.",
                    "Keep away from people with chickenpox, shingles, flu or a cold.",
                ],
            )
        ],
    )


def missed_appointment() -> Section:
    """What to do about a missed or late appointment."""
    return Section(
        "If you miss an appointment",
        [
            (
                "list",
                [
                    "Call your treatment unit the same day. Do not wait until your next visit.",
                    "A dose can often be moved by a day or two. Your care team will set a "
                    "new date.",
                    "Never try to make up a dose by having two close together.",
                    "If you feel unwell on the day, call us before you come in.",
                ],
            )
        ],
    )


def everyday() -> Section:
    """Looking after oneself."""
    return Section(
        "Looking after yourself",
        [
            (
                "list",
                [
                    "Wash your hands often and keep away from people who are sick.",
                    "Use a soft toothbrush. Take care with razors, knives and nail clippers.",
                    "Avoid rough sports and anything that could cause an injury.",
                ],
            )
        ],
    )


def for_the_guardian(given_name: str) -> Section:
    """The opening of a child's handout: it speaks to the parent or guardian."""
    child = given_name or "your child"
    return Section(
        f"For the parent or guardian of {child}",
        [
            (
                "p",
                f"This sheet is for you, the parent or guardian of {child}. When it says "
                f'"you", it means {child}. Please read it with {child} if you can.',
            )
        ],
    )


def all_care_sections(
    patient: Mapping[str, Any] | None, screen: Mapping[str, Any]
) -> Sequence[Section]:
    """The care sections in reading order."""
    return [
        side_effects(),
        before_you_start(patient),
        your_medicines(patient, screen),
        vaccines(),
        everyday(),
        missed_appointment(),
    ]
