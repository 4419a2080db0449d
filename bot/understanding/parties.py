"""Finding people and organisations in text, and reading what a question asks about them.

`PartyFinder` is built from party records (the store's reads, handed in: this package never opens the
store) and finds them by name or alias in a question ("Rami Abdel Rahman", "mcgurk", "the SOHR"), in a
possessive ("the observatory's head"), or misspelt ("obsevatory"); the same finder reads a claim's free
text ("its head, Rami Abdel Rahman") to link claims to parties. `read_party_question` then says what the
question asks, from the words in intents/parties/questions.yaml. Everything is deterministic: ties break
on position, length and party id, never on hash order.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from bot.facts.models import Party
from bot.text import STOPWORDS, fold, tokens

WORDS_FILE = Path(str(files("intents"))) / "parties" / "questions.yaml"
TYPO_RATIO = 85  # a question word this close to a name word (of 5 letters or more) is that word misspelt
TYPO_MIN_LEN = 5


@dataclass(frozen=True)
class Mention:
    party_id: str
    start: int  # token positions [start, end) in the folded text
    end: int
    possessive: bool = False  # "the observatory's": what follows is theirs ("head", "figure")
    exact: bool = True


@dataclass(frozen=True)
class _Variant:
    party_id: str
    words: tuple[str, ...]
    shouted: str | None  # an alias made only of everyday words ("IS") counts only written in capitals


class PartyFinder:
    def __init__(self, parties: Iterable[Party]) -> None:
        variants: list[_Variant] = []
        for p in sorted(parties, key=lambda p: p.id):
            seen: set[tuple[str, ...]] = set()
            for name in (p.name, *p.aliases):
                words = tuple(tokens(name))
                while words and words[0] == "the":  # "the Observatory" is named "observatory" just as well
                    words = words[1:]
                if words and words not in seen:
                    seen.add(words)
                    shouted = name.strip() if all(w in STOPWORDS for w in words) else None
                    variants.append(_Variant(p.id, words, shouted))
        # Longest names first, so "the coalition's press office" wins over "the coalition" inside it.
        self._variants = sorted(variants, key=lambda v: (-len(v.words), v.party_id, v.words))
        self._vocabulary = frozenset(w for v in variants for w in v.words)
        self.parties_in = lru_cache(maxsize=4096)(self._parties_in)  # claims repeat the same few texts

    def find(self, words: list[str], original: str = "", fuzzy: bool = True) -> list[Mention]:
        """The parties named in `words` (folded tokens of `original`), in order, none overlapping."""
        found: list[Mention] = []
        taken: set[int] = set()
        for v in self._variants:
            if v.shouted is not None and not re.search(rf"\b{re.escape(v.shouted)}\b", original):
                continue
            n = len(v.words)
            starts = range(len(words) - n, -1, -1) if v.shouted else range(len(words) - n + 1)
            for i in starts:  # a shouted alias: the last match ("who is IS": not the verb)
                if taken & set(range(i, i + n)):
                    continue
                hit = self._match(words[i:i + n], v.words, fuzzy)
                if hit is not None:
                    exact, possessive = hit
                    found.append(Mention(v.party_id, i, i + n, possessive, exact))
                    taken |= set(range(i, i + n))
                    if v.shouted:
                        break
        return sorted(found, key=lambda m: m.start)

    def _match(self, got: list[str], want: tuple[str, ...], fuzzy: bool) -> tuple[bool, bool] | None:
        """(exact, possessive) if the question words say this name, else None."""
        exact, possessive = True, False
        for k, (g, w) in enumerate(zip(got, want)):
            if g == w:
                continue
            last = k == len(want) - 1
            if last and g == w + "s" and len(w) > 2:  # "observatorys" as fold writes "observatory's"
                possessive = True
                continue
            if (fuzzy and len(w) >= TYPO_MIN_LEN and g not in self._vocabulary and g not in STOPWORDS
                    and (fuzz.ratio(g, w) >= TYPO_RATIO or (last and fuzz.ratio(g, w + "s") >= TYPO_RATIO))):
                exact = False
                continue
            return None
        return exact, possessive

    def _parties_in(self, text: str) -> tuple[str, ...]:
        """The parties a claim's text names, in order of mention (exact names only: stored text is edited)."""
        return tuple(dict.fromkeys(m.party_id for m in self.find(tokens(text), text, fuzzy=False)))


# -- what a question asks ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartyWords:
    """intents/parties/questions.yaml, folded."""
    kind_verbs: tuple[tuple[str, tuple[str, ...]], ...]  # (claim kind or "any", phrases), in file order
    list_nouns: frozenset[str]
    list_verbs: tuple[tuple[str, tuple[str, ...]], ...]
    shape_words: dict[str, tuple[str, ...]]  # head, role, based, said
    openers: tuple[str, ...]
    bare_fillers: frozenset[str]
    accused_markers: frozenset[str]
    claimant_markers: frozenset[str]
    incident_pronouns: frozenset[str]
    incident_openers: tuple[str, ...]
    outlet_nouns: tuple[str, ...]
    outlet_verbs: tuple[str, ...]

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word of these phrases: question words, never incident names ("who is the head")."""
        phrases = [p for _, ps in (*self.kind_verbs, *self.list_verbs) for p in ps]
        phrases += [p for ps in self.shape_words.values() for p in ps]
        phrases += [*self.openers, *self.outlet_nouns, *self.outlet_verbs, *self.list_nouns]
        return frozenset(w for p in phrases for w in p.split())

    @classmethod
    def load(cls, path: Path = WORDS_FILE) -> PartyWords:
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        shapes = d["shapes"]

        def phrases(items: Iterable[str]) -> tuple[str, ...]:
            return tuple(fold(x) for x in items)

        inc = shapes["incidents"]
        return cls(
            kind_verbs=tuple((k, phrases(v)) for k, v in inc["verbs"].items()),
            list_nouns=frozenset(phrases(inc["list_nouns"])),
            list_verbs=tuple((k, phrases(v)) for k, v in inc["list_verbs"].items()),
            shape_words={s: phrases(shapes[s]["words"]) for s in ("head", "role", "based", "said")},
            openers=phrases(shapes["identity"]["openers"]),
            bare_fillers=frozenset(phrases(d["bare_fillers"])),
            accused_markers=frozenset(phrases(d["accused_markers"])),
            claimant_markers=frozenset(phrases(d["claimant_markers"])),
            incident_pronouns=frozenset(phrases(d["incident_pronouns"])),
            incident_openers=phrases(d["incident_openers"]),
            outlet_nouns=phrases(d["outlet"]["nouns"]),
            outlet_verbs=phrases(d["outlet"]["verbs"]),
        )


@dataclass(frozen=True)
class PartyQuestion:
    """What a question asks about the parties it names."""
    shape: str  # identity | role | based | head | said | incidents
    subject: str | None  # the party asked about (for incidents: who reported, denied or blamed)
    accused: str | None = None  # incidents: "blamed on Y"
    kinds: tuple[str, ...] | None = None  # incidents: the claim kinds asked for; None = any
    mentions: tuple[Mention, ...] = field(default=())
    bare: bool = False  # just the name ("McGurk?"): in a chat about an incident, more likely a follow-up


def has_phrase(words: list[str], phrase: str) -> bool:
    return f" {phrase} " in f" {' '.join(words)} "


def read_party_question(words: list[str], mentions: list[Mention], vocab: PartyWords,
                        typed: dict[str, str]) -> PartyQuestion | None:
    """What a question naming `mentions` asks, or None if it asks nothing about them that we answer.

    `words`: the question's folded tokens; `typed`: party id -> person | organisation."""
    if not mentions:
        return None
    opening = " ".join(w for w in words if w not in vocab.bare_fillers or w in ("what", "who")) + " "
    if any(opening.startswith(o + " ") for o in vocab.incident_openers):
        return None
    named = {i for m in mentions for i in range(m.start, m.end)}
    rest = [w for i, w in enumerate(words) if i not in named]
    subject, accused = _roles(words, mentions, vocab)

    kinds = _kinds(rest, vocab.kind_verbs)
    if kinds is None and any(w in vocab.list_nouns for w in rest):
        kinds = _kinds(rest, vocab.list_verbs)
    if kinds is not None and (subject or accused):
        return PartyQuestion("incidents", subject, accused, None if kinds == ("any",) else kinds, tuple(mentions))

    first = mentions[0]
    after = words[first.end:first.end + 1]
    owner = subject or accused or first.party_id
    for shape in ("head", "role", "based", "said"):
        if any(has_phrase(rest, p) for p in vocab.shape_words[shape]):
            if shape == "head" and typed.get(owner) == "person":
                shape = "role"  # "what does Rahman head?": his role
            if shape == "said" and first.possessive and after and after[0] not in vocab.shape_words["said"]:
                continue  # "the observatory's figure" is about a figure, not what it said in general
            return PartyQuestion(shape, owner, mentions=tuple(mentions))
    opening = " ".join(w for w in words[:first.start] if w != "the")
    if any(opening == o or opening.endswith(" " + o) for o in vocab.openers) and (
            first.end == len(words) or not first.possessive):
        return PartyQuestion("identity", owner, mentions=tuple(mentions))
    if rest and all(w in vocab.bare_fillers for w in rest) or not rest:
        return PartyQuestion("identity", owner, mentions=tuple(mentions), bare=True)  # "McGurk?", "and the SOHR?"
    return None


def _kinds(rest: list[str], table: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...] | None:
    for kind, phrases in table:
        if any(has_phrase(rest, p) for p in phrases):
            return (kind,)
    return None


def _roles(words: list[str], mentions: list[Mention], vocab: PartyWords) -> tuple[str | None, str | None]:
    """(who said it, who is accused): after "on"/"blamed" the accused, after "by" the claimant, else in order."""
    subject = accused = None
    for m in mentions:
        before = [w for w in words[max(0, m.start - 2):m.start] if w != "the"]
        marker = before[-1] if before else ""
        if marker in vocab.claimant_markers and subject is None:
            subject = m.party_id
        elif marker in vocab.accused_markers and accused is None:
            accused = m.party_id
        elif subject is None:
            subject = m.party_id
    return subject, accused


def asks_outlet(words: list[str], vocab: PartyWords) -> bool:
    """"Which outlet published the report on Al-Hari?": a publisher noun and a publishing verb."""
    return (any(has_phrase(words, n) for n in vocab.outlet_nouns)
            and any(has_phrase(words, v) for v in vocab.outlet_verbs))
