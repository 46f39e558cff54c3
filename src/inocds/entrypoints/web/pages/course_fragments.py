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

__all__ = ["FRAGMENTS", "FRAGMENT_NAMES", "engine_fragments", "record_forms"]

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


RECORD_FORMS: ContentCache[str] = ContentCache(64)
"""Blank forms to record entries of this process, by read model key, role and course id;
their CSRF fields hold `_TOKEN_SLOT`, never a token."""

_TOKEN_SLOT = f"csrf-slot-{secrets.token_hex(16)}"


def record_forms(
    view: dict[str, Any], login: Login, on: dt.date, forms: dict[str, Form], names: tuple[str, ...]
) -> Markup | None:
    """The HTML of the forms to record entries (`course_record.html`) with the session's
    CSRF token; None when one of them comes back with errors (then rendered in the page)."""
    if any(forms[name].failed or forms[name].values for name in names):
        return None
    key = view["read_key"] + f"|{login.user.role}|{view['course'].id}".encode()

    def render() -> str:
        context = {name: view[name] for name in ("course", "decision", "plan", "uln")}
        context |= {"user": login.user, "on": on, "forms": forms, "csrf_token": _TOKEN_SLOT}
        return templates.env.get_template("course_record.html").render(context)

    html = RECORD_FORMS.get_or_compute(key if view["read_key"] else b"", render)
    return Markup(html.replace(_TOKEN_SLOT, str(escape(login.csrf_token))))
