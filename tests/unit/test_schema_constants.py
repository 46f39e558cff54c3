"""The schema constants live once, in the protocol data (issue 14, item 4).

Two halves: (1) the API's pydantic models, the web forms, the course document's
validator and the pages' option lists accept exactly what the data says; (2) a scan
of the source refuses a schema value written by hand again (dose days, CTCAE grades,
the dose ceiling, BSA formula names and the default, response values, role lists,
upper bounds of entry-point fields).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from inocds.clinical import bsa
from inocds.clinical.document_spec import course_spec
from inocds.clinical.validation import Choice, Enum, Num, Obj, Union
from inocds.entrypoints.api import order_steps_router, orders_router, patients_router
from inocds.entrypoints.web import labels
from inocds.entrypoints.web.forms import (
    COUNT_UNIT_OPTIONS,
    COUNT_UNITS,
    DEFAULT_COUNT_UNIT,
    Form,
)
from inocds.entrypoints.web.payloads import event_payload
from inocds.protocol import schema
from inocds.protocol.loader import load_protocol
from inocds.services.records import CLINICAL_ROLES, RECORDER_ROLES, ROLES, Role

SRC = Path(schema.__file__).resolve().parents[1]
"""src/inocds"""

TODAY = dt.date(2026, 1, 26)


def _props(model: Any) -> dict[str, Any]:
    found: dict[str, Any] = model.model_json_schema()["properties"]
    return found


def _branch(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional field's schema."""
    for option in prop.get("anyOf", [prop]):
        if option.get("type") != "null":
            return option
    raise AssertionError(prop)


# ------------------------------------------------------------------ the data itself


def test_every_schema_table_names_its_source() -> None:
    assert all(table["source"] for table in schema.load_schema().values())


def test_dose_days_are_the_regimens_days() -> None:
    protocol = load_protocol()
    for rule_id in ("regimen.cycle1", "regimen.subsequent_cr", "regimen.subsequent_no_cr"):
        assert tuple(day for day, _ in protocol[rule_id].day_doses()) == schema.dose_days()


def test_the_dose_ceiling_is_the_request_limit() -> None:
    limits = load_protocol()["dose.request_limits"]
    assert schema.dose_ceiling_mg_per_m2() == limits.number("max_dose_with_override_mg_per_m2")


def test_every_bsa_formula_named_in_the_data_has_its_function() -> None:
    assert tuple(bsa.FORMULAS) == schema.BSA_FORMULAS
    assert schema.DEFAULT_BSA_FORMULA in schema.BSA_FORMULAS


def test_roles_are_one_enum() -> None:
    assert tuple(Role) == ROLES
    assert set(CLINICAL_ROLES) | {Role.ADMIN} == set(ROLES)
    assert set(RECORDER_ROLES) < set(CLINICAL_ROLES)


# ------------------------------------------------------------------ the API's models


def test_order_fields_read_the_data() -> None:
    props = _props(orders_router.OrderCreate)
    assert props["day"]["enum"] == list(schema.dose_days())
    assert props["dose_mg_per_m2"]["maximum"] == schema.dose_ceiling_mg_per_m2()
    assert props["cycle"]["maximum"] == schema.TYPO_GUARD.max_cycle
    body = schema.body_limits()
    for model in (orders_router.VerificationCreate, order_steps_router.OwnEntry):
        props = _props(model)
        height, weight = _branch(props["height_cm"]), _branch(props["weight_kg"])
        assert (height["minimum"], height["maximum"]) == (body.min_height_cm, body.max_height_cm)
        assert (weight["minimum"], weight["maximum"]) == (body.min_weight_kg, body.max_weight_kg)


def test_reaction_grades_and_entries_read_the_data() -> None:
    for model in (orders_router.Reaction, order_steps_router.LaterReaction):
        grade = _props(model)["grade"]
        assert (grade["minimum"], grade["maximum"]) == (schema.MIN_GRADE, schema.MAX_GRADE)
    assert _props(order_steps_router.OwnDose)["dose_mg"]["maximum"] == schema.ENTRY.max_dose_mg
    volume = _branch(_props(order_steps_router.Completion)["volume_ml"])
    assert volume["maximum"] == schema.ENTRY.max_volume_ml


def test_patient_fields_read_the_data() -> None:
    created = _props(patients_router.PatientCreate)
    assert created["bsa_formula"]["enum"] == list(schema.BSA_FORMULAS)
    assert created["bsa_formula"]["default"] == schema.DEFAULT_BSA_FORMULA
    assert created["sex"]["enum"] == list(schema.SEXES)
    updated = _props(patients_router.PatientUpdate)
    assert _branch(updated["bsa_formula"])["enum"] == list(schema.BSA_FORMULAS)
    salvage = _branch(_props(patients_router.History)["salvage_line"])
    assert salvage["maximum"] == schema.TYPO_GUARD.max_salvage_line


# ------------------------------------------------------------------ the course document


def test_course_document_reads_the_data() -> None:
    spec = course_spec()
    events = spec.known["events"].item
    assert isinstance(events, Union)
    dose, toxicity, response = (events.choices[k] for k in ("dose", "toxicity", "response"))
    assert isinstance(dose, Obj) and isinstance(toxicity, Obj) and isinstance(response, Obj)
    day, per_m2 = dose.known["day"], dose.known["dose_mg_per_m2"]
    assert isinstance(day, Choice) and day.values == schema.dose_days()
    assert isinstance(per_m2, Num) and per_m2.hi == schema.dose_ceiling_mg_per_m2()
    grade, category = toxicity.known["grade"], toxicity.known["category"]
    assert isinstance(grade, Num) and (grade.lo, grade.hi) == (schema.MIN_GRADE, schema.MAX_GRADE)
    assert isinstance(category, Enum) and category.values == schema.TOXICITY_CATEGORIES
    status, mrd = response.known["status"], response.known["mrd"]
    assert isinstance(status, Enum) and status.values == schema.RESPONSE_STATUSES
    assert isinstance(mrd, Enum) and mrd.values == schema.MRD_RESULTS
    patient = spec.known["patient"]
    assert isinstance(patient, Obj)
    formula, sex = patient.known["bsa_formula"], patient.known["sex"]
    assert isinstance(formula, Enum) and formula.values == schema.BSA_FORMULAS
    assert isinstance(sex, Enum) and sex.values == schema.SEXES


# ------------------------------------------------------------------ the web forms and pages


def _toxicity_form(grade: int) -> Form:
    values = {"category": "hepatic", "grade": str(grade), "onset": "2026-01-20"}
    return Form("toxicity", values=values, inputs=frozenset(values))


def test_toxicity_form_accepts_the_data_grades_only() -> None:
    for grade in schema.TOXICITY_GRADES:
        form = _toxicity_form(grade)
        assert event_payload("toxicity", form, TODAY) is not None, form.errors
    for grade in (schema.MIN_GRADE - 1, schema.MAX_GRADE + 1):
        form = _toxicity_form(grade)
        assert event_payload("toxicity", form, TODAY) is None
        assert "grade" in form.errors


@pytest.mark.parametrize("day", [*schema.dose_days(), max(schema.dose_days()) + 1])
def test_dose_form_takes_the_regimen_days(day: int) -> None:
    # 2.0 mg/m2 (the ceiling) is accepted; the ceiling + 0.01 is refused below.
    values = {"date": "2026-01-20", "cycle": "1", "day": str(day), "dose_mg_per_m2": "0.5"}
    form = Form("dose", values=values, inputs=frozenset(values))
    payload = event_payload("dose", form, TODAY)
    assert (payload is not None) == (day in schema.dose_days())


def test_dose_form_refuses_above_the_ceiling() -> None:
    ceiling = schema.dose_ceiling_mg_per_m2()
    for dose, accepted in ((ceiling, True), (ceiling + 0.01, False)):
        values = {"date": "2026-01-20", "cycle": "1", "day": "1", "dose_mg_per_m2": f"{dose:g}"}
        form = Form("dose", values=values, inputs=frozenset(values))
        assert (event_payload("dose", form, TODAY) is not None) == accepted


def test_page_options_are_the_data_values() -> None:
    assert [v for v, _ in labels.BSA_FORMULA_OPTIONS] == list(schema.BSA_FORMULAS)
    default = dict(labels.BSA_FORMULA_OPTIONS)[schema.DEFAULT_BSA_FORMULA]
    assert default.endswith("(default)")
    assert [v for v, _ in labels.DAY_OPTIONS] == [str(d) for d in schema.dose_days()]
    assert [v for v, _ in labels.GRADE_OPTIONS] == [str(g) for g in schema.TOXICITY_GRADES]
    assert [v for v, _ in labels.RESPONSE_OPTIONS] == list(schema.RESPONSE_STATUSES)
    assert [v for v, _ in labels.MRD_OPTIONS] == list(schema.MRD_RESULTS)
    assert [v for v, _ in labels.SEX_OPTIONS] == list(schema.SEXES)


def test_count_units_convert_by_the_data_factor() -> None:
    # 10^3/uL and 10^9/L are 1,000 cells per mm3 each (data.count_units).
    factor = load_protocol()["data.count_units"].number("per_mm3_per_10e3_per_ul")
    assert {
        DEFAULT_COUNT_UNIT: ("/mm³", 1),
        "e3_per_uL": ("× 10^3/µL", factor),
        "e9_per_L": ("× 10^9/L", factor),
    } == COUNT_UNITS
    assert [u for u, _ in COUNT_UNIT_OPTIONS] == list(COUNT_UNITS)
    form = Form("labs", values={"anc_per_mm3": "1.5", "anc_per_mm3_unit": "e9_per_L"})
    assert form.count("anc_per_mm3") == 1.5 * factor


# ------------------------------------------------------------------ nothing by hand again

_ENUMS = {
    "BSA formula": set(schema.BSA_FORMULAS),
    "sex": set(schema.SEXES),
    "toxicity category": set(schema.TOXICITY_CATEGORIES),
    "response status": set(schema.RESPONSE_STATUSES),
    "MRD result": set(schema.MRD_RESULTS),
}
_UPPER_BOUNDS = frozenset({"le", "lt", "high"})
_NOT_SCHEMA_BOUNDS = {
    # (file under src/inocds, bound): limits that are no schema constant
    ("entrypoints/api/audit_router.py", 500): "page size of the audit listing",
    ("entrypoints/web/audit_pages.py", 100_000): "page number of the audit page",
}
_WORDS_TABLES = {"entrypoints/web/labels.py"}
"""Presentation words keyed by value; each table is checked against the data at import."""


def _python(*folders: str) -> list[Path]:
    return [
        path
        for folder in folders
        for path in sorted((SRC / folder).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _constants(node: ast.AST) -> list[Any]:
    elements = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return [e.value for e in elements if isinstance(e, ast.Constant)]


def _literal_problems(node: ast.Subscript) -> list[str]:
    if not (isinstance(node.value, ast.Name) and node.value.id == "Literal"):
        return []
    values = _constants(node.slice)
    known = set().union(*_ENUMS.values())
    if any(isinstance(v, int) and not isinstance(v, bool) for v in values) or known & set(values):
        return [f"Literal{values} (build it from inocds.protocol.schema)"]
    return []


def _bound_problems(node: ast.Call, where: str) -> list[str]:
    problems = []
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg in _UPPER_BOUNDS and isinstance(value, ast.Constant):
            number = value.value
            if isinstance(number, (int, float)) and (where, number) not in _NOT_SCHEMA_BOUNDS:
                problems.append(f"{keyword.arg}={number!r} (read the bound from the data)")
    return problems


def _collection_problems(node: ast.AST) -> list[str]:
    values = _constants(node)
    problems = []
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and tuple(values) == schema.dose_days():
        problems.append(f"{tuple(values)} (schema.dose_days())")
    for name, members in _ENUMS.items():
        if len(members & set(values)) >= 2:
            problems.append(f"{values} ({name} values: inocds.protocol.schema)")
    if len(set(ROLES) & set(values)) >= 2:
        problems.append(f"{values} (role lists: CLINICAL_ROLES / RECORDER_ROLES)")
    return problems


def _scan_tree(tree: ast.AST, where: str) -> list[str]:
    """Every hand-written schema constant in `tree` (the module at `where` under src/inocds)."""
    problems: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Subscript):
            problems += [(line, p) for p in _literal_problems(node)]
        elif isinstance(node, ast.Call):
            problems += [(line, p) for p in _bound_problems(node, where)]
            named = node.func.id if isinstance(node.func, ast.Name) else ""
            if named in {"require_roles", "require_role", "require"} and any(
                isinstance(a, ast.Constant) for a in node.args
            ):
                problems.append((line, f"{named}(...) with a role written by hand (use Role)"))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            problems += [(line, p) for p in _collection_problems(node)]
        elif (
            isinstance(node, ast.Constant)
            and node.value in schema.BSA_FORMULAS
            and where not in _WORDS_TABLES
        ):
            problems.append((line, f"{node.value!r} (schema.BSA_FORMULAS / DEFAULT_BSA_FORMULA)"))
    return [f"{where}:{line}: {problem}" for line, problem in sorted(problems)]


def _scan(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return _scan_tree(tree, path.relative_to(SRC).as_posix())


def test_no_schema_constant_is_written_by_hand_in_the_entry_points_and_services() -> None:
    found = [p for path in _python("entrypoints", "services") for p in _scan(path)]
    assert found == []


def test_no_bsa_formula_name_or_dose_days_by_hand_anywhere() -> None:
    """The clinical core and the adapters too: formula names and the day tuple."""
    found = []
    for path in _python("clinical", "adapters"):
        for problem in _scan(path):
            if "BSA_FORMULAS" in problem or "dose_days" in problem:
                found.append(problem)
    assert found == []


_OPTION_LIST = re.compile(r"\[\((?:[^\[\]]*?)\)\]", re.S)
_QUOTED = re.compile(r"""["']([^"']*)["']""")


def test_templates_take_their_options_from_the_data() -> None:
    """No hand-written option list of schema values, no BSA formula name, no role name."""
    schema_words = set().union(*_ENUMS.values())
    numbers = {str(v) for v in (*schema.dose_days(), *schema.TOXICITY_GRADES)}
    found = []
    for path in sorted((SRC / "entrypoints/web/templates").glob("*.html")):
        text = path.read_text(encoding="utf-8")
        for options in _OPTION_LIST.finditer(text):
            quoted = set(_QUOTED.findall(options.group(0)))
            if quoted & (schema_words | numbers):
                found.append(f"{path.name}: {options.group(0)[:60]}")
        for word in _QUOTED.findall(text):
            if word in schema.BSA_FORMULAS or word in ROLES:
                found.append(f"{path.name}: {word!r} (BSA_FORMULA_OPTIONS, Role, RECORDER_ROLES)")
    assert found == []


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scan is not blind: each hand-written form of a constant it refuses is found."""
    lines = [
        "day: Literal[1, 8, 15]",
        'formula: Literal["mosteller", "dubois"] = "mosteller"',
        "grade: int = Field(ge=1, le=5)",
        "dose = form.number('dose_mg_per_m2', low=0, high=2.0)",
        "DAYS = (1, 8, 15)",
        'STATUS = ("CR", "CRi", "none")',
        'Who = Depends(require_roles("physician", "nurse"))',
        'Editors = ("physician", "nurse")',
        'require_role(actor, "pharmacist")',
    ]
    found = _scan_tree(ast.parse("\n".join(lines)), "entrypoints/api/sample.py")
    assert {int(p.split(":")[1]) for p in found} == set(range(1, len(lines) + 1))


def test_the_scan_leaves_other_values_alone() -> None:
    """Versions, ids, page sizes and non-schema enumerations are no schema constants."""
    lines = [
        "version: int | None = Field(None, ge=1)",
        'kind: Literal["bearer", "cookie"]',
        "limit: Annotated[int, Query(ge=1, le=500)] = 50",
        "user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None",
        'refrigerated = form.choice("refrigerated", ("yes", "no"), required=True)',
        "days = schema.dose_days()",
    ]
    assert _scan_tree(ast.parse("\n".join(lines)), "entrypoints/api/audit_router.py") == []


_PROTOCOL_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\s?(?:days?\b|cycles?\b|%(?!\}))")
"""'28 days', '6 cycles', '5%' (not Jinja's '%}')."""


def test_templates_state_protocol_numbers_from_the_data() -> None:
    """A page that states a protocol number reads it (`rule_param`), never types it."""
    found = [
        f"{path.name}: {match.group(0)}"
        for path in sorted((SRC / "entrypoints/web/templates").glob("*.html"))
        for match in _PROTOCOL_NUMBER.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
    assert _PROTOCOL_NUMBER.findall("over 28 days; up to 6 cycles; 5% away {% endif %}") == [
        "28 days",
        "6 cycles",
        "5%",
    ]
