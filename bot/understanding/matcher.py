"""Fuzzy intent matching over the YAML intent files in intents/.

Each intent file holds example questions and key words. A question scores against an intent by how
well it matches the closest example (rapidfuzz, on folded text) blended with how many of the intent's
key words it contains (each word compared with a typo-tolerant ratio). The blend and the threshold were
chosen on the tuning questions in tests/questions.yaml with `python main.py eval`, see the README.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path

from rapidfuzz import fuzz, process
from wordfreq import get_frequency_dict

from bot.facts.dates import MONTHS
from bot.text import STOPWORDS, fold, is_number
from bot.understanding.language import INTENT_DIR, IntentSpec, Signals, load
CONFIDENCE_THRESHOLD = 0.55  # below this the bot says it is unsure rather than guessing
EXAMPLE_WEIGHT = 0.6  # the rest comes from key words
TYPO_RATIO = 84  # a word within this rapidfuzz ratio of a key word counts as that key word
SPELLING_RATIO = 80  # an unknown word this close to a word of the intents is read as that word
# ... unless it is an English word in its own right: "than" is not "thanks", nor "times" "time". wordfreq's
# small English list holds words down to 1 in a million; at 1 in 300,000 and above a word is common enough
# to have been meant ("wen", "happend" sit just below and are still corrected).
ENGLISH_FREQUENCY = 10 ** (3.5 - 9)  # Zipf 3.5
OPENER_BONUS = 10.0  # a question that opens like an intent's questions ("where ...") leans to it
LEAD_INS = frozenset({"and", "so", "ok", "okay", "but", "well", "then", "also", "hey", "please", "um"})
# Words that date the incident rather than shape the question ("the May 2018 airstrike").
NOISE = frozenset(MONTHS) | frozenset(str(y) for y in range(1900, 2100))


@dataclass(frozen=True)
class IntentMatch:
    intent: str | None  # None when below the threshold
    confidence: float
    best: str  # the best-scoring intent even when below the threshold
    scores: dict[str, float] = field(default_factory=dict, compare=False)


class IntentMatcher:
    def __init__(self, specs: list[IntentSpec] | tuple[IntentSpec, ...], threshold: float = CONFIDENCE_THRESHOLD,
                 signals: Signals | None = None) -> None:
        if not specs:
            raise ValueError("no intents to match")
        self.specs = {s.name: s for s in specs}
        self.signals = signals or load().signals
        self.threshold = threshold
        self._examples = {s.name: [fold(e) for e in s.examples] for s in specs}
        self._keywords = {s.name: [fold(k) for k in s.keywords] for s in specs}
        # Words any intent cares about: the resolver must not mistake them for an unknown incident name.
        self.vocabulary = frozenset(w for texts in chain(self._examples.values(), self._keywords.values())
                                    for text in texts for w in text.split())
        in_scope = [s.name for s in specs if s.name != "out_of_scope"]
        self._in_scope_words = frozenset(
            w for name in in_scope for text in [*self._keywords[name], *(fold(e) for e in self.specs[name].examples)]
            for w in text.split() if w not in STOPWORDS)
        self._spellings = sorted(self.vocabulary)
        self._english = get_frequency_dict("en", wordlist="small")
        # The engine and match() both ask about the same words of a question; bounded, as questions are hostile.
        self.correct = lru_cache(maxsize=4096)(self._correct)
        self._single_keywords = sorted({k for ks in self._keywords.values() for k in ks if " " not in k})
        # Every intent's score asks which key words each question word hits: a third of a question's time
        # when worked out again per intent, so worked out once per word.
        self._keyword_hits = lru_cache(maxsize=4096)(self._hits)
        # The frame reads a question's parts, then the pipeline reads the same words again: match them once.
        self.match = lru_cache(maxsize=4096)(self._match)

    @classmethod
    def from_dir(cls, path: str | Path = INTENT_DIR, threshold: float = CONFIDENCE_THRESHOLD) -> IntentMatcher:
        language = load(path)
        return cls(language.intents, threshold, language.signals)

    def has_keyword(self, text: str, intent: str | None = None) -> bool:
        """Whether the text holds a key word of `intent`, or of any in-scope intent ("and in Deir Ezzor?"
        holds none)."""
        query = " ".join(self.correct(w) for w in fold(text).split())
        names = [intent] if intent else [name for name in self.specs if name != "out_of_scope"]
        return any(self._keyword_score(query, name) > 0 for name in names)

    def knows(self, text: str) -> bool:
        """Whether the text has any word an in-scope intent uses (else it is chat about something else)."""
        return any(w in self._in_scope_words for w in fold(text).split())

    def is_common(self, word: str) -> bool:
        """An everyday English word ("recent"), not a name ("Raqqa") or a typo."""
        return self._english.get(word, 0.0) >= ENGLISH_FREQUENCY

    def _correct(self, word: str) -> str:
        """A misspelt question word as the intents spell it ("wen" -> "when", "denyed" -> "denied")."""
        if (word in self.vocabulary or len(word) < 3 or is_number(word)
                or self._english.get(word, 0.0) >= ENGLISH_FREQUENCY):
            return word
        hit = process.extractOne(word, self._spellings, scorer=fuzz.ratio, score_cutoff=SPELLING_RATIO)
        return hit[0] if hit else word

    def _match(self, text: str) -> IntentMatch:
        query = " ".join(self.correct(w) for w in fold(text).split() if w not in NOISE)
        if not query:
            return IntentMatch(None, 0.0, "out_of_scope")
        opening = " ".join(w for w in query.split() if w not in LEAD_INS) + " "
        scores = {name: EXAMPLE_WEIGHT * ex + (1 - EXAMPLE_WEIGHT) * self._keyword_score(query, name)
                  + (OPENER_BONUS if any(opening.startswith(o + " ") for o in self.specs[name].openers) else 0.0)
                  for name, ex in self._example_scores(query).items()}
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, top = ranked[0]
        confidence = round(min(top, 100.0) / 100, 3)
        return IntentMatch(best if confidence >= self.threshold else None, confidence, best, scores)

    def _example_scores(self, query: str) -> dict[str, float]:
        """Each intent's best score of its examples against the query. token_sort_ratio rewards same words in
        any order without letting a one-word example ("hi") score 100 against any question that contains it,
        which token_set_ratio and WRatio do. The best of each intent's is found in C (extractOne): taking it
        from every example's score in Python was 0.3 ms of each new question."""
        best = {}
        for name, examples in self._examples.items():
            hit = process.extractOne(query, examples, scorer=fuzz.token_sort_ratio)
            best[name] = hit[1] if hit else 0.0
        return best

    def _hits(self, word: str) -> frozenset[str]:
        """The one-word key words (of any intent) that `word` counts as: itself, or a typo of a long one."""
        # A word in its own right is not a typo ("were" is not "where"), though it may be another form of the
        # key word ("accuse" for "accused", "denies" for "denied").
        english = word in self.vocabulary or self._english.get(word, 0.0) >= ENGLISH_FREQUENCY
        return frozenset(kw for kw in self._single_keywords
                         if word == kw or (len(kw) >= 5 and len(word) >= 4 and fuzz.ratio(word, kw) >= TYPO_RATIO
                                           and (not english or word[:4] == kw[:4])))

    def _keyword_score(self, query: str, name: str) -> float:
        words = query.split()
        content = [w for w in words if w not in STOPWORDS] or words
        padded = f" {query} "
        found = frozenset().union(*map(self._keyword_hits, words))
        hits = 0.0
        for kw in self._keywords[name]:
            if " " in kw:
                hits += len(kw.split()) if f" {kw} " in padded else 0  # a phrase is stronger evidence than a word
            else:
                hits += kw in found
        # One key word is strong evidence in a short question and weaker in a long one.
        return min(100.0, 100.0 * hits / max(1.0, len(content) / 2))
