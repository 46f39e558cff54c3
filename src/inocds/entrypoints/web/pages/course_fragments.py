"""The course page's engine parts, rendered once per read model.

The decision (headline, dose, recheck, warnings, the rules behind it) and the timeline,
plan, labs and safety screen are a function of the read model alone: the stored course
document, the decision date, today's date and the day's flags (`read_key`, see
services/course_read_cache.py), through templates that read no user and no CSRF token
(`course_decision.html`, `course_engine.html`). Their HTML is kept per `read_key`, so a
page whose course did not change renders only its per-user parts (forms, orders,
entries). A write changes the document, hence the key of the very next page.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import orjson
from markupsafe import Markup, escape

from inocds.entrypoints.web.forms import Form, local_zone
from inocds.entrypoints.web.kit import Login, templates
from inocds.entrypoints.web.labels import SLOT_STATUS, event_summary
from inocds.services.course_read_cache import ContentCache

__all__ = [
    "BLANK_FORMS",
    "ENTRIES",
    "FRAGMENTS",
    "FRAGMENT_NAMES",
    "blank_forms",
    "engine_fragments",
    "entries_fragment",
]

FRAGMENT_NAMES = ("decision", "engine")
"""The templates `course_<name>.html`, put into course.html as `<name>_html`."""

FRAGMENTS: ContentCache[dict[str, Markup]] = ContentCache(64)
"""Rendered engine parts of this process, by read model key."""

_READ_MODEL_NAMES = (
    "decision",
    "problem",
    "recheck",
    "review_from",
    "steps",
    "slots",
    "history",
    "timeline",
    "plan",
    "plots",
    "labs",
    "thresholds",
    "screen",
    "doses_given",
)


def _render(view: dict[str, Any], on: dt.date) -> dict[str, Markup]:
    context = {name: view[name] for name in _READ_MODEL_NAMES}
    context["on"] = on
    # the slots are shared with later requests (course_read_cache): labelled in copies
    context["slots"] = [{**s, "status_label": SLOT_STATUS[s["status"]]} for s in view["slots"]]
    return {
        f"{name}_html": Markup(templates.env.get_template(f"course_{name}.html").render(context))
        for name in FRAGMENT_NAMES
    }


def engine_fragments(view: dict[str, Any], on: dt.date) -> dict[str, Markup]:
    """The HTML of the page's engine parts for the read model of `view` on `on`."""
    return FRAGMENTS.get_or_compute(view["read_key"], lambda: _render(view, on))


BLANK_FORMS: ContentCache[str] = ContentCache(128)
"""Blank forms of this process (to record entries; to sign an order), by template, read
model key, role, course and what else they show; their CSRF fields hold `_TOKEN_SLOT`,
never a token."""

_TOKEN_SLOT = f"csrf-slot-{secrets.token_hex(16)}"


def blank_forms(
    name: str,
    view: dict[str, Any],
    login: Login,
    forms: dict[str, Form],
    shown: dict[str, Any],
) -> Markup | None:
    """The HTML of `course_<name>.html` with the session's CSRF token, rendered once per
    read model, role, course and `shown` (every other value the template reads, with its
    forms); None when one of its forms comes back as typed (then rendered in the page)."""
    if any(form.failed or form.values for form in forms.values()):
        return None
    if not view["read_key"]:
        return None
    facts = repr(sorted((key, repr(value)) for key, value in shown.items()))
    key = view["read_key"] + f"|{name}|{login.user.role}|{view['course'].id}|{facts}".encode()

    def render() -> str:
        context = {"course": view["course"], "decision": view["decision"], **shown}
        context |= {"user": login.user, "forms": forms, "csrf_token": _TOKEN_SLOT}
        return templates.env.get_template(f"course_{name}.html").render(context)

    html = BLANK_FORMS.get_or_compute(key, render)
    return Markup(html.replace(_TOKEN_SLOT, str(escape(login.csrf_token))))


ENTRIES: ContentCache[Markup] = ContentCache(64)
"""Rendered entries of courses of this process, by their content (see entries_fragment)."""


def entries_fragment(view: dict[str, Any]) -> Markup:
    """The HTML of the course's entries (`course_entries.html`), rendered once per content:
    the course id, the entries in force (payload, recorder, order, the user's rights on
    each) and withdrawn (payload, time), and the ward's time zone the times are shown in."""
    course_id, events, retracted = view["course"].id, view["events"], view["retracted"]
    try:
        key = orjson.dumps(
            [course_id, events, retracted, str(local_zone())],
            option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
        )
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        key = b""

    def render() -> Markup:
        context = {
            "course": view["course"],
            "events": [{**e, "summary": event_summary(e["payload"])} for e in events],
            "retracted": [{**r, "summary": event_summary(r["payload"])} for r in retracted],
        }
        return Markup(templates.env.get_template("course_entries.html").render(context))

    return ENTRIES.get_or_compute(key, render)
