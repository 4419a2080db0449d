"""Questions across incidents ("Which strikes did the US deny?", "What happened in February 2018?", "Which
strikes killed more than 30?"), answered from indexes rather than a scan of every claim per question.

`FilterIndex` keeps, for every incident, the sets it belongs to: claim kinds, claimants and accused parties
(by party key, see mentions.py), year and month, place words, type; plus the incidents ordered by date and
by their highest reported death toll. `update` replaces one incident's entries, so a change to one incident
costs that incident only. Built from store reads: this module never opens the database.
"""
from __future__ import annotations

from array import array
from binascii import a2b_base64, b2a_base64
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, compress, islice, repeat
from typing import Any

from bot.facts.models import Claim, Incident, Party
from bot.text import STOPWORDS, fold, name_key
from bot.understanding.mentions import PartyNames
from bot.understanding.packing import Unpacking, count, pack, unpack
from bot.understanding.per_claim import Tallies

ACTED_KINDS = ("blame", "denial", "perpetrator", "claim_responsibility")  # kinds whose value is a party
# Words of place names that name no place: "Hasakeh Province", "Borno State".
PLACE_FILLER = frozenset("al el province governorate district region state oblast raion eastern western northern "
                         "southern central north south east west city town village".split())
# A key of a twentieth of all incidents or more is held as a bitset of incident numbers (`Bits`), made at load
# from the saved index or after a build: unpacked into a set when a question first read it, it cost that
# question 20 to 60 ms at 100,000 incidents (keys of 5,000 and more), and unpacked into sets at load the 230 such
# keys took 95 MB; as bitsets, 3 MB, ANDed in C. At 10,000 incidents the kinds and types (1,400 to 4,000
# each) cost the first question reading them 3 to 5 ms as sets, and each young collection walked them.
# A smaller key is a set, unpacked when first read (a few ms at most).
EAGER_SHARE = 20
EAGER_MIN = 64  # below this, a set is as small and as quick
SORT_DIRECTLY = 5000  # above this many matches, walk the date order until enough are found (see latest)
WALK_PER_SORTED = 30  # below it, walk at most this many steps per match before sorting them instead


@dataclass(frozen=True)
class Filter:
    """Which incidents: every constraint given must hold; within one, any of its values may."""
    kinds: tuple[str, ...] = ()  # the incident has a claim of one of these kinds ...
    claimants: frozenset[str] = frozenset()  # ... made by one of these parties (any kind if no kinds)
    accused: frozenset[str] = frozenset()  # ... naming one of these parties (blamed, denying, carrying it out)
    year: int | None = None
    month: int | None = None
    places: tuple[str, ...] = ()  # name keys of place words: "syria", "deir ezzor"
    types: tuple[str, ...] = ()  # folded type words: "airstrike", "strike"
    at_least: int | None = None  # highest reported death toll
    at_most: int | None = None
    within: frozenset[str] | None = None  # only these incidents (a follow-up on a list)
    place_names: tuple[str, ...] = ()  # the question's words for `places`, to show ("hasakeh", not its key)
    victims: tuple[str, ...] = ()  # words of who died, as victim_key has them: "russian", "civilian"

    @property
    def empty(self) -> bool:
        return self == Filter(kinds=self.kinds)

    def claim_fits(self, claim: Claim, names: PartyNames) -> bool:
        """Whether this claim is one the filter asks about (shown on the incident's line)."""
        if self.kinds and claim.kind not in self.kinds:
            return False
        if self.claimants and not ({names.key_of(claim.claimant), names.key_of(claim.via)} & self.claimants):
            return False
        if self.accused and not (claim.kind in ACTED_KINDS and names.key_of(str(claim.value)) in self.accused):
            return False
        if self.victims:  # "were any Russians killed?": the claims that say they were
            who = str(claim.value) if claim.kind == "victims" else claim.count.who if claim.count else None
            return bool(who and set(_victim_keys(who)) & set(self.victims))
        return True


@dataclass(slots=True)
class _Entry:
    # (table, key), each the one shared object for its value (_canon); or, loaded from a saved index, their
    # numbers in FilterIndex._saved_keys, packed (see _keys): unpacked only if the incident changes.
    keys: tuple[tuple[str, object], ...] | str
    figure: int | None
    date: str
    number: int  # its bit in every Bits (FilterIndex._ids)


FIGURE = "figure"  # the table name _claim_items gives a claim's death toll with (there is no such table)


class Bits(int):
    """The incidents of a key with many, as the bits of their numbers (FilterIndex._ids): 12 KB at 100,000
    incidents where a set of half of them is 1.5 MB. Intersections and unions are int operations in C; a
    change makes a new one (ints are immutable)."""
    __slots__ = ()


_TO_FLAGS = bytes.maketrans(b"01", b"\x00\x01")
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _flags(bits: int) -> bytes:
    """One byte a number, 1 where `bits` has it (number 0 first), up to its highest: in C, for compress() and
    a test by number."""
    return format(bits, "b")[::-1].encode("ascii").translate(_TO_FLAGS)


def _bits(numbers: Iterable[int], size: int) -> Bits:
    """The bitset of these numbers (each below `size`), in C: a byte a number, read as binary digits."""
    flags = bytearray(size)
    deque(map(flags.__setitem__, numbers, repeat(1)), maxlen=0)
    return Bits(int(flags.translate(_TO_DIGITS)[::-1] or b"0", 2))


class Titles(dict[str, str]):
    """Each incident's title, for listing it: from a loaded index, None until first asked for, then read
    from its record (`title_of`)."""

    def __init__(self, title_of: Callable[[str], str], ids: Iterable[str]) -> None:
        super().__init__(dict.fromkeys(ids))
        self._title_of = title_of

    def __getitem__(self, incident_id: str) -> str:
        title = dict.__getitem__(self, incident_id)
        if title is None:
            title = self._title_of(incident_id)
            dict.__setitem__(self, incident_id, title)
        return title

    def get(self, incident_id: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[incident_id] if incident_id in self else default


class FilterIndex:
    eager: int | None = None  # keys with this many incidents are Bits; None: by the share above

    def __init__(self, names: PartyNames) -> None:
        self.names = names
        self._tallies = Tallies(self._claim_items)  # for update
        self._all: set[str] = set()
        self._kind: dict[object, set[str]] = defaultdict(set)
        self._claimant: dict[object, set[str]] = defaultdict(set)  # (party key, kind or None)
        self._accused: dict[object, set[str]] = defaultdict(set)  # (party key, kind or None)
        self._year: dict[object, set[str]] = defaultdict(set)
        self._month: dict[object, set[str]] = defaultdict(set)  # (year, month); (None, month) any year
        self._place: dict[object, set[str]] = defaultdict(set)
        self._type: dict[object, set[str]] = defaultdict(set)
        self._victim: dict[object, set[str]] = defaultdict(set)  # victim_key of the words saying who died
        self._by_figure: list[tuple[int, str]] = []  # ascending
        self._figure_ids: list[str] = []  # the ids of _by_figure, in its order: a range becomes a set in C
        self._figure_numbers = array("i")  # their numbers (as in Bits): a range becomes a bitset in C
        self._by_date: list[tuple[str, str]] = []  # ascending (date value, id)
        self._date_ids: list[str] = []  # the ids of _by_date, in its order: walked in C (latest)
        self._entries: dict[str, _Entry] = {}
        self._type_sets: dict[tuple[str, ...], set[str] | Bits] = {}  # match's unions of type words, until a change
        # One object per (table, key) pair: incidents share a few hundred thousand of them, where a tuple
        # per incident and key took millions at 100,000 incidents.
        self._canon: dict[tuple[str, object], tuple[str, object]] = {}
        self._saved_keys: list[tuple[str, object]] = []  # the keys of a saved index, by number
        self._loaded_ids: list[str] = []  # the incidents of a saved index, by number
        self._ids: list[str] = []  # the incidents by their number in Bits (a deleted one's stays, unset)
        self._tables = {"kind": self._kind, "claimant": self._claimant, "accused": self._accused, "year": self._year,
                        "month": self._month, "place": self._place, "type": self._type, "victim": self._victim}
        self.titles: dict[str, str] = {}

    @classmethod
    def _eager(cls, incidents: int) -> int:
        return cls.eager if cls.eager is not None else max(EAGER_MIN, incidents // EAGER_SHARE)

    @classmethod
    def build(cls, names: PartyNames, incidents: Iterable[tuple[Incident, Sequence[Claim]]]) -> FilterIndex:
        """All incidents at once: the ordered lists are sorted once at the end rather than kept sorted by
        insertion (1.5 s of moving list items at 100,000 incidents)."""
        index = cls(names)
        for incident, claims in incidents:
            index._add(incident, chain.from_iterable(map(index._claim_items, claims)), ordered=False)
        eager = index._eager(len(index._ids))
        for table in index._tables.values():
            for key, ids in table.items():
                if len(ids) >= eager:
                    table[key] = index._bits_of(ids)
        index._by_figure.sort()
        index._figure_ids = [iid for _, iid in index._by_figure]
        index._figure_numbers = array("i", (index._entries[iid].number for iid in index._figure_ids))
        index._by_date.sort()
        index._date_ids = [iid for _, iid in index._by_date]
        return index

    def to_data(self) -> dict[str, Any]:
        """Everything `load` needs to make this index again, as JSON: each distinct (table, key) once, with the
        incidents it has (by their number in `ids`); each incident's keys by number."""
        ids = list(self._entries)
        number = {iid: n for n, iid in enumerate(ids)}
        renumber = array("i", (number.get(iid, -1) for iid in self._loaded_ids))
        # not the keys of incidents since removed (their sets are empty); dict.get: without unpacking
        keys = [k for k in self._canon if dict.get(self._tables[k[0]], k[1])]
        key_number = {k: n for n, k in enumerate(keys)}

        def numbers(ids: set[str] | Bits) -> list[int]:
            return sorted(map(number.__getitem__, self._members(ids)))

        def posting(table: dict[object, set[str] | Bits], key: object) -> str:
            if isinstance(table, Unpacking):
                return table.packed(key, renumber, numbers)
            return pack(numbers(table[key]))

        postings = [posting(self._tables[t], k) for t, k in keys]
        bits = []  # the keys of many incidents as their bitsets (Bits), as load makes them: in C, not numbers
        eager = self._eager(len(ids))
        for n, packed in enumerate(postings):
            if count(packed) >= eager:
                flags = _bits(unpack(packed), len(ids))
                bits.append([n, b2a_base64(flags.to_bytes((flags.bit_length() + 7) // 8, "little"), newline=False).decode()])
                postings[n] = ""
        return {
            "noted": list(self.names.noted), "ids": ids, "keys": keys, "postings": postings, "bits": bits,
            "entries": self._entries_data(key_number),
            "by_date": pack(number[iid] for _, iid in self._by_date),
            "by_figure": pack(number[iid] for _, iid in self._by_figure)}

    @classmethod
    def load(cls, parties: Iterable[Party], data: dict[str, Any], incidents: dict[str, str],
             title_of: Callable[[str], str]) -> FilterIndex:
        """The index `to_data` describes. `incidents`: the id of each incident now (perhaps changed since: the
        caller updates those), by itself, so the index holds the store's strings rather than copies; their
        titles are read (`title_of`) when first asked for, not their 100,000 records at load. Raises
        KeyError, IndexError, TypeError or ValueError on data that is not an index."""
        index = cls(PartyNames.build(parties, (), data["noted"]))
        canon, tables, entries = index._canon, index._tables, index._entries
        ids = list(map(incidents.get, data["ids"], data["ids"]))
        if not set(map(type, ids)) <= {str}:
            raise TypeError("ids: not strings")
        saved = data["entries"]  # see _entries_data; every loop in C (one in Python was a third of a load)
        keys, figures, distinct, date_of = saved["keys"], saved["figures"], saved["dates"], unpack(saved["date_of"])
        if not len(keys) == len(figures) == len(date_of) == len(ids):
            raise ValueError("entries: not one each an incident")
        if not (set(map(type, keys)) <= {str} and set(map(type, figures)) <= {int, type(None)}
                and set(map(type, distinct)) <= {str}):
            raise TypeError("entries: not packed keys, figures and dates")
        if date_of and min(date_of) < 0:
            raise ValueError("entries: a date of no number")
        dates = list(map(distinct.__getitem__, date_of))  # each date one string, shared by its incidents
        entries.update(zip(ids, map(_Entry, keys, figures, dates, range(len(ids)))))
        del keys
        index.titles = Titles(title_of, ids)
        def incidents_of(numbers: array[int]) -> set[str]:
            return set(map(ids.__getitem__, numbers))

        for name in tables:  # each key's incidents stay packed until a question reads them
            tables[name] = Unpacking(incidents_of, set)
            setattr(index, f"_{name}", tables[name])
        pairs = [(str(table), tuple(key) if type(key) is list else key) for table, key in data["keys"]]
        index._saved_keys = pairs = list(map(canon.setdefault, pairs, pairs))
        postings = data["postings"]
        if len(postings) != len(pairs) or not set(map(type, postings)) <= {str}:
            raise TypeError("postings: not one packed list a key")
        eager = cls._eager(len(ids))
        packed_eager = eager * 4 * 4 // 3  # (base64 of 4 bytes a number) read by many questions
        for (table, key), posting in zip(pairs, postings):
            if len(posting) >= packed_eager:  # saved by an index that made fewer keys Bits
                tables[table][key] = _bits(unpack(posting), len(ids))
            elif posting:
                dict.__setitem__(tables[table], key, posting)
        for n, packed in data["bits"]:  # saved as bitsets: made in C (from numbers they were a tenth of a load)
            flags = int.from_bytes(a2b_base64(packed, strict_mode=True), "little")
            if flags.bit_length() > len(ids):
                raise ValueError(f"{pairs[n]}: incidents past the last")
            table, key = pairs[n]
            tables[table][key] = Bits(flags) if flags.bit_count() >= eager else set(compress(ids, _flags(flags)))
        index._all = set(ids)
        index._loaded_ids, index._ids = ids, list(ids)
        by_date, by_figure = unpack(data["by_date"]), unpack(data["by_figure"])  # incident numbers, in order
        index._date_ids = list(map(ids.__getitem__, by_date))
        index._by_date = list(zip(map(dates.__getitem__, by_date), index._date_ids))
        index._figure_ids = list(map(ids.__getitem__, by_figure))
        index._by_figure = list(zip(map(figures.__getitem__, by_figure), index._figure_ids))
        if None in map(figures.__getitem__, by_figure) or min(chain(by_date, by_figure), default=0) < 0:
            raise ValueError("by_figure: an incident with no figure, or a negative number")
        index._figure_numbers = by_figure  # an incident's number in a loaded index is its place in `ids`
        return index

    def _entries_data(self, key_number: dict[tuple[str, object], int]) -> dict[str, Any]:
        """Each incident's keys (packed), death toll and date, a list of each (each distinct date once, and
        its number for each incident): 100,000 JSON lists of three made a tenth of a load."""
        entries = list(self._entries.values())
        dates = {e.date: 0 for e in entries}
        dates.update(zip(dates, range(len(dates))))
        return {"keys": [pack(key_number[k] for k in self._keys(e)) for e in entries],
                "figures": [e.figure for e in entries], "dates": list(dates), "date_of": pack(dates[e.date] for e in entries)}

    def _keys(self, entry: _Entry) -> tuple[tuple[str, object], ...]:
        if isinstance(entry.keys, str):
            return tuple(map(self._saved_keys.__getitem__, unpack(entry.keys)))
        return entry.keys

    # -- keeping up to date ----------------------------------------------------------------------------
    def update(self, incident_id: str, incident: Incident | None, claims: Sequence[Claim] = ()) -> None:
        """Replace one incident's entries (None: it was deleted)."""
        self._type_sets.clear()
        number = self._remove(incident_id)
        if incident is None:
            self._tallies.forget(incident_id)
        else:
            self._add(incident, self._tallies(incident_id, claims), number=number)

    def _remove(self, incident_id: str) -> int | None:
        """Take the incident out; returns its number (for its entries again, if it is updated)."""
        entry = self._entries.pop(incident_id, None)
        if entry is None:
            return None
        self._all.discard(incident_id)
        for name, key in self._keys(entry):
            table = self._tables[name]
            ids = table.get(key)
            if isinstance(ids, Bits):
                ids = table[key] = Bits(ids & ~(1 << entry.number))
            elif ids is not None:
                ids.discard(incident_id)
            if ids is not None and not ids:
                del table[key]
        if entry.figure is not None:
            _delete(self._by_figure, (entry.figure, incident_id), self._figure_ids, self._figure_numbers)
        _delete(self._by_date, (entry.date, incident_id), self._date_ids)
        return entry.number

    def _claim_items(self, c: Claim) -> tuple[tuple[str, object], ...]:
        """What one claim adds to its incident's entry: its (table, key) pairs, and (FIGURE, the death toll it
        reports) if it reports one."""
        self.names.note_claim(c)
        keys: list[tuple[str, object]] = [("kind", c.kind)]
        for who in {self.names.key_of(c.claimant), self.names.key_of(c.via)} - {None}:
            keys += [("claimant", (who, None)), ("claimant", (who, c.kind))]
        if c.kind in ACTED_KINDS and (party := self.names.key_of(str(c.value))):
            keys += [("accused", (party, None)), ("accused", (party, c.kind))]
        n = c.count
        who = str(c.value) if c.kind == "victims" else n.who if n else None
        if who:
            keys += [("victim", k) for k in _victim_keys(who)]
        if (n is not None and n.measure in ("killed", "killed_and_wounded") and n.best is not None
                and (n.killed is not None or n.measure == "killed")):
            keys.append((FIGURE, n.killed if n.killed is not None else n.best))
        return tuple(keys)

    def _add(self, incident: Incident, claim_items: Iterable[tuple[str, object]], ordered: bool = True,
             number: int | None = None) -> None:
        """Index the incident with what its claims give (`_claim_items` of each, in any order)."""
        iid = incident.id
        if number is None:
            number = len(self._ids)
            self._ids.append(iid)
        self._ids[number] = iid
        keys: list[tuple[str, object]] = []  # (table, key)
        figures: list[Any] = []
        for item in claim_items:
            (figures if item[0] == FIGURE else keys).append(item)
        year, month = incident.date.year, incident.date.month
        if year:
            keys.append(("year", year))
        if month:
            keys += [("month", (year, month)), ("month", (None, month))]
        p = incident.place
        for text in filter(None, chain([p.name, p.region, p.country], p.aliases)):
            keys += [("place", k) for k in _place_keys(text)]
        keys.append(("type", _folded(incident.type)))
        canon = self._canon.setdefault
        keys = tuple([canon(k, k) for k in dict.fromkeys(keys)])
        for name, key in keys:
            table = self._tables[name]
            ids = table[key]
            if isinstance(ids, Bits):
                table[key] = Bits(ids | 1 << number)
            else:
                ids.add(iid)
        figure = max((f for _, f in figures), default=None)
        date = incident.date.value or ""
        if ordered:
            if figure is not None:
                _insert(self._by_figure, (figure, iid), (self._figure_ids, iid), (self._figure_numbers, number))
            _insert(self._by_date, (date, iid), (self._date_ids, iid))
        else:  # build() sorts once at the end
            if figure is not None:
                self._by_figure.append((figure, iid))
            self._by_date.append((date, iid))
        self._entries[iid] = _Entry(keys, figure, date, number)
        self._all.add(iid)
        self.titles[iid] = incident.title

    # -- asking ------------------------------------------------------------------------------------------
    def date(self, incident_id: str) -> str:
        """The incident's date as stored ("2018-06-18", "2018-05", "2011", or "" when unknown)."""
        entry = self._entries.get(incident_id)
        return entry.date if entry else ""

    def figure(self, incident_id: str) -> int | None:
        entry = self._entries.get(incident_id)
        return entry.figure if entry else None

    def match(self, f: Filter) -> set[str]:
        """The incidents the filter fits (a new set). Set operations in C over the smallest sets first; the
        costly ones (every type word, a range of death tolls) last, and not at all when a cheap one is empty.
        Keys of many incidents are bitsets: ANDed together first, then made the set of what is left."""
        sets: list[set[str] | Bits] = []
        kinds: tuple[str | None, ...] = f.kinds or (None,)
        if f.claimants:
            sets.append(self._union(self._claimant.get((k, kind), set()) for k in f.claimants for kind in kinds))
        if f.accused:
            sets.append(self._union(self._accused.get((k, kind), set()) for k in f.accused for kind in kinds))
        if f.kinds and not (f.claimants or f.accused):
            sets.append(self._union(self._kind.get(kind, set()) for kind in f.kinds))
        if f.year and f.month:
            sets.append(self._month.get((f.year, f.month), set()))
        elif f.year:
            sets.append(self._year.get(f.year, set()))
        elif f.month:
            sets.append(self._month.get((None, f.month), set()))
        if f.places:
            sets.append(self._union(self._place.get(k, set()) for k in f.places))
        if f.victims:
            sets.append(self._union(self._victim.get(k, set()) for k in f.victims))
        if f.within is not None:
            sets.append(set(f.within))
        if any(not x for x in sets):
            return set()  # "more than 48 killed in Ko Kan": no incident there, whatever else it asks
        if f.types:
            sets.append(self._types(f.types))
        if f.at_least is not None or f.at_most is not None:
            lo = bisect_left(self._by_figure, (f.at_least, "")) if f.at_least is not None else 0
            hi = bisect_right(self._by_figure, (f.at_most, "\uffff")) if f.at_most is not None else len(self._by_figure)
            smallest = min(sets, key=_size, default=None)
            if smallest is not None and _size(smallest) * 8 < hi - lo:  # a loop in Python costs ~8 set inserts in C
                # A few incidents with some death toll: test theirs, rather than build the set of 50,000 in range
                low, high = self._by_figure[lo][0] if lo < hi else 0, self._by_figure[hi - 1][0] if lo < hi else -1
                sets.append({i for i in self._members(smallest)
                             if (n := self._entries[i].figure) is not None and low <= n <= high})
            elif any(isinstance(x, Bits) for x in sets):
                sets.append(_bits(self._figure_numbers[lo:hi], len(self._ids)))
            else:
                sets.append(set(self._figure_ids[lo:hi]))
        if not sets:
            return set(self._all)
        bitsets = [x for x in sets if isinstance(x, Bits)]
        sets = sorted((x for x in sets if not isinstance(x, Bits)), key=len)
        if not bitsets:
            return sets[0].intersection(*sets[1:])
        bits = bitsets[0]
        for other in bitsets[1:]:
            bits &= other
        if not sets:
            return self._as_set(bits)
        found = sets[0].intersection(*sets[1:])
        # Testing a found incident's bit in Python costs about what 8 members of the bitset's set cost made in
        # C, or 80 incidents it leaves out: "which strikes killed more than 22?" tested 4,000, 2 ms.
        if len(found) * 8 > bits.bit_count() + len(self._ids) // 10:
            return found & self._as_set(bits)
        flags, entries = _flags(bits), self._entries
        return {i for i in found if (e := entries.get(i)) is not None and e.number < len(flags) and flags[e.number]}

    def _types(self, words: tuple[str, ...]) -> set[str] | Bits:
        """The incidents of every type with one of these words in it ("strike": airstrikes too), kept until an
        incident changes: at 100,000 incidents the union took 7 ms of every "which strikes ..."."""
        if words not in self._type_sets:
            self._type_sets[words] = self._union(ids for t, ids in self._type.items() if any(w in str(t) for w in words))
        return self._type_sets[words]

    def _union(self, parts: Iterable[set[str] | Bits]) -> set[str] | Bits:
        """The union: of sets, see _union; with bitsets, a bitset (the sets, of fewer incidents, made one)."""
        sets, bitsets = [], []
        for p in parts:
            if p:
                (bitsets if isinstance(p, Bits) else sets).append(p)
        if not bitsets:
            return _union(sets)
        bits = 0
        for b in bitsets:
            bits |= b
        return Bits(bits | self._bits_of(_union(sets)) if sets else bits)

    def _members(self, ids: set[str] | Bits) -> Iterable[str]:
        return self._as_set(ids) if isinstance(ids, Bits) else ids

    def _as_set(self, bits: int) -> set[str]:
        return set(compress(self._ids, _flags(bits)))

    def _bits_of(self, ids: Iterable[str]) -> Bits:
        return _bits((self._entries[i].number for i in ids), len(self._ids))

    def has_claim(self, incident_id: str, kinds: Iterable[str]) -> bool:
        """Whether the incident has a claim of one of these kinds: from the index, where reading its claims
        from the file cost a "which one?" among 50 incidents of a month 9 ms at 10,000 incidents."""
        entry = self._entries.get(incident_id)
        for kind in kinds:
            ids = self._kind.get(kind)
            if ids and entry and (ids >> entry.number & 1 if isinstance(ids, Bits) else incident_id in ids):
                return True
        return False

    def has_place(self, word: str) -> bool:
        return name_key(word) in self._place

    def newest(self, n: int) -> list[str]:
        """The n most recent incidents of all, from the date order kept for every change."""
        return [iid for _, iid in reversed(self._by_date[-n:])]

    def __len__(self) -> int:
        return len(self._all)

    def latest(self, ids: set[str], n: int, oldest: bool = False) -> list[str]:
        """Up to n of `ids`, most recent first (or oldest first; equal dates by id, so the order never varies).
        Walks the date order in C while that is likely cheaper than sorting `ids` (a step of the walk costs
        about a thirtieth of sorting one incident by its date): "which strikes killed more than 22 people?"
        sorted 3,000 incidents to list the latest at 10,000 incidents, 4 ms."""
        budget = len(ids) * WALK_PER_SORTED if len(ids) <= SORT_DIRECTLY else len(self._date_ids)
        walk = islice(self._date_ids if oldest else reversed(self._date_ids), budget)
        out = list(islice(filter(ids.__contains__, walk), n))
        if len(out) in (n, len(ids)) or budget >= len(self._date_ids):
            return out
        return sorted(ids, key=lambda i: (self._entries[i].date, i), reverse=not oldest)[:n]

    def ranked(self, ids: set[str] | None, n: int, most: bool = True) -> list[str]:
        """Up to n of `ids` (None: any) with the highest (or lowest) reported death toll, in that order."""
        walk = reversed(self._figure_ids) if most else iter(self._figure_ids)
        return list(islice(walk if ids is None else filter(ids.__contains__, walk), n))  # in C, as latest

    def place_keys(self, words: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The keys of the question's words (and word pairs: "deir ezzor") that name a place some incident is
        in, and those words."""
        found, said = [], []
        for i, w in enumerate(words):
            for text, shown in ((w, w), (w + words[i + 1], f"{w} {words[i + 1]}") if i + 1 < len(words) else ("", "")):
                k = name_key(text)
                if len(k) > 2 and k in self._place:
                    found.append(k)
                    if not any(shown in s.split() for s in said):  # "ezzor" after "deir ezzor" says nothing new
                        said = [s for s in said if s not in shown.split()] + [shown]
        return tuple(dict.fromkeys(found)), tuple(dict.fromkeys(said))


def victim_key(word: str) -> str:
    """"Russians" and "Russian" alike."""
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


@lru_cache(maxsize=1 << 16)  # "pro-regime fighters" repeats across thousands of incidents
def _victim_keys(text: str) -> tuple[str, ...]:
    return tuple({victim_key(w) for w in fold(text).split() if w not in STOPWORDS and len(w) > 2})


@lru_cache(maxsize=1 << 16)  # region and country names repeat across thousands of incidents
def _place_keys(text: str) -> tuple[str, ...]:
    words = fold(text).split()
    keys = [name_key(w) for w in words if w not in STOPWORDS and w not in PLACE_FILLER]
    return tuple(keys + [name_key(a + b) for a, b in zip(words, words[1:])])


@lru_cache(maxsize=1024)
def _folded(text: str) -> str:
    return fold(text)


def _size(ids: set[str] | Bits) -> int:
    return ids.bit_count() if isinstance(ids, Bits) else len(ids)


def _insert(ordered: list[tuple[Any, str]], item: tuple[Any, str], *beside: tuple[Any, Any]) -> None:
    """Put `item` in its place in `ordered`, and each (list, value) of `beside` at the same place in its list."""
    k = bisect_left(ordered, item)
    ordered.insert(k, item)
    for values, value in beside:
        values.insert(k, value)


def _delete(ordered: list[tuple[Any, str]], item: tuple[Any, str], *beside: Any) -> None:
    """Take `item` out of `ordered`, if there, and what is at its place in each list of `beside`."""
    k = bisect_left(ordered, item)
    if k < len(ordered) and ordered[k] == item:
        del ordered[k]
        for values in beside:
            del values[k]


def _union(sets: Iterable[set[str]]) -> set[str]:
    """The union; one set itself, not a copy (match only reads them; a copy of 100,000 ids took 6 ms)."""
    parts = [s for s in sets if s]
    if len(parts) == 1:
        return parts[0]
    out: set[str] = set()
    for s in parts:
        out |= s
    return out

