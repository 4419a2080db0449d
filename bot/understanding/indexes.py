"""The incident indexes (names: resolver.py; filters across incidents: filters.py), saved beside the database
and loaded at start when they fit it, rather than built from every record: the build was most of start-up
(24 of 30 s at 100,000 incidents).

The store keeps the saved copy (`Store.derived`, `Store.save_derived`: the store opens every file under the
database's name) and says which version of the records it describes; the changes since, still in the
journal, are applied by the engine's usual update, one incident at a time. A copy saved for another state of
the database, by other code (a hash of the modules that compute the indexes), truncated or garbage is
rebuilt, with one log line.
"""
from __future__ import annotations

import hashlib
import logging
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.facts.models import Party
from bot.store import Store
from bot.store.bulk import bulk_build
from bot.understanding.filters import FilterIndex
from bot.understanding.mentions import PartyNames
from bot.understanding.resolver import IncidentIndex, incident_facts

log = logging.getLogger(__name__)

NAME = "index"  # the saved copy is the database's name + ".index"
# What the saved indexes are computed by: a change to any of these modules makes earlier copies stale.
CODE = ("bot.text", "bot.facts.models", "bot.understanding.mentions", "bot.understanding.resolver",
        "bot.understanding.filters", __name__)


@dataclass
class Indexes:
    names: IncidentIndex
    filters: FilterIndex
    version: int  # the store version they describe
    parties: tuple[tuple[str, ...], ...]  # the parties' names they were keyed with (a change re-keys the filters)
    built: bool  # built from the records, not loaded


def parties_key(parties: list[Party]) -> tuple[tuple[str, ...], ...]:
    return tuple((p.id, p.name, *p.aliases) for p in parties)


@bulk_build()  # millions of objects at 100,000 incidents; see bot/store/bulk.py
def build(store: Store) -> Indexes:
    """Both indexes from every record."""
    started = time.perf_counter()
    version = store.version
    stored = store.parties()
    items = [(i, store.claims(i.id)) for i in store.incidents()]
    filters = FilterIndex.build(PartyNames.build(stored, ()), items)
    figures: dict[str, set[int]] = {}
    descriptions: dict[str, str] = {}
    for i, claims in items:
        figures[i.id], descriptions[i.id] = incident_facts(i, claims)
    del items
    names = IncidentIndex(store.incidents(), figures, descriptions)
    log.debug("built the incident index of %s (%d incidents) in %.2f s", store.path, len(figures),
             time.perf_counter() - started)
    return Indexes(names, filters, version, parties_key(stored), built=True)


@bulk_build()
def load(store: Store) -> Indexes | None:
    """The saved indexes, at the store version they describe (older than the store's when the journal holds
    changes since); None if there are none that fit (already logged)."""
    started = time.perf_counter()
    saved = store.derived(NAME, code_version())
    if saved is None:
        return None
    data, version = saved
    _, changed = store.changes_since(version)
    if changed is None:
        log.info("the journal of %s holds too many changes since its saved incident index; rebuilding it", store.path)
        return None
    ids = store.incident_ids()
    incidents = dict(zip(ids, ids))  # not their records: read when a question needs one

    def title_of(incident_id: str) -> str:
        record = store.incident(incident_id)
        return record.title if record else incident_id  # deleted since: the update takes it out

    try:
        filters = FilterIndex.load(store.parties(), data["filters"], incidents, title_of)
        names = IncidentIndex.load(data["names"], incidents)
        parties = tuple(tuple(p) for p in data["parties"])
        if (filters.titles.keys() ^ incidents.keys()) - changed:
            raise ValueError("it has other incidents than the database")
    except (KeyError, IndexError, TypeError, ValueError) as e:
        log.warning("the saved incident index of %s does not fit it (%s: %s); rebuilding it", store.path,
                    type(e).__name__, e)
        return None
    log.debug("loaded the saved incident index of %s in %.2f s", store.path, time.perf_counter() - started)
    return Indexes(names, filters, version, parties, built=False)


def save(store: Store, indexes: Indexes) -> bool:
    """Save the indexes beside the database if its file holds the version they describe."""
    return store.save_derived(NAME, code_version(), indexes.version, lambda: {
        "names": indexes.names.to_data(), "filters": indexes.filters.to_data(), "parties": indexes.parties})


@cache
def code_version() -> str:
    return modules_digest(CODE)


def modules_digest(modules: tuple[str, ...]) -> str:
    """A digest of these (imported) modules' source: what tells a copy saved by other code."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(sys.modules[module].__file__ or "").read_bytes())
    return digest.hexdigest()[:16]
