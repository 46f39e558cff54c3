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

from markupsafe import Markup, escape

from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.kit import Login, templates
from inocds.services.course_read_cache import ContentCache

__all__ = ["BLANK_FORMS", "FRAGMENTS", "FRAGMENT_NAMES", "blank_forms", "engine_fragments"]

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
