"""Which incident a question is about: fuzzy names, transliterations, months and years.

Built for thousands of incidents: names are cut into tokens under a transliteration-tolerant key
(`name_key`), and a question only ever scores the incidents that share a token (exact, or fuzzy through a
character-trigram index of the key vocabulary) or its month and year. Rapidfuzz then compares just those
few keys, so the cost follows the question, not the size of the database.
"""
from __future__ import annotations

import math
import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple
from itertools import accumulate, chain, islice

from rapidfuzz import fuzz, process

from bot.store.bulk import bulk_build
from bot.understanding.packing import Deferred, Unpacking, count, pack, size, unpack
from bot.understanding.per_claim import Tallies
from bot.facts.dates import LONG_MONTHS, MONTHS, YEAR_RE
from bot.facts.models import Claim, Incident
from bot.text import ARTICLES, STOPWORDS, is_number, name_key, tokens

# Words that name a kind of event or place rather than one incident.
GENERIC = frozenset("""
airstrike airstrikes strike strikes attack attacks raid raids air bombing bombings bomb shelling massacre
incident incidents event one province town village city area region district governorate operation
offensive capture fall battle clash clashes explosion blast killing killings
""".split())

ACCEPT = 0.6  # a candidate below this is not taken as the incident meant ...
CLEAR_LEAD_ACCEPT, CLEAR_LEAD = 0.45, 0.15  # ... unless it is at least this good and this far ahead of the next
NEAR = 0.3  # a candidate below this is not even offered as "did you mean"
AMBIGUOUS_MARGIN = 0.12  # candidates this close to the best one make the question ambiguous
MAX_LISTED = 8  # candidates kept, best first; as many as a "which incident?" choice offers
FUZZY_RATIO = 75  # rapidfuzz ratio between name keys that counts as the same name
MAX_POSTING = 2000  # a token shared by more incidents than this only scores, it does not nominate
MAX_DESCRIBED = 500  # a description word in more incidents than this is not counted: it tells little, costs much
MAX_FUZZY_SPANS = 12  # fuzzy-match this many spans of a question at most: 80 made-up names took 0.4 s
MAX_NEAR_KEYS = 24  # a question word is compared with at most this many similar name keys
NEAR_KEYS_CACHED = 4096  # question words whose similar keys are kept: finding them was half of a question's time
MAX_DATE_NOMINEES = 50
FIGURE_SCORE = 0.7  # "the 38 figure": a reported number names its incident, if few incidents share it
FIGURE_BONUS = 0.3  # ... and backs up weaker evidence
DESCRIPTION_MIN_SIM = 0.88  # "iraq" ~ "iraqi" (0.89) counts in a description; looser matches do not
DESCRIPTION_WEIGHT = 0.7  # "the strike near the Iraq border": words from an incident's description
DATE_MISMATCH = 0.3  # taken off an incident whose date the question's contradicts
COUNTRY_WEIGHT = 0.7  # a bare country name ("Syria") names a war toll only when nothing more specific fits


@dataclass(frozen=True)
class Candidate:
    incident_id: str
    score: float
    tokens: frozenset[int]  # positions of the question's tokens that named it


@dataclass
class Resolution:
    candidates: list[Candidate] = field(default_factory=list)  # best first, score >= ACCEPT
    near: list[Candidate] = field(default_factory=list)  # below ACCEPT: "did you mean"
    unknown_name: str | None = None  # a name in the question that no incident has
    rest: str = ""  # the question without the words that named the incident, for intent matching
    close: list[Candidate] = field(default_factory=list)  # all within AMBIGUOUS_MARGIN of the best, unlisted too
    # Named, but the question's date rules them out: "Al-Hari in 2016" is not the Al-Hari strike of 2018.
    ruled_out: list[Candidate] = field(default_factory=list)
    dated_out: list[Candidate] = field(default_factory=list)  # the same, even beside another candidate
    asked_date: tuple[int | None, int | None] = (None, None)  # (month, year) the question gives
    # Named by what happened in it, as the frame read it: "the strike the Pentagon denied", "the one where
    # Russians died" (the parties in such words are not what the question asks about).
    described: bool = False

    @property
    def ambiguous(self) -> bool:
        return len(self.close) > 1


@dataclass(slots=True)  # 500,000 of them at 100,000 incidents
class _Name:
    incident_id: str
    keys: tuple[str, ...]


class _Part(NamedTuple):
    """What one incident put into the index, so an update can take exactly that out again."""
    first_name: int
    end_name: int  # its names are _names[first_name:end_name]
    country: tuple[str, ...] | None
    figures: tuple[int, ...] = ()
    # its description keys; from a saved index, packed numbers in IncidentIndex._saved_words until needed
    described: tuple[str, ...] | str = ()


class IncidentIndex:
    """Built once at start-up; `update` and `remove` then keep it current one incident at a time (they edit
    it in place: the caller runs them in turn with questions, as Engine.refresh_index does).

    Term weights (idf) of the words an update touches are recomputed with the current number of incidents;
    the others keep theirs until the next build, a drift of one in the incident count's size per change."""

    @bulk_build()  # millions of postings at 100,000 incidents; see bot/store/bulk.py
    def __init__(self, incidents: Iterable[Incident], figures: dict[str, set[int]] | None = None,
                 descriptions: dict[str, str] | None = None) -> None:
        """`figures`: the casualty numbers reported for each incident, so "where does the 38 come from" works;
        `descriptions`: further text about each (who said what), so "the coalition press office" finds it."""
        self._names: list[_Name | None] = []  # None: the name of an incident since updated or removed
        # By name number: the sum of its keys' idf, negative if a key repeats, NaN until a question needs it.
        self._weights = _unknown_weights(0)
        # key -> name numbers, 4 bytes each (a list of ints took 36): millions at 100,000 incidents
        self._postings: dict[str, array[int]] = defaultdict(_numbers)
        self._by_month: dict[tuple[int, int], list[str]] = defaultdict(list)
        self._by_year: dict[int, list[str]] = defaultdict(list)
        self._by_month_any_year: dict[int, list[str]] = defaultdict(list)
        self._by_figure: dict[int, list[str]] = defaultdict(list)
        self._described: dict[str, list[str]] = defaultdict(list)  # description key -> incident ids
        self._dates: dict[str, tuple[int | None, int | None]] = {}
        self._countries: dict[tuple[str, ...], int] = defaultdict(int)  # country name keys -> incidents there
        self._country_set: set[str] | None = None  # the words of _countries, made when needed
        self._parts: dict[str, _Part] = {}
        self._saved_words: list[str] = []  # the key strings of a saved index, by number (load)
        self._loaded_ids: list[str] = []  # the incidents of a saved index, by number
        self._df: dict[str, int] = defaultdict(int)  # name key -> incidents whose names have it
        self._near_keys: dict[str, list[str]] = {}  # _fuzzy_keys' answers while the key vocabulary stays as it is
        self._claim_facts = Tallies(claim_facts)  # for update
        incidents = list(incidents)
        for incident in incidents:
            self._add_names(incident)
        figures, descriptions = figures or {}, descriptions or {}
        for incident in incidents:
            self._add_facts(incident.id, figures.get(incident.id, ()),
                            self._description_keys(descriptions.get(incident.id, "")))
        self._finish()

    def to_data(self) -> dict[str, Any]:
        """Everything `load` needs to make this index again, as JSON: each key string once (in `words`),
        incidents by their number in `ids`, lists of numbers packed (understanding/packing.py)."""
        ids = list(self._parts)
        number = {iid: n for n, iid in enumerate(ids)}
        renumber = array("i", (number.get(iid, -1) for iid in self._loaded_ids))
        vocab: dict[str, int] = {}

        def w(keys: Iterable[str]) -> str:
            return pack(vocab.setdefault(k, len(vocab)) for k in keys)

        def lists(table: dict[str, Any], numbers: Any = lambda v: v) -> list[Any]:  # keys, then their lists
            return [w(table), [pack(numbers(v)) for v in table.values()]]

        def by_id(table: dict[Any, list[str]]) -> list[Any]:
            if isinstance(table, Unpacking):  # loaded: the lists no question read are saved as they were
                return [[k, table.packed(k, renumber, lambda v: map(number.__getitem__, v))] for k in list(table.keys())]
            return [[k, pack(number[i] for i in v)] for k, v in table.items()]

        names = [n for n in self._names if n]

        def parts_data(parts: list[_Part]) -> dict[str, Any]:
            """A list of each field, not a JSON row a part: 100,000 rows were a tenth of parsing the file.
            Each distinct country once (-1: none)."""
            countries = {p.country: 0 for p in parts if p.country is not None}
            countries.update(zip(countries, range(len(countries))))
            return {"first": pack(p.first_name for p in parts), "end": pack(p.end_name for p in parts),
                    "countries": [w(c) for c in countries], "country_of": pack(countries.get(p.country, -1) for p in parts),  # type: ignore[call-overload]
                    "figures": [f for p in parts for f in p.figures],  # JSON: a figure of any size
                    "figure_counts": pack(len(p.figures) for p in parts),
                    "described": [w(self._described_keys(p)) for p in parts]}

        out = {
            "ids": ids,
            "names": [pack(-1 if n is None else number[n.incident_id] for n in self._names),
                      pack(len(n.keys) for n in names), w(k for n in names for k in n.keys)],
            "postings": lists(self._postings),
            "by_month": by_id(self._by_month), "by_year": by_id(self._by_year),
            "by_month_any_year": by_id(self._by_month_any_year), "by_figure": by_id(self._by_figure),
            "described": [w(self._described), [self._described.packed(k, renumber, lambda v: map(number.__getitem__, v))
                                               if isinstance(self._described, Unpacking) else
                                               pack(map(number.__getitem__, v)) for k, v in dict.items(self._described)]],
            "dates": [self._dates[i] for i in ids],
            "countries": [[w(k), n] for k, n in self._countries.items()],
            "parts": parts_data(list(self._parts.values())),
            "df": [w(self._df), pack(self._df.values())],
            "trigrams": [[g, w(keys)] for g, keys in self._trigrams.items()],
        }
        out["words"] = list(vocab)
        return out

    @classmethod
    @bulk_build()
    def load(cls, data: dict[str, Any], incidents: dict[str, str]) -> IncidentIndex:
        """The index `to_data` describes; `incidents`: the id of each incident now (perhaps changed since: the
        caller updates those), by itself, so the index holds the store's id strings rather than copies. Term
        weights are computed as a build computes them. Raises KeyError, IndexError, TypeError or ValueError on
        data that is not an index."""
        index = cls.__new__(cls)
        words: list[str] = data["words"]
        word = words.__getitem__
        saved_ids = list(map(str, data["ids"]))
        ids = list(map(incidents.get, saved_ids, saved_ids))
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per distinct name

        def keys(packed: str) -> tuple[str, ...]:
            t = tuple(map(word, unpack(packed)))
            return shared.setdefault(t, t)

        def incidents_of(numbers: array[int]) -> list[str]:
            return list(map(ids.__getitem__, numbers))

        def by_id(rows: list[Any], key: Any = lambda k: k) -> Unpacking[Any, list[str]]:
            """Incidents by month, year or figure: packed until a question or an update reads them (making
            400,000 list entries at load was a sixth of it); a missing key starts empty, as in a defaultdict."""
            if not set(map(type, (v for _, v in rows))) <= {str}:
                raise TypeError("by month, year or figure: not packed")
            return Unpacking(incidents_of, list, ((key(k), v) for k, v in rows))

        owners, lengths, name_keys = (unpack(p) for p in data["names"])
        flat = list(map(word, name_keys))
        ends = list(accumulate(lengths))
        starts = [0, *ends][:len(ends)]
        # Loops in C (map, slices), not Python: 220,000 names at 100,000 incidents, a third of a load.
        tuples = list(map(tuple, map(flat.__getitem__, map(slice, starts, ends))))
        key_tuples = list(map(shared.setdefault, tuples, tuples))
        del tuples, flat
        gone = sum(1 for o in owners if o < 0) if owners and min(owners) < 0 else 0  # names since taken out
        if len(key_tuples) != len(owners) - gone or (ends and ends[-1] != len(name_keys)):
            raise ValueError("names: their keys do not add up")
        if not gone:
            index._names = list(map(_Name, map(ids.__getitem__, owners), key_tuples))
        else:
            made = map(_Name, (ids[o] for o in owners if o >= 0), key_tuples)
            index._names = [next(made) if o >= 0 else None for o in owners]  # None: a name since taken out
        index._weights = _unknown_weights(len(index._names))
        keyed, postings = data["postings"]
        index._postings = defaultdict(_numbers, zip(map(word, unpack(keyed)), map(unpack, postings), strict=True))
        index._by_month = by_id(data["by_month"], tuple)
        index._by_year = by_id(data["by_year"])
        index._by_month_any_year = by_id(data["by_month_any_year"])
        index._by_figure = by_id(data["by_figure"])
        # Description words and trigrams: tens of thousands of lists, few of which any question reads; they
        # stay packed until one does (see packing.Unpacking).
        keyed, described = data["described"]
        if not set(map(type, described)) <= {str}:
            raise TypeError("described: not packed")
        index._described = Unpacking(incidents_of, list,
                                     zip(map(word, unpack(keyed)), described, strict=True))
        dates = data["dates"]
        if not set(map(len, dates)) <= {2}:
            raise ValueError("dates: not [year, month]")
        index._dates = dict(zip(ids, map(tuple, dates), strict=True))
        index._countries = defaultdict(int, ((keys(k), n) for k, n in data["countries"]))
        index._country_set = None
        index._saved_words, index._loaded_ids = words, ids
        saved = data["parts"]  # see to_data's parts_data
        first, end, country_of = unpack(saved["first"]), unpack(saved["end"]), unpack(saved["country_of"])
        countries, described = [keys(k) for k in saved["countries"]], saved["described"]
        figures, figure_rows = saved["figures"], array("i", accumulate(unpack(saved["figure_counts"]), initial=0))
        if not len(first) == len(end) == len(country_of) == len(described) == len(figure_rows) - 1 == len(ids) \
                or figure_rows[-1] != len(figures) or not set(map(type, described)) <= {str} \
                or not set(map(type, figures)) <= {int} or (figure_rows and min(figure_rows) < 0) \
                or (country_of and not -1 <= min(country_of) <= max(country_of) < len(countries)):
            raise ValueError("parts: not one of each an incident")

        def part(n: int) -> _Part:
            country = country_of[n]
            return _Part(first[n], end[n], countries[country] if country >= 0 else None,
                         tuple(figures[figure_rows[n]:figure_rows[n + 1]]), described[n])

        index._parts = Deferred(part, zip(ids, range(len(ids))), raw=int)  # made when an update reads one
        index._df = defaultdict(int, zip(map(word, unpack(data["df"][0])), unpack(data["df"][1])))
        n = max(1, len(index._dates))
        index._idf = {k: math.log(1 + n / df) for k, df in index._df.items()}
        index._desc_idf = {k: math.log(1 + n / count(v)) for k, v in dict.items(index._described)}
        if not all(isinstance(g, str) and isinstance(v, str) for g, v in data["trigrams"]):
            raise TypeError("trigrams: not packed")
        index._trigrams = Unpacking(lambda numbers: list(map(word, numbers)), list, data["trigrams"])
        index._near_keys = {}
        index._claim_facts = Tallies(claim_facts)
        return index

    def update(self, incident: Incident, claims: Sequence[Claim]) -> None:
        """Index an incident anew (or for the first time) after a change to it or to its facts."""
        old = self._parts.get(incident.id)
        # What incident_facts gives, from the claims' items as tallied since the incident's last update.
        items = self._claim_facts(incident.id, claims)
        figures = {n for n in items if type(n) is int}
        described = self._description_keys(incident_text(incident))
        described |= {k for k in items if type(k) is str} - self._country_words()
        if old is not None and self._names_as_indexed(incident, old):
            self._refacts(incident.id, old, tuple(figures), tuple(described))
            return
        touched = {k for name in incident.names() for k in name_keys(name)} | described
        if old:
            touched |= self._part_keys(old) | set(self._described_keys(old))
        indexed_before = self._indexed(touched)
        self._take_out(incident.id)
        self._add_names(incident)
        self._add_facts(incident.id, figures, described)
        self._reweigh(touched, indexed_before)

    def _names_as_indexed(self, incident: Incident, part: _Part) -> bool:
        """Whether the incident's names, date and country are as indexed: most changes are to its facts."""
        keys = list(dict.fromkeys(k for k in map(name_keys, incident.names()) if k))
        country = name_keys(incident.place.country) if incident.place.country else None
        return (keys == [name.keys for n in range(part.first_name, part.end_name) if (name := self._names[n])]
                and country == part.country
                and self._dates.get(incident.id) == (incident.date.year, incident.date.month))

    def _refacts(self, incident_id: str, old: _Part, figures: tuple[int, ...], described: tuple[str, ...]) -> None:
        """Only what a change to an incident's facts changed: its figures and description words. Taking all its
        entries out of lists of tens of thousands of incidents and putting them back was 2 ms an incident at
        100,000, which the next answer waited for, an admin's every write."""
        before = set(self._described_keys(old))
        gone, new = before - set(described), [k for k in described if k not in before]
        touched = gone | set(new)
        indexed_before = self._indexed(touched)
        for number in set(old.figures) - set(figures):
            _discard(self._by_figure, number, incident_id)
        for number in set(figures) - set(old.figures):
            self._by_figure[number].append(incident_id)
        for key in gone:
            _discard(self._described, key, incident_id)
        for key in new:
            self._described[key].append(incident_id)
        self._parts[incident_id] = old._replace(figures=figures, described=described)
        self._reweigh(touched, indexed_before)

    def remove(self, incident_id: str) -> None:
        """Take an incident out (deleted)."""
        self._claim_facts.forget(incident_id)
        part = self._parts.get(incident_id)
        if part is not None:
            touched = self._part_keys(part) | set(self._described_keys(part))
            self._take_out(incident_id)
            self._reweigh(touched, touched)

    def _indexed(self, keys: set[str]) -> set[str]:
        return {k for k in keys if k in self._postings or k in self._described}

    def _take_out(self, incident_id: str) -> None:
        part = self._parts.pop(incident_id, None)
        if part is None:
            return
        for k in self._part_keys(part):
            self._df[k] -= 1
            if not self._df[k]:
                del self._df[k]
        for number in range(part.first_name, part.end_name):
            name = self._names[number]
            assert name is not None
            for k in set(name.keys):
                _discard(self._postings, k, number)
            self._names[number] = None
        if part.country:
            self._countries[part.country] -= 1
            if not self._countries[part.country]:
                del self._countries[part.country]
                self._country_set = None
        year, month = self._dates.pop(incident_id)
        if year:
            _discard(self._by_year, year, incident_id)
            if month:
                _discard(self._by_month, (year, month), incident_id)
                _discard(self._by_month_any_year, month, incident_id)
        for number in part.figures:
            _discard(self._by_figure, number, incident_id)
        for k in self._described_keys(part):
            _discard(self._described, k, incident_id)

    def _add_names(self, incident: Incident) -> None:
        first = len(self._names)
        seen: set[tuple[str, ...]] = set()
        for name in incident.names():
            keys = name_keys(name)
            if keys and keys not in seen:
                seen.add(keys)
                self._names.append(_Name(incident.id, keys))
                self._weights.append(math.nan)
                for k in set(keys):
                    self._postings[k].append(len(self._names) - 1)
        for k in {k for keys in seen for k in keys}:
            self._df[k] += 1  # incidents whose names have the key
        country = name_keys(incident.place.country) if incident.place.country else None
        if country:
            if country not in self._countries:
                self._country_set = None
            self._countries[country] += 1
        self._parts[incident.id] = _Part(first, len(self._names), country)
        year, month = incident.date.year, incident.date.month
        self._dates[incident.id] = (year, month)
        if year:
            self._by_year[year].append(incident.id)
            if month:
                self._by_month[(year, month)].append(incident.id)
                self._by_month_any_year[month].append(incident.id)

    def _add_facts(self, incident_id: str, figures: Iterable[int], described: Iterable[str]) -> None:
        figures = tuple(figures)
        for number in figures:
            self._by_figure[number].append(incident_id)
        described = tuple(described)
        for key in described:  # each word once
            self._described[key].append(incident_id)
        self._parts[incident_id] = self._parts[incident_id]._replace(figures=figures, described=described)

    def _described_keys(self, part: _Part) -> tuple[str, ...]:
        if isinstance(part.described, str):
            return tuple(map(self._saved_words.__getitem__, unpack(part.described)))
        return part.described

    def _description_keys(self, description: str) -> set[str]:
        # A country's name describes nothing in it: "Syria" is not a clue among Syrian incidents.
        return set(chain.from_iterable(map(_word_keys, set(description.split())))) - self._country_words()

    def _country_words(self) -> set[str]:
        if self._country_set is None:
            self._country_set = {k for keys in self._countries for k in keys}
        return self._country_set

    def _part_keys(self, part: _Part) -> set[str]:
        return {k for n in range(part.first_name, part.end_name) if (name := self._names[n]) for k in name.keys}

    def has_word(self, word: str) -> bool:
        """Whether an incident's name or description uses this word."""
        key = name_key(word)
        return key in self._postings or key in self._described

    def _finish(self) -> None:
        n = max(1, len(self._dates))
        self._idf = {k: math.log(1 + n / df) for k, df in self._df.items()}
        self._desc_idf = {k: math.log(1 + n / len(ids)) for k, ids in self._described.items()}
        self._trigrams: dict[str, list[str]] = defaultdict(list)
        for k in sorted(self._postings.keys() | self._described.keys()):  # the same lists whatever PYTHONHASHSEED
            if len(k) >= 4:
                for g in _trigrams(k):
                    self._trigrams[g].append(k)

    def _reweigh(self, touched: set[str], indexed_before: set[str]) -> None:
        """After an update: the weights of the keys it touched, and the trigrams of keys it brought in or
        took out of the index (a key another incident still has keeps its trigrams untouched)."""
        n = max(1, len(self._dates))
        for k in touched:
            df = self._df.get(k)
            before = self._idf.get(k)
            if df:
                self._idf[k] = math.log(1 + n / df)
            else:
                self._idf.pop(k, None)
            if self._idf.get(k) != before:
                for number in self._postings.get(k, ()):
                    self._weights[number] = math.nan
            ids = self._described.get(k)
            if ids:
                self._desc_idf[k] = math.log(1 + n / len(ids))
            else:
                self._desc_idf.pop(k, None)
        indexed = self._indexed(touched)
        if indexed != indexed_before:
            self._near_keys.clear()
        for k in indexed - indexed_before:
            if len(k) >= 4:
                for g in _trigrams(k):
                    self._trigrams[g].append(k)
        for k in indexed_before - indexed:
            if len(k) >= 4:
                for g in _trigrams(k):
                    _discard(self._trigrams, g, k)

    # -- resolving -----------------------------------------------------------------------------------
    def resolve(self, question: str, known_words: frozenset[str] = frozenset(),
                only: Iterable[str] | None = None, not_names: frozenset[str] = frozenset()) -> Resolution:
        """Rank incidents for `question`; `known_words` are words that are not names (the intents'), and
        `not_names` words that never make an unknown incident's name (the parties')."""
        words = tokens(question)
        month, year = date_in(words)
        matches = self._match_tokens(words, known_words)
        allowed = set(only) if only is not None else None

        best = _best_by_key(matches)
        # What named each incident: the number of its best-scoring name, or the token positions themselves.
        scores: dict[str, tuple[float, int | frozenset[int]]] = self._name_scores(matches, best, allowed)
        for incident_id, (score, used) in self._description_scores(words, matches, known_words, allowed).items():
            if score > scores.get(incident_id, (0.0,))[0]:
                scores[incident_id] = (score, used)
        for incident_id in self._date_nominees(year, month):
            if allowed is None or incident_id in allowed:
                scores.setdefault(incident_id, (0.0, frozenset()))
        for position, incident_id in self._figure_nominees(words):
            if allowed is None or incident_id in allowed:
                score, used = scores.get(incident_id, (0.0, frozenset()))
                scores[incident_id] = (score + FIGURE_BONUS if score else FIGURE_SCORE,
                                       self._tokens(used, best) | {position})
        rows, below = self._ranked(scores, year, month)

        def candidate(row: tuple[float, str, int | frozenset[int]]) -> Candidate:
            return Candidate(row[1], -row[0], self._tokens(row[2], best))

        # A place that fits with a date that does not is another incident, one we have no record of (every row
        # scores NEAR, so would be accepted but for the date: NEAR + DATE_MISMATCH == ACCEPT).
        ruled_out = [c for row in rows if (year or month) and self._date_conflicts(row[1], year, month)
                     and (c := candidate(row)).tokens]
        out = {c.incident_id for c in ruled_out}
        rows = [row for row in rows if row[1] not in out]
        accepted = [candidate(row) for row in rows if -row[0] >= ACCEPT]
        runner_up = -rows[1][0] if len(rows) > 1 else below
        if not accepted and rows and -rows[0][0] >= CLEAR_LEAD_ACCEPT and (
                runner_up is None or -rows[0][0] - runner_up >= CLEAR_LEAD):
            lead = candidate(rows[0])
            if any(words[i] not in known_words for i in lead.tokens):  # "toll?" alone names nothing
                accepted = [lead]
        if accepted:
            no_names = known_words | not_names | {w for w in words if date_in([w]) != (None, None)}
            # "the war in Ukraine": a place no incident has, though "war" names the Syrian war's toll; "the Raqqa
            # airstrike in June 2018": a name we lack, not whichever incidents June 2018 had.
            unknown = _unknown_place(words, matches, no_names)
            if unknown is None and not any(c.tokens for c in accepted):
                unknown = _unknown_name(words, matches, no_names, _capitalised(question))
            if unknown:
                return Resolution(unknown_name=unknown, rest=" ".join(words), asked_date=(month, year))
        used = accepted[0].tokens if accepted else frozenset()
        return Resolution(
            candidates=accepted[:MAX_LISTED],
            close=[c for c in accepted if c.score >= accepted[0].score - AMBIGUOUS_MARGIN],
            near=[candidate(row) for row in islice((row for row in rows if NEAR <= -row[0] < ACCEPT), 3)],
            unknown_name=None if accepted or ruled_out else _unknown_name(words, matches, known_words | not_names,
                                                                          _capitalised(question)),
            rest=" ".join(w for i, w in enumerate(words) if i not in used),
            ruled_out=[] if accepted else ruled_out[:MAX_LISTED],
            dated_out=ruled_out[:MAX_LISTED],
            asked_date=(month, year),
        )

    def _ranked(self, scores: dict[str, tuple[float, int | frozenset[int]]], year: int | None, month: int | None
                ) -> tuple[list[tuple[float, str, int | frozenset[int]]], float | None]:
        """The incidents that score at least NEAR, their date counted, as (-score, id, what named it), best first
        and equal scores by id (the same order on every run); and the best score of the rest, for the clear
        lead. A common word nominates thousands of incidents in a big database, nearly all far below NEAR:
        they are not made candidates and sorted."""
        if year or month:
            totals = [(-round(min(score + self._date_score(incident_id, year, month, named=score > 0), 1.0), 3),
                       incident_id, used) for incident_id, (score, used) in scores.items()]
            rows = [row for row in totals if -row[0] >= NEAR]
            below = max((-row[0] for row in totals if -row[0] < NEAR), default=None)
        else:  # comprehensions: twice as fast as one loop over thousands of incidents
            # A score below NEAR - 0.0005 never rounds to NEAR. One in [0.2995, 0.3) that does is counted in both
            # rows and below: as the runner-up it is rows[1] anyway, with the same score.
            rows = [(-total, incident_id, used) for incident_id, (score, used) in scores.items()
                    if score >= NEAR - 0.0005 and (total := round(min(score, 1.0), 3)) >= NEAR]
            below = max((score for score, _ in scores.values() if score < NEAR), default=None)
            below = None if below is None else round(below, 3)
        rows.sort()
        return rows, below

    def _date_conflicts(self, incident_id: str, year: int | None, month: int | None) -> bool:
        iy, im = self._dates.get(incident_id, (None, None))
        return bool((year and iy and year != iy) or (month and im and month != im))

    def _match_tokens(self, words: list[str], known_words: frozenset[str] = frozenset()
                      ) -> list[tuple[frozenset[int], float, str]]:
        """(question token positions, similarity, index key) for every name key the question hits."""
        out = []
        spans: list[tuple[frozenset[int], str]] = []
        for i, w in enumerate(words):
            if _is_name_word(w):
                spans.append((frozenset({i}), w))
            if i + 1 < len(words) and words[i + 1] not in STOPWORDS:
                spans.append((frozenset({i, i + 1}), w + words[i + 1]))  # "al hari" ~ "alhari"
        fuzzy_left = MAX_FUZZY_SPANS
        for positions, text in spans:
            key = name_key(text)
            if key in self._postings or key in self._described:
                out.append((positions, 1.0, key))
            if len(key) >= 4 and fuzzy_left and _may_be_name(words, positions, known_words):  # "iraq" ~ "iraqi"
                fuzzy_left -= 1
                for other in self._fuzzy_keys(key):
                    if other != key:
                        out.append((positions, fuzz.ratio(key, other) / 100, other))
        return out

    def _fuzzy_keys(self, key: str) -> list[str]:
        near = self._near_keys.get(key)
        if near is None:
            if len(self._near_keys) >= NEAR_KEYS_CACHED:
                self._near_keys.clear()
            near = self._near_keys[key] = self._find_fuzzy_keys(key)
        return near

    def _find_fuzzy_keys(self, key: str) -> list[str]:
        # Candidates share `need` of the key's trigrams, so (pigeonhole) one of its len - need + 1 rarest: the
        # commonest ones, each shared by thousands of keys in a big database, need not be read. Rapidfuzz
        # then scores the candidates in C; rarest first also makes the order, which breaks ties, repeatable.
        grams = sorted(_trigrams(key), key=lambda g: (size(self._trigrams, g), g))
        need = max(1, len(grams) // 3)
        near = list(dict.fromkeys(chain.from_iterable(self._trigrams.get(g, ()) for g in grams[:len(grams) - need + 1])))
        # Only the closest few: with 100,000 incidents a short name has a hundred look-alikes, each
        # nominating its incidents for scoring; a misspelt name is among its closest keys.
        hits = process.extract(key, near, scorer=fuzz.ratio, score_cutoff=FUZZY_RATIO, limit=MAX_NEAR_KEYS)
        return [near[i] for i in sorted(i for _, _, i in hits)]  # in the order found, as ties are broken by it

    def _description_scores(self, words: list[str], matches: list[tuple[frozenset[int], float, str]],
                            known_words: frozenset[str], allowed: set[str] | None = None
                            ) -> dict[str, tuple[float, frozenset[int]]]:
        """Share of the question's name-like words found in an incident's description. It takes a word the
        intents do not use, or "how many people were killed" would name the war toll."""
        content = [i for i, w in enumerate(words) if _is_name_word(w)]
        if not any(words[i] not in known_words for i in content):
            return {}
        # Everyday question words ("border", "fighters") count half: they tell incidents apart, weakly. A word's
        # rarity is that of the rarest key it matches (1 when none does or it is in no description).
        rarity: dict[int, float] = {}
        for positions, _, key in matches:
            idf = self._desc_idf.get(key, 0.0)
            for i in positions:
                rarity[i] = max(rarity.get(i, 0.0), idf)
        weight = {i: (0.5 if words[i] in known_words else 1.0) * (rarity.get(i, 1.0) or 1.0) for i in content}
        found: dict[str, dict[int, float]] = defaultdict(dict)
        content_set = set(content)
        hitting = []
        for positions, sim, key in matches:
            hit = positions & content_set  # once per key, not once per incident that has it
            # Descriptions are weak evidence already: a loose spelling match on top ("Syrai" ~ "Syrian")
            # would let one typo name an incident.
            if hit and sim >= DESCRIPTION_MIN_SIM and size(self._described, key) <= MAX_DESCRIBED:
                hitting.append((hit, sim, self._described.get(key, [])))
        # Only incidents that some word other than a question word hits can score (see below), and in a big
        # database question words ("sources") are in thousands of descriptions: leave those incidents out now.
        eligible: set[str] = set()
        for hit, _, ids in hitting:
            if any(words[p] not in known_words for p in hit):
                eligible.update(ids)
        if allowed is not None:
            eligible &= allowed
        for hit, sim, ids in hitting:
            for incident_id in filter(eligible.__contains__, ids):
                f = found[incident_id]
                for i in hit:
                    f[i] = max(f.get(i, 0.0), sim)
        total = sum(weight.values())
        asked = frozenset(i for i in content if words[i] in known_words)
        # Incidents hit by the same words alike share one score (hundreds, for a word in many descriptions):
        # worked out once per pattern of hits, 40% of this method's time when done incident by incident.
        scored: dict[tuple[tuple[int, float], ...], tuple[float, frozenset[int]] | None] = {}
        out = {}
        for incident_id, hits in found.items():
            pattern = tuple(hits.items())
            if pattern not in scored:
                # Only the descriptive words leave the question; "killed" or "blame" still tell the intent.
                scored[pattern] = None if hits.keys() <= asked else (
                    DESCRIPTION_WEIGHT * (sum(sim * weight[i] for i, sim in pattern) / total),
                    frozenset(hits.keys() - asked))
            if (score := scored[pattern]) is not None:
                out[incident_id] = score
        return out

    def _nominees(self, key: str) -> list[int]:
        posting = self._postings.get(key, [])
        return posting if len(posting) <= MAX_POSTING else []

    def _name_scores(self, matches: list[tuple[frozenset[int], float, str]],
                     best: dict[str, tuple[float, frozenset[int]]], allowed: set[str] | None
                     ) -> dict[str, tuple[float, int | frozenset[int]]]:
        """Each nominated incident's best name score, with that name's number: the share of the name's weight
        (idf) that the question's keys match. Summed key by key over the postings rather than name by name,
        since a question's few keys nominate thousands of names at 100,000 incidents."""
        idf = self._idf
        got: dict[int, float] | None = None
        common = []
        numbers: Iterable[int]
        if allowed is not None:  # a pick among the few incidents of a "which one?": just their names
            numbers = [n for iid in sorted(allowed) if (part := self._parts.get(iid))
                       for n in range(part.first_name, part.end_name) if (name := self._names[n])
                       and any(k in best and self._nominees(k) for k in name.keys)]
        else:
            got = {}
            for k, (sim, _) in best.items():
                posting = self._postings.get(k)
                if not posting:
                    continue
                if len(posting) > MAX_POSTING:  # it only scores, it does not nominate
                    common.append(k)
                    continue
                weight = sim * idf.get(k, 1.0)
                for n in posting:
                    got[n] = got.get(n, 0.0) + weight
            # Equal scores of an incident's names: the first in this set's order (of ints: the same on every run).
            # Grown one by one in the order found, as the nominees were before (set(got) would presize it).
            numbers = {n for n in got}
        out: dict[str, tuple[float, int | frozenset[int]]] = {}
        names, weights, countries = self._names, self._weights, self._countries  # thousands of reads each
        summed = got is not None and not common
        for n in numbers:
            name = names[n]
            assert name is not None  # names taken out leave the postings and their incident's range
            keys = name.keys
            total = weights[n]
            if total != total:  # NaN: not yet known, or a key's idf changed since
                total = weights[n] = sum(idf.get(k, 1.0) for k in keys) * (-1 if len(set(keys)) < len(keys) else 1)
            if summed and total > 0:
                matched = got[n]  # type: ignore[index]
            else:  # a key twice in a name ("bab al bab") counts twice
                total = abs(total)
                matched = sum(best[k][0] * idf.get(k, 1.0) for k in keys if k in best)
            if keys in countries:
                # A bare country counts only when written as such: "Syrian state media" is not the Syrian war.
                score = COUNTRY_WEIGHT if math.isclose(matched, total) else 0.0
            else:
                score = matched / total if total else 0.0
            held = out.get(name.incident_id)
            if held is None and score > 0 or held is not None and score > held[0]:
                out[name.incident_id] = (score, n)
        return out

    def _tokens(self, used: int | frozenset[int], best: dict[str, tuple[float, frozenset[int]]]) -> frozenset[int]:
        """The question's token positions that named an incident: made only for the few candidates kept."""
        if not isinstance(used, int):
            return used
        name = self._names[used]
        assert name is not None
        return frozenset(p for k in set(name.keys) if k in best for p in best[k][1])

    def _figure_nominees(self, words: list[str]) -> list[tuple[int, str]]:
        out = []
        for i, w in enumerate(words):
            if is_number(w) and not YEAR_RE.match(w):
                ids = self._by_figure.get(int(w), [])
                if len(ids) <= MAX_DATE_NOMINEES:
                    out += [(i, incident_id) for incident_id in ids]
        return out

    def _date_nominees(self, year: int | None, month: int | None) -> list[str]:
        if year and month:
            ids = self._by_month.get((year, month), [])
        elif year:
            ids = self._by_year.get(year, [])
        elif month:
            ids = self._by_month_any_year.get(month, [])
        else:
            return []
        return ids if len(ids) <= MAX_DATE_NOMINEES else []

    def _date_score(self, incident_id: str, year: int | None, month: int | None, named: bool) -> float:
        if not (year or month):
            return 0.0
        iy, im = self._dates.get(incident_id, (None, None))
        if (year and iy and year != iy) or (month and im and month != im):
            return -DATE_MISMATCH  # the question names another time than this incident's
        # A date alone can name an incident ("the May 2018 strike", "the may one"); beside a name it only helps.
        hit = {(True, True): 0.9, (True, False): 0.6, (False, True): 0.6}.get(
            (bool(year and iy == year), bool(month and im == month)), 0.0)
        return hit if not named else hit / 2


def _may_be_name(words: list[str], positions: frozenset[int], known_words: frozenset[str]) -> bool:
    """Whether a span is worth fuzzy matching: only name words and articles ("al hari", not "in zahr",
    "zahr attack" or "may 2019"), and one name word that is not a question word (the intents'
    vocabulary). Among thousands of incidents some name is always near a question word: "many" ~ "Amani",
    "how many" ~ "Howani", "in zahr" ~ "Inzahr", and the bot answered with another incident's facts.
    Exact matches still count for every span."""
    ws = [words[i] for i in positions]
    return (all(w in ARTICLES or _is_name_word(w) for w in ws)
            and any(_is_name_word(w) and w not in known_words for w in ws))


def _best_by_key(matches: list[tuple[frozenset[int], float, str]]) -> dict[str, tuple[float, frozenset[int]]]:
    """The best (similarity, positions) per key, the first on ties; computed once per question, not per name
    scored (a common word nominates thousands of names in a big database)."""
    best: dict[str, tuple[float, frozenset[int]]] = {}
    for positions, sim, key in matches:
        if key not in best or sim > best[key][0]:
            best[key] = (sim, positions)
    return best


def incident_facts(incident: Incident, claims: list[Claim]) -> tuple[set[int], str]:
    """What an incident's facts add to its index entry: the casualty figures reported, and the words of who
    said what (so "the coalition press office" finds it)."""
    counts = [c.count for c in claims]  # parsed once: this runs over every claim at start-up
    figures = {n.best for n in counts if n and n.best}
    description = " ".join(filter(None, [
        incident_text(incident), *(c.claimant for c in claims),
        *(n.who if n else str(c.value) for c, n in zip(claims, counts))]))
    return figures, description


def incident_text(incident: Incident) -> str:
    """The words of the incident's record that describe it (its names are indexed apart)."""
    return " ".join(filter(None, [incident.summary, incident.place.note, incident.place.region]))


def claim_facts(claim: Claim) -> tuple[int | str, ...]:
    """One claim's part of incident_facts: its figure (an int), and the keys of its description words (all of
    them: which are a country's name is decided when they are used)."""
    n = claim.count
    text = " ".join(filter(None, [claim.claimant, n.who if n else str(claim.value)]))
    words = set(chain.from_iterable(map(_word_keys, set(text.split()))))
    return (n.best, *words) if n and n.best else tuple(words)


RECENT = 64  # list entries searched first, from the end, when an incident is taken out of the index


def _unknown_weights(n: int) -> array[float]:
    return array("d", [math.nan]) * n


def _discard(index: dict[Any, list[Any]], key: Any, value: Any) -> None:
    """Take `value` out of the list at `key`, dropping the key with its last value. An update appends an
    incident's entries at the end of each list, and admins edit the same few incidents again and again, so
    the end is searched first: a common word's list holds tens of thousands of incidents at 100,000, and a
    scan from the start for an incident near its end took most of an update."""
    values = index.get(key)
    if values is None:
        return
    try:
        i = values.index(value, max(0, len(values) - RECENT))
    except ValueError:
        try:
            i = values.index(value)
        except ValueError:
            return
    del values[i]
    if not values:
        del index[key]


def name_keys(name: str) -> tuple[str, ...]:
    # Articles ("al" in "al hari") are never name words, so each word's keys do not depend on its neighbours.
    return tuple(chain.from_iterable(map(_word_keys, name.split())))


# Building the index folds every name and description of every incident: millions of words at 100,000
# incidents, but only some tens of thousands of distinct ones. Folding and keying each distinct word once
# (folding never joins two whitespace-separated words) made the index build at that size several times
# faster. Bounded, so hostile questions cannot grow it.
@lru_cache(maxsize=1 << 17)
def _word_keys(word: str) -> tuple[str, ...]:
    return tuple(name_key(t) for t in tokens(word) if _is_name_word(t))


def _is_name_word(w: str) -> bool:
    return (w not in STOPWORDS and w not in GENERIC and w not in MONTHS and not YEAR_RE.match(w)
            and w not in ARTICLES and not is_number(w) and len(w) > 1)


def date_in(words: list[str]) -> tuple[int | None, int | None]:
    month = next((MONTHS[w] for w in words if w in MONTHS and (w != "may" or _may_is_month(words))), None)
    if month is None:  # "febuary", "setember": only long month names, so short words never turn into one
        month = next((MONTHS[m] for w in words if len(w) >= 5 and w not in STOPWORDS
                      for m in LONG_MONTHS if fuzz.ratio(w, m) >= 85), None)
    year = next((int(w) for w in words if YEAR_RE.match(w)), None)
    return month, year


def _may_is_month(words: list[str]) -> bool:
    # "may" is also a verb ("may I ask"); take it as the month only beside a year, "in", or "strike".
    i = words.index("may")
    nxt = words[i + 1] if i + 1 < len(words) else ""
    prev = words[i - 1] if i else ""
    return bool(YEAR_RE.match(nxt)) or prev in {"in", "the", "of", "last", "since"} or nxt in GENERIC


NAME_LEAD = frozenset({"in", "at", "of", "near", "the", "about", "on", "around", "from"})


def _capitalised(question: str) -> set[str]:
    """Words written with a capital that does not just start the question."""
    words = re.findall(r"[^\W\d_]+", question)
    return {w.lower() for w in words[1:] if w[0].isupper()}


def _unknown_name(words: list[str], matches: list[tuple[frozenset[int], float, str]],
                  known_words: frozenset[str], capitalised: set[str]) -> str | None:
    """Name-like words no incident has: "srebrenica massacre" in "how many died in the srebrenica massacre".

    A word counts as a name when it is capitalised, follows "in/at/the/...", or precedes "strike/attack/...";
    other unknown words are more likely chat than names, and get "which incident?" instead."""
    matched = {p for positions, sim, _ in matches if sim >= 0.85 for p in positions}

    def name_like(i: int) -> bool:
        return (words[i] in capitalised or (i > 0 and words[i - 1] in NAME_LEAD)
                or (i + 1 < len(words) and words[i + 1] in GENERIC))

    unknown = [i for i, w in enumerate(words)
               if i not in matched and _is_name_word(w) and w not in known_words and name_like(i)]
    if not unknown:
        return None
    first, last = unknown[0], unknown[-1]
    if last + 1 < len(words) and words[last + 1] in GENERIC:
        last += 1
    return " ".join(words[first:last + 1])


def _unknown_place(words: list[str], matches: list[tuple[frozenset[int], float, str]],
                   known_words: frozenset[str]) -> str | None:
    """A name after "in" that no incident has ("how many died in the war in Ukraine"): the question is about
    that place, whichever incident its other words name. Not a word any key resembles (a misspelt place),
    nor one right before a two-word name we have ("in tha al harri strike")."""
    touched = {p for positions, _, _ in matches for p in positions}
    names_from = {min(positions) for positions, sim, _ in matches if len(positions) > 1 and sim >= 0.85}
    for i in range(1, len(words)):
        if words[i - 1] == "in" and i not in touched and i + 1 not in names_from and _is_name_word(words[i]) \
                and words[i] not in known_words:
            return words[i]
    return None


def _numbers() -> array[int]:
    return array("i")


def _trigrams(key: str) -> set[str]:
    padded = f" {key} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}
