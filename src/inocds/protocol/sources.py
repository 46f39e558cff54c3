"""Short titles of the source documents, and source references written with them.

The protocol data cite the seed documents by file name ("000_c5f9e82afaac5f57.txt:
Dosing: Adult"); printed documents show the document's title instead ("Clinician
drug monograph (2025): Dosing: Adult").
"""

from __future__ import annotations

import re

__all__ = ["SOURCE_TITLES", "cite", "rule_source"]

SOURCE_TITLES = {
    "000": "Clinician drug monograph (2025)",
    "001": "Patient monograph (US, 2025)",
    "002": "Patient summary",
    "003": "Label summary page",
    "004": "Pharmacy administration guide (2025)",
    "FACTS.md": "Prescribing-information facts",
}
"""Titles by file-name prefix (seeds) or file name."""

_SOURCE_FILE = re.compile(r"\b(?:(\d{3})_[0-9a-f]+\.txt|(FACTS\.md))")


def cite(text: str) -> str:
    """`text` with every source file name replaced by its document's title."""

    def title(found: re.Match[str]) -> str:
        key = found.group(1) or found.group(2)
        return SOURCE_TITLES.get(key, found.group(0))

    return _SOURCE_FILE.sub(title, text or "")


def rule_source(rule_id: str) -> str:
    """The titles (without sections) of the documents behind a protocol rule, or ''."""
    from inocds.protocol.loader import load_protocol

    protocol = load_protocol()
    if rule_id not in protocol:
        return ""
    titles: list[str] = []
    for found in _SOURCE_FILE.finditer(protocol[rule_id].source):
        name = SOURCE_TITLES.get(found.group(1) or found.group(2))
        if name and name not in titles:
            titles.append(name)
    return "; ".join(titles)
