"""The rule registry: every rule id of the protocol has its logic in a module of
clinical/rules/ and its fixtures, and no message of the clinical core or the
entrypoints writes a protocol number as a literal (messages are templates of the TOML)."""

from __future__ import annotations

import ast
import re
import string
import tomllib
from pathlib import Path

from inocds.clinical.rules import ids
from inocds.protocol.loader import load_protocol

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "inocds"
FIXTURES = Path(__file__).resolve().parent
RULES_TOML = SRC / "protocol" / "rules.toml"
RULES_PACKAGE = SRC / "clinical" / "rules"
# Modules of clinical/rules/ that hold no rule's logic: the ids, the template renderer.
NOT_LOGIC = {"__init__.py", "ids.py", "text.py"}

# Rules of rules.toml whose behaviour is proven by a named test elsewhere (no CLI fixture:
# they act in the order workflow, not in assess/plan/screen/dose).
TESTED_ELSEWHERE = {
    "workflow.dose_tolerance": (
        "tests/integration/test_order_workflow.py",
        "test_dose_off_by_more_than_5_percent_needs_override",
    ),
    "workflow.weight_change": (
        "tests/integration/test_order_workflow.py",
        "test_weight_change_of_10_percent_sends_the_order_back",
    ),
    "workflow.plausibility": (
        "tests/unit/test_workflow_plausibility.py",
        "test_workflow_plausibility_an_event_before_birth_is_refused",
    ),
}

# Service policy of the order workflow: its logic lives in the service (or the record
# checks) that applies it, not in the engine's rules package; each is still cited there.
SERVICE_POLICY = {
    "workflow.dose_tolerance": "services/order_checks.py",
    "workflow.weight_change": "services/order_checks.py",
    "workflow.plausibility": "clinical/plausibility.py",
}

# Message literals outside this change's reach (other engineers' files this round), each
# still present; the test fails when one disappears so the list only shrinks.
KNOWN_LITERALS = {
    ("entrypoints/web/labels.py", "2 cycles"),
}

_UNIT = (
    r"(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?\s*(?:days?\b|x ULN|× ?ULN|mg/m2|mg/m²|/mm3|/mm³|%"
    r"|h\b|hours?\b|cycles?\b|years?\b|kg/m2|minutes?\b|mL\b|mg\b)"
)
_NUMBER_WITH_UNIT = re.compile(r"(?<![\w.{])(\d+(?:\.\d+)?)" + _UNIT)
# "grade 2", "days 8 and 15", "cycle 3": a protocol number after its noun. Day 1 and
# cycle 1 name the start of a cycle and of the course (no protocol number).
_NOUN_THEN_NUMBER = re.compile(r"(?<![\w.{])(?:grades?|days?|cycles?)\s+(\d+(?:\.\d+)?)(?![\w.])")
SCANNED = ("clinical", "entrypoints")


def _rules_toml_ids() -> list[str]:
    return [r["id"] for r in tomllib.loads(RULES_TOML.read_text(encoding="utf-8"))["rule"]]


def _protocol_numbers() -> set[float]:
    found: set[float] = set()

    def walk(value: object) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            found.add(float(value))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for rule in load_protocol().all():
        walk(dict(rule.params))
    return found


def _message_strings(path: Path) -> list[tuple[int, str]]:
    """String literals of a module that are not docstrings or bare string statements."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bare = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare
    ]


def _literals(text: str, numbers: set[float]) -> list[str]:
    """The protocol numbers a message string writes as literals."""
    found = [
        m.group(0).strip() for m in _NUMBER_WITH_UNIT.finditer(text) if float(m.group(1)) in numbers
    ]
    found += [
        m.group(0)
        for m in _NOUN_THEN_NUMBER.finditer(text)
        if float(m.group(1)) in numbers and float(m.group(1)) != 1
    ]
    return found


def _literal_hits() -> set[tuple[str, str]]:
    numbers = _protocol_numbers()
    hits: set[tuple[str, str]] = set()
    for folder in SCANNED:
        for path in sorted((SRC / folder).rglob("*.py")):
            for _, text in _message_strings(path):
                for literal in _literals(text, numbers):
                    hits.add((str(path.relative_to(SRC)), literal))
    return hits


def test_the_literal_scan_finds_protocol_numbers() -> None:
    """The scan itself: numbers of the protocol after or before their unit are found,
    numbers that are not the protocol's, day 1 and cycle 1 are not."""
    numbers = _protocol_numbers()
    # 14 (interruption.ge14), 28 (cycle length), 2 (nonheme.grade2), 15 (regimen day 15)
    assert _literals("interrupted 14 days or more", numbers) == ["14 days"]
    assert _literals("cycle 2 runs 28 days", numbers) == ["28 days", "cycle 2"]
    assert _literals("a toxicity of grade 2 or more", numbers) == ["grade 2"]
    assert _literals("days 8 and 15 may move", numbers) == ["days 8"]
    assert _literals("given on day 1 of cycle 1", numbers) == []
    assert _literals("{days} days after {date}", numbers) == []
    assert 9999.0 not in numbers and _literals("9999 days", numbers) == []


def test_no_protocol_number_is_written_in_a_message() -> None:
    """Messages of clinical/ (all of it) and entrypoints/ take protocol numbers from the TOML."""
    hits = _literal_hits()
    new = sorted(hits - KNOWN_LITERALS)
    gone = sorted(KNOWN_LITERALS - hits)
    assert not new, f"protocol numbers written as literals in messages: {new}"
    assert not gone, f"fixed: remove from KNOWN_LITERALS: {gone}"


def test_every_typed_rule_id_is_in_the_protocol() -> None:
    """Each constant of clinical.rules.ids names a rule of the protocol."""
    protocol = load_protocol()
    constants = {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)}
    assert constants, "no rule id constants"
    assert sorted(c for c in constants if c not in protocol) == []


def test_every_rule_of_the_course_engine_has_a_typed_constant() -> None:
    """Each rules.toml id is a constant of clinical.rules.ids (code cites constants)."""
    constants = {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)}
    assert sorted(set(_rules_toml_ids()) - constants) == []


def _cites(text: str, rule_id: str) -> bool:
    constant = "ids." + rule_id.upper().replace(".", "_")
    return f'"{rule_id}"' in text or re.search(rf"{re.escape(constant)}\b", text) is not None


def _rule_modules() -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(RULES_PACKAGE.glob("*.py"))
        if p.name not in NOT_LOGIC
    }


def rule_homes(rule_ids: list[str]) -> dict[str, list[str]]:
    """Each rule id -> the modules of clinical/rules/ that cite it."""
    modules = _rule_modules()
    return {
        rule_id: [name for name, text in modules.items() if _cites(text, rule_id)]
        for rule_id in rule_ids
    }


def registry_problems(rule_ids: list[str]) -> list[str]:
    """What each rule id lacks: its logic in clinical/rules/ (service policy: in its
    service), its fixtures (fires and silent) or its named test."""
    rules = load_protocol().rules
    homes = rule_homes(rule_ids)
    problems = []
    for rule_id in rule_ids:
        rule = rules.get(rule_id)
        if rule is not None and rule.informational:
            continue
        if rule_id in SERVICE_POLICY:
            home = SRC / SERVICE_POLICY[rule_id]
            if not _cites(home.read_text(encoding="utf-8"), rule_id):
                problems.append(f"{rule_id}: {SERVICE_POLICY[rule_id]} does not cite it")
        elif not homes[rule_id]:
            problems.append(f"{rule_id}: no module of clinical/rules/ cites it")
        if rule_id in TESTED_ELSEWHERE:
            path, test_name = TESTED_ELSEWHERE[rule_id]
            if f"def {test_name}(" not in (ROOT / path).read_text(encoding="utf-8"):
                problems.append(f"{rule_id}: {path}::{test_name} is gone")
            continue
        files = [p.stem for p in (FIXTURES / rule_id).glob("*.json")]
        if not any(f.startswith("fires-") for f in files):
            problems.append(f"{rule_id}: no tests/rules/{rule_id}/fires-*.json")
        if not any(f.startswith("silent-") for f in files):
            problems.append(f"{rule_id}: no tests/rules/{rule_id}/silent-*.json")
    return problems


def test_every_rule_of_the_course_engine_has_logic_and_fixtures() -> None:
    """Every rules.toml id is informational, or has its logic in a module of clinical/rules/
    (service policy: in its service) and is proven by fixtures (or a named test)."""
    problems = registry_problems(_rules_toml_ids())
    assert not problems, "\n".join(problems)


def test_a_rule_without_logic_or_fixtures_is_reported() -> None:
    """The check itself: a new id with no module and no fixtures is named twice over."""
    assert registry_problems(["heme.not_written_yet"]) == [
        "heme.not_written_yet: no module of clinical/rules/ cites it",
        "heme.not_written_yet: no tests/rules/heme.not_written_yet/fires-*.json",
        "heme.not_written_yet: no tests/rules/heme.not_written_yet/silent-*.json",
    ]
    assert rule_homes(["heme.anc_gate"]) == {"heme.anc_gate": ["heme.py"]}


def test_the_walk_and_the_answers_hold_no_protocol_rule_of_their_own() -> None:
    """course.py, assess.py and plan.py call clinical/rules/ for every rule id they decide by:
    no protocol parameter is read there (`load_protocol` is not imported)."""
    for name in ("course.py", "assess.py", "plan.py", "notes.py"):
        text = (SRC / "clinical" / name).read_text(encoding="utf-8")
        assert "load_protocol" not in text, f"clinical/{name} reads the protocol itself"


def test_every_message_template_fills_from_its_params() -> None:
    """Each template's placeholders are the rule's params or named case values (no typos)."""
    problems = []
    for rule in load_protocol().all():
        for key, template in rule.messages.items():
            for _, name, _, _ in string.Formatter().parse(template):
                if name is None or name in rule.params:
                    continue
                if not re.fullmatch(r"[a-z_]+", name):
                    problems.append(f"{rule.id}.{key}: odd placeholder {{{name}}}")
    assert not problems, "\n".join(problems)


def test_every_recheck_condition_renders_from_its_own_params() -> None:
    """A recheck template is filled from the rule's params alone (the pages render it with no
    case values), and the course page's conditions are those templates, by rule id."""
    from inocds.clinical.rules.text import recheck
    from inocds.clinical.timeline import recheck_conditions

    with_recheck = [r for r in load_protocol().all() if "recheck" in r.messages]
    assert len(with_recheck) >= 7  # heme (3), hepatic.interrupt, nonheme (2), cytoreduction, ...
    for rule in with_recheck:
        text = recheck(rule.id)
        assert text and "{" not in text, rule.id
    held = {
        "action": "hold",
        "reasons": [{"rule": "heme.anc_gate"}, {"rule": "regimen.subsequent_cr"}],
    }
    # heme.anc_gate's anc_per_mm3 = 1000 -> "the ANC is ≥ 1,000/mm³"; the regimen has none
    assert recheck_conditions(held) == [{"text": "the ANC is ≥ 1,000/mm³", "rule": "heme.anc_gate"}]
    assert recheck_conditions({**held, "action": "give"}) == []
