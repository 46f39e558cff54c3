"""The index of known names: entry names, member drugs and their aliases, seed-001 names.

Every known name is indexed by its identifying words, and by the spelling
skeletons of those words (in order and sorted, so "trioxido de arsenico" meets
"arsenic trioxide"). A lookup tries, in turn: the exact words; the skeletons
(another language's INN spelling); a small typo within `fuzzy_limit`. Each run
of consecutive words of the input is looked up; a run inside a longer matching
run is dropped, so "typhoid vaccine inactivated" beats "typhoid vaccine". When
several known names share the words, the one whose route fits the input best
wins (explicit route match > no route > default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from inocds.clinical.interactions.names import (
    DEFAULT_ROUTES,
    SYSTEMIC_ROUTES,
    ParsedName,
    edit_distance,
    normalize_drug_name,
    parse_drug_name,
    skeleton,
)
from inocds.clinical.interactions.results import MatchMethod
from inocds.protocol.interactions import InteractionKnowledge, ListName

__all__ = ["Found", "Index", "Target", "fuzzy_limit", "index_for"]

SPELLING_CONFIDENCE = 0.9
FUZZY_MIN_LENGTH = 6
"""Names (skeletons) shorter than this are never matched by edit distance."""
FUZZY_LONG_LENGTH = 12
"""From this length on, two edits are allowed; below it, one."""


@dataclass(frozen=True)
class Target:
    """What one known name points at."""

    entry_ids: tuple[str, ...]
    """Seed-000 entries the name leads to (empty for a seed-001-only drug)."""
    route_marks: frozenset[str]
    via_member: bool
    listed_in: ListName | None
    listed_name: str | None
    known_name: str = field(default="", compare=False)
    """The name as the data writes it (entry, member drug, brand or alias)."""
    canonical: str = ""
    """The drug's identity (normalised generic name), shared by its brands and spellings."""
    generic: str = field(default="", compare=False)
    """The drug's name as shown: the entry's or the member drug's."""


@dataclass(frozen=True)
class Found:
    """The targets one medication name reached, and how."""

    targets: tuple[Target, ...]
    method: MatchMethod = "exact"
    confidence: float = 1.0
    suggestions: tuple[str, ...] = ()


def fuzzy_limit(length: int) -> int:
    """The edits allowed for a name of `length` letters (0: too short to guess)."""
    if length < FUZZY_MIN_LENGTH:
        return 0
    return 1 if length < FUZZY_LONG_LENGTH else 2


def _route_score(marks: frozenset[str], given: frozenset[str]) -> int | None:
    """How well a known name's route marks fit the input's routes (None: they clash)."""
    if not marks:
        return 1
    if not given:
        return 0 if marks <= DEFAULT_ROUTES else None
    for mark in marks:
        accepted = SYSTEMIC_ROUTES if mark == "systemic" else frozenset({mark})
        if not accepted & given:
            return None
    return 2


def _skeletons(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(skeleton(t) for t in tokens)


Key = tuple[str, ...]
Spans = list[tuple[int, int, list[Target]]]


class Index:
    """Known names by their identifying words, built once per knowledge object."""

    def __init__(self, knowledge: InteractionKnowledge) -> None:
        self.knowledge = knowledge
        self.by_tokens: dict[Key, list[Target]] = {}
        self.by_skeleton: dict[Key, list[Target]] = {}
        self.by_sorted: dict[Key, list[Target]] = {}
        self.max_len = 1
        self._build()

    # ------------------------------------------------------------ building

    def _build(self) -> None:
        knowledge = self.knowledge
        listed_by_tokens: dict[Key, tuple[ListName, str]] = {}
        for row in knowledge.listed:
            listed_by_tokens.setdefault(parse_drug_name(row.name).tokens, (row.list, row.name))
        covered: set[Key] = set()

        def listed_for(names: Iterable[str]) -> tuple[ListName, str] | None:
            for name in names:
                found = listed_by_tokens.get(parse_drug_name(name).tokens)
                if found is not None:
                    return found
            return None

        for entry in knowledge.entries:
            parsed = parse_drug_name(entry.name)
            covered.add(parsed.tokens)
            hit = listed_for([entry.name])
            identity = (normalize_drug_name(entry.name), entry.name)
            self._add(parsed, entry.name, (entry.id,), False, hit, identity)

        # Members: rows with the same drug are one drug sharing entries and aliases.
        drugs: dict[ParsedName, tuple[list[str], list[str], list[str]]] = {}
        for member in knowledge.members:
            names, entries, listed_as = drugs.setdefault(parse_drug_name(member.drug), ([], [], []))
            for name in (member.drug, *member.aliases):
                if name not in names:
                    names.append(name)
            if member.entry not in entries:
                entries.append(member.entry)
            if member.listed_as and member.listed_as not in listed_as:
                listed_as.append(member.listed_as)
        for names, member_entries, listed_as in drugs.values():
            hit = listed_for([*listed_as, *names])
            identity = (normalize_drug_name(names[0]), names[0])
            for name in names:
                parsed = parse_drug_name(name)
                covered.add(parsed.tokens)
                self._add(parsed, name, tuple(member_entries), True, hit, identity)

        # Seed-001 names not already known through an entry or a member.
        for row in knowledge.listed:
            if parse_drug_name(row.name).tokens in covered:
                continue
            entry_ids = (row.entry,) if row.entry else ()
            identity = (normalize_drug_name(row.name), row.name)
            for name in (row.name, *row.aliases):
                self._add(
                    parse_drug_name(name), name, entry_ids, True, (row.list, row.name), identity
                )

    def _add(
        self,
        parsed: ParsedName,
        name: str,
        entry_ids: tuple[str, ...],
        via_member: bool,
        listed: tuple[ListName, str] | None,
        identity: tuple[str, str],
    ) -> None:
        if not parsed.tokens:
            return
        target = Target(
            entry_ids=entry_ids,
            route_marks=parsed.routes,
            via_member=via_member,
            listed_in=listed[0] if listed else None,
            listed_name=listed[1] if listed else None,
            known_name=name,
            canonical=identity[0],
            generic=identity[1],
        )
        skeletons = _skeletons(parsed.tokens)
        for table, key in (
            (self.by_tokens, parsed.tokens),
            (self.by_skeleton, skeletons),
            (self.by_sorted, tuple(sorted(skeletons))),
        ):
            bucket = table.setdefault(key, [])
            if target not in bucket:
                bucket.append(target)
        self.max_len = max(self.max_len, len(parsed.tokens))

    # ------------------------------------------------------------ lookup

    def _spans(
        self, parsed: ParsedName, key: Callable[[Key], Key], table: dict[Key, list[Target]]
    ) -> Spans:
        words = parsed.tokens
        spans: Spans = []
        for start in range(len(words)):
            for stop in range(start + 1, min(len(words), start + self.max_len) + 1):
                bucket = table.get(key(words[start:stop]))
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
        return spans

    @staticmethod
    def _maximal(spans: Spans) -> tuple[Target, ...]:
        targets: list[Target] = []
        for start, stop, found in spans:
            inside_longer = any(
                s2 <= start and stop <= e2 and (s2, e2) != (start, stop) for s2, e2, _ in spans
            )
            if not inside_longer:
                targets.extend(t for t in found if t not in targets)
        return tuple(targets)

    def lookup(self, text: str) -> Found:
        """The targets of every maximal run of words of `text` that names something."""
        parsed = parse_drug_name(text)
        exact = self._maximal(self._spans(parsed, lambda k: k, self.by_tokens))
        if exact:
            return Found(exact)
        spelled = self._maximal(self._spans(parsed, _skeletons, self.by_skeleton))
        if not spelled:
            spelled = self._maximal(
                self._spans(parsed, lambda k: tuple(sorted(_skeletons(k))), self.by_sorted)
            )
        if spelled:
            return Found(spelled, "spelling", SPELLING_CONFIDENCE)
        if self._named_by_another_route(parsed):
            return Found(())
        return self._fuzzy(parsed)

    def _named_by_another_route(self, parsed: ParsedName) -> bool:
        """The words (or their skeletons) name a known drug whose routes exclude the input's.

        "erythromycin eye ointment" is erythromycin by another route, not a typo:
        no guess is made.
        """
        words, skeletons = parsed.tokens, _skeletons(parsed.tokens)
        for start in range(len(words)):
            for stop in range(start + 1, min(len(words), start + self.max_len) + 1):
                if words[start:stop] in self.by_tokens or skeletons[start:stop] in self.by_skeleton:
                    return True
        return False

    def _fuzzy(self, parsed: ParsedName) -> Found:
        """The one known name within the typo limit of a run of the input's words.

        Conservative: at least FUZZY_MIN_LENGTH letters, one edit below
        FUZZY_LONG_LENGTH letters and two from there, the same first letter, and
        a single drug at the best distance (two drugs equally close: no match,
        both given as suggestions).
        """
        words = _skeletons(parsed.tokens)
        best: dict[str, tuple[int, int, list[Target]]] = {}
        for start in range(len(words)):
            for stop in range(start + 1, min(len(words), start + self.max_len) + 1):
                run = " ".join(words[start:stop])
                limit = fuzzy_limit(len(run.replace(" ", "")))
                if not limit:
                    continue
                for key, bucket in self.by_skeleton.items():
                    if len(key) != stop - start or key[0][:1] != run[:1]:
                        continue
                    distance = edit_distance(run, " ".join(key), limit)
                    if distance > limit:
                        continue
                    fitting = [
                        t for t in bucket if _route_score(t.route_marks, parsed.routes) is not None
                    ]
                    for target in fitting:
                        seen = best.get(target.canonical)
                        if seen is None or distance < seen[0]:
                            best[target.canonical] = (distance, len(run), [target])
                        elif distance == seen[0] and target not in seen[2]:
                            seen[2].append(target)
        if not best:
            return Found(())
        lowest = min(d for d, _, _ in best.values())
        winners = sorted(c for c, (d, _, _) in best.items() if d == lowest)
        if len(winners) > 1:
            names = tuple(best[c][2][0].generic for c in winners)
            return Found((), "fuzzy", 0.0, names)
        distance, length, targets = best[winners[0]]
        confidence = round(max(0.0, 1 - distance / length) * SPELLING_CONFIDENCE, 2)
        return Found(tuple(targets), "fuzzy", confidence)


_INDEX_CACHE: dict[int, Index] = {}


def index_for(knowledge: InteractionKnowledge) -> Index:
    """The index of `knowledge`, built once per knowledge object."""
    index = _INDEX_CACHE.get(id(knowledge))
    if index is None or index.knowledge is not knowledge:
        if len(_INDEX_CACHE) >= 8:
            _INDEX_CACHE.clear()
        index = Index(knowledge)
        _INDEX_CACHE[id(knowledge)] = index
    return index
