"""The database in memory: typed records by id, each incident's facts in id order, and what a change does.

A change is a list of ops, [table, key, document] to put and [table, key, None] to delete, in TinyDB's
terms (a table of documents by key). The same ops go to the journal and to `Tables.apply`, so the journal
replays exactly what the running bot did. The parsed file is not kept: folding writes the records back
(`write_snapshot`), and orjson writes a record dataclass exactly as `asdict` would.

Readers in other threads never see a map change under them while iterating: maps readers iterate
(incidents, sources, parties) are replaced rather than edited, and an incident's fact list is replaced by
a new list. The facts of a file a fold wrote are read from it when asked for (store/factfile.py).
"""
from __future__ import annotations

import time
from bisect import insort
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

import orjson

from bot.facts.models import Claim, Incident, Party, Source
from bot.store.factfile import FactFile, FactLines, Facts, Span, claim_of, claim_order, write_facts
from bot.store.spans import FileIncidents, Saved

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


def cited_by(record: Any) -> list[str]:
    """The sources a record cites: a fact its source, a party the sources of its descriptions."""
    if isinstance(record, Claim):
        return [record.source] if record.source else []
    if isinstance(record, Party):
        return [d.source for d in record.descriptions if d.source]
    return []


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
        self.incidents: dict[str, Incident] = {}  # a FileIncidents once opened from, or folded into, a file
        self.facts = Facts()  # each incident's facts in id order; a fact's id is its document key
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
    def from_lines(cls, lines: Iterable[bytes], file: FactFile) -> Tables:
        """Records from a file in the layout `Snapshot.write` gives (see `read_layout`), read a few thousand
        documents at a time, so the parsed file is never whole in memory; its facts are left in it, to be
        read from `file` (open on the same file) when asked for. Raises NotInLayout for any other file (the
        caller parses it whole), and KeyError/TypeError/ValueError as from_raw does."""
        build = _Builder()
        audit: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        facts = FactLines(build.t.incidents)
        try:
            for table, docs in read_layout(lines, facts.add):
                if table == "audit":
                    audit.update(docs)
                elif table == "meta":
                    meta = docs
                else:
                    build.add(table, _consume({table: docs}, table))
        except LookupError:
            raise NotInLayout from None
        written = meta.get("facts") or {}
        cited = written.get("cited")
        if written.get("crc32") != facts.crc or not isinstance(cited, dict) \
                or not all(isinstance(n, int) for n in cited.values()):
            raise NotInLayout  # not the fact lines a fold wrote
        try:
            homes = facts.homes()
        except LookupError:
            raise NotInLayout from None
        file.spans = facts.spans
        t = build.t
        t.facts.file, t.facts.home = file, homes
        build.cited = Counter(cited)
        return build.finish(audit, meta)

    @classmethod
    def from_spans(cls, saved: Saved, file: FactFile) -> Tables:
        """Records from a file whose spans a fold saved (see spans.py): the small tables parsed, the incidents
        and their facts left in the file, read when asked for. Raises NotInLayout, KeyError, TypeError or
        ValueError as from_lines does."""
        build = _Builder()
        audit: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        for table, docs in read_layout(saved.small.splitlines(keepends=True)):
            if table == "audit":
                audit.update(docs)
            elif table == "meta":
                meta = docs
            else:  # the incident and fact tables are empty here
                build.add(table, _consume({table: docs}, table))
        cited = (meta.get("facts") or {}).get("cited")
        if not isinstance(cited, dict) or not all(isinstance(n, int) for n in cited.values()):
            raise NotInLayout
        t = build.t
        t.incidents = FileIncidents(zip(saved.ids, range(len(saved.ids))), file, saved.at)
        t.id_at["incidents"] = dict(zip(saved.keys, saved.ids))
        t.key_of["incidents"] = dict(zip(saved.ids, saved.keys))
        if len(t.incidents) != len(saved.ids) or len(t.id_at["incidents"]) != len(saved.ids):
            raise NotInLayout  # an id or key twice
        file.spans = saved.facts
        t.facts.file, t.facts.home = file, saved.homes
        build.cited = Counter(cited)
        return build.finish(audit, meta)

    # -- reading for changes -----------------------------------------------------------------------
    def doc(self, table: str, key: str) -> dict[str, Any] | None:
        """The stored document at `key`, as the file would hold it."""
        if table == "audit":
            return self.audit.get(key)
        if table == "claims":
            claim = self.facts.claim(key)
            return claim.to_dict() if claim else None
        record_id = self.id_at[table].get(key)
        return getattr(self, table)[record_id].to_dict() if record_id is not None else None

    def record(self, table: str, key: str) -> Any:
        """The record (Claim, Party, ...) at a document key, or None."""
        if table == "claims":
            return self.facts.claim(key)
        record_id = self.id_at[table].get(key) if table in KEYED else None
        return getattr(self, table)[record_id] if record_id is not None else None

    def keys(self, table: str) -> Iterable[str]:
        return self.facts.home.keys() if table == "claims" else self.audit.keys() if table == "audit" else self.id_at[table].keys()

    # -- changing ----------------------------------------------------------------------------------
    def apply(self, ops: list[Op]) -> set[str]:
        """Apply a change's ops; returns the ids of the incidents whose record or facts changed."""
        changed: set[str] = set()
        copies: dict[str, dict[str, Any]] = {}  # maps readers iterate, copied once per change

        def own(table: str) -> dict[str, Any]:
            if table not in copies:
                copies[table] = getattr(self, table).copy()  # a FileIncidents stays one
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

    def read_for(self, ops: list[Op]) -> None:
        """Read the facts of the incidents these ops change (they stay among the recently read ones, for
        `apply`). Raises FileChanged if the file cannot give them."""
        for table, key, doc in ops:
            if table == "claims":
                for incident_id in {self.facts.home.get(key), doc and doc.get("incident")} - {None}:
                    self.facts.get(incident_id)

    def _put_claim(self, key: str, doc: dict[str, Any] | None, changed: set[str]) -> None:
        facts = self.facts
        home = facts.home.pop(key, None)
        if home is not None:
            before = facts.get(home)
            facts.held[home] = [c for c in before if c.id != key]
            self.citations.subtract(s for c in before if c.id == key for s in cited_by(c))
            changed.add(home)
        if doc is None:
            return
        claim = Claim.from_dict({**doc, "id": key})
        facts.home[key] = claim.incident
        now = list(facts.get(claim.incident))
        insort(now, claim, key=claim_order)  # /undo of a delete puts the fact back in its old place
        facts.held[claim.incident] = now
        self.citations.update(cited_by(claim))
        changed.add(claim.incident)

    # -- folding -----------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """What folding writes, taken in a moment under the store's lock; written later without it."""
        return Snapshot(self.seq, self.sources, dict(self.key_of["sources"]), self.parties,
                        dict(self.key_of["parties"]), self.incidents.copy(), dict(self.key_of["incidents"]),
                        dict(self.facts.held), self.facts.file, self._facts_cited(), dict(self.audit),
                        dict(self.counters), self.facts.home.copy())  # type: ignore[attr-defined]

    def refile(self, snapshot: Snapshot, file: FactFile) -> None:
        """A fold wrote `file` from `snapshot`: read the facts and the records not read yet from it."""
        self.facts.refile(snapshot.held, file)
        self.incidents = FileIncidents.refiled(self.incidents, file, snapshot.incident_spans)

    def _facts_cited(self) -> dict[str, int]:
        cited = Counter(self.citations)
        cited.subtract(s for p in self.parties.values() for s in cited_by(p))
        return dict(+cited)


class _Builder:
    """Tables built from documents table by table, in file order (incidents before their facts)."""

    def __init__(self) -> None:
        self.t = Tables()
        self.cited: Counter[str] = Counter()  # source id -> facts citing it

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
        """The facts of a file parsed whole (a folded file's are read when asked for): all held."""
        incidents, home, held = self.t.incidents, self.t.facts.home, self.t.facts.held
        for key, doc in items:
            if key in home:
                raise NotInLayout
            claim = claim_of(key, doc)
            incident = incidents.get(claim.incident)
            if incident is None:
                raise ValueError(claim.incident)
            claim.incident = home[key] = incident.id
            held.setdefault(incident.id, []).append(claim)
            if claim.source:
                self.cited[claim.source] += 1

    def finish(self, audit: dict[str, Any], meta: dict[str, Any]) -> Tables:
        t = self.t
        for facts in t.facts.held.values():
            facts.sort(key=claim_order)  # a file written before folds kept facts in id order, not by incident
        t.citations = self.cited
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
    held: dict[str, list[Claim]]  # facts changed since the file was written (Facts.held)
    file: FactFile | None  # the file the other facts are copied from, as they are
    cited: dict[str, int]  # source id -> facts citing it (kept in meta: opening does not read the facts)
    audit: dict[str, dict[str, Any]]
    counters: dict[str, int]
    home: MutableMapping[str, str]  # each fact's incident (Facts.home)
    spans: dict[str, Span] = field(default_factory=dict)  # where write put each incident's facts
    incident_spans: dict[str, Span] = field(default_factory=dict)  # and each incident's record
    incidents_at: int = 0  # the offsets where write began the incident table's lines
    facts_end: int = 0  # and ended the fact table's

    def write(self, out: Any) -> None:
        """The TinyDB file for this snapshot, streamed in chunks (never the whole file in memory at once), in
        the layout `read_layout` reads back a few thousand lines at a time. Facts are written incident by
        incident, each incident's in id order, so loading needs no sort; the facts not changed since the
        last file are copied from it, not parsed and written again."""
        tables: dict[str, Iterator[tuple[str, Any]]] = {
            "sources": ((self.source_keys[i], s) for i, s in self.sources.items()),
            "parties": ((self.party_keys[i], p) for i, p in self.parties.items()),
            "audit": iter(self.audit.items()),
        }
        crc = 0
        for n, table in enumerate(LAYOUT):
            out.write(b"{" if n == 0 else b"\n},")
            out.write(b'"%s":{' % table.encode())
            if table == "claims":
                self.spans, crc = write_facts(out, self._fact_lines(), out.tell(), self.file)
                self.facts_end = out.tell()
            elif table == "incidents":  # a record by record (as facts are), so the spans say where each is
                self.incidents_at = out.tell()
                self.incident_spans, _ = write_facts(out, self._incident_lines(), self.incidents_at, self.file)
            else:
                _write_table(out, tables[table])
        out.write(b'\n},"meta":')
        out.write(orjson.dumps({"counters": self.counters, "journal": {"seq": self.seq},
                                "facts": {"crc32": crc, "cited": self.cited}}))
        out.write(b"}\n")

    def written(self) -> FactFile | None:
        """Once written and refiled: drop what only writing needed (what saving the spans needs stays), and
        give the file the facts were copied from."""
        file, self.file = self.file, None
        self.incidents, self.held, self.audit = {}, {}, {}
        return file

    def _incident_lines(self) -> Iterator[tuple[str, bytes | Span]]:
        if isinstance(self.incidents, FileIncidents):
            if self.incidents.file is not self.file:  # never: one fold refiles both
                raise ValueError("the incidents and the facts were read from different files")
            return self.incidents.runs(self.incident_keys)
        dumps = orjson.dumps
        return ((i, dumps(self.incident_keys[i]) + b":" + dumps(x)) for i, x in self.incidents.items())

    def _fact_lines(self) -> Iterator[tuple[str, bytes | tuple[int, int]]]:
        """(incident id, its fact lines, or where they are in the file) for each incident that has facts,
        incidents in their table's order."""
        spans = self.file.spans if self.file else {}
        dumps = orjson.dumps

        def ids() -> Iterator[str]:
            # One by one, not first gathered with the orphans into one map: that pass in C held the interpreter
            # lock 50 ms at 100,000 incidents.
            yield from self.incidents
            # none, unless written by hand
            yield from dict.fromkeys(i for i in chain(self.held, spans) if i not in self.incidents)
        for incident_id in ids():
            held = self.held.get(incident_id)
            if held is not None:
                if held:
                    yield incident_id, b",\n".join([dumps(c.id) + b":" + dumps(c) for c in held])
            elif incident_id in spans:
                yield incident_id, spans[incident_id]


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


def read_layout(lines: Iterable[bytes], fact_lines: Callable[[int, list[bytes]], None] | None = None
                ) -> Iterator[tuple[str, dict[str, Any]]]:
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
    whole file reports them as it always has. With `fact_lines`, the fact table's batches are not parsed but
    given to it as they are, with the file offset of their first line."""
    it = iter(lines)
    opening = b'{"sources":{\n'
    if next(it, b"") != opening:
        raise NotInLayout
    order = [*LAYOUT]
    table = order.pop(0)
    batch: list[bytes] = []
    last_line = b""
    pos = start = len(opening)  # the offsets of this line and of the batch's first

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

    def flush() -> Iterator[tuple[str, dict[str, Any]]]:
        if table == "claims" and fact_lines is not None:
            fact_lines(start, batch[:])
            batch.clear()
        else:
            yield table, parsed()

    for line in it:
        if not line.startswith(b"}"):
            if not line.startswith(b'"') or not line.endswith(b"\n"):
                raise NotInLayout
            if not batch:
                start = pos
            batch.append(line)
            pos += len(line)
            last_line = line
            if len(batch) >= CHUNK:
                yield from flush()
            continue
        pos += len(line)
        if last_line.endswith(b",\n"):  # a comma before the closing brace: not JSON
            raise NotInLayout
        if batch:
            yield from flush()
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
