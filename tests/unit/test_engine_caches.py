"""The engine's per-process caches give the answers the uncached code gives (issue 13).

Protocol data is immutable, so the count-gate limits are read once per process, and a
frozen course document groups its events by type once.
Each test compares the cached value with the same computation done afresh.
"""

from __future__ import annotations

import sys
from pathlib import Path

from inocds.clinical.documents import parse_course
from inocds.clinical.rules import heme
from inocds.clinical.rules.ids import HEME_ANC_GATE, HEME_PLATELET_GATE
from inocds.protocol.loader import load_protocol

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_cached_count_limits_are_the_protocol_numbers() -> None:
    """heme gate limits: (anc, platelets) as the protocol states them."""
    p = load_protocol()
    expected = (
        p[HEME_ANC_GATE].number("anc_per_mm3"),
        p[HEME_PLATELET_GATE].number("platelets_per_mm3"),
    )
    assert heme._limits() == expected


def test_events_by_type_equal_a_fresh_filter() -> None:
    """of_type (grouped once per document) equals filtering the sorted events each time,
    on the benchmark's 6-cycle course (every event type but 'discontinued')."""
    sys.path.insert(0, str(BENCH))
    try:
        from assess_bench import six_cycle_course
    finally:
        sys.path.remove(str(BENCH))
    doc = parse_course(six_cycle_course())
    kinds = {e.type for e in doc.events} | {"discontinued"}
    for kind in kinds:
        assert doc.of_type(kind) == tuple(e for e in doc.events if e.type == kind)
    assert sum(len(doc.of_type(kind)) for kind in kinds) == len(doc.events)
