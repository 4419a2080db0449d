"""The filter index holds keys of many incidents as bitsets (filters.Bits): every question across incidents
must match what the same index of plain sets matches, after changes and after a save and load too."""
from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from bot.facts.models import Claim, Incident
from bot.understanding.filters import Bits, Filter, FilterIndex
from bot.understanding.mentions import PartyNames

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from synth import generate  # noqa: E402  (bench/ is scripts, not a package)


class AllBits(FilterIndex):
    eager = 3  # nearly every key a bitset


class NoBits(FilterIndex):
    eager = 10**9


def dataset(size: int, seed: int) -> tuple[Any, list[tuple[Incident, list[Claim]]]]:
    """Synthetic incidents (bench/synth.py), each with its claims as FilterIndex.build takes them."""
    ds = generate(size, seed=seed)
    claims = defaultdict(list)
    for c in ds.claims:
        claims[c.incident].append(c)
    return ds, [(i, claims[i.id]) for i in ds.incidents]


def filters(index: FilterIndex, rng: random.Random) -> list[Filter]:
    """One filter per key of every table, and random mixtures of them with types, tolls and `within`."""
    t = index._tables
    one = [Filter(kinds=(k,)) for k in t["kind"]]
    one += [Filter(claimants=frozenset([p]), kinds=(k,) if k else ()) for p, k in t["claimant"]]
    one += [Filter(accused=frozenset([p]), kinds=(k,) if k else ()) for p, k in t["accused"]]
    one += [Filter(year=y) for y in t["year"]] + [Filter(year=y, month=m) for y, m in t["month"]]
    one += [Filter(places=(p,)) for p in t["place"]] + [Filter(victims=(v,)) for v in t["victim"]]
    one += [Filter(types=(w,)) for w in ("strike", "massacre", "shelling")]
    one += [Filter(at_least=n) for n in (0, 5, 30, 100)] + [Filter(at_most=n) for n in (3, 20)]
    ids = sorted(index.titles)
    mixed = []
    for _ in range(300):
        a, b = rng.sample(one, 2)
        mixed.append(Filter(kinds=a.kinds or b.kinds, claimants=a.claimants | b.claimants, accused=a.accused,
                            year=a.year or b.year, month=a.month, places=a.places + b.places, types=b.types,
                            at_least=rng.choice([None, None, 10]), victims=a.victims,
                            within=frozenset(rng.sample(ids, 40)) if rng.random() < 0.2 else None))
    return one + mixed


def same(bits: FilterIndex, sets: FilterIndex, rng: random.Random) -> None:
    assert any(isinstance(v, Bits) for t in bits._tables.values() for v in dict.values(t))
    for f in filters(sets, rng):
        assert bits.match(f) == sets.match(f), f
    # "which one?" among a few asks the index whether each has a claim of the question's kinds
    for kind in sets._tables["kind"]:
        having = sets.match(Filter(kinds=(kind,)))
        assert {i for i in sets.titles if bits.has_claim(i, ("no such kind", kind))} == having, kind
        assert not bits.has_claim("no-such-incident", (kind,))


def test_bitset_keys_match_what_sets_match_after_changes_and_a_reload() -> None:
    rng = random.Random(9)
    ds, items = dataset(400, seed=11)
    bits = AllBits.build(PartyNames.build(ds.parties, ()), items)
    sets = NoBits.build(PartyNames.build(ds.parties, ()), items)
    same(bits, sets, rng)
    # changes: deletions, an incident given another's claims and date, new incidents
    for n, (incident, _) in enumerate(items[:60]):
        for index in (bits, sets):
            if n % 3 == 0:
                index.update(incident.id, None)
            else:
                other, other_claims = items[-n]
                moved = type(incident)(**{**{f: getattr(incident, f) for f in incident.__slots__},
                                          "date": other.date, "type": other.type})
                index.update(incident.id, moved, other_claims)
    for incident, incident_claims in items[:20:3]:
        for index in (bits, sets):
            index.update(incident.id, incident, incident_claims)  # deleted, then back with a new number
    same(bits, sets, rng)
    records = {i.id: i for i, _ in items}
    ids, title_of = {i: i for i in records}, lambda i: records[i].title
    loaded = AllBits.load(ds.parties, orjson.loads(orjson.dumps(bits.to_data())), ids, title_of)
    reloaded = NoBits.load(ds.parties, orjson.loads(orjson.dumps(loaded.to_data())), ids, title_of)
    same(loaded, sets, rng)
    assert all(not isinstance(v, Bits) for t in reloaded._tables.values() for v in t.values())
    for f in filters(sets, rng):
        assert reloaded.match(f) == sets.match(f), f


def test_by_default_keys_of_a_twentieth_of_the_incidents_are_bitsets() -> None:
    """At 10,000 incidents the kinds and types (1,400 to 4,000 each) are read by most questions across
    incidents: bitsets made at load, not sets unpacked by the first question that reads them."""
    rng = random.Random(5)
    ds, items = dataset(2000, seed=3)
    built = FilterIndex.build(PartyNames.build(ds.parties, ()), items)
    records = {i.id: i for i, _ in items}
    loaded = FilterIndex.load(ds.parties, orjson.loads(orjson.dumps(built.to_data())), {i: i for i in records},
                              lambda i: records[i].title)
    share = len(items) // 20
    for index in (built, loaded):
        sizes = {(t, k): (v.bit_count() if isinstance(v, Bits) else len(v), isinstance(v, Bits))
                 for t, table in index._tables.items() for k, v in table.items()}
        assert {bits for n, bits in sizes.values()} == {True, False}
        assert all(bits == (n >= share) for n, bits in sizes.values())
        assert all(isinstance(index._kind[k], Bits) for k in ("casualties", "blame", "denial"))
    same(loaded, NoBits.build(PartyNames.build(ds.parties, ()), items), rng)


def test_latest_walks_or_sorts_to_the_same_order() -> None:
    """`latest` walks the date order or sorts the matches, whichever is cheaper for their number: both
    must give the most recent (or oldest) first, equal dates by id, for any share of the incidents."""
    rng = random.Random(5)
    ds, items = dataset(3000, seed=7)
    index = FilterIndex.build(PartyNames.build(ds.parties, ()), items)
    ids = sorted(index.titles)
    for size in (0, 1, 3, 20, 150, 1000, 3000):
        chosen = set(rng.sample(ids, size))
        for n in (1, 8, 1000):
            for oldest in (False, True):
                expected = sorted(chosen, key=lambda i: (index.date(i), i), reverse=not oldest)[:n]
                assert index.latest(chosen, n, oldest) == expected, (size, n, oldest)
    old = sorted(ids, key=lambda i: (index.date(i), i))[:30]  # all far from the newest end: the walk gives up
    assert index.latest(set(old), 8) == sorted(old, key=lambda i: (index.date(i), i), reverse=True)[:8]
