"""Each incident's facts, read from the TinyDB file when they are asked for.

Parsing every fact at open was most of opening a big database (6 of 9 s at 100,000 incidents and 400,000
facts) and their records half its memory, while a question reads the facts of a few incidents. So opening a
file a fold wrote only finds where each incident's fact lines lie (`FactLines`: a regular expression over
the lines, no JSON parsed) and checks the section's CRC against the one the fold wrote; reading an
incident's facts parses its lines, and the last RECENT incidents read are kept. Facts changed since the
file was written are held in memory until a fold writes them into a new file, which then becomes the file
read (`Facts.refile`).

A file whose fact lines are not as a fold wrote them (written by hand, by TinyDB, or damaged) is parsed
whole, as before, and all its facts are held: what is read lazily is only ever bytes this code wrote.
"""
from __future__ import annotations

import os
import re
import threading
import time
import zlib
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Iterator, MutableMapping
from itertools import accumulate, groupby, repeat
from operator import lshift, lt, or_, rshift
from pathlib import Path
from typing import Any

import orjson

from bot.facts.models import Claim

RECENT = 4096  # incidents whose facts read from the file are kept (a few MB)
COPY_BYTES = 1 << 20  # a fold copies unchanged facts from the old file in blocks of up to this many bytes
WRITE_STEP = 200  # records (or incidents' facts) given as bytes written at once, as tables._write_table does
YIELD_EVERY = 50  # incidents a fold writes between handing over the interpreter lock (see tables.FOLD_STEP)
CLAIM_FIELDS = frozenset(Claim.__slots__)  # type: ignore[attr-defined]
# A fact line as a fold writes it: "KEY":{"id":"KEY","incident":"INCIDENT",... (no escapes in either; the key
# a number as the store counts them, which FileHomes holds in 31 bits).
FACT_LINE = re.compile(rb'\n"([1-9][0-9]{0,8})":\{"id":"[^"\\]*","incident":"([^"\\]*)"')


def claim_order(claim: Claim) -> tuple[int, str]:
    """Fact ids are counters: "9" comes before "10"."""
    return len(claim.id), claim.id


def claim_of(key: str, doc: dict[str, Any]) -> Claim:
    """The record of a fact document. A folded file holds each fact as its record's own fields, so they are
    passed as they are (from_dict's care for every field was a third of opening a big database); anything
    else goes through from_dict. Raises KeyError/TypeError/ValueError on a document of the wrong form."""
    if doc.keys() == CLAIM_FIELDS and doc["id"] == key and type(doc["incident"]) is str \
            and type(doc["kind"]) is str and type(doc["conflicts_with"]) is list:
        return Claim(**doc)
    return Claim.from_dict({**doc, "id": key})


class FileChanged(Exception):
    """The file's fact lines are not where opening found them: something rewrote it in place."""


Span = tuple[int, int, "int | None"]  # where lines are in a file: offset, length, their CRC (None: checked at open)
Run = tuple[str, int, int, "int | None"]  # an incident's span: (incident id, *span)


class FactFile:
    """An open database file and where each incident's fact lines are in it: (offset, length, CRC), the lines
    joined by ",\\n" without the last one's comma. Kept open, so a fold's rename does not take it from a
    reader; closed when the last reader lets it go (a reader holds it while it reads)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.spans: dict[str, Span] = {}

    @classmethod
    def open(cls, path: Path, spans: dict[str, Span]) -> FactFile:
        file = cls(os.open(path, os.O_RDONLY))
        file.spans = spans
        return file

    def lines(self, incident_id: str) -> bytes:
        return self.block([(incident_id, *self.spans[incident_id])])

    def block(self, runs: list[Run], check: bool = True) -> bytes:
        """The bytes from the first of these runs of lines to the last's, read at once: (incident id, offset,
        length, CRC or None) in file order, each right after the one before and its ",\n". A run whose CRC
        is known (opened from the spans a fold saved, see spans.py, rather than checked whole at open) is
        checked against it."""
        start = runs[0][1]
        data = os.pread(self.fd, runs[-1][1] + runs[-1][2] - start, start)
        view = memoryview(data)
        for n, (incident_id, offset, length, crc) in enumerate(runs):
            first, end = offset - start, offset - start + length
            if end > len(data) or data[first] != 0x22 or data[end - 1] != 0x7D or (  # '"' ... '}'
                    n + 1 < len(runs) and data[end:end + 2] != b",\n") or (
                    check and crc is not None and zlib.crc32(view[first:end]) != crc):
                raise FileChanged(incident_id)
        return data

    def read(self, incident_id: str) -> list[Claim]:
        try:
            docs = orjson.loads(b"{" + self.lines(incident_id) + b"}")
            facts = [claim_of(key, doc) for key, doc in docs.items()]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise FileChanged(incident_id) from None
        facts.sort(key=claim_order)
        return facts

    def __del__(self) -> None:
        os.close(self.fd)


class Facts:
    """Each incident's facts by incident id: held in memory (changed since the file, or from a file parsed
    whole) or read from the file. Lists are never changed in place: a change holds a new list."""

    def __init__(self) -> None:
        self.held: dict[str, list[Claim]] = {}
        self.file: FactFile | None = None
        self.home: MutableMapping[str, str] = {}  # fact key -> its incident, for every fact (see FileHomes)
        self._recent: OrderedDict[str, tuple[FactFile, list[Claim]]] = OrderedDict()
        self._lock = threading.Lock()  # readers in several threads share _recent

    def get(self, incident_id: str, keep: bool = True) -> list[Claim]:
        """The incident's facts in id order (empty if none); `keep`: remember them if read from the file.
        Raises FileChanged if the file was rewritten in place under the bot."""
        held = self.held.get(incident_id)
        if held is not None:
            return held
        file = self.file
        if file is None or incident_id not in file.spans:
            return []
        with self._lock:
            hit = self._recent.get(incident_id)
            if hit is not None and hit[0] is file:  # read from a file since replaced: read again
                self._recent.move_to_end(incident_id)
                return hit[1]
        facts = file.read(incident_id)
        if keep:
            with self._lock:
                self._recent[incident_id] = (file, facts)
                self._recent.move_to_end(incident_id)
                if len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        return facts

    def claim(self, key: str) -> Claim | None:
        incident_id = self.home.get(key)
        if incident_id is None:
            return None
        return next((c for c in self.get(incident_id) if c.id == key), None)

    def incidents(self) -> Iterator[str]:
        """The incidents that have facts (perhaps none left, for a held empty list)."""
        yield from self.held
        if self.file is not None:
            yield from (i for i in self.file.spans if i not in self.held)

    def refile(self, written: dict[str, list[Claim]], file: FactFile) -> None:
        """A fold wrote `file` from the facts held when it started (`written`): read from it now, and stop
        holding what it holds (a list held since then is a later change, and stays)."""
        self.file = file
        for incident_id, facts in written.items():
            if self.held.get(incident_id) is facts:
                del self.held[incident_id]
        with self._lock:
            self._recent.clear()

    def __eq__(self, other: object) -> bool:
        """The same facts, wherever they are kept (a comparison of two readings of one file)."""
        if not isinstance(other, Facts):
            return NotImplemented
        ids = set(self.incidents()) | set(other.incidents())
        return self.home == other.home and all(self.get(i, keep=False) == other.get(i, keep=False) for i in ids)


class FileHomes(MutableMapping[str, str]):
    """Each fact's incident, for a file a fold wrote: one sorted 64-bit number a fact (its key, then its
    incident's number) rather than a dict of strings, 3 MB against 50 at 400,000 facts. Changes since the file
    go in a small dict over it (None: deleted)."""

    SHIFT = 32  # the low bits hold the incident's number

    def __init__(self, packed: array[int], incidents: list[str]) -> None:
        self._packed = packed  # sorted
        self._incidents = incidents  # by number
        self._changed: dict[str, str | None] = {}
        self._len = len(packed)

    def _in_file(self, key: str) -> str | None:
        if not (key.isdecimal() and key.isascii() and len(key) < 10) or key != str(number := int(key)):  # not a fold's
            return None
        i = bisect_left(self._packed, number << self.SHIFT)
        if i < len(self._packed) and self._packed[i] >> self.SHIFT == number:
            return self._incidents[self._packed[i] & ((1 << self.SHIFT) - 1)]
        return None

    def __getitem__(self, key: str) -> str:
        value = self._changed[key] if key in self._changed else self._in_file(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: str) -> None:
        if key not in self:
            self._len += 1
        self._changed[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._changed[key] = None
        self._len -= 1

    def __iter__(self) -> Iterator[str]:
        changed = self._changed
        for key in map(str, map(rshift, self._packed, repeat(self.SHIFT))):
            if key not in changed:
                yield key
        yield from (k for k, v in list(changed.items()) if v is not None)

    def __len__(self) -> int:
        return self._len

    def copy(self) -> FileHomes:
        """The same homes, apart from changes made to either later (the packed array is never changed)."""
        homes = FileHomes(self._packed, self._incidents)
        homes._changed, homes._len = dict(self._changed), self._len
        return homes


class FactLines:
    """The fact section of a folded file read line by line: where each incident's lines are, every fact's
    incident, and the section's CRC to check against the one the fold wrote."""

    def __init__(self, incidents: dict[str, Any]) -> None:
        self._incidents = incidents
        self.spans: dict[str, Span] = {}
        self._homes = array("q")  # each fact's key, shifted, or its incident's number (see FileHomes)
        self._numbers: dict[str, int] = {}  # incident id -> its number in FileHomes
        self.crc = 0
        self._last: str | None = None  # the incident of the batch's last line: its run may go on

    def add(self, offset: int, lines: list[bytes]) -> None:
        """A batch of consecutive lines starting at `offset` in the file. Raises ValueError for a fact of an
        incident the file does not hold, LookupError (the caller parses the file whole) for lines not as a
        fold writes them. Per-line work is left to C (regular expressions, map, zip): it runs 400,000
        times at 100,000 incidents."""
        joined = b"".join(lines)
        self.crc = zlib.crc32(joined, self.crc)
        found = FACT_LINE.findall(b"\n" + joined)
        if len(found) != len(lines):
            raise LookupError("a fact line not as a fold writes it")
        keys, raw_ids = zip(*found)
        starts = list(accumulate(map(len, lines), initial=offset))
        owners: list[int] = []
        for raw_id, run in groupby(raw_ids):
            n, count = len(owners), len(list(run))
            incident = self._incidents.get(raw_id.decode())
            if incident is None:
                raise ValueError(raw_id.decode())
            incident_id = incident.id
            end = starts[n + count] - (2 if lines[n + count - 1].endswith(b",\n") else 1)
            if incident_id == self._last:  # goes on from the batch before
                start = self.spans[incident_id][0]
            elif incident_id in self.spans:
                raise LookupError("an incident's facts apart")
            else:
                start = starts[n]
            self.spans[incident_id] = (start, end - start, None)  # the whole section's CRC is checked
            owners += [self._numbers.setdefault(incident_id, len(self._numbers))] * count
            self._last = incident_id
        self._homes.extend(map(or_, map(lshift, map(int, keys), repeat(FileHomes.SHIFT)), owners))

    def homes(self) -> FileHomes:
        """Every fact's incident, once every line is added. Raises LookupError for a fact key twice."""
        packed = array("q", sorted(self._homes))
        keys = array("q", map(rshift, packed, repeat(FileHomes.SHIFT)))
        if not all(map(lt, keys, keys[1:])):
            raise LookupError("a fact key twice")
        return FileHomes(packed, list(self._numbers))


def write_facts(out: Any, runs: Iterable[tuple[str, bytes | Span]], start: int,
                file: FactFile | None = None) -> tuple[dict[str, Span], int]:
    """Write each incident's fact lines (joined by ",\\n") as the fact section's documents, one a line as
    `_write_table` writes a table, the section's first byte at file offset `start`: given as bytes, or as
    where they are in `file` (a span). Returns where each incident's lines now are, with their CRC (what
    reading them from the spans saved beside the file checks, see spans.py), and the CRC of the section's
    lines as `FactLines` reads them back. The incident table is written the same way, a record a run.

    Lines that lie one after the other in `file` (most of them: a fold writes incidents in the same order
    each time) are copied a block at a time: one read, write and CRC per COPY_BYTES rather than per
    incident, which was half of a fold's time at 100,000 incidents under the profiler, all of it holding
    the interpreter lock against the answering thread."""
    spans: dict[str, Span] = {}
    crc, pos, written = 0, start, 0
    copying: list[Run] = []  # the block being gathered

    def put(data: bytes, ids: list[tuple[str, int]], crcs: list[int | None]) -> None:
        """ids: (incident id, its offset in data); crcs: each one's CRC if known (copied as it was)."""
        nonlocal crc, pos, written
        head = b",\n" if written else b"\n"  # the first line break ends the section's opening line
        out.write(head)
        out.write(data)
        view = memoryview(data)
        for (incident_id, at), end, known in zip(ids, [at - 2 for _, at in ids[1:]] + [len(data)], crcs):
            spans[incident_id] = (pos + len(head) + at, end - at, zlib.crc32(view[at:end]) if known is None else known)
        crc = zlib.crc32(data, zlib.crc32(head, crc) if written else crc)
        pos += len(head) + len(data)
        if (written + len(ids)) // YIELD_EVERY != written // YIELD_EVERY:
            time.sleep(0)  # a fold runs beside the answering thread: hand it the interpreter now and then
        written += len(ids)

    def copy() -> None:
        if copying:
            assert file is not None
            # Not checked against their CRCs here: copied with them, a damaged line stays one a read finds.
            put(file.block(copying, check=False), [(incident_id, offset - copying[0][1]) for incident_id, offset, _, _ in copying],
                [known for _, _, _, known in copying])
            copying.clear()

    made: list[tuple[str, bytes]] = []  # lines given as bytes, written WRITE_STEP at a time

    def write_made() -> None:
        if made:
            starts = accumulate((len(lines) + 2 for _, lines in made[:-1]), initial=0)
            put(b",\n".join([lines for _, lines in made]), list(zip([i for i, _ in made], starts)), [None] * len(made))
            made.clear()

    for incident_id, lines in runs:
        if isinstance(lines, tuple):
            write_made()
            offset, length, _ = lines
            if copying and (offset != copying[-1][1] + copying[-1][2] + 2
                            or offset + length - copying[0][1] > COPY_BYTES):
                copy()
            copying.append((incident_id, *lines))
        else:
            copy()
            made.append((incident_id, lines))
            if len(made) >= WRITE_STEP:
                write_made()
    copy()
    write_made()
    return spans, zlib.crc32(b"\n", crc) if spans else 0
