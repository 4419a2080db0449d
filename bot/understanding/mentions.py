"""Which parties a text names: "the Pentagon", "state media", "the Observatory's", "the US".

Parties are the people and organisations of the store's party records, and every claimant or accused party a
claim names even without a record. Each is known by a key: its party id when a record's name or alias fits
the claim's words ("the Syrian Observatory for Human Rights" -> syrian-observatory), else the claim's own
folded words. Built from store reads; the claims' strings repeat a lot, so this stays small at any size.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.facts.models import Claim, Party
from bot.text import ARTICLES, STOPWORDS, fold

# Words of a party's name that do not tell parties apart: "Syrian state media", "the Syrian Democratic Forces".
FILLER = frozenset("""
the a an of for and in on at to its it led backed based syrian forces force group media state office press
department human rights right people local
""".split()) | ARTICLES
MAX_ALIAS_WORDS = 8


@dataclass(frozen=True)
class Mention:
    key: str  # the party's key
    start: int  # token positions in the folded text, [start, end)
    end: int
    exact: bool  # a whole name or alias, not one word of it


@dataclass
class PartyNames:
    """Names -> party keys, with each key's display name."""
    _aliases: dict[tuple[str, ...], str] = field(default_factory=dict)
    _by_word: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # distinctive word -> keys
    display: dict[str, str] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # key -> keys of its members
    _leading: dict[str, str] = field(default_factory=dict)  # key -> the first distinctive word of its name
    _keys: dict[str, str | None] = field(default_factory=dict)  # claim string -> its party key (key_of)
    _words: frozenset[str] | None = None  # words(), until a name is added
    # Claim strings note_claim added, in order (each once: adding a name again changes nothing), so that
    # build(noted=...) makes the same names without reading every claim.
    noted: dict[str, None] = field(default_factory=dict)

    @classmethod
    def build(cls, parties: Iterable[Party], claims: Iterable[Claim], noted: Iterable[str] = ()) -> PartyNames:
        """From the party records and the claims; or, with `noted` (a saved copy of another PartyNames'),
        without reading every claim: the same adds in the same order give the same names."""
        names = cls()
        for p in parties:
            names.add(p.id, p.name, p.names())
            if p.member_of:
                names.members[p.member_of].add(p.id)
        for text in noted:
            names.note(text)
        for c in claims:
            names.note_claim(c)
        return names

    def add(self, key: str, display: str, aliases: Iterable[str]) -> None:
        self.display.setdefault(key, display)
        self._keys.clear()
        self._words = None
        for alias in aliases:
            words = tuple(_stem(w) for w in fold(alias).split())
            # "IS" (the Islamic State group) and "US" read as the words "is" and "us" in every question.
            if words and len(words) <= MAX_ALIAS_WORDS and not (len(words) == 1 and words[0] in STOPWORDS):
                self._aliases.setdefault(words, key)
                if words[0] == "the" and len(words) > 1:
                    self._aliases.setdefault(words[1:], key)
                distinctive = [w for w in words if w not in FILLER and w not in STOPWORDS]
                for w in distinctive:
                    self._by_word[w].add(key)
                if distinctive:
                    self._leading.setdefault(key, distinctive[0])

    def note_claim(self, claim: Claim) -> None:
        """Make the claim's claimant and accused party known (kept if a record already covers them)."""
        acted = claim.kind in ("blame", "denial", "perpetrator", "claim_responsibility")  # the value is a party
        for text in (claim.claimant, claim.value if acted and isinstance(claim.value, str) else None):
            if text and not self.key_of(text):
                self.note(text)

    def note(self, text: str) -> None:
        """A claimant or accused party no record covers, known by its own words."""
        self.add(fold(text), text, [text])
        self.noted[text] = None

    def words(self) -> frozenset[str]:
        """Every word of every party's names: "pentagon" names a party, not an incident we lack. Asked on every
        question, so kept until a name is added."""
        if self._words is None:
            self._words = frozenset(w for alias in self._aliases for w in alias)
        return self._words

    def key_of(self, text: str | None) -> str | None:
        """The party a claim's string names: the first whole name or alias in it, leftmost and longest.
        Claims repeat the same few strings, so each is read once (until a name is added)."""
        if not text:
            return None
        if text not in self._keys:
            exact = [m for m in self.find(text) if m.exact]
            self._keys[text] = exact[0].key if exact else None
        return self._keys[text]

    def find(self, text: str) -> list[Mention]:
        """Every party named in the text: whole names first (leftmost, longest), then single distinctive words
        ("the US" -> every party with US in its name) where no whole name covers them."""
        words = [_stem(w) for w in fold(text).split()]
        out: list[Mention] = []
        covered: set[int] = set()
        i = 0
        while i < len(words):
            for n in range(min(MAX_ALIAS_WORDS, len(words) - i), 0, -1):
                key = self._aliases.get(tuple(words[i:i + n]))
                if key and not (n == 1 and words[i] in FILLER):
                    out.append(Mention(key, i, i + n, True))
                    covered.update(range(i, i + n))
                    i += n
                    break
            else:
                i += 1
        for i, w in enumerate(words):
            if i not in covered and w not in FILLER and len(w) > 1:
                # Only the word a name leads with: "the US" is the US-led coalition, "president" is no one.
                for key in sorted(k for k in self._by_word.get(w, ()) if self._leading.get(k) == w):
                    out.append(Mention(key, i, i + 1, False))
        return out

    def related(self, key: str, said: Iterable[str] | None = None) -> set[str]:
        """The party, its members (the coalition's press office), and, when the words that named it (`said`)
        include the word its name leads with, the parties whose names lead with it too: "the US-led coalition"
        brings in the US Department of Defense; "the Pentagon" does not bring in the coalition."""
        out = {key} | self.members.get(key, set())
        lead = self._leading.get(key)
        if lead and said is not None and lead in {_stem(w) for w in said}:
            out |= {k for k in self._by_word.get(lead, ()) if self._leading.get(k) == lead}
        return out


def _stem(word: str) -> str:
    """Possessives as folded text writes them: "coalitions" (coalition's) -> "coalition", not "us" -> "u"."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word  # "afps"
