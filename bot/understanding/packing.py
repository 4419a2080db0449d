"""Lists of integers in the saved incident indexes (understanding/indexes.py) as text: base64 of 32-bit
little-endian integers. A JSON list of integers parses into one int object per number, millions at 100,000
incidents, all alive at once; this parses into one string per list and unpacks in C."""
from __future__ import annotations

import binascii
import sys
from array import array
from collections.abc import Iterable

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
