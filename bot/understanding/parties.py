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

from rapidfuzz import fuzz, process

from bot.facts.models import Party
from bot.text import STOPWORDS, fold, tokens
from bot.yamldata import safe_load

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
            if p.type == "person":  # "Rami", "Brett": one word of a person's name names them too
                for word in tokens(p.name):
                    if len(word) >= 4 and word not in STOPWORDS and (word,) not in seen:
                        seen.add((word,))
                        variants.append(_Variant(p.id, (word,), None))
        # Longest names first, so "the coalition's press office" wins over "the coalition" inside it.
        self._variants = sorted(variants, key=lambda v: (-len(v.words), v.party_id, v.words))
        self._by_first: dict[str, list[tuple[int, _Variant]]] = {}
        for rank, v in enumerate(self._variants):
            self._by_first.setdefault(v.words[0], []).append((rank, v))
        self._vocabulary = sorted({w for v in variants for w in v.words})
        self._known = frozenset(self._vocabulary)
        # Every question passes through find(): each word is compared with the name words once, in C, and
        # remembered; the few names that start with a word that matched are then checked word by word.
        self._word_matches = lru_cache(maxsize=8192)(self._matches_of)
        self.parties_in = lru_cache(maxsize=4096)(self._parties_in)  # claims repeat the same few texts

    def find(self, words: list[str], original: str = "", fuzzy: bool = True) -> list[Mention]:
        """The parties named in `words` (folded tokens of `original`), in order, none overlapping."""
        seen = [self._word_matches(w, fuzzy) for w in words]
        hits: list[tuple[int, int, int, Mention]] = []
        for i, matches in enumerate(seen):
            for first in matches:
                for rank, v in self._by_first.get(first, ()):
                    n = len(v.words)
                    if i + n > len(words) or any(v.words[k] not in seen[i + k] for k in range(1, n)):
                        continue
                    if v.shouted is not None and not re.search(rf"\b{re.escape(v.shouted)}\b", original):
                        continue
                    got = [seen[i + k][v.words[k]] for k in range(n)]
                    # "observatorys" is "observatory's" as folded: only the last word of a name takes it.
                    if any(possessive for _, possessive in got[:-1]):
                        continue
                    mention = Mention(v.party_id, i, i + n, got[-1][1], all(exact for exact, _ in got))
                    # a shouted alias ("IS"): the last match, so "who is IS" is not the verb
                    hits.append((-n, -i if v.shouted else i, rank, mention))
        found: list[Mention] = []
        taken: set[int] = set()
        shouted_once: set[int] = set()
        for _, _, rank, m in sorted(hits, key=lambda h: h[:3]):
            span = set(range(m.start, m.end))
            if taken & span or rank in shouted_once:
                continue
            if self._variants[rank].shouted:
                shouted_once.add(rank)
            found.append(m)
            taken |= span
        return sorted(found, key=lambda m: m.start)

    def _matches_of(self, word: str, fuzzy: bool) -> dict[str, tuple[bool, bool]]:
        """Name words this question word may be: name word -> (exact, possessive)."""
        out: dict[str, tuple[bool, bool]] = {}
        if word in self._known:
            out[word] = (True, False)
        if word.endswith("s") and len(word) > 3 and word[:-1] in self._known:
            out.setdefault(word[:-1], (True, True))
        if fuzzy and word not in self._known and word not in STOPWORDS and len(word) >= TYPO_MIN_LEN - 1:
            for name_word, _, _ in process.extract(word, self._vocabulary, scorer=fuzz.ratio,
                                                   score_cutoff=TYPO_RATIO, limit=None):
                if len(name_word) >= TYPO_MIN_LEN:
                    out.setdefault(name_word, (False, False))
            if word.endswith("s"):
                for name_word, _, _ in process.extract(word[:-1], self._vocabulary, scorer=fuzz.ratio,
                                                       score_cutoff=TYPO_RATIO, limit=None):
                    if len(name_word) >= TYPO_MIN_LEN:
                        out.setdefault(name_word, (False, True))
        return out

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
    shape_words: dict[str, tuple[str, ...]]  # identity, head, role, based, said
    openers: tuple[str, ...]
    bare_fillers: frozenset[str]
    accused_markers: frozenset[str]
    claimant_markers: frozenset[str]
    passive_markers: frozenset[str]
    incident_pronouns: frozenset[str]
    incident_openers: tuple[str, ...]
    person_pronouns: frozenset[str]
    organisation_pronouns: frozenset[str]
    organisation_words: tuple[str, ...]
    outlet_nouns: tuple[str, ...]
    outlet_verbs: tuple[str, ...]
    outlet_questions: tuple[str, ...]

    @property
    def said_words(self) -> frozenset[str]:
        """One-word signs of a question about what someone said ("say", "reported", "cite")."""
        return frozenset(p for p in self.shape_words["said"] if " " not in p)

    @property
    def pronouns(self) -> frozenset[str]:
        return self.person_pronouns | self.organisation_pronouns

    @property
    def head_words(self) -> frozenset[str]:
        return frozenset(p for p in self.shape_words["head"] if " " not in p)

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word of these phrases: question words, never incident names ("who is the head")."""
        phrases = [p for _, ps in (*self.kind_verbs, *self.list_verbs) for p in ps]
        phrases += [p for ps in self.shape_words.values() for p in ps]
        phrases += [*self.openers, *self.outlet_nouns, *self.outlet_verbs, *self.outlet_questions, *self.list_nouns]
        return frozenset(w for p in phrases for w in p.split())

    @classmethod
    def load(cls, path: Path = WORDS_FILE) -> PartyWords:
        d = safe_load(path.read_text(encoding="utf-8"))
        shapes = d["shapes"]

        def phrases(items: Iterable[str]) -> tuple[str, ...]:
            return tuple(fold(x) for x in items)

        inc = shapes["incidents"]
        return cls(
            kind_verbs=tuple((k, phrases(v)) for k, v in inc["verbs"].items()),
            list_nouns=frozenset(phrases(inc["list_nouns"])),
            list_verbs=tuple((k, phrases(v)) for k, v in inc["list_verbs"].items()),
            shape_words={s: phrases(shapes[s]["words"]) for s in ("identity", "head", "role", "based", "said")},
            openers=phrases(shapes["identity"]["openers"]),
            bare_fillers=frozenset(phrases(d["bare_fillers"])),
            accused_markers=frozenset(phrases(d["accused_markers"])),
            claimant_markers=frozenset(phrases(d["claimant_markers"])),
            passive_markers=frozenset(phrases(d["passive_markers"])),
            incident_pronouns=frozenset(phrases(d["incident_pronouns"])),
            incident_openers=phrases(d["incident_openers"]),
            person_pronouns=frozenset(phrases(d["person_pronouns"])),
            organisation_pronouns=frozenset(phrases(d["organisation_pronouns"])),
            organisation_words=phrases(d["organisation_words"]),
            outlet_nouns=phrases(d["outlet"]["nouns"]),
            outlet_verbs=phrases(d["outlet"]["verbs"]),
            outlet_questions=phrases(d["outlet"]["questions"]),
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
    of_head: bool = False  # about the subject's head or spokesperson ("what did the observatory's head say?")


def pronoun_mention(words: list[str], party_id: str, person: bool, vocab: PartyWords) -> list[Mention]:
    """"what is his job?" after a question about a person, "where are they based?" after one naming an
    organisation: the pronoun as a mention of them."""
    pronouns = vocab.person_pronouns if person else vocab.organisation_pronouns
    for i, w in enumerate(words):
        if w in pronouns:
            return [Mention(party_id, i, i + 1, possessive=w in ("his", "her", "hers", "its", "their"))]
    return []


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
    headed = _head_of(words, mentions, vocab)
    if headed and typed.get(headed) != "person":
        # "What did the observatory's head say?" asks about its head; "who is the head of the SOHR?" who that is.
        rest = [w for w in rest if w not in vocab.head_words]
        shape = next((s for s in ("identity", "based", "said", "role")
                      if any(has_phrase(rest, p) for p in vocab.shape_words[s])), "head")
        return PartyQuestion(shape, headed, mentions=tuple(mentions), of_head=shape != "head")
    opening = " ".join(w for w in words[:first.start] if w != "the")
    if opening in ("who is", "who was", "who are", "who exactly is") and not first.possessive:
        return PartyQuestion("identity", owner, mentions=tuple(mentions))  # "who's Assad, according to you?"
    for shape in ("identity", "based", "said", "role", "head"):
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


def _head_of(words: list[str], mentions: list[Mention], vocab: PartyWords) -> str | None:
    """The organisation whose head the question names: "the observatory's head", "the head of the SOHR"."""
    for m in mentions:
        if m.possessive and m.end < len(words) and words[m.end] in vocab.head_words:
            return m.party_id
        before = [w for w in words[max(0, m.start - 3):m.start] if w != "the"]
        if len(before) >= 2 and before[-1] in ("of", "for") and before[-2] in vocab.head_words:
            return m.party_id
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
        # "has the coalition been blamed", "was the coalition blamed": the verb's object, not who blamed
        passive = m.end < len(words) and words[m.end] in vocab.passive_markers or marker in vocab.passive_markers
        if marker in vocab.claimant_markers and subject is None:
            subject = m.party_id
        elif (marker in vocab.accused_markers or passive) and accused is None:
            accused = m.party_id
        elif subject is None:
            subject = m.party_id
    return subject, accused


def asks_outlet(words: list[str], vocab: PartyWords) -> bool:
    """"Which outlet published the report on Al-Hari?": a publisher noun and a publishing verb."""
    return (any(has_phrase(words, n) for n in vocab.outlet_nouns)
            and any(has_phrase(words, v) for v in vocab.outlet_verbs))


def asks_source(words: list[str], vocab: PartyWords) -> bool:
    """"Which news agency is all this from?", "the dateline of the AFP report": about the report itself, even
    when it names its publisher."""
    return any(has_phrase(words, q) for q in vocab.outlet_questions)
