"""Per-user flood limit for chat transports: at most `limit` messages in any `window` seconds; and the pace
of admins' writes (Pacer, at the end).

Past the limit a user's next message gets one WARN (the transport says "slow down" once); every message
after that is DROPped, silently, until enough of the user's accepted messages have left the window.
Dropped messages do not count, so a user who keeps typing is heard again `window` seconds after the
burst, not never. Other users have their own windows and are never affected.
"""
from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first message over the limit: tell the user once
    DROP = "drop"  # further messages over the limit: ignore


@dataclass
class _Window:
    times: deque[float] = field(default_factory=deque)
    warned: bool = False


class FloodGate:
    """Sliding-window counter per user. A limit of 0 (or less) turns the gate off."""

    PRUNE_EVERY = 1024  # checks between sweeps of idle users, so memory follows active users only

    def __init__(self, limit: int = 20, window: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._users: dict[Hashable, _Window] = {}
        self._checks = 0

    def check(self, user: Hashable) -> Verdict:
        if self.limit <= 0 or self.window <= 0:
            return Verdict.ALLOW
        now = self.clock()
        self._checks += 1
        if self._checks % self.PRUNE_EVERY == 0:
            self._prune(now)
        w = self._users.get(user)
        if w is None:
            w = self._users[user] = _Window()
        while w.times and w.times[0] <= now - self.window:
            w.times.popleft()
        if len(w.times) < self.limit:
            w.times.append(now)
            w.warned = False
            return Verdict.ALLOW
        if not w.warned:
            w.warned = True
            return Verdict.WARN
        return Verdict.DROP

    def _prune(self, now: float) -> None:
        idle = [u for u, w in self._users.items() if not w.times or w.times[-1] <= now - self.window]
        for u in idle:
            del self._users[u]


class Pacer:
    """Spaces work out to `rate` a second once a burst of `burst` is spent (a token bucket): never refuses,
    only delays. A rate of 0 (or less) turns it off.

    Admins are exempt from the flood limit, so a script of an admin's could otherwise write as fast as the
    bot answers it (over 100 writes a second at 100,000 incidents), and the bot's one interpreter would spend
    nearly all its time on those updates while other chats wait (bench/telegram_burst.py --admin-writes).
    Paced, a person (or an article's worth of facts pasted at once) is never delayed."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def delay(self) -> float:
        """Seconds to wait before the next piece of work, whose turn this takes. The tokens may go below
        zero: work asked for while others wait is spaced after theirs."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate) - 1
        self._at = now
        return max(0.0, -self._tokens / self.rate)
