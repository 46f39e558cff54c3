"""The order of the application's routers changes no answer: no request path can match
routes of two different routers (checked on the path patterns, segment by segment), so
the first full (or partial) match of a request is the same whatever their order. The
care team's pages are matched first for speed (`app._include_routers`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pytest
from starlette.routing import Match, Mount

from inocds.entrypoints.api import create_app
from inocds.entrypoints.web.router import PAGE_MODULES
from inocds.settings import Settings

_CONVERTERS = {"str": "[^/]+", "int": "[0-9]+", "float": r"[0-9]+(\.[0-9]+)?", "uuid": ".+"}


def _routes(route: Any) -> Iterable[Any]:
    """The routes an application-level route stands for (an included router's own)."""
    inner = getattr(route, "original_router", None)
    if inner is None:
        yield route
        return
    for child in inner.routes:
        yield from _routes(child)


def _pattern(route: Any) -> str:
    path: str = route.path
    return path + "/{rest:path}" if isinstance(route, Mount) else path


def _segment_overlaps(a: str, b: str) -> bool:
    """Whether one path segment can fit both `a` and `b` (a literal or one parameter)."""
    if a.startswith("{") and b.startswith("{"):
        return True
    if not a.startswith("{") and not b.startswith("{"):
        return a == b
    literal, parameter = (b, a) if a.startswith("{") else (a, b)
    kind = parameter.strip("{}").partition(":")[2] or "str"
    return re.fullmatch(_CONVERTERS[kind], literal) is not None


def _overlap(a: str, b: str) -> bool:
    """Whether some path can match both patterns (conservative: True when unsure)."""
    left, right = a.strip("/").split("/"), b.strip("/").split("/")
    for x, y in zip(left, right, strict=False):
        if x.endswith(":path}") or y.endswith(":path}"):
            return True
        if not _segment_overlaps(x, y):
            return False
    longer = left if len(left) > len(right) else right
    shorter = right if longer is left else left
    if len(left) == len(right):
        return True
    return longer[len(shorter)].endswith(":path}")


def _groups() -> list[list[str]]:
    app = create_app(Settings(database_url="sqlite://", secure_cookies=False))
    return [[_pattern(r) for r in _routes(top)] for top in app.router.routes]


def _clashes(groups: list[list[str]]) -> list[tuple[str, str]]:
    return [
        (a, b)
        for i, group in enumerate(groups)
        for other in groups[i + 1 :]
        for a in group
        for b in other
        if _overlap(a, b)
    ]


def test_no_path_matches_routes_of_two_routers() -> None:
    assert _clashes(_groups()) == []


def test_no_path_matches_routes_of_two_page_modules() -> None:
    modules = [[_pattern(r) for r in module.router.routes] for module in PAGE_MODULES]
    assert sum(map(len, modules)) > 20
    assert _clashes(modules) == []


def test_the_check_finds_a_clash_between_groups() -> None:
    assert _clashes([["/courses/{course_id}"], ["/api/v1/x"], ["/courses/new"]]) == [
        ("/courses/{course_id}", "/courses/new")
    ]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("/courses/{course_id}", "/courses/{course_id}/calendar.ics", False),
        ("/courses/{course_id}", "/courses/new", True),
        ("/orders/{order_id:int}", "/orders/new", False),
        ("/static/{rest:path}", "/static/app.css", True),
        ("/api/v1/courses/{id}", "/courses/{id}", False),
        ("/", "/", True),
    ],
)
def test_the_overlap_check_sees_clashes(a: str, b: str, expected: bool) -> None:
    assert _overlap(a, b) is expected
    assert _overlap(b, a) is expected


def test_the_course_page_is_found_among_the_first_routes() -> None:
    app = create_app(Settings(database_url="sqlite://", secure_cookies=False))
    scope = {"type": "http", "method": "GET", "path": "/courses/7", "root_path": ""}
    scope |= {"headers": [], "query_string": b"", "app": app}
    tried = 0
    for top in app.router.routes:
        tried += 1
        if top.matches(scope)[0] == Match.FULL:
            break
    assert tried <= 6
