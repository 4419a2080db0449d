"""The fact store: the only module that opens the TinyDB file.

Reads are served from in-memory maps built once at open, so a question never scans the file. Every change
is one atomic write of the whole database (temporary file, fsync, rename) that carries the change and its
audit entry together: a crash leaves either the old file or the new one, never half of each. A lock file
(flock, so the OS releases it when a process dies) keeps a second writer out.
"""
from __future__ import annotations

import copy
import fcntl
import os
import threading
from dataclasses import asdict, dataclass, field
from dataclasses import replace as replace_dataclass
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from bot.store.bulk import bulk_build
from bot.facts.dataset import Dataset, DatasetError, load_dataset
from bot.facts.models import Claim, Incident, Party, Source

TABLES = ("sources", "incidents", "claims", "parties", "audit")  # plus "meta": id counters
Raw = dict[str, dict[str, dict[str, Any]]]  # TinyDB's file layout: table -> doc id -> document


class StoreError(Exception):
    """A database problem worth one clear line to the user (never a traceback)."""


class StoreLocked(StoreError):
    pass


class AtomicJSONStorage(Storage):
    """TinyDB storage that keeps the data in memory and replaces the file atomically on every write."""

    def __init__(self, path: str, name: Path) -> None:
        self.path = Path(path)
        self.name = name  # the database as the user named it, for messages
        self._data: Raw | None = None

    def read(self) -> Raw | None:
        if self._data is None:
            self._data = _read_file(self.path, self.name)
        return self._data

    def write(self, data: Raw) -> None:
        _atomic_write(self.path, orjson.dumps(data), self.name)
        self._data = data

    def close(self) -> None:
        pass


class Store:
    def __init__(self, path: str | Path, seed: str | Path | None = None) -> None:
        self.path = Path(path)  # as the user named it, for messages
        # The file itself, for every read, write and the lock: an atomic rename onto a symlink would replace
        # the link and leave the real file behind, and a lock by the link's name would not stop a second bot
        # started on the real file.
        self.file = Path(os.path.realpath(self.path))
        self._mutex = threading.RLock()
        self._lock_fd: int | None = None
        self.version = 0  # bumped on every change so derived indexes know to refresh
        if not self.file.exists():
            self._create(seed)
        self._storage: AtomicJSONStorage | None = None
        self._db = TinyDB(str(self.file), storage=self._make_storage)
        self._load()

    # -- opening -------------------------------------------------------------------------------------
    def _make_storage(self, path: str) -> AtomicJSONStorage:
        self._storage = AtomicJSONStorage(path, self.path)
        return self._storage

    def _create(self, seed: str | Path | None) -> None:
        try:
            data = load_dataset(seed) if seed else Dataset()
        except DatasetError as e:
            raise StoreError(f"cannot seed {self.path}: {e}") from None
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create {self.file.parent}: {e.strerror}") from None
        self.acquire_write_lock()
        _atomic_write(self.file, orjson.dumps(_raw_from_dataset(data, _now(), "seed")), self.path)

    @bulk_build()  # parsing and mapping a big file builds millions of objects; see bot/store/bulk.py
    def _load(self) -> None:
        raw = self._raw()
        try:
            self._build(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            # Checked only when building failed, so a good file pays nothing for the check.
            raise StoreError(f"{self.path} is not an incident-bot database ({_shape_problem(raw)}); "
                             "it was left untouched") from None

    def _build(self, raw: Raw) -> None:
        incidents = {d["id"]: Incident.from_dict(d) for d in raw["incidents"].values()}
        claims: dict[str, Claim] = {}
        by_incident: dict[str, list[Claim]] = {i: [] for i in incidents}
        # In id order, so a fact brought back by /undo takes its old place in answers and exports.
        for key, d in sorted(raw["claims"].items(), key=lambda kv: (len(kv[0]), kv[0])):
            claim = Claim.from_dict({**d, "id": key})
            if claim.incident not in incidents:
                raise ValueError(claim.incident)  # told by _shape_problem
            claims[key] = claim
            by_incident.setdefault(claim.incident, []).append(claim)
        # Built aside and swapped in together, so a reader never sees incidents without their facts.
        self._sources = {d["id"]: Source.from_dict(d) for d in raw["sources"].values()}
        self._parties = {d["id"]: Party.from_dict(d) for d in raw["parties"].values()}
        self._incidents, self._claims, self._claims_by_incident = incidents, claims, by_incident
        self._incident_docs = {d["id"]: k for k, d in raw["incidents"].items()}
        self._party_docs = {d["id"]: k for k, d in raw["parties"].items()}
        self.version += 1

    def _raw(self) -> Raw:
        raw = self._db.storage.read()
        if not isinstance(raw, dict) or not all(isinstance(raw.get(t, {}), dict) for t in (*TABLES, "meta")):
            raise StoreError(f"{self.path} is not an incident-bot database ({_shape_problem(raw)}); "
                             "it was left untouched")
        for t in TABLES:
            raw.setdefault(t, {})
        return raw

    def acquire_write_lock(self) -> None:
        """Become the one writer of this database, or raise StoreLocked naming the holder."""
        if self._lock_fd is not None:
            return
        self._check_writable()
        try:
            fd = os.open(f"{self.file}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(f"cannot write to {self.path}: cannot create its lock file ({e.strerror}); "
                             "make its folder writable or use --db elsewhere") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLocked(f"{self.path} is in use by another process (pid {holder}); "
                              "stop it before changing this database") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd
        # As the one writer, clear what a writer killed mid-write left behind (the database itself is whole).
        for stale in self.file.parent.glob(f".{self.file.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    def _check_writable(self) -> None:
        """Refuse to become the writer of a file or folder meant to be read-only. By its mode bits too, as
        root may write anything: an atomic rename would silently replace a 0444 file with a 0644 one."""
        for what, path in (("file", self.file), ("folder", self.file.parent)):
            if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
                raise StoreError(f"cannot write {self.path}: its {what} {path} is read-only; "
                                 "make it writable, or use --db elsewhere, to change it")

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock; the file itself is harmless to leave
            self._lock_fd = None

    # -- reading -------------------------------------------------------------------------------------
    def incidents(self) -> list[Incident]:
        return list(self._incidents.values())

    def iter_incidents(self) -> Iterator[Incident]:
        """The incidents without copying them into a list (2 ms at 100,000), for scans that stop early. A
        change replaces the map rather than editing it, so an iteration never sees it change."""
        return iter(self._incidents.values())

    def incident(self, incident_id: str) -> Incident | None:
        return self._incidents.get(incident_id)

    def claims(self, incident_id: str) -> list[Claim]:
        return list(self._claims_by_incident.get(incident_id, ()))

    def claim(self, claim_id: str) -> Claim | None:
        return self._claims.get(claim_id)

    def source(self, source_id: str | None) -> Source | None:
        return self._sources.get(source_id) if source_id else None

    def sources(self) -> list[Source]:
        return list(self._sources.values())

    def parties(self) -> list[Party]:
        return list(self._parties.values())

    def party(self, party_id: str) -> Party | None:
        return self._parties.get(party_id)

    def dataset(self) -> Dataset:
        claims = [c for i in self._incidents for c in self._claims_by_incident.get(i, ())]
        return Dataset(self.sources(), self.incidents(), claims, self.parties())

    def audit(self, actor: str | None = None) -> list[dict[str, Any]]:
        entries = [{**d, "id": k} for k, d in self._raw()["audit"].items()]
        return [e for e in entries if actor is None or e["actor"] == actor]

    # -- writing -------------------------------------------------------------------------------------
    def add_incident(self, incident: Incident, actor: str) -> Incident:
        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            if incident.id in self._incidents:
                raise StoreError(f"an incident with id {incident.id!r} already exists")
            incident.created = incident.updated = now
            key = _next_key(raw, "incidents")
            raw["incidents"][key] = incident.to_dict()
            return [_entry(actor, now, "add_incident", "incidents", key, None, incident.to_dict())]
        self._commit(change)
        return self._incidents[incident.id]

    def update_incident(self, incident_id: str, changes: Callable[[Incident], None], actor: str) -> Incident:
        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            key = self._incident_key(incident_id)
            before = raw["incidents"][key]
            updated = Incident.from_dict(copy.deepcopy(before))
            changes(updated)
            updated.updated = now
            raw["incidents"][key] = updated.to_dict()
            return [_entry(actor, now, "set_incident", "incidents", key, before, updated.to_dict())]
        self._commit(change)
        return self._incidents[incident_id]

    def add_claim(self, claim: Claim, actor: str, new_source: Source | None = None) -> Claim:
        """Add a claim; `new_source` (not yet in the store) is recorded in the same write, and /undo of the
        claim removes it again unless another claim cites it by then."""
        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            self._incident_key(claim.incident)
            if new_source is not None:
                claim.source = new_source.id
            extra = self._record_source(raw, new_source)
            key = _next_key(raw, "claims")
            claim.id, claim.created_by, claim.created_at = key, actor, now
            doc = claim.to_dict()
            raw["claims"][key] = doc
            return [_entry(actor, now, "add_claim", "claims", key, None, doc, **extra)]
        self._commit(change)
        return self._claims[claim.id]

    def delete_claim(self, claim_id: str, actor: str) -> Claim:
        gone = self._claims.get(claim_id)
        if gone is None:
            raise StoreError(f"no fact with id {claim_id!r}")

        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            before = raw["claims"].pop(claim_id)
            return [_entry(actor, now, "delete_claim", "claims", claim_id, before, None)]
        self._commit(change)
        return gone

    def add_party(self, party: Party, actor: str, new_source: Source | None = None) -> Party:
        """Add a person or organisation; `new_source` (cited by its description) is recorded in the same write."""
        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            if party.id in self._parties:
                raise StoreError(f"a party with id {party.id!r} already exists")
            party.created = party.updated = now
            extra = self._record_source(raw, new_source)
            key = _next_key(raw, "parties")
            raw["parties"][key] = party.to_dict()
            return [_entry(actor, now, "add_party", "parties", key, None, party.to_dict(), **extra)]
        self._commit(change)
        return self._parties[party.id]

    def update_party(self, party_id: str, changes: Callable[[Party], None], actor: str,
                     new_source: Source | None = None) -> Party:
        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            key = self._party_docs.get(party_id)
            if key is None:
                raise StoreError(f"no party with id {party_id!r}")
            before = raw["parties"][key]
            updated = Party.from_dict(copy.deepcopy(before))
            changes(updated)
            updated.updated = now
            extra = self._record_source(raw, new_source)
            raw["parties"][key] = updated.to_dict()
            return [_entry(actor, now, "set_party", "parties", key, before, updated.to_dict(), **extra)]
        self._commit(change)
        return self._parties[party_id]

    def _record_source(self, raw: Raw, new_source: Source | None) -> dict[str, Any]:
        """Store a source a change cites for the first time; the audit entry's extra, so /undo can take it back."""
        if new_source is None or new_source.id in self._sources:  # else another admin recorded it a moment ago
            return {}
        skey = _next_key(raw, "sources")
        raw["sources"][skey] = new_source.to_dict()
        return {"source_added": {"key": skey, "doc": new_source.to_dict()}}

    def undo(self, actor: str) -> dict[str, Any] | None:
        """Revert this actor's last change that is not undone yet; returns its audit entry, or None."""
        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            mine = [(int(k), k, e) for k, e in raw["audit"].items()
                    if e["actor"] == actor and not e.get("undone") and e["action"] != "undo"]
            if not mine:
                return []
            n, key, last = max(mine)
            if last["action"] == "import" or any(int(k) > n and e["action"] == "import"
                                                 for k, e in raw["audit"].items()):
                raise StoreError("a bulk import came after your last change, and /undo cannot reach past it; "
                                 "re-import an export taken before it with --replace")
            if last["action"] == "add_batch":
                _undo_batch(raw, last["added"])
                raw["audit"][key] = {**last, "undone": True}
                return [_entry(actor, now, "undo", "*", "*", last["after"], None, undoes=key, undid="add_batch")]
            table = raw[last["table"]]
            if last["action"] == "add_incident" and any(c["incident"] == last["after"]["id"]
                                                        for c in raw["claims"].values()):
                raise StoreError(f"incident {last['after']['id']!r} has facts now; delete them before undoing")
            if last["before"] is None:
                table.pop(last["key"], None)
            else:
                table[last["key"]] = last["before"]
            added = last.get("source_added")
            if added and not _cites(raw, added["doc"]["id"]):
                raw["sources"].pop(added["key"], None)
            raw["audit"][key] = {**last, "undone": True}
            return [_entry(actor, now, "undo", last["table"], last["key"], last["after"], last["before"],
                           undoes=key)]
        entries = self._commit(change)
        return entries[0] if entries else None

    def add_batch(self, data: Dataset, actor: str) -> BatchSummary:
        """Add an accepted article's worth of records in one audited change that one /undo of `actor` reverts:
        new incidents, claims (on new or existing incidents), and the sources and parties the store does not
        know yet (a source or party id already known is the same one, and is kept as it is)."""
        summary = BatchSummary()

        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            new_ids = [i.id for i in data.incidents]
            clash = sorted(set(new_ids) & set(self._incidents)) or sorted({i for i in new_ids if new_ids.count(i) > 1})
            if clash:
                raise StoreError(f"incident id {clash[0]!r} already exists; nothing of the batch was added")
            known_incidents = set(new_ids) | set(self._incidents)
            known_sources = set(self._sources) | {s.id for s in data.sources}
            for c in data.claims:
                if c.incident not in known_incidents:
                    raise StoreError(f"a fact is for incident {c.incident!r}, which is neither in the store nor "
                                     "in the batch; nothing of the batch was added")
                if c.source and c.source not in known_sources:
                    raise StoreError(f"a fact cites source {c.source!r}, which is neither in the store nor in "
                                     "the batch; nothing of the batch was added")
            added: dict[str, list[str]] = {"sources": [], "parties": [], "incidents": [], "claims": []}
            for s in data.sources:
                if s.id not in self._sources and s.id not in summary.sources:
                    key = _next_key(raw, "sources")
                    raw["sources"][key] = s.to_dict()
                    added["sources"].append(key)
                    summary.sources.append(s.id)
            for p in data.parties:
                if p.id not in self._parties and p.id not in summary.parties:
                    key = _next_key(raw, "parties")
                    raw["parties"][key] = {**p.to_dict(), "created": now, "updated": now}
                    added["parties"].append(key)
                    summary.parties.append(p.id)
            for i in data.incidents:
                key = _next_key(raw, "incidents")
                raw["incidents"][key] = {**i.to_dict(), "created": now, "updated": now}
                added["incidents"].append(key)
                summary.incidents.append(i.id)
            for c in data.claims:
                key = _next_key(raw, "claims")
                raw["claims"][key] = {**c.to_dict(), "id": key, "created_by": actor, "created_at": now}
                added["claims"].append(key)
                summary.claims.append(key)
            if not any(added.values()):
                return []
            return [_entry(actor, now, "add_batch", "*", "*", None, asdict(summary), added=added)]
        self._commit(change)
        return summary

    def import_dataset(self, data: Dataset, actor: str, replace: bool = False) -> tuple[int, int]:
        """Add (or with replace, swap in) a whole dataset in one write. Returns (incidents, claims)."""
        def change(raw: Raw, now: str) -> list[dict[str, Any]]:
            nonlocal data
            if not replace:
                # An entry that repeats a stored incident exactly (an `ingest` review file lists the known
                # incident it adds facts to) is that incident: its claims are added, the record kept.
                same = {i.id for i in data.incidents if i.id in self._incidents and _same_record(i, self._incidents[i.id])}
                data = replace_dataclass(data, incidents=[i for i in data.incidents if i.id not in same])
                for what, new, known in (("incident", data.incidents, self._incidents),
                                          ("party", data.parties, self._parties)):
                    clash = sorted({x.id for x in new} & set(known))
                    if clash:
                        raise StoreError(f"{len(clash)} {what} id(s) already exist ({', '.join(clash[:3])}); "
                                         "use --replace to swap the whole database")
            fresh = _raw_from_dataset(data, now, actor)
            if replace:
                audit = raw["audit"]
                raw.clear()
                raw.update(fresh, audit=audit)  # ids restart; /undo will not reach back past an import
            else:
                _merge(raw, fresh)
            return [_entry(actor, now, "import", "incidents", "*", None,
                           {"incidents": len(data.incidents), "claims": len(data.claims), "replace": replace})]
        self._commit(change)
        return len(data.incidents), len(data.claims)

    def _incident_key(self, incident_id: str) -> str:
        key = self._incident_docs.get(incident_id)
        if key is None:
            raise StoreError(f"no incident with id {incident_id!r}")
        return key

    @bulk_build()  # an import builds as many objects as the file holds
    def _commit(self, change: Callable[[Raw, str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """Apply `change` to a copy of the data, write it atomically with its audit entries, then reload."""
        with self._mutex:
            self.acquire_write_lock()
            # Changes replace documents instead of editing them, so copying the tables is enough to keep
            # the live data intact when a change raises half-way.
            raw = {table: dict(docs) for table, docs in self._raw().items()}
            entries = change(raw, _now())
            if not entries:
                return []
            for entry in entries:
                raw["audit"][_next_key(raw, "audit")] = entry
            self._db.storage.write(raw)
            self._db.clear_cache()
            self._load()
            return entries


@dataclass
class BatchSummary:
    """What one add_batch added: incident ids, fact ids (as the store numbered them), new source and party ids."""
    incidents: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)


def _same_record(new: Incident, old: Incident) -> bool:
    keep = ("created", "updated")
    return {k: v for k, v in new.to_dict().items() if k not in keep} == {k: v for k, v in old.to_dict().items() if k not in keep}


def _undo_batch(raw: Raw, added: dict[str, list[str]]) -> None:
    """Remove what a batch added; refused while facts added since hang on its incidents."""
    gone = {raw["incidents"][k]["id"] for k in added["incidents"] if k in raw["incidents"]}
    ours = set(added["claims"])
    later = next((c for k, c in raw["claims"].items() if k not in ours and c["incident"] in gone), None)
    if later is not None:
        raise StoreError(f"incident {later['incident']!r} of that batch has facts added since (#{later['id']}); "
                         "delete them before undoing")
    for table in ("claims", "incidents", "parties"):
        for k in added.get(table, ()):
            raw[table].pop(k, None)
    cited = {c.get("source") for c in raw["claims"].values()}
    for k in added["sources"]:
        if k in raw["sources"] and raw["sources"][k]["id"] not in cited:
            raw["sources"].pop(k)


def _cites(raw: Raw, source_id: str) -> bool:
    """Whether any fact or party description still cites this source."""
    return (any(c.get("source") == source_id for c in raw["claims"].values())
            or any(d.get("source") == source_id for p in raw["parties"].values() for d in p.get("descriptions") or []))


def open_store(path: str | Path, seed: str | Path | None) -> Store:
    """Open (creating and seeding if missing) the database, turning OS errors into StoreError."""
    try:
        return Store(path, seed)
    except PermissionError:
        raise StoreError(f"cannot open {path}: permission denied") from None
    except IsADirectoryError:
        raise StoreError(f"cannot open {path}: it is a directory") from None
    except OSError as e:  # read-only or missing folders, full disks: one line, not a traceback
        raise StoreError(f"cannot open {path}: {e.strerror or e}") from None


def _read_file(path: Path, name: Path) -> Any:
    try:
        text = path.read_bytes()
    except OSError as e:
        raise StoreError(f"cannot read {name}: {e.strerror}") from None
    if not text.strip():
        # Not taken as an empty database (that is a file holding {}): a blank file is more likely a mistake.
        raise StoreError(f"{name} is not an incident-bot database (the file is empty; an empty database holds "
                         "{}); it was left untouched")
    try:
        return orjson.loads(text)  # its nesting limit turns 100,000 nested '[' into an error, not a crash
    except orjson.JSONDecodeError as e:
        raise StoreError(f"{name} is not a valid database file ({e.msg}, line {e.lineno}, column {e.colno}); "
                         "it was left untouched. Restore it from a backup or use --db to point elsewhere") from None


def _shape_problem(raw: Any) -> str:
    """What makes parsed JSON not a database, in a few words: the first bad table or record."""
    if not isinstance(raw, dict):
        return f"the file holds {_json_type(raw)}, expected an object of tables"
    for table in (*TABLES, "meta"):
        if not isinstance(raw.get(table, {}), dict):
            return f"table {table!r} is {_json_type(raw[table])}, expected an object"
    needs = {"sources": ("id", "publisher"), "incidents": ("id",), "claims": ("incident", "kind"),
             "parties": ("id",), "audit": ("actor", "action")}
    incident_ids = {d.get("id") for d in raw.get("incidents", {}).values() if isinstance(d, dict)}
    for table, keys in needs.items():
        for key, doc in raw.get(table, {}).items():
            if not isinstance(doc, dict):
                return f"{table} #{key} is {_json_type(doc)}, expected an object"
            missing = [k for k in keys if not isinstance(doc.get(k), str)]
            if missing:
                return f"{table} #{key} has no {missing[0]!r} text"
            if table == "claims" and doc["incident"] not in incident_ids:
                return f"claims #{key} is about incident {doc['incident']!r}, which the file does not hold"
    return "a record of an unexpected form"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")


def _atomic_write(path: Path, payload: bytes, name: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)
    except OSError as e:  # a full disk, a folder turned read-only: the old file is still whole
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {name}: {e.strerror or e}; nothing was changed") from None


def _raw_from_dataset(data: Dataset, now: str, actor: str) -> Raw:
    raw: Raw = {t: {} for t in TABLES}
    for n, s in enumerate(data.sources, 1):
        raw["sources"][str(n)] = s.to_dict()
    for n, i in enumerate(data.incidents, 1):
        raw["incidents"][str(n)] = {**i.to_dict(), "created": i.created or now, "updated": i.updated or now}
    for n, c in enumerate(data.claims, 1):
        raw["claims"][str(n)] = {**c.to_dict(), "id": str(n), "created_by": c.created_by or actor,
                                 "created_at": c.created_at or now}
    for n, p in enumerate(data.parties, 1):
        raw["parties"][str(n)] = {**p.to_dict(), "created": p.created or now, "updated": p.updated or now}
    return raw


def _merge(raw: Raw, fresh: Raw) -> None:
    known_sources = {d["id"] for d in raw["sources"].values()}
    for s in fresh["sources"].values():
        if s["id"] not in known_sources:
            raw["sources"][_next_key(raw, "sources")] = s
    for i in fresh["incidents"].values():
        raw["incidents"][_next_key(raw, "incidents")] = i
    for c in fresh["claims"].values():
        key = _next_key(raw, "claims")
        raw["claims"][key] = {**c, "id": key}
    for p in fresh["parties"].values():
        raw["parties"][_next_key(raw, "parties")] = p


def _next_key(raw: Raw, table: str) -> str:
    # A counter kept in the file, so a deleted fact's id never comes back as a different fact.
    counters = raw.setdefault("meta", {}).get("counters") or {}
    last = counters.get(table)
    if last is None:
        last = max((int(k) for k in raw[table]), default=0)
    raw["meta"] = {"counters": {**counters, table: last + 1}}
    return str(last + 1)


def _entry(actor: str, now: str, action: str, table: str, key: str, before: Any, after: Any,
           **extra: Any) -> dict[str, Any]:
    return {"actor": actor, "at": now, "action": action, "table": table, "key": key,
            "before": before, "after": after, **extra}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
