"""Claims linked to the parties they name, kept up to date change by change, and saved beside the database.

A claim names who said it in free text (claimant, or a person in `via`) and, for some kinds, whom its value
names. `PartyLinks` holds, per (party, kind), the incidents of such claims in date order and the claim ids on
each: ids, not Claim objects, because the store reads an incident's facts from its file on demand, and an
answer reads only the incidents it shows. After a change only the incidents it touched are relinked.

Linking every claim means reading every fact from the file (6.6 s at 100,000 incidents), so the links are
saved beside the database like the incident indexes (`Store.save_derived`: for the TinyDB file as a fold
wrote it) and loaded at the next start, then brought up to date with the changes since. A copy saved for
other parties' names, by other code or that does not parse is relinked from the facts, with one log line.
"""
from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator, KeysView
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from bot.facts.models import Claim, Incident, Party
from bot.store import Store
from bot.store.bulk import bulk_build
from bot.understanding.indexes import modules_digest
from bot.understanding.parties import PartyFinder

log = logging.getLogger(__name__)

# Kinds whose value names a party (the accused, the one who denied or carried it out).
PARTY_VALUED = frozenset({"blame", "denial", "perpetrator", "claim_responsibility"})
NAME = "parties"  # the saved copy is the database's name + ".parties"
CODE = ("bot.text", "bot.understanding.parties", __name__)  # what the links are computed by

Place = tuple[str, str]  # an incident's (date, id): sorted, earliest first; read backwards, latest first
Names = tuple[tuple[str, ...], ...]  # every party's id, type, name and aliases: all a PartyFinder reads


def names_of(parties: list[Party]) -> Names:
    return tuple(sorted((p.id, p.type, p.name, *p.aliases) for p in parties))


@dataclass
class Posting:
    """One party's claims of one kind: the incidents they are on, in date order, and which of each
    incident's claims (by id, in the store's order)."""
    order: list[str] = field(default_factory=list)  # incident ids, earliest first
    claims: dict[str, tuple[str, ...]] = field(default_factory=dict)  # incident id -> claim ids

    @property
    def incidents(self) -> KeysView[str]:
        return self.claims.keys()

    def add(self, incident_id: str, claim_ids: tuple[str, ...], place: dict[str, Place]) -> None:
        self.claims[incident_id] = claim_ids
        if not self.order or place[self.order[-1]] < place[incident_id]:
            self.order.append(incident_id)  # linking everything goes in date order: no search
        else:
            bisect.insort(self.order, incident_id, key=place.__getitem__)

    def remove(self, incident_id: str, place: dict[str, Place]) -> None:
        """Drop an incident, found by the place it was added at (`place` not yet changed)."""
        del self.claims[incident_id]
        at = bisect.bisect_left(self.order, place[incident_id], key=place.__getitem__)
        assert self.order[at] == incident_id, "a posting out of date order"
        del self.order[at]

    def latest_first(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        for incident_id in reversed(self.order):
            yield incident_id, self.claims[incident_id]


@dataclass
class PartyLinks:
    """Each claim linked to the parties it names, as of store `version`, by `finder` (built from `names`):
    the postings, and what takes an incident's entries out again when it changes."""
    finder: PartyFinder
    names: Names
    version: int
    # (party, kind): the claims it made (as claimant, or named in `via`), and the claims whose value names it
    spoken: dict[tuple[str, str], Posting] = field(default_factory=dict)
    named: dict[tuple[str, str], Posting] = field(default_factory=dict)
    denied_in: set[str] = field(default_factory=set)  # incidents someone denied
    place: dict[str, Place] = field(default_factory=dict)  # of each incident in a posting, as it was added
    posted: dict[str, list[Posting]] = field(default_factory=dict)  # incident id -> the postings holding it

    def add(self, incident: Incident, claims: list[Claim]) -> None:
        """Link one incident's claims: who said each (claimant, or a person named in `via`) and whom its value
        names; a claim keeps its place within its incident."""
        spoken: dict[tuple[str, str], list[str]] = {}
        named: dict[tuple[str, str], list[str]] = {}
        parties_in = self.finder.parties_in  # cached: claims repeat a few texts
        for c in claims:
            speakers = (parties_in(c.claimant)[:1] if c.claimant else ()) + (parties_in(c.via) if c.via else ())
            for pid in (speakers if len(speakers) < 2 else dict.fromkeys(speakers)):
                spoken.setdefault((pid, c.kind), []).append(c.id)
            if c.kind in PARTY_VALUED and isinstance(c.value, str) and (valued := parties_in(c.value)):
                named.setdefault((valued[0], c.kind), []).append(c.id)
            if c.kind == "denial":
                self.denied_in.add(incident.id)
        if not spoken and not named:
            return
        self.place[incident.id] = (incident.date.value or "", incident.id)
        posted = self.posted[incident.id] = []
        for table, found in ((self.spoken, spoken), (self.named, named)):
            for key, ids in found.items():
                posting = table.setdefault(key, Posting())
                posting.add(incident.id, tuple(ids), self.place)
                posted.append(posting)

    def remove(self, incident_id: str) -> None:
        """Take an incident's entries out (an emptied posting stays: it counts and shows nothing)."""
        for posting in self.posted.pop(incident_id, ()):
            posting.remove(incident_id, self.place)
        self.place.pop(incident_id, None)
        self.denied_in.discard(incident_id)

    def update(self, store: Store) -> bool:
        """Relink the incidents changed since `version`; False when the store says "rebuild" (an import)."""
        version, changed = store.changes_since(self.version)
        if changed is None:
            return False
        for incident_id in changed:
            self.remove(incident_id)
            incident = store.incident(incident_id)
            if incident is not None:
                self.add(incident, store.claims(incident_id))
        self.version = version
        return True

    # -- the saved copy ------------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        def rows(table: dict[tuple[str, str], Posting]) -> list[Any]:
            return [[party, kind, p.order, [p.claims[i] for i in p.order]]
                    for (party, kind), p in table.items() if p.order]
        return {"names": self.names, "dates": {i: place[0] for i, place in self.place.items()},
                "spoken": rows(self.spoken), "named": rows(self.named), "denied": sorted(self.denied_in)}

    @classmethod
    def from_data(cls, data: dict[str, Any], finder: PartyFinder, names: Names, version: int) -> PartyLinks:
        links = cls(finder, names, version, denied_in=set(data["denied"]),
                    place={i: (date, i) for i, date in data["dates"].items()})
        for table, rows in ((links.spoken, data["spoken"]), (links.named, data["named"])):
            for party, kind, order, ids in rows:
                posting = table[(party, kind)] = Posting(order, dict(zip(order, map(tuple, ids), strict=True)))
                for incident_id in order:
                    links.posted.setdefault(incident_id, []).append(posting)
        if links.posted.keys() - links.place.keys():
            raise ValueError("an incident linked without a date")
        return links


@bulk_build()  # hundreds of thousands of long-lived entries at 100,000 incidents; see bot/store/bulk.py
def link_all(store: Store, finder: PartyFinder, names: Names) -> PartyLinks:
    """Every claim of every incident (reads every fact: seconds at 100,000 incidents)."""
    # The version first: a change made while reading is brought in again by the next update.
    links = PartyLinks(finder, names, store.version)
    for incident in sorted(store.iter_incidents(), key=lambda i: (i.date.value or "", i.id)):
        links.add(incident, store.claims(incident.id))
    return links


@bulk_build()
def load(store: Store, finder: PartyFinder, names: Names) -> PartyLinks | None:
    """The saved links, at the store version they describe, if they fit (else None, logged)."""
    saved = store.derived(NAME, code_version())
    if saved is None:
        return None
    data, version = saved
    try:
        if tuple(map(tuple, data["names"])) != names:
            log.info("the saved party links of %s are for other party names; relinking", store.path)
            return None
        return PartyLinks.from_data(data, finder, names, version)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        log.warning("the saved party links of %s do not fit it (%s: %s); relinking", store.path,
                    type(e).__name__, e)
        return None


def save(store: Store, links: PartyLinks) -> bool:
    """Save the links beside the database if its file holds the version they describe."""
    return store.save_derived(NAME, code_version(), links.version, links.to_data)


@cache
def code_version() -> str:
    return modules_digest(CODE)
