"""Match a medication list against inotuzumab's interaction knowledge.

Pure and deterministic: no I/O. The alias index is built once per knowledge object.

How a name is read
    Case, accents, punctuation, doses ("8 mg", "0.1%"), salts ("hydrochloride",
    "HCl", "sodium" ...), frequencies ("BID") and dosage forms ("tablet") are ignored.
    Route words are not thrown away: they are set aside as the name's routes, so
    "tacrolimus ointment" can hit "Tacrolimus (Topical)" while "tacrolimus 1 mg PO"
    cannot. Words in parentheses are kept ("flu shot (inactivated)").

How a name is matched
    Every known name (entry names, member drugs and aliases, seed-001 names) is indexed
    by its remaining words. Each run of consecutive words of the input is looked up;
    a run inside a longer matching run is dropped, so "typhoid vaccine inactivated"
    beats "typhoid vaccine". When several known names share the words, the one whose
    route fits the input best wins (explicit route match > no route > default).
    A name that reaches no seed-000 entry is returned in `unmatched`, exactly as
    entered; if seed 001 lists it, it is also described in `listed_only` (no rating).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from inocds.protocol.interactions import RISKS, InteractionKnowledge, ListName, Risk

__all__ = [
    "InteractionHit",
    "ListedOnlyHit",
    "MatchResult",
    "match_medications",
    "normalize_drug_name",
    "parse_drug_name",
]

# ----------------------------------------------------------------- vocabulary

_ROUTE_WORDS: dict[str, str] = {
    # oral
    "po": "oral",
    "oral": "oral",
    "orally": "oral",
    "mouth": "oral",
    "tablet": "oral",
    "tablets": "oral",
    "tab": "oral",
    "tabs": "oral",
    "capsule": "oral",
    "capsules": "oral",
    "cap": "oral",
    "caps": "oral",
    "syrup": "oral",
    "elixir": "oral",
    "odt": "oral",
    "sublingual": "oral",
    "sl": "oral",
    "buccal": "oral",
    "chewable": "oral",
    "enteral": "oral",
    # parenteral
    "iv": "parenteral",
    "ivpb": "parenteral",
    "intravenous": "parenteral",
    "intravenously": "parenteral",
    "im": "parenteral",
    "intramuscular": "parenteral",
    "sc": "parenteral",
    "sq": "parenteral",
    "subcut": "parenteral",
    "subcutaneous": "parenteral",
    "injection": "parenteral",
    "injectable": "parenteral",
    "inj": "parenteral",
    "infusion": "parenteral",
    "bolus": "parenteral",
    "intravesical": "intravesical",
    # other systemic
    "systemic": "systemic",
    "transdermal": "transdermal",
    "patch": "transdermal",
    "rectal": "rectal",
    "pr": "rectal",
    "suppository": "rectal",
    "supp": "rectal",
    "enema": "rectal",
    # local
    "topical": "topical",
    "topically": "topical",
    "cream": "topical",
    "ointment": "topical",
    "oint": "topical",
    "gel": "topical",
    "lotion": "topical",
    "foam": "topical",
    "shampoo": "topical",
    "cutaneous": "topical",
    "dermal": "topical",
    "ophthalmic": "ophthalmic",
    "eye": "ophthalmic",
    "eyes": "ophthalmic",
    "eyedrops": "ophthalmic",
    "ocular": "ophthalmic",
    "otic": "otic",
    "ear": "otic",
    "ears": "otic",
    "nasal": "nasal",
    "intranasal": "nasal",
    "nose": "nasal",
    "inhaled": "inhaled",
    "inhalation": "inhaled",
    "inhaler": "inhaled",
    "neb": "inhaled",
    "nebs": "inhaled",
    "nebulised": "inhaled",
    "nebulized": "inhaled",
    "nebuliser": "inhaled",
    "nebulizer": "inhaled",
    "aerosolised": "inhaled",
    "aerosolized": "inhaled",
    "vaginal": "vaginal",
    "pessary": "vaginal",
}

_SYSTEMIC_ROUTES = frozenset({"oral", "parenteral", "systemic", "transdermal", "rectal"})
"""Input routes that satisfy a name marked "(Systemic)"."""
_DEFAULT_ROUTES = frozenset({"systemic", "oral"})
"""Route marks a name may carry and still match an input that gives no route."""


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text` (keeps the vocabularies below compact)."""
    return frozenset(text.split())


_SALT_WORDS = _words(
    """
    hydrochloride dihydrochloride hcl hydrobromide hbr sodium disodium potassium
    calcium magnesium succinate ethylsuccinate sulfate sulphate phosphate acetate
    citrate maleate mesylate mesilate dimesylate tartrate bitartrate fumarate
    hemifumarate besylate besilate decanoate lactobionate stearate estolate gluconate
    lactate hyclate monohydrate dihydrate trihydrate anhydrous meglumine dimeglumine
    isethionate tosylate malate napadisilate pamoate palmitate hydroxide bromide
    chloride
    """
)

_FORM_WORDS = (
    # dosage forms and release types that say nothing about the route
    _words(
        """
        solution soln suspension susp drop drops gtt gtts spray liquid powder vial vials
        ampoule ampule amp bag pen prefilled syringe dose doses dosing film coated er xr
        sr cr xl la dr ec ir mr pfs kit concentrate
        """
    )
    # frequencies and instructions
    | _words(
        """
        daily bid tid qid qd od bd tds qds qhs hs prn stat once twice weekly nightly
        nocte mane every times morning evening night hourly q4h q6h q8h q12h q24h qam
        qpm qod x1 continuous push slow drip infuse give day days week weeks hour hours
        h hr hrs
        """
    )
    # units left behind by odd spacing ("3 million units", "mg / m2")
    | _words("mg mcg ug ml units unit iu mmol meq m2")
    # joining words
    | _words("of and or the for by with in to per via a an")
)

_PLURALS: dict[str, str] = {
    "vaccines": "vaccine",
    "agents": "agent",
    "products": "product",
    "derivatives": "derivative",
    "inhibitors": "inhibitor",
    "antibiotics": "antibiotic",
    "anesthetics": "anesthetic",
    "anaesthetics": "anesthetic",
    "anaesthetic": "anesthetic",
    "antipsychotics": "antipsychotic",
    "antidepressants": "antidepressant",
    "antiarrhythmics": "antiarrhythmic",
    "modulators": "modulator",
    "shots": "shot",
    "jabs": "jab",
}

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

_RISK_ORDER: dict[str, int] = {risk: rank for rank, risk in enumerate(RISKS)}


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
        word = _PLURALS.get(raw, raw)
        route = _ROUTE_WORDS.get(word)
        if route is not None:
            routes.add(route)
        elif word not in _SALT_WORDS and word not in _FORM_WORDS:
            tokens.append(word)
    return ParsedName(tokens=tuple(tokens), routes=frozenset(routes))


def normalize_drug_name(text: str) -> str:
    """The identifying words of a medication name, lower-case and space-separated.

    Insensitive to case, accents, punctuation, dose, salt, dosage form and route:
    "Ondansetron HCl 8 mg IV" and "ondansetron" both give "ondansetron". Words in
    parentheses are kept: "flu shot (inactivated)" gives "flu shot inactivated".
    """
    return " ".join(parse_drug_name(text).tokens)


# ----------------------------------------------------------------- results


@dataclass(frozen=True)
class InteractionHit:
    """One seed-000 interaction entry reached by one medication of the list."""

    drug: str
    """The medication as entered."""
    matched_entry: str
    """The seed-000 entry's name, e.g. "Haloperidol"."""
    risk: Risk
    effect: str
    management: str
    source: str
    via_group: str | None
    """The group entry's name when the drug was matched as a member of that group."""
    listed_in: ListName | None
    """The seed-001 list that also names this drug, if any."""
    entry_id: str = ""

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready view with exactly the public keys."""
        return {
            "drug": self.drug,
            "matched_entry": self.matched_entry,
            "risk": self.risk,
            "effect": self.effect,
            "management": self.management,
            "source": self.source,
            "via_group": self.via_group,
            "listed_in": self.listed_in,
        }


@dataclass(frozen=True)
class ListedOnlyHit:
    """A medication the patient monograph (seed 001) lists but no seed-000 entry covers.

    It has no risk rating, so it is not an `InteractionHit`; its name is also in
    `MatchResult.unmatched` (it matched no rated entry).
    """

    drug: str
    listed_name: str
    listed_in: ListName
    effect: str
    management: str
    source: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready view."""
        return {
            "drug": self.drug,
            "listed_name": self.listed_name,
            "listed_in": self.listed_in,
            "effect": self.effect,
            "management": self.management,
            "source": self.source,
        }


@dataclass(frozen=True)
class MatchResult:
    """The outcome of matching a medication list.

    interactions: hits ordered by risk (X, D, C), then entry name, then drug.
    unmatched: names that reached no seed-000 entry, exactly as entered, in input order.
    listed_only: those unmatched names that seed 001 nevertheless lists.
    """

    interactions: tuple[InteractionHit, ...]
    unmatched: tuple[str, ...]
    listed_only: tuple[ListedOnlyHit, ...] = ()


# ----------------------------------------------------------------- index


@dataclass(frozen=True)
class _Target:
    """What one known name points at."""

    entry_ids: tuple[str, ...]
    """Seed-000 entries the name leads to (empty for a seed-001-only drug)."""
    route_marks: frozenset[str]
    via_member: bool
    listed_in: ListName | None
    listed_name: str | None


def _route_score(marks: frozenset[str], given: frozenset[str]) -> int | None:
    """How well a known name's route marks fit the input's routes (None: they clash)."""
    if not marks:
        return 1
    if not given:
        return 0 if marks <= _DEFAULT_ROUTES else None
    for mark in marks:
        accepted = _SYSTEMIC_ROUTES if mark == "systemic" else frozenset({mark})
        if not accepted & given:
            return None
    return 2


class _Index:
    """Known names by their identifying words, built once per knowledge object."""

    def __init__(self, knowledge: InteractionKnowledge) -> None:
        self.knowledge = knowledge
        self.by_tokens: dict[tuple[str, ...], list[_Target]] = {}
        self.max_len = 1
        listed_by_tokens: dict[tuple[str, ...], tuple[ListName, str]] = {}
        for row in knowledge.listed:
            listed_by_tokens.setdefault(parse_drug_name(row.name).tokens, (row.list, row.name))

        covered: set[tuple[str, ...]] = set()

        def listed_for(names: Iterable[str]) -> tuple[ListName, str] | None:
            for name in names:
                found = listed_by_tokens.get(parse_drug_name(name).tokens)
                if found is not None:
                    return found
            return None

        # Seed-000 entries, by their own names.
        for entry in knowledge.entries:
            parsed = parse_drug_name(entry.name)
            covered.add(parsed.tokens)
            hit = listed_for([entry.name])
            self._add(
                parsed,
                _Target(
                    entry_ids=(entry.id,),
                    route_marks=parsed.routes,
                    via_member=False,
                    listed_in=hit[0] if hit else None,
                    listed_name=hit[1] if hit else None,
                ),
            )

        # Members: rows with the same drug are one drug sharing entries and aliases.
        drugs: dict[ParsedName, tuple[list[str], list[str]]] = {}
        for member in knowledge.members:
            names, entries = drugs.setdefault(parse_drug_name(member.drug), ([], []))
            for name in (member.drug, *member.aliases):
                if name not in names:
                    names.append(name)
            if member.entry not in entries:
                entries.append(member.entry)
        for names, entry_ids in drugs.values():
            hit = listed_for(names)
            for name in names:
                parsed = parse_drug_name(name)
                covered.add(parsed.tokens)
                self._add(
                    parsed,
                    _Target(
                        entry_ids=tuple(entry_ids),
                        route_marks=parsed.routes,
                        via_member=True,
                        listed_in=hit[0] if hit else None,
                        listed_name=hit[1] if hit else None,
                    ),
                )

        # Seed-001 names not already known through an entry or a member.
        for row in knowledge.listed:
            if parse_drug_name(row.name).tokens in covered:
                continue
            for name in (row.name, *row.aliases):
                parsed = parse_drug_name(name)
                self._add(
                    parsed,
                    _Target(
                        entry_ids=(row.entry,) if row.entry else (),
                        route_marks=parsed.routes,
                        via_member=True,
                        listed_in=row.list,
                        listed_name=row.name,
                    ),
                )

    def _add(self, parsed: ParsedName, target: _Target) -> None:
        if not parsed.tokens:
            return
        bucket = self.by_tokens.setdefault(parsed.tokens, [])
        if target not in bucket:
            bucket.append(target)
        self.max_len = max(self.max_len, len(parsed.tokens))

    def lookup(self, text: str) -> list[_Target]:
        """The targets of every maximal run of words of `text` that names something."""
        parsed = parse_drug_name(text)
        words = parsed.tokens
        spans: list[tuple[int, int, list[_Target]]] = []
        for start in range(len(words)):
            for stop in range(start + 1, min(len(words), start + self.max_len) + 1):
                bucket = self.by_tokens.get(words[start:stop])
                if not bucket:
                    continue
                scored = [
                    (score, t)
                    for t in bucket
                    if (score := _route_score(t.route_marks, parsed.routes)) is not None
                ]
                if scored:
                    best = max(score for score, _ in scored)
                    spans.append((start, stop, [t for score, t in scored if score == best]))
        targets: list[_Target] = []
        for start, stop, found in spans:
            inside_longer = any(
                s2 <= start and stop <= e2 and (s2, e2) != (start, stop) for s2, e2, _ in spans
            )
            if not inside_longer:
                targets.extend(t for t in found if t not in targets)
        return targets


_INDEX_CACHE: dict[int, _Index] = {}


def _index_for(knowledge: InteractionKnowledge) -> _Index:
    index = _INDEX_CACHE.get(id(knowledge))
    if index is None or index.knowledge is not knowledge:
        if len(_INDEX_CACHE) >= 8:
            _INDEX_CACHE.clear()
        index = _Index(knowledge)
        _INDEX_CACHE[id(knowledge)] = index
    return index


# ----------------------------------------------------------------- matching


def _hits_for(
    drug: str, targets: Sequence[_Target], knowledge: InteractionKnowledge
) -> tuple[list[InteractionHit], list[ListedOnlyHit]]:
    by_entry: dict[str, tuple[bool, ListName | None]] = {}
    listed_only: dict[str, ListName] = {}
    for target in targets:
        for entry_id in target.entry_ids:
            direct, listed = by_entry.get(entry_id, (False, None))
            by_entry[entry_id] = (direct or not target.via_member, listed or target.listed_in)
        if not target.entry_ids and target.listed_in and target.listed_name:
            listed_only.setdefault(target.listed_name, target.listed_in)

    hits: list[InteractionHit] = []
    for entry_id, (direct, listed) in by_entry.items():
        entry = knowledge.entry(entry_id)
        hits.append(
            InteractionHit(
                drug=drug,
                matched_entry=entry.name,
                risk=entry.risk,
                effect=entry.effect,
                management=entry.management,
                source=entry.source,
                via_group=entry.name if entry.kind == "group" and not direct else None,
                listed_in=listed,
                entry_id=entry.id,
            )
        )
    others: list[ListedOnlyHit] = []
    if not hits:
        for listed_name, list_name in listed_only.items():
            note = knowledge.note(list_name)
            others.append(
                ListedOnlyHit(
                    drug=drug,
                    listed_name=listed_name,
                    listed_in=list_name,
                    effect=note.effect,
                    management=note.management,
                    source=note.source,
                )
            )
    return hits, others


def _sort_key(hit: InteractionHit) -> tuple[int, str, str, str]:
    return (_RISK_ORDER[hit.risk], hit.matched_entry.casefold(), hit.drug.casefold(), hit.drug)


def match_medications(names: Sequence[str], knowledge: InteractionKnowledge) -> MatchResult:
    """Check each medication name against the knowledge base.

    Every distinct seed-000 entry a name reaches, directly or through a group, is one
    hit. A name that reaches none is returned in `unmatched` exactly as entered (and,
    when seed 001 lists it, also in `listed_only`): nothing is dropped silently.
    """
    index = _index_for(knowledge)
    hits: list[InteractionHit] = []
    unmatched: list[str] = []
    listed_only: list[ListedOnlyHit] = []
    for name in names:
        found, others = _hits_for(name, index.lookup(name), knowledge)
        if found:
            hits.extend(hit for hit in found if hit not in hits)
            continue
        if name not in unmatched:
            unmatched.append(name)
            listed_only.extend(others)
    hits.sort(key=_sort_key)
    return MatchResult(
        interactions=tuple(hits), unmatched=tuple(unmatched), listed_only=tuple(listed_only)
    )
