"""A pytest plugin for `answer_corpus.py harvest`: every raw document the tests give
`parse_course` is written once, as one JSON line, to the file in INOCDS_CORPUS_OUT.

It replaces `documents.parse_course` when pytest loads it, before any test module (or
the engine modules that import the function by name) is imported, so every caller of
the engine's course reader passes through it. Recording only: the document is handed
on unchanged and the answer is the engine's own.
"""

from __future__ import annotations

import json
import os
from typing import Any

import inocds.clinical.documents as documents

LIMIT = 20_000
_parse = documents.parse_course
_seen: set[str] = set()
_out = open(os.environ["INOCDS_CORPUS_OUT"], "a", encoding="utf-8")  # noqa: SIM115


def _recorded(raw: Any) -> documents.CourseDocument:
    try:
        line = json.dumps(raw, sort_keys=True, default=str)
    except (TypeError, ValueError):  # not JSON (a test's deliberately odd value): skipped
        line = None
    if line is not None and line not in _seen and len(_seen) < LIMIT:
        _seen.add(line)
        _out.write(line + "\n")
        _out.flush()
    return _parse(raw)


documents.parse_course = _recorded
