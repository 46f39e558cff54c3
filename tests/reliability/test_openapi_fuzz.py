"""A bounded schemathesis run against a real server: no 5xx, no answer outside the document.

Every operation of the OpenAPI document gets generated requests (valid and invalid),
each sent anonymously and with a bearer token (the roles take turns); every answer
is checked: not a server error, status code and body as the document describes.
At least 2,000 requests in all (asserted at the end of the module).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.e2e.servers import running_server
from tests.integration.databases import empty_database
from tests.reliability.conftest import _inocds_executable, _seed

from inocds.adapters.db.migrate import upgrade
from inocds.entrypoints.api import create_app

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 13
MIN_REQUESTS = 2000
_sent: list[int] = []
_runs: list[str] = []
_roles = itertools.cycle(("physician", "pharmacist", "nurse", "admin"))


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A real server on a new SQLite database, with a token per role (and an admin)."""
    workdir: Path = tmp_path_factory.mktemp("fuzz")
    with empty_database("sqlite", workdir) as url:
        upgrade(url)
        tokens = _seed(url, roles=("physician", "pharmacist", "nurse", "admin"))
        env = {"INOCDS_DATABASE_URL": url}
        with running_server(_inocds_executable(), workdir, "unused.sqlite3", env) as base_url:
            yield base_url, tokens


SCHEMA = schemathesis.openapi.from_dict(create_app().openapi())
"""The service's OpenAPI document, as the running server serves it (built without a database)."""
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("label", sorted(OPERATIONS))
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_every_answer_as_documented(
    label: str, mode: GenerationMode, fuzz_server: tuple[str, dict[str, str]]
) -> None:
    """Generated requests, each anonymous then authenticated: all conform, none is a 5xx."""
    base_url, tokens = fuzz_server

    @given(case=OPERATIONS[label].as_strategy(mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        for headers in ({}, {"Authorization": f"Bearer {tokens[next(_roles)]}"}):
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
            _sent.append(1)

    try:
        run()
    except Unsatisfiable:  # no parameter can be made invalid (e.g. GET /healthz)
        assert mode == GenerationMode.NEGATIVE
    _runs.append(label)


def test_the_run_sent_enough_requests() -> None:
    """The run above sent at least 2,000 requests (anonymous and authenticated)."""
    if len(_runs) < 2 * len(OPERATIONS):
        pytest.skip("counts only a whole run of the module (some operations were deselected)")
    print(f"schemathesis: {len(_sent)} requests")
    assert len(_sent) >= MIN_REQUESTS, len(_sent)
