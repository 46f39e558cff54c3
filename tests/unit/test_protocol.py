"""The protocol data: every rule sourced, ids unique, the contract's rule ids all present."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from inocds.protocol import loader
from inocds.protocol.loader import ProtocolError, load_protocol, parse_rules

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "CONTRACT.md"


def contract_rule_ids() -> list[str]:
    """The rule ids of CONTRACT.md's table (first column, in backticks)."""
    text = CONTRACT.read_text(encoding="utf-8")
    table = text.split("## Rule ids", 1)[1].split("VOD risk factor ids", 1)[0]
    return re.findall(r"^\| `([a-z0-9_.]+)` \|", table, flags=re.MULTILINE)


def test_every_rule_has_a_statement_and_a_source() -> None:
    """Each packaged rule names its source document and says what it means."""
    for rule in load_protocol().all():
        assert rule.statement.strip(), rule.id
        assert rule.source.strip(), rule.id
        assert rule.status in {"label", "default", "practice"}, rule.id


def test_label_rules_cite_a_seed_file_or_facts() -> None:
    """A label or practice rule cites a seed file by name, FACTS.md or CONTRACT.md."""
    pattern = re.compile(r"(\d{3}_[0-9a-f]{16}\.txt|FACTS\.md|CONTRACT\.md)")
    for rule in load_protocol().all():
        if rule.status != "default":
            assert pattern.search(rule.source), f"{rule.id}: {rule.source}"


@pytest.mark.skipif(not CONTRACT.exists(), reason="../shared/CONTRACT.md is not beside the repo")
def test_every_contract_rule_id_is_in_the_protocol() -> None:
    """Each rule id the contract names exists in the protocol data."""
    ids = contract_rule_ids()
    assert len(ids) >= 30
    missing = [i for i in ids if i not in load_protocol()]
    assert missing == []


def test_loader_rejects_a_rule_without_source() -> None:
    """A rule lacking its source is refused at load time."""
    document = {"rule": [{"id": "x.y", "statement": "s", "source": "", "status": "label"}]}
    with pytest.raises(ProtocolError, match=r"x\.y: missing source"):
        parse_rules([("t.toml", document)])


def test_loader_rejects_a_duplicate_id() -> None:
    """Two rules with one id are refused."""
    rule = {"id": "x.y", "statement": "s", "source": "FACTS.md", "status": "label"}
    with pytest.raises(ProtocolError, match="duplicate id"):
        parse_rules([("a.toml", {"rule": [rule]}), ("b.toml", {"rule": [dict(rule)]})])


def test_loader_rejects_unknown_keys_and_status() -> None:
    """A typo in a rule's keys or status is refused, not ignored."""
    rule = {"id": "x.y", "statement": "s", "source": "FACTS.md", "status": "lable", "parms": {}}
    with pytest.raises(ProtocolError) as error:
        parse_rules([("a.toml", {"rule": [rule]})])
    assert "unknown keys" in str(error.value) and "status" in str(error.value)


def test_regimen_numbers_come_from_the_data() -> None:
    """Cycle 1 is 0.8/0.5/0.5 mg/m2 on days 1/8/15 over 21 days (000, Dosing: Adult)."""
    p = load_protocol()
    assert p["regimen.cycle1"].day_doses() == ((1, 0.8), (8, 0.5), (15, 0.5))
    assert p["regimen.cycle1"].integer("cycle_length_days") == 21
    # after CR/CRi: 0.5 x 3 = 1.5 mg/m2 per 28-day cycle
    assert sum(a for _, a in p["regimen.subsequent_cr"].day_doses()) == pytest.approx(1.5)
    assert p["regimen.subsequent_no_cr"].integer("cycle_length_days") == 28


# ------------------------------------------------------------ the parsed-protocol cache


def _parsed_by_tomllib(folder: Path) -> list[tuple[str, dict[str, object]]]:
    return [
        (name, tomllib.loads((folder / name).read_text(encoding="utf-8")))
        for name in loader.RULE_FILES
        if (folder / name).is_file()
    ]


def _copy_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The rule files copied to tmp_path, the loader pointed at them (cache writes on)."""
    for name in loader.RULE_FILES:
        source = Path(loader.__file__).with_name(name)
        if source.is_file():
            (tmp_path / name).write_bytes(source.read_bytes())
    monkeypatch.setattr(loader, "_FOLDER", str(tmp_path))
    monkeypatch.setattr(loader, "_CACHE", str(tmp_path / "__pycache__" / "protocol.m"))
    monkeypatch.setattr(loader.sys, "dont_write_bytecode", False)
    return tmp_path


def test_cached_protocol_equals_the_toml_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read writes the cache; the second read comes from it (tomllib not called)
    and gives the same documents and the same rules as parsing the TOML files."""
    folder = _copy_protocol(tmp_path, monkeypatch)
    first = loader._read_documents()
    assert Path(loader._CACHE).is_file()
    monkeypatch.setattr(tomllib, "loads", lambda _: pytest.fail("cache not used"))
    second = loader._read_documents()
    monkeypatch.undo()
    expected = _parsed_by_tomllib(folder)
    assert first == expected
    assert second == expected
    assert parse_rules(second).rules == parse_rules(expected).rules


def test_cached_protocol_is_refreshed_when_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edited rule file (other size and time) is parsed again, not read from the cache."""
    folder = _copy_protocol(tmp_path, monkeypatch)
    loader._read_documents()
    rules = folder / "rules.toml"
    edited = rules.read_text(encoding="utf-8").replace('statement = "', 'statement = "(edited) ', 1)
    rules.write_text(edited, encoding="utf-8")
    documents = dict(loader._read_documents())
    assert documents == dict(_parsed_by_tomllib(folder))
    assert any(r["statement"].startswith("(edited) ") for r in documents["rules.toml"]["rule"])
