"""The fact store: the only module that opens the database.

Reads are served from in-memory records built once at open, so a question never scans the file. A change
is one record (its documents and its audit entry together) appended to the journal beside the TinyDB file
and fsynced before the call returns, then applied to the records in memory: it costs what it changes. The
journal is folded into the TinyDB file (a new snapshot written atomically: temporary file, fsync, rename;
then the journal emptied) when the writer starts, when it closes, and in a background thread after
FOLD_AFTER changes making FOLD_SHARE of the file's size, or FOLD_IDLE seconds without a change. A crash at
any moment leaves a whole file and every acknowledged change (bot/store/journal.py says how). A lock file
(flock, so the OS releases it when a process dies) keeps a second writer out.
"""
from __future__ import annotations

import copy
import fcntl
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from dataclasses import replace as replace_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from bot.facts.dataset import Dataset, DatasetError, load_dataset
from bot.facts.models import Claim, Incident, Party, Source
from bot.store import spans
from bot.store.bulk import bulk_build
from bot.store.factfile import FactFile, FileChanged
from bot.store.files import write_atomically
from bot.store.journal import JournalError, JournalWriter, Record, journal_path, read_journal
from bot.store.tables import RECORDS, TABLES, NotInLayout, Op, Snapshot, Tables, cited_by

log = logging.getLogger(__name__)

FOLD_AFTER = 500  # changes in the journal before the background fold
# ... and its share of the TinyDB file's size: a fold rewrites the whole file (3 s of CPU at 100,000
# incidents), so a big file folds after more changes, each costing the same share of a fold at any size.
# It bounds the journal a start after a crash replays, too, to a share of the file it reads anyway.
FOLD_SHARE = 1 / 64
FOLD_IDLE = 30.0  # seconds without a change before the background fold
HISTORY = 5000  # changes remembered for changes_since; older callers rebuild what they derived


DERIVED_FORMAT = 1  # the layout of the files save_derived writes


class StoreError(Exception):
    """A database problem worth one clear line to the user (never a traceback)."""


class StoreLocked(StoreError):
    pass


class Store:
    def __init__(self, path: str | Path, seed: str | Path | None = None, fold_after: int = FOLD_AFTER,
                 fold_idle: float = FOLD_IDLE, fold_share: float = FOLD_SHARE) -> None:
        self.path = Path(path)  # as the user named it, for messages
        # The file itself, for every read, write and the lock: an atomic rename onto a symlink would replace
        # the link and leave the real file behind, and a lock by the link's name would not stop a second bot
        # started on the real file.
        self.file = Path(os.path.realpath(self.path))
        self.journal = journal_path(self.file)
        self._mutex = threading.RLock()  # one change (or fold snapshot) at a time
        self._fold_lock = threading.RLock()  # one fold at a time; taken before _mutex, never after it
        self._lock_fd: int | None = None
        self._writer: JournalWriter | None = None
        self._fold_after, self._fold_idle, self._fold_share = fold_after, fold_idle, fold_share
        self._folder: threading.Thread | None = None
        self._wake = threading.Condition(threading.Lock())
        self._stopping = False
        self._last_change = time.monotonic()
        self._spans_due: Snapshot | None = None  # the last fold's, if its spans are not saved yet
        self.version = 0  # bumped on every change so derived indexes know to refresh
        self._history: list[tuple[int, set[str]]] = []  # (version, incidents it changed), oldest first
        # The store version each TinyDB file seen by this process held, by the file's (inode, mtime, size):
        # what data derived from a file (see derived()) is brought up to date from.
        self._file_versions: dict[tuple[int, ...], int] = {}
        self._t = Tables()
        self._loaded_from: tuple[Any, ...] = ()
        if not self.file.exists():
            self._create(seed)
        self._load()

    # -- opening -------------------------------------------------------------------------------------
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
        self.import_dataset(data, actor="seed", audited=False)

    @bulk_build()  # parsing and mapping a big file builds millions of objects; see bot/store/bulk.py
    def _load(self) -> None:
        """Read the snapshot and replay the journal after it. A writer may fold between our reading the two
        (the journal then starts past the snapshot we read): read again."""
        for _ in range(5):
            signature = self._signature()
            tables = self._read_tables()
            try:
                records = read_journal(self.journal, tables.seq)
            except JournalError as e:
                raise StoreError(f"{e}; the database was left untouched. Move the journal aside to start "
                                 "from the last folded state") from None
            if records and records[0].seq != tables.seq + 1:
                continue
            replayed: set[str] = set()  # incidents the journal changed since the file
            folded_seq = tables.seq
            try:
                for record in records:
                    replayed |= tables.apply(record.ops)
                    tables.seq = record.seq
            except (KeyError, TypeError, ValueError, AttributeError):
                raise StoreError(f"{self.journal} holds a change this database cannot take (record "
                                 f"{record.seq}); the database was left untouched") from None
            break
        else:
            raise StoreError(f"{self.journal} does not follow {self.path}; another process kept changing it")
        self._t, self._loaded_from = tables, signature
        self._history.clear()  # before the version moves on: see changes_since
        self.version += 1
        self._file_versions = {(*signature[:3], folded_seq): self.version}
        if records:  # the file holds this version; the journal's changes come after it
            self._history.append((self.version + 1, replayed))
            self.version += 1

    def _read_tables(self) -> Tables:
        """The records of the TinyDB file: read a few thousand lines at a time when a fold wrote it (the
        parsed file whole took twice the memory of its records, and the process kept that peak), else
        parsed whole."""
        try:
            try:
                file = FactFile(os.open(self.file, os.O_RDONLY))  # kept open: facts are read from it later
                stat = os.fstat(file.fd)
                saved = spans.load(self.file, file.fd, (stat.st_ino, stat.st_mtime_ns, stat.st_size))
                if saved is not None:
                    try:
                        return Tables.from_spans(saved, file)
                    except (NotInLayout, KeyError, TypeError, ValueError, AttributeError) as e:
                        log.warning("the spans saved beside %s do not fit it (%s); reading it whole", self.path,
                                    type(e).__name__)
                with open(file.fd, "rb", closefd=False) as f:
                    return Tables.from_lines(f, file)
            except NotInLayout:
                pass
            except OSError as e:
                raise StoreError(f"cannot read {self.path}: {e.strerror}") from None
            raw = _read_file(self.file, self.path)
            if not isinstance(raw, dict) or not all(isinstance(raw.get(t, {}), dict) for t in (*TABLES, "meta")):
                raise StoreError(f"{self.path} is not an incident-bot database ({_shape_problem(raw)}); "
                                 "it was left untouched")
            return Tables.from_raw(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            # Checked only when building failed, so a good file pays nothing for the check (on a fresh read:
            # building lets the parsed documents go as it goes).
            problem = _shape_problem(_read_file(self.file, self.path))
            raise StoreError(f"{self.path} is not an incident-bot database ({problem}); "
                             "it was left untouched") from None

    def _signature(self) -> tuple[Any, ...]:
        """What tells whether another process changed the database since we read it."""
        def stat(p: Path) -> tuple[int, int, int]:
            try:
                s = p.stat()
            except FileNotFoundError:
                return (0, 0, -1)
            return (s.st_ino, s.st_mtime_ns, s.st_size)
        return stat(self.file) + stat(self.journal)

    def acquire_write_lock(self) -> None:
        """Become the one writer of this database, or raise StoreLocked naming the holder."""
        with self._mutex:
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
            if self._loaded_from and self._signature() != self._loaded_from:
                self._load()  # another writer changed it since we read it: build on its changes, not ours
            self._writer = JournalWriter(self.journal)
            if self.journal.exists():
                self._fold()  # start-up fold: also drops a torn last line, before anything is appended
        self._folder = threading.Thread(target=self._fold_in_background, name="store-fold", daemon=True)
        self._folder.start()

    def _check_writable(self) -> None:
        """Refuse to become the writer of a file or folder meant to be read-only. By its mode bits too, as
        root may write anything: an atomic rename would silently replace a 0444 file with a 0644 one."""
        for what, path in (("file", self.file), ("folder", self.file.parent)):
            if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
                raise StoreError(f"cannot write {self.path}: its {what} {path} is read-only; "
                                 "make it writable, or use --db elsewhere, to change it")

    def close(self) -> None:
        """Fold what the journal holds (a clean shutdown leaves the TinyDB file complete) and let go."""
        folder, self._folder = self._folder, None
        if folder is not None:
            with self._wake:
                self._stopping = True
                self._wake.notify()
            folder.join()
        with self._mutex:
            if self._lock_fd is None:
                return
            try:
                if self.journal.exists():
                    self._fold()
                self._save_spans()  # a fold while an admin was busy left them to now
            except (OSError, StoreError) as e:  # the journal still holds every change: the next start folds
                log.warning("could not fold the journal of %s on closing: %s", self.path, e)
            assert self._writer is not None
            self._writer.close()
            self._writer = None
            os.close(self._lock_fd)  # closing releases the flock; the file itself is harmless to leave
            self._lock_fd = None
            self._loaded_from = self._signature()
            self._stopping = False

    # -- folding -------------------------------------------------------------------------------------
    @bulk_build()  # whole maps copied and made, beside the answering thread: see bot/store/bulk.py
    def _fold(self, save_spans: bool = True) -> None:
        """Snapshot the records under the lock, write them without it, then drop the journal records the new
        file holds. Answers and changes go on meanwhile; the changes stay in the journal until a later fold.
        `save_spans`: save where the new file's lines are, for the next start (see spans.py)."""
        with self._fold_lock:
            with self._mutex:
                tables, snapshot, version = self._t, self._t.snapshot(), self.version
            try:
                with self._reading():  # the facts not changed since are copied from the file as opened
                    write_atomically(self.file, snapshot.write)
                written = FactFile.open(self.file, snapshot.spans)
            except OSError as e:
                raise StoreError(f"cannot write {self.path}: {e.strerror or e}; its journal keeps every change") from None
            with self._mutex:
                if tables is self._t:
                    tables.refile(snapshot, written)
                self._file_holds(version, snapshot.seq)
                assert self._writer is not None
                self._writer.keep_after(snapshot.seq)
            if self._spans_due is not None:  # never saved, and now of an older file
                spans.drop_slowly(self._spans_due.incident_spans)
            self._spans_due = snapshot
            if save_spans:
                self._save_spans()
            replaced = snapshot.written()
            # Its spans are freed a slice at a time (see drop_slowly) once nothing else holds it: no other
            # reference (a reader in flight, a reload's tables) can be made to it any more.
            if replaced is not None and sys.getrefcount(replaced) == 2:  # `replaced` and the call's argument
                spans.drop_slowly(replaced.spans)

    def _save_spans(self) -> None:
        """Save the spans of the file the last fold wrote, if not saved yet (it is still the file: a later
        fold would have replaced them)."""
        snapshot, self._spans_due = self._spans_due, None
        if snapshot is not None:
            spans.save(self.file, self._signature()[:3], snapshot.incidents_at, snapshot.facts_end,
                       [snapshot.incident_keys[i] for i in snapshot.incident_spans], snapshot.incident_spans,
                       snapshot.spans, snapshot.home)
            spans.drop_slowly(snapshot.incident_spans)  # the file's are snapshot.spans, kept

    def _fold_in_background(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                self._wake.wait(timeout=min(self._fold_idle, 5.0))
                if self._stopping:
                    return
            pending = self._writer.records if self._writer else 0
            idle = time.monotonic() - self._last_change >= self._fold_idle
            # Saving the spans is passes in C over every incident and fact that hold the interpreter lock
            # for up to 150 ms each (measured at 100,000 incidents): not while an admin is busy writing.
            # Only the next start reads them: they are saved once the admin is idle, or on closing (after
            # a crash in between, the next start reads the file whole).
            if self._fold_due() or (pending and idle):
                started = time.monotonic()
                try:
                    self._fold(save_spans=idle)
                except StoreError as e:
                    log.warning("background fold of %s failed (the journal keeps every change): %s", self.path, e)
                else:
                    log.info("background fold: %d changes into %s in %.1f s (%s)", pending, self.path,
                             time.monotonic() - started, "idle" if idle else "journal full")
            elif idle and self._spans_due is not None:
                with self._fold_lock:
                    self._save_spans()

    # -- reading -------------------------------------------------------------------------------------
    def incidents(self) -> list[Incident]:
        with self._reading():
            return list(self._t.incidents.values())

    def iter_incidents(self) -> Iterator[Incident]:
        """The incidents without copying them into a list, for scans that stop early. A change replaces the
        map rather than editing it, so an iteration never sees it change."""
        with self._reading():
            yield from self._t.incidents.values()

    def incident(self, incident_id: str) -> Incident | None:
        try:  # read from the file when first asked for (store/spans.py); not _reading(): a hot path
            return self._t.incidents.get(incident_id)
        except FileChanged as e:
            raise _changed_in_place(self.path, e) from None

    def incident_ids(self) -> list[str]:
        """The ids of every incident, without reading their records."""
        return list(self._t.incidents)

    def claims(self, incident_id: str) -> list[Claim]:
        return list(self._facts(incident_id))

    def claim(self, claim_id: str) -> Claim | None:
        with self._reading():
            return self._t.facts.claim(claim_id)

    def _facts(self, incident_id: str, keep: bool = True) -> list[Claim]:
        with self._reading():
            return self._t.facts.get(incident_id, keep)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Facts are read from the file as it was opened; a file rewritten in place under the bot (a fold
        never does: it writes a new file) is one clear error, not a traceback."""
        try:
            yield
        except FileChanged as e:
            raise _changed_in_place(self.path, e) from None

    def source(self, source_id: str | None) -> Source | None:
        return self._t.sources.get(source_id) if source_id else None

    def sources(self) -> list[Source]:
        return list(self._t.sources.values())

    def parties(self) -> list[Party]:
        return list(self._t.parties.values())

    def party(self, party_id: str) -> Party | None:
        return self._t.parties.get(party_id)

    def dataset(self) -> Dataset:
        t = self._t
        claims = [c for i in t.incidents for c in self._facts(i, keep=False)]
        return Dataset(self.sources(), self.incidents(), claims, self.parties())

    def audit(self, actor: str | None = None) -> list[dict[str, Any]]:
        entries = [{**d, "id": k} for k, d in list(self._t.audit.items())]
        return [e for e in entries if actor is None or e["actor"] == actor]

    def changes_since(self, version: int) -> tuple[int, set[str] | None]:
        """(current version, ids of the incidents changed since `version`), or None for "too much or too
        long ago: rebuild". What the engine's incident index uses to update only what changed.

        Asked before every answer, so not under the store's lock, which a fold holds while it takes its
        snapshot and while it refiles the records (half a second at 100,000 incidents). The version is read
        first and a change is added to the history before the version moves on (_commit), so the history
        read holds every change up to the version read; one later change read too is returned again next
        time, which an update applies twice harmlessly."""
        current = self.version
        history = list(self._history)  # copied whole (in C, under the interpreter lock)
        if version == current:
            return version, set()
        if not history or history[0][0] > version + 1 or version > current:
            return current, None
        changed: set[str] = set()
        for v, ids in reversed(history):  # newest first: a caller is mostly one change behind
            if v <= version:
                break
            changed |= ids
        return current, changed

    # -- data derived from the records -----------------------------------------------------------------
    def derived(self, name: str, code: str) -> tuple[Any, int] | None:
        """What save_derived saved under `name` for the TinyDB file these records were read from, and the store
        version it describes (changes_since brings it up to date: the journal's changes come after the
        file). None when nothing fits: no file, one saved for another state of the database or by other
        code (`code`), or one that does not parse; each says so in one log line, never an error."""
        path = self._derived_path(name)
        try:
            with open(path, "rb") as f:
                head = orjson.loads(f.readline())
                if not isinstance(head, dict) or head.get("format") != DERIVED_FORMAT or head.get("code") != code:
                    log.info("%s was saved by other code; rebuilding it", path)
                    return None
                with self._mutex:
                    version = self._file_versions.get(tuple(head.get("file") or ()))
                if version is None:
                    log.info("%s is for another state of %s; rebuilding it", path, self.path)
                    return None
                data = orjson.loads(f.read())
        except FileNotFoundError:
            log.debug("no %s yet; building it", path)
            return None
        except (OSError, orjson.JSONDecodeError, TypeError) as e:
            log.warning("cannot read %s (%s); rebuilding it", path, e)
            return None
        return data, version

    def save_derived(self, name: str, code: str, version: int, data: Callable[[], Any]) -> bool:
        """Save `data()`, derived from the records at store `version`, beside the database for derived() to read
        back on later starts; only when the TinyDB file holds that version (later changes still in the
        journal are brought in by changes_since). Written atomically; a failure is one log line."""
        with self._mutex:
            held = [key for key, v in self._file_versions.items() if v == version]
            on_disk = self._signature()[:3]
        if not held or held[-1][:3] != on_disk:
            return False
        path = self._derived_path(name)
        head = orjson.dumps({"format": DERIVED_FORMAT, "code": code, "file": held[-1]}) + b"\n"
        try:
            body = orjson.dumps(data())

            def write(f: Any) -> None:  # head and body apart: the body is tens of MB at 100,000 incidents
                f.write(head)
                f.write(body)
            write_atomically(path, write)
        except (OSError, TypeError) as e:
            # info: a reader of a database in a read-only folder (`ask`) would otherwise warn on every run
            log.info("cannot save %s (%s); it is rebuilt at the next start", path, e)
            return False
        return True

    def _derived_path(self, name: str) -> Path:
        return self.file.with_name(f"{self.file.name}.{name}")

    def _file_holds(self, version: int, seq: int) -> None:
        """The TinyDB file just written holds the records at `version` (its last journal record is `seq`). The
        file the records were read from is kept too: derived data saved for it is still brought up to date."""
        first = next(iter(self._file_versions.items()), None)
        self._file_versions = dict([first] if first else [])
        self._file_versions[(*self._signature()[:3], seq)] = version

    # -- writing -------------------------------------------------------------------------------------
    def add_incident(self, incident: Incident, actor: str) -> Incident:
        def change(txn: Txn) -> list[dict[str, Any]]:
            if incident.id in self._t.incidents:
                raise StoreError(f"an incident with id {incident.id!r} already exists")
            incident.created = incident.updated = txn.now
            key = txn.next_key("incidents")
            txn.put("incidents", key, incident.to_dict())
            return [_entry(actor, txn.now, "add_incident", "incidents", key, None, incident.to_dict())]
        self._commit(change)
        return self._t.incidents[incident.id]

    def update_incident(self, incident_id: str, changes: Callable[[Incident], None], actor: str) -> Incident:
        def change(txn: Txn) -> list[dict[str, Any]]:
            key = self._incident_key(incident_id)
            before = txn.get("incidents", key)
            updated = Incident.from_dict(copy.deepcopy(before))
            changes(updated)
            updated.updated = txn.now
            txn.put("incidents", key, updated.to_dict())
            return [_entry(actor, txn.now, "set_incident", "incidents", key, before, updated.to_dict())]
        self._commit(change)
        return self._t.incidents[incident_id]

    def add_claim(self, claim: Claim, actor: str, new_source: Source | None = None) -> Claim:
        """Add a claim; `new_source` (not yet in the store) is recorded in the same change, and /undo of the
        claim removes it again unless another claim cites it by then."""
        def change(txn: Txn) -> list[dict[str, Any]]:
            self._incident_key(claim.incident)
            if new_source is not None:
                claim.source = new_source.id
            extra = self._record_source(txn, new_source)
            key = txn.next_key("claims")
            claim.id, claim.created_by, claim.created_at = key, actor, txn.now
            doc = claim.to_dict()
            txn.put("claims", key, doc)
            return [_entry(actor, txn.now, "add_claim", "claims", key, None, doc, **extra)]
        self._commit(change)
        added = self._t.facts.claim(claim.id)
        assert added is not None
        return added

    def delete_claim(self, claim_id: str, actor: str) -> Claim:
        gone = self.claim(claim_id)
        if gone is None:
            raise StoreError(f"no fact with id {claim_id!r}")

        def change(txn: Txn) -> list[dict[str, Any]]:
            before = txn.get("claims", claim_id)
            if before is None:
                raise StoreError(f"no fact with id {claim_id!r}")
            txn.delete("claims", claim_id)
            return [_entry(actor, txn.now, "delete_claim", "claims", claim_id, before, None)]
        self._commit(change)
        return gone

    def add_party(self, party: Party, actor: str, new_source: Source | None = None) -> Party:
        """Add a person or organisation; `new_source` (cited by its description) is recorded in the same change."""
        def change(txn: Txn) -> list[dict[str, Any]]:
            if party.id in self._t.parties:
                raise StoreError(f"a party with id {party.id!r} already exists")
            party.created = party.updated = txn.now
            extra = self._record_source(txn, new_source)
            key = txn.next_key("parties")
            txn.put("parties", key, party.to_dict())
            return [_entry(actor, txn.now, "add_party", "parties", key, None, party.to_dict(), **extra)]
        self._commit(change)
        return self._t.parties[party.id]

    def update_party(self, party_id: str, changes: Callable[[Party], None], actor: str,
                     new_source: Source | None = None) -> Party:
        def change(txn: Txn) -> list[dict[str, Any]]:
            key = self._t.key_of["parties"].get(party_id)
            if key is None:
                raise StoreError(f"no party with id {party_id!r}")
            before = txn.get("parties", key)
            updated = Party.from_dict(copy.deepcopy(before))
            changes(updated)
            updated.updated = txn.now
            extra = self._record_source(txn, new_source)
            txn.put("parties", key, updated.to_dict())
            return [_entry(actor, txn.now, "set_party", "parties", key, before, updated.to_dict(), **extra)]
        self._commit(change)
        return self._t.parties[party_id]

    def _record_source(self, txn: Txn, new_source: Source | None) -> dict[str, Any]:
        """Store a source a change cites for the first time; the audit entry's extra, so /undo can take it back."""
        if new_source is None or new_source.id in self._t.sources:  # else another admin recorded it a moment ago
            return {}
        skey = txn.next_key("sources")
        txn.put("sources", skey, new_source.to_dict())
        return {"source_added": {"key": skey, "doc": new_source.to_dict()}}

    def undo(self, actor: str) -> dict[str, Any] | None:
        """Revert this actor's last change that is not undone yet; returns its audit entry, or None."""
        def change(txn: Txn) -> list[dict[str, Any]]:
            audit = self._t.audit
            mine = [(int(k), k, e) for k, e in audit.items()
                    if e["actor"] == actor and not e.get("undone") and e["action"] != "undo"]
            if not mine:
                return []
            n, key, last = max(mine)
            if last["action"] == "import" or any(int(k) > n and e["action"] == "import" for k, e in audit.items()):
                raise StoreError("a bulk import came after your last change, and /undo cannot reach past it; "
                                 "re-import an export taken before it with --replace")
            txn.put("audit", key, {**last, "undone": True})
            if last["action"] == "add_batch":
                self._undo_batch(txn, last["added"])
                return [_entry(actor, txn.now, "undo", "*", "*", last["after"], None, undoes=key, undid="add_batch")]
            if last["action"] == "add_incident" and self._facts(last["after"]["id"]):
                raise StoreError(f"incident {last['after']['id']!r} has facts now; delete them before undoing")
            if last["before"] is None:
                if txn.get(last["table"], last["key"]) is not None:
                    txn.delete(last["table"], last["key"])
            else:
                txn.put(last["table"], last["key"], last["before"])
            added = last.get("source_added")
            if added and not txn.cited(added["doc"]["id"]) and txn.get("sources", added["key"]) is not None:
                txn.delete("sources", added["key"])
            return [_entry(actor, txn.now, "undo", last["table"], last["key"], last["after"], last["before"],
                           undoes=key)]
        entries = self._commit(change)
        return entries[0] if entries else None

    def _undo_batch(self, txn: Txn, added: dict[str, list[str]]) -> None:
        """Remove what a batch added; refused while facts added since hang on its incidents."""
        t = self._t
        ours = set(added["claims"])
        for k in added["incidents"]:
            incident_id = t.id_at["incidents"].get(k)
            later = next((c for c in self._facts(incident_id or "") if c.id not in ours), None)
            if later is not None:
                raise StoreError(f"incident {incident_id!r} of that batch has facts added since (#{later.id}); "
                                 "delete them before undoing")
        for table in ("claims", "incidents", "parties"):
            for k in added.get(table, ()):
                if txn.get(table, k) is not None:
                    txn.delete(table, k)
        for k in added["sources"]:
            sid = t.id_at["sources"].get(k)
            if sid is not None and not txn.cited(sid):
                txn.delete("sources", k)

    def add_batch(self, data: Dataset, actor: str) -> BatchSummary:
        """Add an accepted article's worth of records in one audited change that one /undo of `actor` reverts:
        new incidents, claims (on new or existing incidents), and the sources and parties the store does not
        know yet (a source or party id already known is the same one, and is kept as it is)."""
        summary = BatchSummary()

        def change(txn: Txn) -> list[dict[str, Any]]:
            t = self._t
            new_ids = [i.id for i in data.incidents]
            clash = sorted(set(new_ids) & set(t.key_of["incidents"])) or sorted({i for i in new_ids if new_ids.count(i) > 1})
            if clash:
                raise StoreError(f"incident id {clash[0]!r} already exists; nothing of the batch was added")
            known_incidents = set(new_ids) | set(t.key_of["incidents"])
            known_sources = set(t.sources) | {s.id for s in data.sources}
            for c in data.claims:
                if c.incident not in known_incidents:
                    raise StoreError(f"a fact is for incident {c.incident!r}, which is neither in the store nor "
                                     "in the batch; nothing of the batch was added")
                if c.source and c.source not in known_sources:
                    raise StoreError(f"a fact cites source {c.source!r}, which is neither in the store nor in "
                                     "the batch; nothing of the batch was added")
            added: dict[str, list[str]] = {"sources": [], "parties": [], "incidents": [], "claims": []}
            for s in data.sources:
                if s.id not in t.sources and s.id not in summary.sources:
                    key = txn.next_key("sources")
                    txn.put("sources", key, s.to_dict())
                    added["sources"].append(key)
                    summary.sources.append(s.id)
            for p in data.parties:
                if p.id not in t.parties and p.id not in summary.parties:
                    key = txn.next_key("parties")
                    txn.put("parties", key, {**p.to_dict(), "created": txn.now, "updated": txn.now})
                    added["parties"].append(key)
                    summary.parties.append(p.id)
            for i in data.incidents:
                key = txn.next_key("incidents")
                txn.put("incidents", key, {**i.to_dict(), "created": txn.now, "updated": txn.now})
                added["incidents"].append(key)
                summary.incidents.append(i.id)
            for c in data.claims:
                key = txn.next_key("claims")
                txn.put("claims", key, {**c.to_dict(), "id": key, "created_by": actor, "created_at": txn.now})
                added["claims"].append(key)
                summary.claims.append(key)
            if not any(added.values()):
                return []
            return [_entry(actor, txn.now, "add_batch", "*", "*", None, asdict(summary), added=added)]
        self._commit(change)
        return summary

    @bulk_build()  # an import builds as many objects as the file holds, its ops and then its records
    def import_dataset(self, data: Dataset, actor: str, replace: bool = False, audited: bool = True) -> tuple[int, int]:
        """Add (or with replace, swap in) a whole dataset in one change. Returns (incidents, claims)."""
        def change(txn: Txn) -> list[dict[str, Any]]:
            nonlocal data
            t = self._t
            if not replace:
                # An entry that repeats a stored incident exactly (an `ingest` review file lists the known
                # incident it adds facts to) is that incident: its claims are added, the record kept.
                same = {i.id for i in data.incidents if i.id in t.incidents and _same_record(i, t.incidents[i.id])}
                data = replace_dataclass(data, incidents=[i for i in data.incidents if i.id not in same])
                for what, new, known in (("incident", data.incidents, t.incidents), ("party", data.parties, t.parties)):
                    clash = sorted({x.id for x in new} & set(known))
                    if clash:
                        raise StoreError(f"{len(clash)} {what} id(s) already exist ({', '.join(clash[:3])}); "
                                         "use --replace to swap the whole database")
            else:
                for table in ("sources", "incidents", "claims", "parties"):
                    for key in list(t.keys(table)):
                        txn.delete(table, key)
                    txn.restart_keys(table)  # ids restart; /undo will not reach back past an import
            known_sources = set() if replace else set(t.sources)
            for s in data.sources:
                if s.id not in known_sources:
                    known_sources.add(s.id)
                    txn.put("sources", txn.next_key("sources"), s.to_dict())
            for i in data.incidents:
                txn.put("incidents", txn.next_key("incidents"),
                        {**i.to_dict(), "created": i.created or txn.now, "updated": i.updated or txn.now})
            for c in data.claims:
                key = txn.next_key("claims")
                txn.put("claims", key, {**c.to_dict(), "id": key, "created_by": c.created_by or actor,
                                        "created_at": c.created_at or txn.now})
            for p in data.parties:
                txn.put("parties", txn.next_key("parties"),
                        {**p.to_dict(), "created": p.created or txn.now, "updated": p.updated or txn.now})
            if not audited:
                return [{}]
            return [_entry(actor, txn.now, "import", "incidents", "*", None,
                           {"incidents": len(data.incidents), "claims": len(data.claims), "replace": replace})]
        with self._fold_lock:  # folded at once: after a background fold in progress, if any
            self._commit(change, bulk=True)
        return len(data.incidents), len(data.claims)

    def _incident_key(self, incident_id: str) -> str:
        key = self._t.key_of["incidents"].get(incident_id)
        if key is None:
            raise StoreError(f"no incident with id {incident_id!r}")
        return key

    def _commit(self, change: Callable[[Txn], list[dict[str, Any]]], bulk: bool = False) -> list[dict[str, Any]]:
        """Run `change`, journal its ops with its audit entries (fsynced), then apply them in memory. A bulk
        change (an import: the whole database, perhaps) is folded into the file at once instead."""
        with self._mutex:
            self.acquire_write_lock()
            txn = Txn(self._t, _now())
            with self._reading():
                entries = change(txn)
            if not entries:
                return []
            for entry in entries:
                if entry:  # an unaudited change (seeding a new file) has an empty entry
                    txn.put("audit", txn.next_key("audit"), entry)
            ops = txn.finish()
            seq = self._t.seq + 1
            if bulk:
                self._commit_bulk(ops, seq)
                return entries
            with self._reading():
                self._t.read_for(ops)  # a fact file that cannot be read fails the change before it is journaled
            assert self._writer is not None
            try:
                self._writer.append(Record(seq, ops))
            except OSError as e:
                raise StoreError(f"cannot write {self.path}'s journal: {e.strerror or e}; nothing was changed") from None
            changed = self._t.apply(ops)
            self._t.seq = seq
            self._history.append((self.version + 1, changed))  # first: see changes_since
            del self._history[:-HISTORY]
            self.version += 1
            self._last_change = time.monotonic()
        if self._fold_due():
            with self._wake:
                self._wake.notify()
        return entries

    def _fold_due(self) -> bool:
        """Whether the journal is long enough for a background fold without waiting for the admin to pause."""
        writer = self._writer
        if writer is None or writer.records < self._fold_after:
            return False
        try:
            size = self.file.stat().st_size
        except OSError:
            return True
        return writer.bytes >= size * self._fold_share

    def _commit_bulk(self, ops: list[Op], seq: int) -> None:
        """A change too big to journal (an import): applied in memory and folded at once; if that fails, the
        records are read back from the untouched file."""
        try:
            with self._reading():
                self._t.apply(ops)
            self._t.seq = seq
            self._fold()
        except StoreError:
            self._load()
            raise
        self._history.clear()  # derived indexes rebuild (first: see changes_since)
        self.version += 1
        self._file_holds(self.version, seq)


class Txn:
    """One change being prepared: the ops it will journal, and the documents as they will be after them."""

    def __init__(self, tables: Tables, now: str) -> None:
        self.now = now
        self._t = tables
        self._ops: list[Op] = []
        self._pending: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._counters = dict(tables.counters)

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        if (table, key) in self._pending:
            return self._pending[(table, key)]
        return self._t.doc(table, key)

    def put(self, table: str, key: str, doc: dict[str, Any]) -> None:
        self._ops.append([table, key, doc])
        self._pending[(table, key)] = doc

    def delete(self, table: str, key: str) -> None:
        self._ops.append([table, key, None])
        self._pending[(table, key)] = None

    def next_key(self, table: str) -> str:
        # A counter kept in the file, so a deleted fact's id never comes back as a different fact.
        last = self._counters.get(table)
        if last is None:
            last = max((int(k) for k in self._t.keys(table)), default=0)
        self._counters[table] = last + 1
        return str(last + 1)

    def cited(self, source_id: str) -> bool:
        """Whether facts or party descriptions will still cite this source once the change is applied."""
        n = self._t.citations[source_id]
        for (table, key), doc in self._pending.items():
            if table in ("claims", "parties"):
                n -= cited_by(self._t.record(table, key)).count(source_id)
                if doc is not None:
                    n += cited_by(RECORDS[table](doc) if table == "parties" else Claim.from_dict({**doc, "id": key})
                                  ).count(source_id)
        return n > 0

    def restart_keys(self, table: str) -> None:
        self._counters[table] = 0

    def finish(self) -> list[Op]:
        if self._counters != self._t.counters:
            self._ops.append(["meta", "counters", self._counters])
        return self._ops


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


def _changed_in_place(path: Path, e: FileChanged) -> StoreError:
    return StoreError(f"{path} was changed in place while the bot had it open (the lines of {e} are not "
                      "as they were); restart the bot")


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


def _entry(actor: str, now: str, action: str, table: str, key: str, before: Any, after: Any,
           **extra: Any) -> dict[str, Any]:
    return {"actor": actor, "at": now, "action": action, "table": table, "key": key,
            "before": before, "after": after, **extra}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
