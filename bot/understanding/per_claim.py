"""What an index derives from an incident's claims, tallied per incident and kept between its updates.

An update re-indexes a whole incident (its figures, description words and filter keys are unions over its
claims). Derived from every claim again, an admin adding a note to an incident with 1,700 facts cost 12 ms
a write at 10,000 incidents, on the thread that answers. A tally keeps each claim's items and how many claims
give each item, so an update derives only the claims it has not seen and counts out those gone.

A claim is known by its id alone: a fact never changes under its id (a correction is a new fact, and the
store's id counter never gives a deleted fact's id to another; only an import that replaces everything
starts ids again, and after it the indexes are built anew). No Claim object is kept: read from the file,
facts are parsed on demand and let go.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from bot.facts.models import Claim

LIMIT = 20_000  # claims tallied (of the incidents updated since start; a few MB); past it, start again


@dataclass(slots=True)
class _Tally:
    claims: dict[str, tuple[Hashable, ...]] = field(default_factory=dict)  # claim id -> its items
    counts: dict[Hashable, int] = field(default_factory=dict)  # item -> how many of the claims give it


class Tallies:
    def __init__(self, derive: Callable[[Claim], tuple[Hashable, ...]], limit: int = LIMIT) -> None:
        self._derive = derive
        self._limit = limit
        self._tallies: dict[str, _Tally] = {}
        self._kept = 0  # claims tallied over all incidents

    def __call__(self, incident_id: str, claims: Sequence[Claim]) -> dict[Hashable, int]:
        """Every item `derive` gives for these claims (the incident's, all of them), with how many give it.
        The caller reads it and leaves it as it is."""
        tally = self._tallies.setdefault(incident_id, _Tally())
        kept, counts, was = tally.claims, tally.counts, len(tally.claims)
        new = [c for c in claims if c.id not in kept]  # one dict test per claim: most were seen
        try:
            if len(claims) - len(new) != len(kept):
                for gone in kept.keys() - {c.id for c in claims}:
                    _count(counts, kept.pop(gone), -1)
            for claim in new:
                kept[claim.id] = items = self._derive(claim)
                _count(counts, items, 1)
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
        """Forget every tally."""
        self._tallies.clear()
        self._kept = 0


def _count(counts: dict[Hashable, int], items: tuple[Hashable, ...], step: int) -> None:
    for item in items:
        n = counts.get(item, 0) + step
        if n:
            counts[item] = n
        else:
            del counts[item]
