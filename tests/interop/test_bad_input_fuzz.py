"""Bad input never reaches a 500: every field of a hook request or a lab Bundle, replaced by
junk (seeded, so a failure replays), answers a card, a 4xx or a 200 - never a traceback."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.interop.cds_helpers import post
from tests.interop.conftest import CYCLE_1_GIVEN, add_patient_with_course, add_user_token
from tests.interop.fhir_builders import (
    administration,
    body,
    hook_request,
    labs,
    medication_request,
    patient,
    searchset,
)
from tests.interop.test_fhir_api import lab_bundle

JUNK: list[Any] = [None, 1, -1, 1e308, "x", "", [], {}, [1], {"a": 1}, True, "2026-13-45"]


def paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a field of a JSON document."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*path, index))


def mutants(document: dict[str, Any], count: int, seed: int) -> Iterator[dict[str, Any]]:
    """`count` copies of the document, each with one field replaced by junk."""
    chooser = random.Random(seed)
    every = list(paths(document))
    for _ in range(count):
        copied = copy.deepcopy(document)
        path = chooser.choice(every)
        holder = copied
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = chooser.choice(JUNK)
        yield copied


@pytest.mark.parametrize("hook", ["order-sign", "order-select", "patient-view"])
def test_junk_in_any_field_of_a_hook_request_is_never_a_500(
    app_client: TestClient, client_key: Any, hook: str
) -> None:
    """80 hook requests, one field each replaced by junk: every answer is below 500."""
    prefetch = {
        "patient": patient(identifier="FUZZ"),
        "observations": searchset([*body("2026-01-05"), *labs("2026-01-05")]),
        "medications": searchset([medication_request("fluconazole", rid="m1", status="active")]),
        "administrations": searchset([administration("2025-12-01", 1.34, "a1")]),
        "conditions": searchset([]),
    }
    drafts = None if hook == "patient-view" else [medication_request(dose_mg=2.5)]
    request = hook_request(hook, prefetch, drafts)
    for mutant in mutants(request, 80, seed=len(hook)):
        answer = post(app_client, client_key, f"/cds-services/inocds-{hook}", mutant)
        assert answer.status_code < 500, (mutant, answer.text)


def test_junk_in_any_field_of_a_lab_bundle_is_never_a_500(app_client: TestClient) -> None:
    """80 lab Bundles, one field each replaced by junk: every answer is below 500."""
    doc = add_user_token(app_client, "physician", "fuzz-physician")
    patient_id, _ = add_patient_with_course(app_client, doc, "FUZZ-LAB", CYCLE_1_GIVEN)
    for mutant in mutants(lab_bundle(patient_id), 80, seed=11):
        answer = app_client.post("/fhir", headers=doc, json=mutant)
        assert answer.status_code < 500, (mutant, answer.text)
