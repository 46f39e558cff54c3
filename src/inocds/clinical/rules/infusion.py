"""Infusion reactions below the stopping grade (infusion.reaction) and the premedication
every dose needs (premedication). infusion.severe is a stop (`rules.stops`)."""

from __future__ import annotations

from functools import lru_cache

from inocds.clinical.course_state import CourseState
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import listed, say
from inocds.protocol.loader import load_protocol, rule_integer

__all__ = ["infusion_reaction_notes", "premedication_reason"]


def infusion_reaction_notes(state: CourseState) -> list[Reason]:
    """infusion.reaction: a reaction below the severe grade since the last dose."""
    toxicities = state.doc.of_type("toxicity")
    if not toxicities:
        return []
    severe = rule_integer(ids.INFUSION_SEVERE, "severe_grade")
    notes = []
    for e in toxicities:
        if (
            e.category == "infusion_reaction"
            and (e.grade or 0) < severe
            and (state.last_dose is None or e.date >= state.last_dose)
        ):
            notes.append(say(ids.INFUSION_REACTION, grade=e.grade, date=e.date))
    return notes


@lru_cache(maxsize=1)
def premedication_reason() -> Reason:
    """premedication: the agents to give before every dose (read from the protocol)."""
    agents = load_protocol()[ids.PREMEDICATION].texts("agents")
    return say(ids.PREMEDICATION, agents=listed(agents))
