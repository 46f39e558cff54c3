"""Rule fixtures run through the real CLI.

Every `tests/rules/<rule-id>/<case>.json` is one case: a contract course document
(`request`: only the case's own fields, merged over the shared patient of
`_shared/patient.json` by `fixture_loader` before it is sent), the command to run it
through, the contract fields the answer must carry (`expect`: numbers within 1%, dicts
compared on the keys given, lists element by element) and whether the rule id (the
directory name) must be cited (`rule_cited`): in `reasons[].rule`, as a
`warnings[].code` (history.*), or, for refused input (exit 2, `expect` holds `errors`),
named in parentheses in an error message (data.count_units, data.bmi). File names say what a case
proves: `fires-*` cite the rule, `silent-*` must not. Expectations were worked
out from the label (seed 000, "Dosing: Adult", "Dosing: Liver Impairment",
"Dosing: Adjustment for Toxicity") and CONTRACT.md, not from the engine's output;
each case's `arithmetic` shows the working.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inocds.protocol.loader import load_protocol
from tests.rules.fixture_loader import case_files, load_case, read_case_file

HERE = Path(__file__).resolve().parent
CONTRACT = Path("/work/shared/CONTRACT.md")
EXECUTABLE = Path(sys.executable).with_name("inocds")
CASE_KEYS = {"about", "arithmetic", "command", "request", "expect", "rule_cited"}
COMMANDS = {"assess", "plan", "screen", "dose"}
REL_TOLERANCE = 0.01

# Used only when CONTRACT.md is not available.
FALLBACK_RULE_IDS = (
    "regimen.cycle1",
    "regimen.cycle1_extension",
    "regimen.subsequent_cr",
    "regimen.subsequent_no_cr",
    "duration.no_cr_after_3",
    "duration.hsct",
    "duration.max_6",
    "schedule.window",
    "schedule.min_interval",
    "heme.anc_gate",
    "heme.platelet_gate",
    "heme.low_baseline_gate",
    "heme.persisting_28d",
    "heme.within_cycle",
    "hepatic.vod",
    "hepatic.interrupt",
    "hepatic.gilbert_hemolysis",
    "nonheme.grade2",
    "interruption.lt7",
    "interruption.ge7",
    "interruption.ge14",
    "interruption.gt28",
    "reduction.level1",
    "reduction.level2",
    "reduction.not_tolerated",
    "reduction.no_reescalation",
    "infusion.reaction",
    "infusion.severe",
    "premedication",
    "cytoreduction",
)


def contract_rule_ids() -> tuple[str, ...]:
    """The ids of CONTRACT.md's "Rule ids" table (or the fallback list)."""
    if not CONTRACT.is_file():
        return FALLBACK_RULE_IDS
    ids: list[str] = []
    in_section = False
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            in_section = line.strip().lower() == "## rule ids"
            continue
        match = re.match(r"^\|\s*`([a-z0-9_.]+)`\s*\|", line)
        if in_section and match:
            ids.append(match.group(1))
    assert ids, f"no rule table found in {CONTRACT}"
    return tuple(ids)


def mismatches(expected: Any, got: Any, where: str = "") -> list[str]:
    """Differences between `expected` and `got` (subset match for dicts)."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{where or '.'}: expected an object, got {got!r}"]
        out: list[str] = []
        for key, value in expected.items():
            if key not in got:
                out.append(f"{where}.{key}: missing (expected {value!r})")
            else:
                out.extend(mismatches(value, got[key], f"{where}.{key}"))
        return out
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{where}: expected {expected!r}, got {got!r}"]
        out = []
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            out.extend(mismatches(e, g, f"{where}[{i}]"))
        return out
    numbers = (int, float)
    if (
        isinstance(expected, numbers)
        and not isinstance(expected, bool)
        and isinstance(got, numbers)
        and not isinstance(got, bool)
    ):
        if abs(got - expected) <= REL_TOLERANCE * abs(expected) + 1e-9:
            return []
        return [f"{where}: expected {expected!r} (within 1%), got {got!r}"]
    if expected != got or type(expected) is not type(got):
        return [f"{where}: expected {expected!r}, got {got!r}"]
    return []


def run_cli(
    command: str, request: dict[str, Any], tmp_path: Path, expect_keys: frozenset[str] = frozenset()
) -> dict[str, Any]:
    infile = tmp_path / "request.json"
    infile.write_text(json.dumps(request), encoding="utf-8")
    proc = subprocess.run(
        [str(EXECUTABLE), command, "--input", str(infile)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    refused = "errors" in expect_keys
    assert proc.returncode == (2 if refused else 0), (
        f"inocds {command} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    )
    answer = json.loads(proc.stdout)
    assert isinstance(answer, dict), proc.stdout
    return answer


def cited_rules(answer: dict[str, Any]) -> list[str]:
    """Rule ids an answer cites: reasons, warning codes, and ids named in error messages."""
    cited = [r.get("rule") for r in answer.get("reasons", []) if isinstance(r, dict)]
    cited += [w.get("code") for w in answer.get("warnings", []) if isinstance(w, dict)]
    for error in answer.get("errors", []):
        cited += re.findall(r"\(([a-z_]+\.[a-z0-9_.]+)\)", error.get("message", ""))
    return [c for c in cited if isinstance(c, str)]


CASES = case_files()


@pytest.mark.e2e
@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_rule_case(path: Path, tmp_path: Path) -> None:
    case = load_case(path)
    rule = path.parent.name
    answer = run_cli(case["command"], case["request"], tmp_path, frozenset(case["expect"]))
    cited = cited_rules(answer)
    problems = mismatches(case["expect"], answer)
    if case["rule_cited"] and rule not in cited:
        problems.append(f"reasons: {rule} not cited (cited: {cited})")
    if not case["rule_cited"] and rule in cited:
        problems.append(f"reasons: {rule} cited but should not be (cited: {cited})")
    assert not problems, (
        f"{case['about']}\narithmetic: {case['arithmetic']}\n"
        + "\n".join(problems)
        + f"\nanswer: {json.dumps(answer, indent=1)}"
    )


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case_file_is_well_formed(path: Path) -> None:
    case = read_case_file(path)
    assert set(case) == CASE_KEYS, f"keys {sorted(case)} != {sorted(CASE_KEYS)}"
    assert case["command"] in COMMANDS
    assert isinstance(case["rule_cited"], bool)
    assert isinstance(case["expect"], dict) and case["expect"]
    assert case["about"].strip() and case["arithmetic"].strip()
    assert isinstance(load_case(path)["request"], dict)  # merges, no stray "$absent"
    prefix = "fires-" if case["rule_cited"] else "silent-"
    assert path.stem.startswith(prefix), f"{path.name}: rule_cited={case['rule_cited']}"


def test_every_contract_rule_has_firing_and_silent_cases() -> None:
    rule_ids = contract_rule_ids()
    problems = []
    for rule in rule_ids:
        files = sorted((HERE / rule).glob("*.json"))
        flags = [read_case_file(p)["rule_cited"] for p in files]
        if True not in flags:
            problems.append(f"{rule}: no firing case")
        if False not in flags:
            problems.append(f"{rule}: no silent case")
    known = set(rule_ids) | {rule.id for rule in load_protocol().all()}
    stray = sorted({p.parent.name for p in CASES} - known)
    if stray:
        problems.append(f"directories that are not contract or protocol rule ids: {stray}")
    assert not problems, "\n".join(problems)
