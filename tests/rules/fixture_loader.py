"""Rule fixtures: each case file holds only its rule's own facts; the rest is the shared patient.

A case file `tests/rules/<rule-id>/<case>.json` has the keys `about`, `arithmetic`,
`command`, `request`, `expect` and `rule_cited`. Its `request` is not sent as written:
it is merged over a base first, and the merged document is what the case means.

- The base: `assess`, `plan` and `screen` requests start from
  `{"patient": <tests/rules/_shared/patient.json>}` (an adult, 170 cm / 60 kg, normal
  pretreatment labs, no history, no medications). `dose` requests take no patient (three
  numbers), have no base and are written whole.
- The merge rule: where the base and the file both hold an object, the two are merged key
  by key, recursively (`"patient": {"weight_kg": 45}` changes the weight and keeps the
  rest). Anywhere else the file's value replaces the base's whole: lists (`medications`,
  `events`), numbers, strings, booleans and `null`.
- `"$absent"` as the value of a key removes that key from the base, so the request is sent
  without it (`"pretreatment": {"ast": "$absent"}`). `null` never removes anything: the
  contract accepts it (`"resolved": null`, `"mrd": null`) and it is sent as `null`.
- A file repeats nothing the base already says (`test_every_fixture_is_minimal`);
  `minimal_override` writes that smallest form.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED = HERE / "_shared"
BASE_PATIENT_FILE = SHARED / "patient.json"
ABSENT = "$absent"
PATIENT_COMMANDS = frozenset({"assess", "plan", "screen"})


@functools.cache
def _base_patient_text() -> str:
    return BASE_PATIENT_FILE.read_text(encoding="utf-8")


def base_request(command: str) -> dict[str, Any]:
    """The document a `command` case's request is merged over (a fresh copy)."""
    if command not in PATIENT_COMMANDS:
        return {}
    return {"patient": json.loads(_base_patient_text())}


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells `1` from `1.0` from `true` (Python's == does not)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def merge(base: Any, override: Any) -> Any:
    """`override` over `base`: objects merge recursively, anything else replaces;
    `ABSENT` removes the key."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value == ABSENT:
            merged.pop(key, None)
        else:
            merged[key] = merge(base.get(key), value)
    return merged


def minimal_override(base: Any, full: Any) -> Any:
    """The smallest override with `merge(base, result)` equal to `full` (inverse of merge)."""
    if not (isinstance(base, dict) and isinstance(full, dict)):
        return copy.deepcopy(full)
    out: dict[str, Any] = {}
    for key, value in full.items():
        if key not in base:
            out[key] = copy.deepcopy(value)
        elif not same(base[key], value):
            out[key] = minimal_override(base[key], value)
    for key in base:
        if key not in full:
            out[key] = ABSENT
    return out


def _absent_paths(value: Any, where: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _absent_paths(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _absent_paths(v, f"{where}[{i}]")]
    return [where] if value == ABSENT else []


def full_request(case: dict[str, Any]) -> dict[str, Any]:
    """The request a case file means: its own `request` merged over the command's base."""
    request = merge(base_request(case["command"]), case["request"])
    stray = _absent_paths(request)
    assert not stray, f"{ABSENT!r} where there is no base key to remove: {stray}"
    return request


def read_case_file(path: Path) -> dict[str, Any]:
    """A case file as written (its `request` holds only the case's own fields)."""
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def load_case(path: Path) -> dict[str, Any]:
    """A case file with its `request` merged over the base (what is sent to the CLI)."""
    case = read_case_file(path)
    return {**case, "request": full_request(case)}


def case_files() -> list[Path]:
    """Every case file (folders named `_*`, such as `_shared`, hold bases, not cases)."""
    return sorted(p for p in HERE.glob("*/*.json") if not p.parent.name.startswith("_"))
