"""Lists of integers in the saved incident indexes (understanding/indexes.py) as text: base64 of 32-bit
little-endian integers. A JSON list of integers parses into one int object per number, millions at 100,000
incidents, all alive at once; this parses into one string per list and unpacks in C."""
from __future__ import annotations

import binascii
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")

SWAP = sys.byteorder == "big"  # the file is little-endian


def pack(numbers: Iterable[int]) -> str:
    packed = array("i", numbers)
    if SWAP:
        packed.byteswap()
    return binascii.b2a_base64(packed.tobytes(), newline=False).decode("ascii")


def unpack(text: str) -> array[int]:
    """Raises ValueError (binascii.Error is one) or TypeError on text `pack` did not make. Called some
    hundred thousand times by a load at 100,000 incidents: binascii directly, not base64's wrappers."""
    numbers = array("i")
    numbers.frombytes(binascii.a2b_base64(text, strict_mode=True))
    if SWAP:
        numbers.byteswap()
    return numbers


def count(text: str) -> int:
    """How many numbers `text` packs, from its length: decoding it to count was a tenth of a question's time,
    and a fifth of loading the saved index (once for each of 50,000 description words)."""
    return (len(text) // 4 * 3 - text.count("=", -2)) // 4


def size(table: dict[Any, Any], key: Any) -> int:
    """How many items the list or set at `key` has (0 if none), without unpacking it if it is still packed:
    a question only reads lists short enough to be worth it, and need not unpack the long ones to know."""
    value = dict.get(table, key)
    if value is None:
        return 0
    return count(value) if type(value) is str else len(value)


class MadeOnRead(dict[K, V]):
    """A map whose values, as a saved index loaded them (of type RAW), become their records on first read and
    stay so. Reading goes through Python (`[]`, `get`, `pop`, `items`, `values`); `in` and `len` stay in C."""

    RAW: type = object

    def _made(self, raw: Any) -> V:
        raise NotImplementedError

    def __getitem__(self, key: K) -> V:
        value = dict.__getitem__(self, key)
        if type(value) is self.RAW:
            value = self._made(value)
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: K, default: Any = None) -> Any:  # type: ignore[override]
        return self[key] if key in self else default

    def pop(self, key: K, default: Any = None) -> Any:  # type: ignore[override]
        value = self.get(key, default)
        dict.pop(self, key, None)
        return value

    def items(self) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        return ((k, self[k]) for k in list(self.keys()))

    def values(self) -> Iterator[V]:  # type: ignore[override]
        return (self[k] for k in list(self.keys()))


class Unpacking(MadeOnRead[K, V]):
    """Values packed (str) until first read, then `make(numbers)`. A load at 100,000 incidents made 2.7 million
    set entries for the filter index alone (0.9 s), for keys most of which no question ever reads. A missing
    key starts as `empty()`, as in a defaultdict."""

    RAW = str

    def __init__(self, make: Callable[[array[int]], V], empty: Callable[[], V], items: Iterable[tuple[K, Any]] = ()) -> None:
        super().__init__(items)
        self._make, self._empty = make, empty

    def _made(self, raw: str) -> V:
        return self._make(unpack(raw))

    def __missing__(self, key: K) -> V:
        value = self._empty()
        dict.__setitem__(self, key, value)
        return value

    def packed(self, key: K, renumber: array[int], numbers: Callable[[V], Iterable[int]]) -> str:
        """The value at `key` packed for saving again: if still packed, its numbers mapped through `renumber`
        (old number -> new) in C, never made into objects (a save after a load would otherwise unpack
        everything, and the process keep that memory); else `numbers(value)`."""
        value = dict.__getitem__(self, key)
        if type(value) is str:
            return pack(map(renumber.__getitem__, unpack(value)))
        return pack(numbers(value))


class Deferred(MadeOnRead[K, V]):
    """Values loaded as rows (of type `raw`: a list, or a row number in lists kept elsewhere) until first read,
    then `make(row)`: a record per incident made at load was 0.4 s at 100,000 incidents, for records only an
    update reads."""

    RAW = list

    def __init__(self, make: Callable[[Any], V], items: Iterable[tuple[K, Any]] = (), raw: type = list) -> None:
        super().__init__(items)
        self._make, self.RAW = make, raw

    def _made(self, raw: Any) -> V:
        return self._make(raw)
