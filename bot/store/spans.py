"""Where each record of a folded file lies in it, saved beside it by the fold that wrote it
(`facts.json.spans`), so that opening the file reads none of its incident or fact lines.

Opening a file by reading it (`Tables.from_lines`: every line looked at, the incident records made, the fact
lines found by a regular expression and their CRC checked) was 5 of the 8 s of start-up at 100,000
incidents. A fold knows where it put every line, so it saves that: each incident record's and each
incident's fact lines' offset, length and CRC, each fact's incident, and where the small tables before
and after them end and start. Opening a file these spans fit (the same inode, modification time and
size the fold saw, as for the saved indexes) reads the small tables (sources, parties, audit, meta; their
bytes checked against the CRC the fold saved) and nothing else: an incident's record and its facts are
read from the file when first asked for, and checked against their CRC then (a mismatch is
`FileChanged`, one clear error). Anything else (no spans, spans of another file or format, a file that
does not parse) opens the file by reading it, as before.
"""
from __future__ import annotations

import binascii
import logging
import sys
import time
import zlib
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress, repeat
from operator import and_, is_, is_not, lshift, not_, or_, rshift
from pathlib import Path
from typing import Any

import orjson

from bot.facts.models import Incident
from bot.store.factfile import FactFile, FileChanged, FileHomes, Span
from bot.store.files import write_atomically

log = logging.getLogger(__name__)

FORMAT = 1  # the layout of the spans file; another (older) one is read as "no spans"
LOW = (1 << FileHomes.SHIFT) - 1
SWAP = sys.byteorder == "big"  # the file's arrays are little-endian


def spans_path(db: Path) -> Path:
    return db.with_name(f"{db.name}.spans")


class FileIncidents(dict[str, Any]):
    """Incident records by id, each made from its line in the file when first read: until then its value is
    its number (an int) in `at` (offsets, lengths and CRCs of the lines). Making the 100,000 records of a big
    database at open was 2 s, and a question reads a few. Reading goes through Python (`[]`, `get`, `pop`,
    `values`, `items`); `in`, `len` and iterating ids stay in C. Changes put records, never numbers."""

    def __init__(self, items: Any = (), file: FactFile | None = None,
                 at: tuple[array[int], array[int], array[int]] | None = None) -> None:
        super().__init__(items)
        self.file, self.at = file, at

    def span(self, number: int) -> Span:
        assert self.at is not None
        offsets, lengths, crcs = self.at
        return offsets[number], lengths[number], crcs[number]

    def _made(self, incident_id: str, value: Any) -> Incident:
        if type(value) is not int:
            return value  # type: ignore[no-any-return]
        assert self.file is not None
        data = self.file.block([(incident_id, *self.span(value))])
        try:
            ((_, doc),) = orjson.loads(b"{" + data + b"}").items()
            record = Incident.from_dict(doc)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise FileChanged(incident_id) from None
        if record.id != incident_id:
            raise FileChanged(incident_id)
        dict.__setitem__(self, incident_id, record)
        return record

    def __getitem__(self, incident_id: str) -> Incident:
        value = dict.__getitem__(self, incident_id)
        return self._made(incident_id, value) if type(value) is int else value

    def get(self, incident_id: str, default: Any = None) -> Any:  # type: ignore[override]
        value = dict.get(self, incident_id)  # a record is never None
        return default if value is None else self._made(incident_id, value) if type(value) is int else value

    def pop(self, incident_id: str, default: Any = None) -> Any:  # type: ignore[override]
        value = self.get(incident_id, default)
        dict.pop(self, incident_id, None)
        return value

    # Not over a copy of the items: a change replaces the map (Tables.apply), and making a record replaces a
    # value, never adds a key, so iterating the map itself is safe; a scan that stops early (Engine's
    # "which incidents have such claims") then costs what it reads, not a copy of 100,000 items.
    def values(self) -> Iterator[Incident]:  # type: ignore[override]
        return (self._made(k, v) for k, v in dict.items(self))

    def items(self) -> Iterator[tuple[str, Incident]]:  # type: ignore[override]
        return ((k, self._made(k, v)) for k, v in dict.items(self))

    def copy(self) -> FileIncidents:
        # dict.update copies the entries as they are; built from items() it made a tuple of each, 25 ms at
        # 100,000 incidents holding the store's lock (every change to an incident copies the map).
        copied = FileIncidents((), self.file, self.at)
        dict.update(copied, self)
        return copied

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, dict):
            return NotImplemented
        return self.keys() == other.keys() and all(self[k] == other[k] for k in self)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def runs(self, keys: dict[str, str]) -> Iterator[tuple[str, bytes | Span]]:
        """(id, its line: as bytes, or where it is in `file`) for each incident in order, for `write_facts`:
        a record never read is copied from the file as it is."""
        dumps = orjson.dumps
        for incident_id, value in dict.items(self):
            yield incident_id, (self.span(value) if type(value) is int
                                else dumps(keys[incident_id]) + b":" + dumps(value))

    def refiled(self, file: FactFile, spans: dict[str, Span]) -> FileIncidents:
        """These incidents read from `file`, which a fold wrote from them (`spans`: where it put each): a
        record not read yet is read from the new file; a record made or changed since stays as it is.
        In C, a slice at a time: the fold runs beside the answering thread, and a pass in C over all
        100,000 incidents holds the interpreter lock throughout (up to 110 ms a pass, measured)."""
        at: Any = (array("q"), array("q"), array("q"))
        number: dict[str, int] = {}
        new_ids = list(spans)
        for start, end in _slices(len(new_ids)):
            part = new_ids[start:end]
            for column, values in zip(at, zip(*map(spans.__getitem__, part))):
                column.extend(values)
            number.update(zip(part, range(start, end)))
        ids, values = list(dict.keys(self)), list(dict.values(self))
        moved = FileIncidents((), file, at)
        for start, end in _slices(len(ids)):
            part, part_values = ids[start:end], values[start:end]
            unread = list(map(is_, map(type, part_values), repeat(int)))
            # In self's order (changes since the snapshot may have added some at the end); the records made
            # or changed stay as they are.
            dict.update(moved, zip(part, map(number.get, part, part_values)))
            dict.update(moved, compress(zip(part, part_values), map(not_, unread)))
            # none: every unread record was written. (Not `- number.keys()`: that walks all of `number`, each slice.)
            for incident_id in set(compress(part, unread)).difference(number):
                dict.__setitem__(moved, incident_id, self[incident_id])  # but if not, made from the file it is in
        return moved


SLICE = 2_500  # items a slice of refiled handles in C before handing over the interpreter lock


def _slices(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, SLICE):
        if start:
            time.sleep(0)  # let the answering thread run
        yield start, min(n, start + SLICE)


def drop_slowly(spans: dict[str, Span]) -> None:
    """Empty a map of spans a slice at a time. Freeing it whole is one pass in C, a tuple and three ints an
    incident, that holds the interpreter lock throughout: 157 ms at 100,000 incidents (the spans of the file
    a fold replaced), a stall for every chat."""
    ids = list(spans)
    for start, end in _slices(len(ids)):
        deque(map(spans.pop, ids[start:end]), maxlen=0)


@dataclass
class Saved:
    """What a fold saved about the file it wrote (see the module's docstring)."""
    small: bytes  # the file with its incident and fact tables left empty: the other tables, read at open
    keys: list[str]  # each incident's document key, in file order
    ids: list[str]
    at: tuple[array[int], array[int], array[int]]  # each incident line's offset, length and CRC
    facts: dict[str, Span]  # where each incident's fact lines are
    homes: FileHomes  # each fact's incident


def save(db: Path, file: tuple[int, int, int], incidents_at: int, facts_end: int, keys: list[str],
         incident_spans: dict[str, Span], fact_spans: dict[str, Span], home: Any) -> bool:
    """Save the spans of the file `db` (its inode, mtime and size: `file`) a fold just wrote. Not saved (and
    the next open reads the file) for facts of an incident the file does not hold, or fact keys that are
    not the store's numbers: neither happens unless the file was written by hand. A failure is a log line."""
    number = dict(zip(incident_spans, range(len(incident_spans))))
    homes = _packed_homes(home, number)
    if homes is None or not fact_spans.keys() <= number.keys():
        log.info("the spans of %s are not saved (facts of no incident, or keys not numbers)", db)
        return False
    try:
        with open(db, "rb") as f:
            head = f.read(incidents_at)
            f.seek(facts_end)
            tail = f.read()

        def packed(numbers: Any) -> str:  # an array, little-endian, in base64
            a = array("q", numbers)
            if SWAP:
                a.byteswap()
            return binascii.b2a_base64(a.tobytes(), newline=False).decode()

        body = orjson.dumps({
            "format": FORMAT, "file": list(file), "incidents_at": incidents_at, "facts_end": facts_end,
            "crc": [zlib.crc32(head), zlib.crc32(tail)], "keys": keys, "ids": list(incident_spans),
            "at": [packed(column) for column in _columns(incident_spans)],
            "facts": [packed(map(number.__getitem__, fact_spans)), *(packed(column) for column in _columns(fact_spans))],
            "homes": packed(homes)})
        write_atomically(spans_path(db), lambda f: f.write(body))
    except OSError as e:
        log.info("cannot save the spans of %s (%s); it is read whole at the next start", db, e)
        return False
    return True


def _columns(spans: dict[str, Span]) -> list[tuple[int, ...]]:
    """The spans' offsets, lengths and CRCs, a column each: three columns also when there are no spans (an
    empty database)."""
    return list(zip(*spans.values())) or [(), (), ()]


def load(db: Path, fd: int, file: tuple[int, int, int]) -> Saved | None:
    """The spans saved for the file open as `fd` (its inode, mtime and size: `file`), or None (logged)."""
    path = spans_path(db)
    try:
        data = orjson.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("file") != list(file):
            log.info("%s is for another file or format; reading %s whole", path, db)
            return None
        incidents_at, facts_end = int(data["incidents_at"]), int(data["facts_end"])
        head = _pread(fd, incidents_at, 0)
        tail = _pread(fd, file[2] - facts_end, facts_end)
        if [zlib.crc32(head), zlib.crc32(tail)] != data["crc"]:
            raise ValueError("the tables around the incidents are not as the fold wrote them")
        keys, ids = [str(k) for k in data["keys"]], [str(i) for i in data["ids"]]
        at = tuple(_unpacked(a) for a in data["at"])
        numbers, *fact_at = (_unpacked(a) for a in data["facts"])
        homes = _unpacked(data["homes"])
        if not len(keys) == len(ids) == len(at[0]) == len(at[1]) == len(at[2]) \
                or not len(numbers) == len(fact_at[0]) == len(fact_at[1]) == len(fact_at[2]):
            raise ValueError("lists of different lengths")
        if (numbers and not 0 <= min(numbers) <= max(numbers) < len(ids)) \
                or (homes and max(map(and_, homes, repeat(LOW))) >= len(ids)):
            raise ValueError("a number of no incident")
        facts = dict(zip(map(ids.__getitem__, numbers), zip(*fact_at)))
        return Saved(head + b'\n},"claims":{' + tail, keys, ids, at, facts,  # type: ignore[arg-type]
                     FileHomes(homes, ids))
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError, binascii.Error) as e:
        log.warning("cannot use %s (%s); reading %s whole", path, e, db)
        return None


def _pread(fd: int, length: int, offset: int) -> bytes:
    import os
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise ValueError("the file is shorter than its spans")
    return data


def _unpacked(text: str) -> array[int]:
    a = array("q")
    a.frombytes(binascii.a2b_base64(text, strict_mode=True))
    if SWAP:
        a.byteswap()
    return a


def _packed_homes(home: Any, number: dict[str, int]) -> array[int] | None:
    """Each fact's key and its incident's number in the new file, sorted (see FileHomes); None if a fact's
    incident is not in it or its key is not a number as the store counts them. In C (map, compress): a
    fold after an import has 400,000 facts' homes to pack at 100,000 incidents."""
    shift = FileHomes.SHIFT
    if isinstance(home, FileHomes):
        packed = home._packed
        if home._incidents == list(number):  # numbered as in the new file (read from spans, none added since)
            new = array("q", packed)
        else:
            renumber = array("q", (number.get(i, LOW) for i in home._incidents))
            new = array("q", map(or_, map(and_, packed, repeat(~LOW)), map(renumber.__getitem__, map(and_, packed, repeat(LOW)))))
        changed: Any = home._changed
        if changed:
            keys = _numbers(list(changed))
            if keys is None:
                return None
            gone = set(keys)  # changed since the file: their homes (or None, deleted) are in `changed`
            new = array("q", compress(new, map(not_, map(gone.__contains__, map(rshift, new, repeat(shift))))))
    else:
        new, changed = array("q"), home
    if changed:
        keys, incidents = _numbers(list(changed)), list(changed.values())
        if keys is None:
            return None
        live = list(map(is_not, incidents, repeat(None)))
        try:
            numbers = list(map(number.__getitem__, compress(incidents, live)))
        except KeyError:
            return None
        new.extend(map(or_, map(lshift, compress(keys, live), repeat(shift)), numbers))
    if LOW in set(map(and_, new, repeat(LOW))):
        return None
    return array("q", sorted(new))


def _numbers(keys: list[str]) -> list[int] | None:
    """The keys as numbers, if every one is a number as the store counts them (as FileHomes holds them)."""
    try:
        numbers = list(map(int, keys))
    except ValueError:
        return None
    if list(map(str, numbers)) != keys or (numbers and not 0 < min(numbers) <= max(numbers) < 1 << 31):
        return None
    return numbers
