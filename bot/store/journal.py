"""The journal beside the database file: one line per change, fsynced before the change is acknowledged.

    facts.json          the folded snapshot (TinyDB layout), whose meta says the last change it holds
    facts.json.journal  {"seq": 8, "ops": [[table, key, document or null], ...]} per line, changes after it

Appending a line costs what the change costs, where rewriting the whole file cost seconds at 100,000
incidents. Folding (the store writes a new snapshot atomically, then calls `keep_after`) empties it again.
A change is in the journal or in the snapshot, possibly both for a moment: records the snapshot already
holds are skipped by their sequence number, so a crash between the two steps replays nothing twice.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bot.store.files import fsync_dir, write_atomically

log = logging.getLogger(__name__)

Op = list[Any]  # [table, key, document] puts, [table, key, None] deletes


class JournalError(Exception):
    """A journal that cannot be read back (damaged before its last line); the message says where."""


@dataclass
class Record:
    seq: int
    ops: list[Op] = field(default_factory=list)


def journal_path(db_file: Path) -> Path:
    return db_file.with_name(db_file.name + ".journal")


def read_journal(path: Path, after: int, warn: bool = True) -> list[Record]:
    """The records with seq > `after`, in order. A torn last line (a writer killed mid-append) is dropped
    with one log line (`warn`): that change was never acknowledged. Damage elsewhere raises JournalError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        last = n == len(lines)  # no newline after it: the append did not finish
        try:
            doc = orjson.loads(line)
            record = Record(int(doc["seq"]), list(doc["ops"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            if last:
                if warn:
                    log.warning("%s: dropped a torn last line (%d bytes), a change that was never acknowledged",
                                path, len(line))
                break
            raise JournalError(f"{path} is damaged at line {n}") from None
        if last:
            if warn:
                log.warning("%s: dropped a last line without its newline, a change that was never acknowledged",
                            path)
            break
        if record.seq > after:
            records.append(record)
    return records


class JournalWriter:
    """The one writer's open journal: appends and fsyncs; after a fold keeps only the newer records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self.records = 0  # appended since the last fold
        self.bytes = 0  # their size

    def append(self, record: Record) -> None:
        line = orjson.dumps({"seq": record.seq, "ops": record.ops}) + b"\n"
        fd = self._open()
        try:
            written = os.write(fd, line)
            while written < len(line):
                written += os.write(fd, line[written:])
            os.fdatasync(fd)
        except OSError:
            # Cut what part of the line made it, so the next append does not land after a torn one.
            self.close()
            self.truncate_torn()
            raise
        self.records += 1
        self.bytes += len(line)

    def keep_after(self, seq: int) -> None:
        """Drop the records up to `seq` (now in the folded snapshot), atomically; newer ones stay."""
        kept = [orjson.dumps({"seq": r.seq, "ops": r.ops}) + b"\n" for r in read_journal(self.path, seq, warn=False)]
        self.close()
        if kept:
            write_atomically(self.path, lambda f: f.write(b"".join(kept)))
        else:
            self.path.unlink(missing_ok=True)
            fsync_dir(self.path.parent)
        self.records, self.bytes = len(kept), sum(map(len, kept))

    def truncate_torn(self) -> None:
        """Cut a torn last line off the file (only the writer, holding the lock, may)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1
        if end != len(data):
            with open(self.path, "r+b") as f:
                f.truncate(end)
                os.fsync(f.fileno())

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int:
        if self._fd is None:
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            if created:
                fsync_dir(self.path.parent)  # the new file's name must survive a crash too
        return self._fd
