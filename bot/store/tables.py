"""The database in memory: typed records by id, each incident's facts in id order, and what a change does.

A change is a list of ops, [table, key, document] to put and [table, key, None] to delete, in TinyDB's
terms (a table of documents by key). The same ops go to the journal and to `Tables.apply`, so the journal
replays exactly what the running bot did. The parsed file is not kept: folding writes the records back
(`write_snapshot`), and orjson writes a record dataclass exactly as `asdict` would.

Readers in other threads never see a map change under them while iterating: maps readers iterate
(incidents, sources, parties) are replaced rather than edited, and an incident's fact list is replaced by
a new list.
"""
from __future__ import annotations

import sys
from bisect import insort
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson

from bot.facts.models import Claim, Incident, Party, Source

TABLES = ("sources", "incidents", "claims", "parties", "audit")  # plus "meta": id counters, journal position
KEYED = ("sources", "parties", "incidents")  # records with an id of their own beside the document key
RECORDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "sources": Source.from_dict, "parties": Party.from_dict, "incidents": Incident.from_dict}
CHUNK = 4000  # records per orjson call while folding: the GIL is free between calls for answering threads
Op = list[Any]


def cited_by(record: Any) -> list[str]:
    """The sources a record cites: a fact its source, a party the sources of its descriptions."""
    if isinstance(record, Claim):
        return [record.source] if record.source else []
    if isinstance(record, Party):
        return [d.source for d in record.descriptions if d.source]
    return []


def claim_order(claim: Claim) -> tuple[int, str]:
    """Fact ids are counters: "9" comes before "10"."""
    return len(claim.id), claim.id


def _consume(raw: dict[str, Any], table: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A table's documents in file order, each let go as soon as its record is built: the memory of the
    parsed file is reused for the records instead of both being held at the peak (and RSS never shrinks)."""
    items = list(raw.get(table, {}).items())
    raw[table] = {}
    for n, item in enumerate(items):
        items[n] = None  # type: ignore[call-overload]
        yield item


class Tables:
    def __init__(self) -> None:
        self.sources: dict[str, Source] = {}
        self.parties: dict[str, Party] = {}
        self.incidents: dict[str, Incident] = {}
        self.claims: dict[str, Claim] = {}  # a claim's id is its document key
        self.by_incident: dict[str, list[Claim]] = {}
        self.id_at: dict[str, dict[str, str]] = {t: {} for t in KEYED}  # table -> document key -> record id
        self.key_of: dict[str, dict[str, str]] = {t: {} for t in KEYED}  # table -> record id -> document key
        self.citations: Counter[str] = Counter()  # source id -> facts and party descriptions citing it
        self.audit: dict[str, dict[str, Any]] = {}
        self.counters: dict[str, int] = {}
        self.seq = 0  # the last journal record these tables hold

    # -- building ----------------------------------------------------------------------------------
    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Tables:
        """Records from a parsed file; raises KeyError/TypeError/ValueError on a document of the wrong form."""
        t = cls()
        for table in KEYED:
            records, id_at, key_of = {}, {}, {}
            make = RECORDS[table]
            for key, doc in _consume(raw, table):
                record = make(doc)
                records[record.id], id_at[key], key_of[record.id] = record, record.id, key
            setattr(t, table, records)
            t.id_at[table], t.key_of[table] = id_at, key_of
        strings: dict[str, str] = {}
        share = strings.setdefault  # one object per distinct string: thousands of facts repeat each
        incidents, claims, by_incident = t.incidents, t.claims, t.by_incident
        unsorted: set[str] = set()
        for key, doc in _consume(raw, "claims"):
            claim = Claim.from_dict(doc) if doc.get("id") == key else Claim.from_dict({**doc, "id": key})
            incident = incidents.get(claim.incident)
            if incident is None:
                raise ValueError(claim.incident)
            claim.incident = incident.id
            claim.kind = sys.intern(claim.kind)
            for name in ("claimant", "via", "source", "created_by", "created_at"):
                value = getattr(claim, name)
                if value is not None:
                    setattr(claim, name, share(value, value))
            claims[key] = claim
            facts = by_incident.get(incident.id)
            if facts is None:
                by_incident[incident.id] = [claim]
            else:
                if claim_order(facts[-1]) > claim_order(claim):
                    unsorted.add(incident.id)  # a file written before folds kept facts in id order
                facts.append(claim)
        for incident_id in unsorted:
            by_incident[incident_id].sort(key=claim_order)
        t.citations = Counter(c.source for c in claims.values() if c.source)
        t.citations.update(s for p in t.parties.values() for s in cited_by(p))
        t.audit = dict(raw.get("audit", {}))
        meta = raw.get("meta", {})
        t.counters = {k: int(v) for k, v in (meta.get("counters") or {}).items()}
        t.seq = int((meta.get("journal") or {}).get("seq", 0))
        return t

    # -- reading for changes -----------------------------------------------------------------------
    def doc(self, table: str, key: str) -> dict[str, Any] | None:
        """The stored document at `key`, as the file would hold it."""
        if table == "audit":
            return self.audit.get(key)
        if table == "claims":
            claim = self.claims.get(key)
            return claim.to_dict() if claim else None
        record_id = self.id_at[table].get(key)
        return getattr(self, table)[record_id].to_dict() if record_id is not None else None

    def record(self, table: str, key: str) -> Any:
        """The record (Claim, Party, ...) at a document key, or None."""
        if table == "claims":
            return self.claims.get(key)
        record_id = self.id_at[table].get(key) if table in KEYED else None
        return getattr(self, table)[record_id] if record_id is not None else None

    def keys(self, table: str) -> Iterable[str]:
        return self.claims.keys() if table == "claims" else self.audit.keys() if table == "audit" else self.id_at[table].keys()

    # -- changing ----------------------------------------------------------------------------------
    def apply(self, ops: list[Op]) -> set[str]:
        """Apply a change's ops; returns the ids of the incidents whose record or facts changed."""
        changed: set[str] = set()
        copies: dict[str, dict[str, Any]] = {}  # maps readers iterate, copied once per change

        def own(table: str) -> dict[str, Any]:
            if table not in copies:
                copies[table] = dict(getattr(self, table))
            return copies[table]

        for table, key, doc in ops:
            if table == "claims":
                self._put_claim(key, doc, changed)
            elif table == "audit":
                if doc is None:
                    self.audit.pop(key, None)
                else:
                    self.audit[key] = doc
            elif table == "meta":
                self.counters = {k: int(v) for k, v in doc.items()}
            else:
                records = own(table)
                record = RECORDS[table](doc) if doc is not None else None
                old = self.id_at[table].pop(key, None)
                if old is not None:
                    self.citations.subtract(cited_by(records[old]))
                if old is not None and (record is None or record.id != old):  # else replaced in its place
                    records.pop(old, None)
                    self.key_of[table].pop(old, None)
                if old is not None and table == "incidents":
                    changed.add(old)
                if record is not None:
                    self.citations.update(cited_by(record))
                    records[record.id] = record
                    self.id_at[table][key], self.key_of[table][record.id] = record.id, key
                    if table == "incidents":
                        changed.add(record.id)
        for table, records in copies.items():
            setattr(self, table, records)
        return changed

    def _put_claim(self, key: str, doc: dict[str, Any] | None, changed: set[str]) -> None:
        old = self.claims.pop(key, None)
        if old is not None:
            self.by_incident[old.incident] = [c for c in self.by_incident.get(old.incident, ()) if c is not old]
            self.citations.subtract(cited_by(old))
            changed.add(old.incident)
        if doc is None:
            return
        claim = Claim.from_dict({**doc, "id": key})
        self.claims[key] = claim
        facts = list(self.by_incident.get(claim.incident, ()))
        insort(facts, claim, key=claim_order)  # /undo of a delete puts the fact back in its old place
        self.by_incident[claim.incident] = facts
        self.citations.update(cited_by(claim))
        changed.add(claim.incident)

    # -- folding -----------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """What folding writes, taken in a moment under the store's lock; written later without it."""
        return Snapshot(self.seq, self.sources, dict(self.key_of["sources"]), self.parties,
                        dict(self.key_of["parties"]), dict(self.incidents), dict(self.key_of["incidents"]),
                        dict(self.by_incident), dict(self.audit), dict(self.counters))


@dataclass
class Snapshot:
    seq: int
    sources: dict[str, Source]
    source_keys: dict[str, str]
    parties: dict[str, Party]
    party_keys: dict[str, str]
    incidents: dict[str, Incident]
    incident_keys: dict[str, str]
    by_incident: dict[str, list[Claim]]
    audit: dict[str, dict[str, Any]]
    counters: dict[str, int]

    def write(self, out: Any) -> None:
        """The TinyDB file for this snapshot, streamed in chunks (never the whole file in memory at once).
        Facts are written incident by incident, each incident's in id order, so loading needs no sort."""
        out.write(b'{"sources":')
        _write_table(out, ((self.source_keys[i], s) for i, s in self.sources.items()))
        out.write(b',"parties":')
        _write_table(out, ((self.party_keys[i], p) for i, p in self.parties.items()))
        out.write(b',"incidents":')
        _write_table(out, ((self.incident_keys[i], x) for i, x in self.incidents.items()))
        out.write(b',"claims":')
        in_order = [*self.incidents, *(i for i in self.by_incident if i not in self.incidents)]
        _write_table(out, ((c.id, c) for i in in_order for c in self.by_incident.get(i, ())))
        out.write(b',"audit":')
        _write_table(out, iter(self.audit.items()))
        out.write(b',"meta":')
        out.write(orjson.dumps({"counters": self.counters, "journal": {"seq": self.seq}}))
        out.write(b"}")


def _write_table(out: Any, items: Iterator[tuple[str, Any]]) -> None:
    out.write(b"{")
    first = True
    while chunk := dict(islice(items, CHUNK)):
        out.write((b"" if first else b",") + orjson.dumps(chunk)[1:-1])
        first = False
    out.write(b"}")
