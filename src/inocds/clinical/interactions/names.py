"""Reading a medication name: identifying words, routes, and spelling skeletons.

Case, accents, punctuation, doses ("8 mg", "0.1%"), salts ("hydrochloride",
"HCl", "sodium" ...), frequencies ("BID") and dosage forms ("tablet") are ignored.
Route words (English and the common ward words of es/fr/de/it/pt: "pomada",
"creme", "collyre" ...) are not thrown away: they are set aside as the name's
routes, so "tacrolimus pomada" can hit "Tacrolimus (Topical)" while "tacrolimus
1 mg PO" cannot. Words in parentheses are kept ("flu shot (inactivated)").

`skeleton` folds the spelling differences between languages' INN forms
(fluconazol / fluconazole, levofloxacine / levofloxacin, ondansetrone,
claritromicina / clarithromycin ...); `edit_distance` measures small typos.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from inocds.clinical.interactions.vocabulary import (
    DEFAULT_ROUTES,
    FORM_WORDS,
    PLURALS,
    ROUTE_WORDS,
    SALT_WORDS,
    SYSTEMIC_ROUTES,
)

__all__ = [
    "DEFAULT_ROUTES",
    "SYSTEMIC_ROUTES",
    "ParsedName",
    "edit_distance",
    "normalize_drug_name",
    "parse_drug_name",
    "skeleton",
]

_UNIT = (
    r"(?:mg|mcg|ug|µg|μg|g|gm|gram|grams|kg|ml|mls|l|units?|iu|u|mmol|meq|mu|million"
    r"|microgram|micrograms|milligram|milligrams|%)"
)
_PER = r"(?:\s*/\s*(?:m2|m\^2|kg|day|d|dose|h|hr|hrs|hour|hours|ml|l|min|week|wk))*"
_DOSE = re.compile(
    rf"(?<![a-z0-9])\d+(?:[.,]\d+)?(?:\s*(?:-|to|x)\s*\d+(?:[.,]\d+)?)?\s*{_UNIT}{_PER}"
    r"(?![a-z0-9])"
)
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class ParsedName:
    """A medication name split into its identifying words and its route classes."""

    tokens: tuple[str, ...]
    routes: frozenset[str]


@lru_cache(maxsize=4096)
def parse_drug_name(text: str) -> ParsedName:
    """Split `text` into identifying words (doses, salts, forms removed) and routes."""
    folded = unicodedata.normalize("NFKD", text.replace("µ", "u").replace("μ", "u"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = _DOSE.sub(" ", folded)
    tokens: list[str] = []
    routes: set[str] = set()
    for raw in _TOKEN.findall(folded):
        word = PLURALS.get(raw, raw)
        route = ROUTE_WORDS.get(word)
        if route is not None:
            routes.add(route)
        elif word not in SALT_WORDS and word not in FORM_WORDS:
            tokens.append(word)
    return ParsedName(tokens=tuple(tokens), routes=frozenset(routes))


def normalize_drug_name(text: str) -> str:
    """The identifying words of a medication name, lower-case and space-separated.

    Insensitive to case, accents, punctuation, dose, salt, dosage form and route:
    "Ondansetron HCl 8 mg IV" and "ondansetron" both give "ondansetron". Words in
    parentheses are kept: "flu shot (inactivated)" gives "flu shot inactivated".
    """
    return " ".join(parse_drug_name(text).tokens)


# ----------------------------------------------------------------- spelling

_FOLDS = (("ph", "f"), ("th", "t"), ("ch", "c"), ("ck", "c"), ("qu", "c"), ("k", "c"), ("x", "cs"))
_FOLDS_AFTER = (("y", "i"), ("h", ""))
_DOUBLE = re.compile(r"(.)\1+")
_LATIN_ENDINGS = ("um", "us")
_VOWEL_ENDINGS = ("a", "e", "o")
MIN_SKELETON_WORD = 5
"""Words shorter than this keep their spelling: "td", "ipv" or "tice" are not folded."""


@lru_cache(maxsize=8192)
def skeleton(word: str) -> str:
    """The spelling skeleton of one identifying word, shared by its language variants.

    ph/f, th/t, ch/c, qu/c, k/c, x/ks, y/i and a silent h are folded, doubled letters
    merged, then a Latin ending (-um, -us) and one final vowel (-a, -e, -o) are
    dropped: fluconazol and fluconazole, levofloxacine and levofloxacino,
    ondansetrone and ondansetron, claritromicina and clarithromycin, aloperidolo
    and haloperidol, tacrolimo and tacrolimus all share one skeleton. Words with
    digits or shorter than MIN_SKELETON_WORD letters are returned unchanged.
    """
    if len(word) < MIN_SKELETON_WORD or not word.isalpha():
        return word
    folded = word
    for old, new in _FOLDS + _FOLDS_AFTER:
        folded = folded.replace(old, new)
    folded = _DOUBLE.sub(r"\1", folded)
    for ending in _LATIN_ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= MIN_SKELETON_WORD - 1:
            folded = folded[: -len(ending)]
            break
    if folded.endswith(_VOWEL_ENDINGS) and len(folded) > MIN_SKELETON_WORD - 1:
        folded = folded[:-1]
    return folded


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of two neighbours counts 1).

    Returns `limit + 1` as soon as the distance is known to exceed `limit`.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
