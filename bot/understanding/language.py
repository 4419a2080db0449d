"""The words the bot understands, read in one place from intents/: one YAML file per intent, and
`signals.yaml` for the words that shape a question beyond its intent (spanning incidents, comparing, yes/no,
premises, opinions). Everything else asks this module; nothing else opens those files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any


from bot.text import fold
from bot.yamldata import safe_load

INTENT_DIR = Path(str(files("intents")))  # the YAML files; intents/ holds data only
SIGNALS_FILE = "signals.yaml"


@dataclass(frozen=True)
class IntentSpec:
    name: str
    about_incident: bool
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    button: str | None = None
    openers: tuple[str, ...] = ()  # how questions of this intent start: "where", "how many"
    claims: tuple[str, ...] | None = None  # kinds of claim that make an incident a sensible answer; None: any
    follow_up: int | None = None  # its place among the follow-up buttons under an answer; None: not offered


@dataclass(frozen=True)
class Act:
    """What a party did, as a question words it ("admit") and the claims that would show it, or its opposite."""
    name: str
    words: tuple[str, ...]
    kinds: tuple[str, ...]
    against: tuple[str, ...]
    intent: str | None = None  # the intent that lists such claims ("did the Pentagon admit anything?")


@dataclass(frozen=True)
class Signals:
    joins: tuple[str, ...]
    question_starts: frozenset[str]
    yes_no_starts: frozenset[str]
    tag_questions: tuple[str, ...]
    across_determiners: tuple[str, ...]
    across_nouns: tuple[str, ...]
    untyped_nouns: frozenset[str]
    everything: tuple[str, ...]
    count: tuple[str, ...]
    listed_pronouns: tuple[str, ...]
    above: tuple[str, ...]
    below: tuple[str, ...]
    most: tuple[str, ...]
    least: tuple[str, ...]
    more: tuple[str, ...]
    less: tuple[str, ...]
    same: tuple[str, ...]
    sides: tuple[str, ...]
    acts: tuple[Act, ...]
    presuppose: tuple[str, ...]
    opinions: tuple[str, ...]
    arithmetic: tuple[str, ...]
    place_prepositions: frozenset[str] = frozenset()
    victim_groups: tuple[str, ...] = ()
    wh_alone: frozenset[str] = frozenset()
    total: tuple[str, ...] = ()
    latest: tuple[str, ...] = ()
    earlier: tuple[str, ...] = ()
    later: tuple[str, ...] = ()
    earliest: tuple[str, ...] = ()
    # (phrase, unit, step): ("the month before", "month", -1), longest phrase first
    relative_dates: tuple[tuple[str, str, int], ...] = ()
    compass: frozenset[str] = frozenset()
    copulas: tuple[str, ...] = ()
    kill_verbs: frozenset[str] = frozenset()
    said_nouns: frozenset[str] = frozenset()
    quote_openers: tuple[str, ...] = ()
    relatives: tuple[str, ...] = ()  # the victim clause: "the one where Russians died"
    deaths: tuple[str, ...] = ()
    other_one: tuple[str, ...] = ()
    why_alone: tuple[str, ...] = ()
    prefaces: tuple[str, ...] = ()
    noise: tuple[str, ...] = ()
    time_units: frozenset[str] = frozenset()
    type_words: dict[str, str] = field(default_factory=dict)  # "raids" -> "strike": the type it asks for
    words: frozenset[str] = field(default=frozenset())  # every word above: not names of incidents


@dataclass(frozen=True)
class Language:
    intents: tuple[IntentSpec, ...]
    signals: Signals


def load(path: str | Path = INTENT_DIR) -> Language:
    specs = []
    signals = None
    for f in sorted(Path(path).glob("*.yaml")):
        d = safe_load(f.read_text(encoding="utf-8"))
        if f.name == SIGNALS_FILE:
            signals = _signals(d)
            continue
        claims = d.get("claims")
        specs.append(IntentSpec(d["intent"], bool(d.get("about_incident")), tuple(d.get("examples") or ()),
                                tuple(d.get("keywords") or ()), d.get("button"),
                                tuple(fold(o) for o in d.get("openers") or ()),
                                tuple(claims) if claims else None, d.get("follow_up")))
    return Language(tuple(specs), signals or _signals({}))


def _signals(d: dict[str, Any]) -> Signals:
    def words(*keys: str) -> tuple[str, ...]:
        node: Any = d
        for k in keys:
            node = (node or {}).get(k)
        # Longest first, so "more than" is read before "more" and "all the strikes" before "all".
        return tuple(sorted({fold(str(w)) for w in node or ()}, key=lambda w: (-len(w.split()), w)))

    acts = tuple(Act(name, words("acts", name, "words"), tuple((d.get("acts") or {})[name].get("kinds") or ()),
                     tuple((d.get("acts") or {})[name].get("against") or ()), (d.get("acts") or {})[name].get("intent"))
                 for name in (d.get("acts") or {}))
    s = Signals(
        joins=words("joins"), question_starts=frozenset(words("question_starts")),
        yes_no_starts=frozenset(words("yes_no_starts")), tag_questions=words("tag_questions"),
        across_determiners=words("across", "determiners"), across_nouns=words("across", "nouns"),
        untyped_nouns=frozenset(words("across", "untyped")), everything=words("across", "everything"),
        count=words("across", "count"), listed_pronouns=words("listed_pronouns"),
        above=words("figures", "above"), below=words("figures", "below"),
        most=words("superlatives", "most"), least=words("superlatives", "least"),
        more=words("comparisons", "more"), less=words("comparisons", "less"), same=words("comparisons", "same"),
        sides=words("comparisons", "sides"), acts=acts, presuppose=words("presuppose"),
        opinions=words("opinions", "phrases"), arithmetic=words("arithmetic"),
        place_prepositions=frozenset(words("place_prepositions")), victim_groups=words("victim_groups"),
        wh_alone=frozenset(words("wh_alone")), total=words("total"), latest=words("latest"),
        earlier=words("comparisons", "earlier"), later=words("comparisons", "later"), earliest=words("earliest"),
        compass=frozenset(words("compass")), copulas=words("copulas"), kill_verbs=frozenset(words("kill_verbs")),
        said_nouns=frozenset(words("said_nouns")), quote_openers=words("quote_openers"),
        relatives=words("victim_clause", "relatives"), deaths=words("victim_clause", "deaths"),
        other_one=words("other_one"), why_alone=words("why_alone"), prefaces=words("prefaces"), noise=words("noise"),
        time_units=frozenset(words("time_units")),
        relative_dates=tuple(sorted(((p, unit, -1 if way == "before" else 1) for unit in ("month", "year")
                                     for way in ("before", "after") for p in words("relative_dates", unit, way)),
                                    key=lambda r: (-len(r[0].split()), r[0]))),
        type_words={fold(k): fold(v) for k, v in ((d.get("across") or {}).get("types") or {}).items()})
    every = {w for name in ("across_nouns", "across_determiners", "everything", "most", "least", "more", "less",
                            "same", "above", "below", "latest", "earliest")
             for phrase in getattr(s, name) for w in phrase.split()}
    every |= {w for a in acts for phrase in a.words for w in phrase.split()}
    return Signals(**{**s.__dict__, "words": frozenset(every)})


def has_phrase(text: str, phrases: tuple[str, ...]) -> str | None:
    """The first of `phrases` (longest first) found as whole words in folded `text`."""
    padded = f" {text} "
    return next((p for p, q in zip(phrases, _padded(phrases)) if q in padded), None)


def found_phrases(text: str, phrases: tuple[str, ...]) -> list[str]:
    """Every one of `phrases` found as whole words in folded `text`, in their order."""
    padded = f" {text} "
    return [p for p, q in zip(phrases, _padded(phrases)) if q in padded]


# The signal tuples are few and read for every question: building " p " each time was most of has_phrase.
@lru_cache(maxsize=1024)
def _padded(phrases: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f" {p} " for p in phrases)
