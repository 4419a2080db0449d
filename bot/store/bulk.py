"""Building many long-lived objects at once (opening a big database, indexing it) without the cyclic GC.

CPython's collector runs a full collection whenever enough objects have survived the younger ones, and a
full collection walks every tracked object. While a database of 100,000 incidents is parsed into some ten
million dicts, lists and records, that happens again and again, finds nothing to free (these objects hold
no reference cycles) and makes loading grow faster than the data: it was half the start-up time at that
size. So the collector pauses while we build, and what was built is then frozen (gc.freeze) so that later
collections skip it too: the first collection after a build would otherwise walk all ten million objects
(a one-second pause on some user's question). Frozen records are still freed by reference counting when a
reload replaces them, as they hold no cycles.

The cost: an object that is part of a reference cycle, alive at a freeze and dropped later, is never
collected. A collection just before each build keeps that to what was alive then (a request in flight),
a few kilobytes per database change.

A fold (bot/store/store.py) is built the same way: it copies whole maps into its snapshot and makes new
ones for the file it writes (hundreds of thousands of entries at 100,000 incidents), alive for seconds
beside the answering thread and long-lived after. Every collection meanwhile walked them: with an admin
writing nonstop, collections took up to 119 ms of CPU each (a full one), holding the interpreter lock
against every chat; and full collections walked what questions had made since the start (index lists
unpacked, records and facts read on demand), never frozen. Under a build, a fold runs without those
collections and freezes what is alive at its end. What the answering thread made meanwhile is frozen with
it, reference cycles included: none were found (a young collection at the end of each fold, in a run with
an admin writing nonstop, collected nothing, and took 80 ms).

Young collections, after a build, run every 5,000 net allocations rather than CPython's 700: at 700, one ran
about every 20 questions, in the middle of one, and walked what that question had made so far (sets and lists
of thousands of incidents, alive until its reply): 1 to 4 ms on that question's answer, twelve times in 720
questions at 10,000 incidents. At 5,000, one or two ran in 720 questions (4 to 5 ms each), as most of what
questions make is freed by then. Cycles wait a little longer to be freed: a few thousand objects at most.

After a build, what it freed (the file's parsed batches, a saved index's text) is handed back to the OS:
glibc keeps freed memory in its heaps for reuse, 40 MB and more after a start at 100,000 incidents that no
later question reuses.
"""
from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

YOUNG_THRESHOLD = 5000  # net allocations between young collections, after a build (see above)


@contextmanager
def bulk_build() -> Iterator[None]:
    """Pause the cyclic GC for a bulk build; nests (only the outermost one acts). Also a decorator."""
    outermost = gc.isenabled()
    if outermost:
        gc.collect()  # cheap: earlier builds are frozen; and no garbage of today gets frozen with the build
        gc.disable()
    try:
        yield
    finally:
        if outermost:
            gc.freeze()
            gc.set_threshold(max(YOUNG_THRESHOLD, gc.get_threshold()[0]), *gc.get_threshold()[1:])
            gc.enable()
            if trim := _malloc_trim():
                trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim (Linux): None where the C library has none (macOS, musl), where freed memory is
    left as the allocator keeps it."""
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:
        return None
