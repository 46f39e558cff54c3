"""Match a medication list against inotuzumab's interaction knowledge.

Pure and deterministic: no I/O. The package's parts:

- `names`: how a name is read (identifying words, routes in several languages,
  spelling skeletons of other languages' INN forms, edit distance);
- `index`: the known names (entries, member drugs, brands, vaccine products,
  seed-001 names) and the lookup: exact words, then another spelling, then a
  small typo, each saying how it matched (`match`, `matched_as`, `confidence`);
- `results`: hits, unmatched names (never reported as safe), duplicates;
- `match`: `match_medications`, one hit per drug and entry.
"""

from inocds.clinical.interactions.match import match_medications
from inocds.clinical.interactions.names import normalize_drug_name, parse_drug_name
from inocds.clinical.interactions.results import (
    Duplicate,
    InteractionHit,
    ListedOnlyHit,
    MatchResult,
    Reading,
    UnmatchedName,
)

__all__ = [
    "Duplicate",
    "InteractionHit",
    "ListedOnlyHit",
    "MatchResult",
    "Reading",
    "UnmatchedName",
    "match_medications",
    "normalize_drug_name",
    "parse_drug_name",
]
