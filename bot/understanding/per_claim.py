"""What an index derives from an incident's claims, tallied per incident and kept between its updates.

An update re-indexes a whole incident (its figures, description words and filter keys are unions over its
claims). Derived from every claim again, an admin adding a note to an incident with 1,700 facts cost 12 ms
a write at 10,000 incidents, on the thread that answers. A tally keeps each claim's items and how many claims
give each item, so an update derives only the claims that are new or changed and adjusts the counts.
Claims are never changed in place (a change makes a new Claim and a new list), so a claim's items stay good
while it is the very object read again, or an equal one (the same fact read again from a file a fold wrote).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from bot.facts.models import Claim

LIMIT = 20_000  # claims kept (of the incidents updated since start; ~10 MB at most); past it, start again


@dataclass(slots=True)
class _Tally:
    # id() of each claim -> (the claim, its items). The claims are held here, so no other object can have
    # their ids while they are: a claim whose id is here is the very one tallied.
    claims: dict[int, tuple[Claim, tuple[Hashable, ...]]] = field(default_factory=dict)
    counts: dict[Hashable, int] = field(default_factory=dict)  # item -> how many of the claims give it


class Tallies:
    def __init__(self, derive: Callable[[Claim], tuple[Hashable, ...]], limit: int = LIMIT) -> None:
        self._derive = derive
        self._limit = limit
        self._tallies: dict[str, _Tally] = {}
        self._kept = 0  # claims held over all tallies

    def __call__(self, incident_id: str, claims: Sequence[Claim]) -> dict[Hashable, int]:
        """Every item `derive` gives for these claims (the incident's, all of them), with how many give it.
        The caller reads it and leaves it as it is."""
        tally = self._tallies.setdefault(incident_id, _Tally())
        kept, counts, was = tally.claims, tally.counts, len(tally.claims)
        new = [c for c in claims if id(c) not in kept]  # one dict test per claim: most are as kept
        try:
            gone: dict[str, tuple[Claim, tuple[Hashable, ...]]] = {}  # claim id -> (claim, items)
            if len(claims) - len(new) != len(kept):
                gone = {kept[i][0].id: kept.pop(i) for i in kept.keys() - set(map(id, claims))}
            for claim in new:
                old = gone.pop(claim.id, None)
                if old is not None and old[0] == claim:
                    kept[id(claim)] = (claim, old[1])  # the same fact read again (from the file a fold wrote)
                    continue
                if old is not None:
                    _count(counts, old[1], -1)
                items = self._derive(claim)
                _count(counts, items, 1)
                kept[id(claim)] = (claim, items)
            for _, items in gone.values():
                _count(counts, items, -1)
        except BaseException:  # half counted: derive it all again next time
            del self._tallies[incident_id]
            self._kept -= was
            raise
        self._kept += len(kept) - was
        if self._kept > self._limit:
            self.clear()
        return counts

    def forget(self, incident_id: str) -> None:
        """Drop an incident's tally (it was deleted)."""
        tally = self._tallies.pop(incident_id, None)
        if tally is not None:
            self._kept -= len(tally.claims)

    def clear(self) -> None:
        """Forget every tally (what the items were derived with has changed)."""
        self._tallies.clear()
        self._kept = 0


def _count(counts: dict[Hashable, int], items: tuple[Hashable, ...], step: int) -> None:
    for item in items:
        n = counts.get(item, 0) + step
        if n:
            counts[item] = n
        else:
            del counts[item]
