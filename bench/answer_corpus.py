"""Answers of the stateless course commands over a varied corpus: record them, then compare.

For engine speed work (issue 13): record the answers of the unchanged code, change the
code, compare; every answer must be byte-identical (orjson), every refusal the same
(`InputError.to_dict()`), every crash the same.

    .venv/bin/python bench/answer_corpus.py record /tmp/answers.tsv   # before
    .venv/bin/python bench/answer_corpus.py compare /tmp/answers.tsv  # after each change

The corpus: every rule fixture (tests/rules, merged over the shared patient), the shared
contract examples, courses from tests/builders, plus, from each, three mutated copies (a
field removed, replaced by an odd value, a number scaled, a date or list shifted; seeded,
so the same corpus every run) and one asked on another day. Each document goes through
assess, plan, explain and screen, and through the HTTP path's JSON read
(`json_limits.loads(fast=True)`). `--extra FILE` adds documents, one JSON per line
(`harvest FILE` writes such a file: every document the engine's property and replay
tests give the course reader, through bench/corpus_recorder.py: 6,000-9,000 documents,
30,000-45,000 with their mutants, three to four minutes a comparison).
This is a measurement tool, not a test: it has no expected answers of its own.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import builders as b  # noqa: E402
from tests.rules.fixture_loader import case_files, load_case  # noqa: E402

from inocds.clinical.json_limits import loads  # noqa: E402
from inocds.clinical.validation import InputError  # noqa: E402
from inocds.services.commands import run_command  # noqa: E402

COMMANDS = ("assess", "plan", "explain", "screen")
HARVESTED = [
    f"tests/unit/{name}.py"
    for name in (
        "test_course_properties",
        "test_safety_net_properties",
        "test_walk_quiet_days",
        "test_course_replay",
        "test_event_filters",
        "test_rule_rewrites",
        "test_engine_caches",
    )
]
EXAMPLES = Path("/work/shared/examples")
ODD = [None, True, False, "x", "", -1, 0, 0.5, 1, 2, 7, 1.5, 1e9, 12, 100, 3000, [], {}]
ODD += ["2026-13-01", "2026-05-05", "CR", 2**70]
SHIFTS = [-30, -14, -7, -3, -1, 1, 2, 3, 6, 7, 8, 14, 21, 28, 29, 60]
FACTORS = [0, 0.001, 0.1, 0.5, 0.75, 0.9, 1.1, 1.5, 2, 3, 10, 1000, -1]


def base_documents(extra: Path | None) -> list[Any]:
    """Fixtures, examples, builder courses and the extra documents."""
    docs: list[Any] = []
    for path in case_files():
        case = load_case(path)
        if case["command"] in ("assess", "plan", "screen"):
            docs.append(case["request"])
    for path in sorted(EXAMPLES.glob("*-request.json")):
        doc = json.loads(path.read_text())
        if isinstance(doc, dict) and "patient" in doc and "today" in doc:
            docs.append(doc)
    for today in ("2026-05-04", "2026-05-11", "2026-05-18", "2026-06-01", "2026-08-01"):
        docs.append(b.course([], today=today))
        docs.append(b.course(b.full_cycle(1, "2026-05-04"), today=today))
        cr = [b.response("2026-04-27", "CR", "negative", 1)]
        later = b.full_cycle(1, "2026-04-06") + cr + b.full_cycle(2, "2026-05-04")
        docs.append(b.course(later, today=today, hsct_planned=True))
        held = [*b.full_cycle(1, "2026-04-06"), b.toxicity("2026-04-10", "2026-04-20")]
        docs.append(b.course(held, today=today))
    if extra is not None:
        docs += [json.loads(line) for line in extra.read_text().splitlines() if line]
    return docs


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*here, index))
    return found


def _shift(text: str, days: int) -> str:
    try:
        return (dt.date.fromisoformat(text) + dt.timedelta(days=days)).isoformat()
    except ValueError:
        return text


def mutate(doc: Any, rng: random.Random) -> Any:
    """One field of `doc` removed, replaced, scaled, shifted or reordered (a copy)."""
    doc = copy.deepcopy(doc)
    paths = [p for p in _paths(doc) if p]
    if not paths:
        return doc
    path = rng.choice(paths)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key, value, roll = path[-1], parent[path[-1]], rng.random()
    if roll < 0.15 and isinstance(parent, dict):
        del parent[key]
    elif roll < 0.2 and isinstance(parent, dict):
        parent[f"unknown_{rng.randint(0, 3)}"] = rng.choice(ODD)
    elif roll < 0.35 or not isinstance(value, (bool, int, float, str, list)):
        parent[key] = rng.choice(ODD)
    elif isinstance(value, bool):
        parent[key] = not value
    elif isinstance(value, (int, float)):
        scaled = value * rng.choice(FACTORS)
        parent[key] = int(scaled) if isinstance(value, int) and rng.random() < 0.5 else scaled
    elif isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        parent[key] = _shift(value, rng.choice(SHIFTS))
    elif isinstance(value, list) and value:
        if roll < 0.6:
            del value[rng.randrange(len(value))]
        elif roll < 0.8:
            value.append(copy.deepcopy(rng.choice(value)))
        else:
            rng.shuffle(value)
    else:
        parent[key] = rng.choice(ODD)
    return doc


def corpus(extra: Path | None) -> list[Any]:
    """The base documents, three mutants of each, and each asked on another day."""
    rng = random.Random(13)
    base = base_documents(extra)
    docs = list(base)
    for doc in base:
        docs += [mutate(doc, rng) for _ in range(3)]
        moved = copy.deepcopy(doc)
        if isinstance(moved.get("today"), dict) and isinstance(moved["today"].get("date"), str):
            days = rng.choice([-5, 1, 3, 7, 10, 20, 40, 90])
            moved["today"]["date"] = _shift(moved["today"]["date"], days)
        docs.append(moved)
    return docs


def _answer(command: str, doc: Any) -> bytes:
    try:
        return b"OK " + orjson.dumps(run_command(command, doc))
    except InputError as error:
        return b"REFUSED " + orjson.dumps(error.to_dict())
    except Exception as error:  # a crash must stay the same crash
        return f"CRASH {type(error).__name__}: {error}".encode()


def row(doc: Any) -> bytes:
    """One document's answers: the JSON read, then each command (assess also as read)."""
    raw = json.dumps(doc).encode()
    try:
        parts = [b"READ " + repr(loads(raw, fast=True)).encode()]
    except InputError as error:
        parts = [b"READ-REFUSED " + orjson.dumps(error.to_dict())]
    parts += [_answer(command, doc) for command in COMMANDS]
    return b"\t".join(parts).replace(b"\n", b"\\n")


def harvest(out: Path) -> int:
    """Runs the tests of HARVESTED with the recorder: their documents, one JSON a line."""
    out.write_bytes(b"")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "bench.corpus_recorder", *HARVESTED]
    env = {**os.environ, "INOCDS_CORPUS_OUT": str(out.resolve())}
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    print(f"{len(out.read_text().splitlines())} documents harvested into {out}")
    return done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "compare", "harvest"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--extra", type=Path, help="more documents, one JSON per line")
    args = parser.parse_args()
    if args.mode == "harvest":
        return harvest(args.file)
    rows = [row(doc) for doc in corpus(args.extra)]
    if args.mode == "record":
        args.file.write_bytes(b"\n".join(rows) + b"\n")
        print(f"{len(rows)} documents recorded")
        return 0
    old = args.file.read_bytes().split(b"\n")[:-1]
    if len(old) != len(rows):
        print(f"the corpus changed: {len(old)} recorded, {len(rows)} now")
        return 1
    differ = [i for i, (a, b_) in enumerate(zip(old, rows, strict=True)) if a != b_]
    print(f"{len(rows)} documents compared, {len(differ)} differ")
    for i in differ[:5]:
        print(f"--- document {i}\nwas: {old[i][:1500]!r}\nnow: {rows[i][:1500]!r}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
