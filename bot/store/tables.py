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
import time
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
LAYOUT = (*KEYED, "claims", "audit")  # the tables in the order folding writes them: incidents before their facts
RECORDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "sources": Source.from_dict, "parties": Party.from_dict, "incidents": Incident.from_dict}
CHUNK = 4000  # documents parsed per orjson call when reading a folded file
# Documents written per step of a fold, which runs in a thread beside the answering event loop: after each
# step the folding thread hands over the interpreter lock (sleep(0)), so an answer waits at most a step
# (under a millisecond) rather than CPython's 5 ms switch interval, again and again for the 3 s a fold
# of 100,000 incidents takes.
FOLD_STEP = 200
Op = list[Any]
CLAIM_FIELDS = frozenset(Claim.__slots__)  # type: ignore[attr-defined]


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
        build = _Builder()
        for table in (*KEYED, "claims"):
            build.add(table, _consume(raw, table))
        return build.finish(raw.get("audit", {}), raw.get("meta", {}))

    @classmethod
    def from_lines(cls, lines: Iterable[bytes]) -> Tables:
        """Records from a file in the layout `Snapshot.write` gives (see `read_layout`), read a few thousand
        documents at a time, so the parsed file is never whole in memory. Raises NotInLayout for any other
        file (the caller parses it whole), and KeyError/TypeError/ValueError as from_raw does."""
        build = _Builder()
        audit: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        for table, docs in read_layout(lines):
            if table == "audit":
                audit.update(docs)
            elif table == "meta":
                meta = docs
            else:
                build.add(table, _consume({table: docs}, table))
        return build.finish(audit, meta)

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


class _Builder:
    """Tables built from documents table by table, in file order (incidents before their facts)."""

    def __init__(self) -> None:
        self.t = Tables()
        self._strings: dict[str, str] = {}  # one object per distinct string: thousands of facts repeat each
        self._unsorted: set[str] = set()

    def add(self, table: str, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        if table == "claims":
            self._claims(items)
            return
        t = self.t
        records, id_at, key_of = getattr(t, table), t.id_at[table], t.key_of[table]
        make = RECORDS[table]
        for key, doc in items:
            if key in id_at:  # a key twice (read in batches): parsing the whole file keeps only the last
                raise NotInLayout
            record = make(doc)
            records[record.id], id_at[key], key_of[record.id] = record, record.id, key

    def _claims(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        share = self._strings.setdefault
        intern = sys.intern
        incidents, claims, by_incident = self.t.incidents, self.t.claims, self.t.by_incident
        for key, doc in items:
            if key in claims:
                raise NotInLayout
            # A folded file holds each fact as its record's own fields, so they are passed as they are (from_dict's
            # care for every field was a third of opening a big database); anything else goes through from_dict.
            if doc.keys() == CLAIM_FIELDS and doc["id"] == key and type(doc["incident"]) is str \
                    and type(doc["kind"]) is str and type(doc["conflicts_with"]) is list:
                claim = Claim(**doc)
            else:
                claim = Claim.from_dict({**doc, "id": key})
            incident = incidents.get(claim.incident)
            if incident is None:
                raise ValueError(claim.incident)
            claim.incident = incident.id
            claim.kind = intern(claim.kind)
            if (value := claim.claimant) is not None:
                claim.claimant = share(value, value)
            if (value := claim.via) is not None:
                claim.via = share(value, value)
            if (value := claim.source) is not None:
                claim.source = share(value, value)
            if (value := claim.created_by) is not None:
                claim.created_by = share(value, value)
            if (value := claim.created_at) is not None:
                claim.created_at = share(value, value)
            claims[key] = claim
            facts = by_incident.get(incident.id)
            if facts is None:
                by_incident[incident.id] = [claim]
            else:
                last = facts[-1].id
                if (len(last), last) > (len(key), key):  # claim_order, inline: it runs for every fact
                    self._unsorted.add(incident.id)  # a file written before folds kept facts in id order
                facts.append(claim)

    def finish(self, audit: dict[str, Any], meta: dict[str, Any]) -> Tables:
        t = self.t
        for incident_id in self._unsorted:
            t.by_incident[incident_id].sort(key=claim_order)
        t.citations = Counter(c.source for c in t.claims.values() if c.source)
        t.citations.update(s for p in t.parties.values() for s in cited_by(p))
        t.audit = dict(audit)
        t.counters = {k: int(v) for k, v in (meta.get("counters") or {}).items()}
        t.seq = int((meta.get("journal") or {}).get("seq", 0))
        return t


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
        """The TinyDB file for this snapshot, streamed in chunks (never the whole file in memory at once), in
        the layout `read_layout` reads back a few thousand lines at a time. Facts are written incident by
        incident, each incident's in id order, so loading needs no sort."""
        in_order = [*self.incidents, *(i for i in self.by_incident if i not in self.incidents)]
        tables: dict[str, Iterator[tuple[str, Any]]] = {
            "sources": ((self.source_keys[i], s) for i, s in self.sources.items()),
            "parties": ((self.party_keys[i], p) for i, p in self.parties.items()),
            "incidents": ((self.incident_keys[i], x) for i, x in self.incidents.items()),
            "claims": ((c.id, c) for i in in_order for c in self.by_incident.get(i, ())),
            "audit": iter(self.audit.items()),
        }
        for n, table in enumerate(LAYOUT):
            items = tables[table]
            out.write(b"{" if n == 0 else b"\n},")
            out.write(b'"%s":{' % table.encode())
            _write_table(out, items)
        out.write(b'\n},"meta":')
        out.write(orjson.dumps({"counters": self.counters, "journal": {"seq": self.seq}}))
        out.write(b"}\n")


def _write_table(out: Any, items: Iterator[tuple[str, Any]]) -> None:
    """One document a line: a line break before each, a comma after each but the last."""
    first = True
    dumps = orjson.dumps
    while chunk := list(islice(items, FOLD_STEP)):
        lines = b",\n".join([dumps(key) + b":" + dumps(doc) for key, doc in chunk])
        out.write((b"\n" if first else b",\n") + lines)
        first = False
        time.sleep(0)


class NotInLayout(Exception):
    """The file is JSON of another layout (hand-written, TinyDB's own, an older fold): parse it whole."""


def read_layout(lines: Iterable[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, documents) batches of a file `Snapshot.write` wrote, in file order. The layout:

        {"sources":{
        "1":{...},
        "2":{...}
        },"parties":{
        ...
        },"audit":{
        },"meta":{...}}

    Each table's lines between its opening and its closing line are its documents, one a line, joined and
    parsed CHUNK at a time: exactly what parsing the whole file gives, since they are the same bytes. A line
    out of place raises NotInLayout; JSON errors inside a batch raise it too, so the caller's parse of the
    whole file reports them as it always has."""
    it = iter(lines)
    opening = b'{"sources":{\n'
    if next(it, b"") != opening:
        raise NotInLayout
    order = [*LAYOUT]
    table = order.pop(0)
    batch: list[bytes] = []
    last_line = b""

    def parsed() -> dict[str, Any]:
        joined = b"".join(batch)
        if joined.endswith(b",\n"):
            joined = joined[:-2]
        try:
            docs = orjson.loads(b"{" + joined + b"}")
        except orjson.JSONDecodeError:
            raise NotInLayout from None
        batch.clear()
        return docs

    for line in it:
        if not line.startswith(b"}"):
            if not line.startswith(b'"') or not line.endswith(b"\n"):
                raise NotInLayout
            batch.append(line)
            last_line = line
            if len(batch) >= CHUNK:
                yield table, parsed()
            continue
        if last_line.endswith(b",\n"):  # a comma before the closing brace: not JSON
            raise NotInLayout
        if batch:
            yield table, parsed()
        last_line = b""
        if order:
            table = order.pop(0)
            if line != b'},"%s":{\n' % table.encode():
                raise NotInLayout
            continue
        head = b'},"meta":'
        if not line.startswith(head) or next(it, None) is not None:
            raise NotInLayout
        body = line[len(head):].rstrip(b"\n")
        if not body.endswith(b"}"):
            raise NotInLayout
        try:
            meta = orjson.loads(body[:-1])
        except orjson.JSONDecodeError:
            raise NotInLayout from None
        if not isinstance(meta, dict):
            raise NotInLayout
        yield "meta", meta
        return
    raise NotInLayout  # the file ended before its last table closed
