"""python-telegram-bot's AIORateLimiter (30 messages/s overall, 20/min per group, retries on 429), with
flood waits kept to the chat they are for.

PTB's limiter answers any 429 `retry_after` by pausing every request of the bot. Telegram also sends 429
for one chat that got too many messages (about one a second in a private chat, 20 a minute in a group):
with a `retry_after` of 35 for chat A, everyone else then waited 35 s or more (and up to ~140 s with the
retries). Here a 429 on a request for a chat makes only that chat wait: its later requests hold back
until the wait is over, while other chats go on. A 429 is taken as the whole bot's limit, and pauses all
requests as PTB does, when the request names no chat, or when a second chat gets one within
BOT_WIDE_WINDOW seconds of the first (the bot's overall limit hits every chat at once).
"""
from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger("incident_bot.telegram")

BOT_WIDE_WINDOW = 1.0  # seconds: 429s for two different chats this close together are the bot's limit
SLACK = 0.1  # seconds added to Telegram's retry_after, as PTB does


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22's note about the attribute's future type (timedelta)
        warnings.simplefilter("ignore")
        after = error.retry_after
    return after if isinstance(after, (int, float)) else after.total_seconds()


class RateLimiter(AIORateLimiter):
    """PTB's limiter with per-chat flood waits (see the module docstring). Typing indicators go straight
    through: they are not messages, and queueing them behind the replies they announce would only make
    every answer later; a chat that is waiting out a flood gets none."""

    def __init__(self, max_retries: int) -> None:
        super().__init__(max_retries=max_retries)
        self._chat_waits: dict[str, float] = {}  # chat -> monotonic time its flood wait ends
        self._last_flood: tuple[str, float] | None = None  # (chat, when) of the latest per-chat 429

    async def process_request(self, callback: Callable[..., Awaitable[Any]], args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any], rate_limit_args: int | None) -> Any:
        chat = data.get("chat_id")
        if endpoint == "sendChatAction":
            if chat is not None and self._chat_waits.get(str(chat), 0) > time.monotonic():
                return True
            return await callback(*args, **kwargs)
        if chat is None:  # getMe, setMyCommands, answerCallbackQuery, ...: PTB's own handling
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        key = str(chat)
        # PTB's throttling (30/s, 20/min per group) without its retry loop, whose `finally` lifts a
        # pause for everyone whenever any request ends; 429s are handled below instead.
        group = chat if isinstance(chat, str) or (isinstance(chat, int) and chat < 0) else False
        retries, attempt = rate_limit_args or self._max_retries, 0
        while True:
            await self._chat_turn(key)
            try:
                return await self._run_request(chat=True, group=group,
                                               allow_paid_broadcast=data.get("allow_paid_broadcast", False),
                                               callback=callback, args=args, kwargs=kwargs)
            except RetryAfter as e:
                if attempt == retries:
                    log.warning("chat %s: still flood-limited after %d retries", key, retries)
                    raise
                attempt += 1
                await self._flooded(key, retry_seconds(e) + SLACK)

    async def _chat_turn(self, chat: str) -> None:
        """Wait until the chat's flood wait (if any) is over."""
        while (left := self._chat_waits.get(chat, 0) - time.monotonic()) > 0:
            await asyncio.sleep(left)
        self._chat_waits.pop(chat, None)

    async def _flooded(self, chat: str, seconds: float) -> None:
        now = time.monotonic()
        previous, self._last_flood = self._last_flood, (chat, now)
        if previous is not None and previous[0] != chat and now - previous[1] <= BOT_WIDE_WINDOW:
            log.info("429 for several chats at once: pausing every request for %.1f s", seconds)
            self._retry_after_event.clear()  # PTB's own pause-everything switch
            try:
                await asyncio.sleep(seconds)
            finally:
                self._retry_after_event.set()
            return
        log.info("chat %s is flood-limited: only it waits %.1f s", chat, seconds)
        # forget waits that are over (for chats that have not sent since), so the table stays small
        self._chat_waits = {c: until for c, until in self._chat_waits.items() if until > now}
        self._chat_waits[chat] = max(self._chat_waits.get(chat, 0), now + seconds)
