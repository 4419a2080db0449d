"""What the transport remembers about updates in progress: which update ids it has taken (Telegram may
deliver one twice, and an admin's /addfact must not apply twice), and which handler tasks are running, so
a stop can wait for them a little and then give up on them rather than on the process's exit.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("incident_bot.telegram")

UPDATE_MEMORY = 10_000  # update ids remembered; a redelivery comes within seconds, not 10,000 updates later


class SeenUpdates:
    def __init__(self, memory: int = UPDATE_MEMORY) -> None:
        self._memory = memory
        self._seen: OrderedDict[int, None] = OrderedDict()

    def first(self, update_id: int) -> bool:
        """True the first time an update id is seen, False for a repeat."""
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        while len(self._seen) > self._memory:
            self._seen.popitem(last=False)
        return True


class InFlight:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    @contextmanager
    def track(self) -> Iterator[None]:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    async def settle(self, grace: float) -> None:
        """Let running handlers finish for up to `grace` seconds, then cancel the rest (sends stuck on an
        unreachable API, long flood waits), so stopping takes seconds, not minutes."""
        if self._tasks:
            _, stuck = await asyncio.wait(set(self._tasks), timeout=grace)
            if stuck:
                log.warning("stopping: %d update(s) still being answered after %.0f s are dropped", len(stuck), grace)
                await cancel(stuck)


async def within(seconds: float, work: Awaitable[Any], what: str) -> None:
    """Run `work` for at most `seconds`, then cancel it."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        log.warning("%s took longer than %.0f s; given up", what, seconds)
        await cancel({task})
    elif not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]


async def cancel(tasks: set[asyncio.Task[Any]]) -> None:
    # Some library code swallows one cancellation while it awaits a task of its own (PTB's Updater.stop
    # awaiting its polling task), so cancel until each task is really done.
    while tasks:
        for task in tasks:
            task.cancel()
        _, tasks = await asyncio.wait(tasks, timeout=0.5)
