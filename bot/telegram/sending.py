"""Sending replies to Telegram: HTML chunks with their keyboard, documents, map pins, typing indicators, and
turning a "which incident?" message into its answer. Transient failures are retried once (see with_retry).
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from telegram import Bot, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.replies import Reply
from bot.telegram.api import BotApi
from bot.telegram.limiter import retry_seconds
from bot.telegram.render import CAPTION_LIMIT, html_chunks, keyboard, units

log = logging.getLogger("incident_bot.telegram")

SEND_RETRY_DELAY = 0.5


class Sender:
    """Sends replies, and keeps what sending needs to remember: how many replies went out, which updates
    were answered already (no apology on top of an answer), and which messages offer an incident choice."""

    CHOICE_MEMORY = 2048

    def __init__(self) -> None:
        self.replies = 0  # replies sent (a reply may take several messages); tests check one per update at most
        self.answered: set[int] = set()  # update ids that already got a reply
        self._choice_messages: OrderedDict[tuple[int, int], None] = OrderedDict()

    def take_choice(self, chat_id: int, message_id: int) -> bool:
        """Whether this message offered an incident choice (forgotten once taken: it is answered now)."""
        return self._choice_messages.pop((chat_id, message_id), False) is None

    async def typing(self, bot: Bot, chat_id: int) -> None:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as e:  # cosmetic; never worth failing an answer for
            log.debug("typing indicator failed: %s", e)

    async def send(self, bot: BotApi, update_id: int, chat_id: int, reply: Reply,
                    reply_to: int | None, chunks: list[str] | None = None, counted: bool = True) -> None:
        chunks = html_chunks(reply.body) if chunks is None else chunks
        markup = keyboard(reply.buttons, one_per_row=bool(reply.choices))
        caption = None
        if reply.document and len(chunks) == 1 and units(chunks[0]) <= CAPTION_LIMIT:
            caption = chunks.pop()
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        last_sent: int | None = None  # the id of the reply's last message
        if counted and (chunks or reply.document):
            self.replies += 1  # counted before it goes out, so whoever sees it on the wire sees the count
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            last_sent = await with_retry(lambda: bot.send_html(
                chat_id, chunk, markup if last and not reply.document else None, quote if n == 0 else None))
            self.answered.add(update_id)
        if reply.document:
            name, content = reply.document
            last_sent = (await with_retry(lambda: bot.send_document(
                chat_id, content, filename=name, caption=caption, reply_markup=markup,
                reply_parameters=quote if not chunks else None))).message_id
            self.answered.add(update_id)
        if reply.choices and last_sent is not None:
            self._remember_choice(chat_id, last_sent)
        if reply.location is not None:
            lat, lon = reply.location
            await with_retry(lambda: bot.send_location(chat_id, latitude=lat, longitude=lon))

    async def edit(self, bot: Bot, update_id: int, message: Message,
                    reply: Reply) -> bool:
        """Turn the "which incident?" message into the answer; False if Telegram will not let us."""
        chunks = html_chunks(reply.body)
        if not chunks or reply.document:
            return False
        markup = keyboard(reply.buttons, one_per_row=bool(reply.choices))
        self.replies += 1
        try:
            await with_retry(lambda: bot.edit_message_text(
                chunks[0], chat_id=message.chat.id, message_id=message.message_id,
                reply_markup=markup if len(chunks) == 1 else None))
        except BadRequest as e:  # too old to edit, deleted, ...: answer with a new message instead
            log.info("could not edit message %s: %s", message.message_id, e)
            self.replies -= 1
            return False
        self.answered.add(update_id)
        rest = Reply(reply.body, reply.intent, reply.incident, reply.confidence, reply.choices,
                     reply.buttons if len(chunks) > 1 else [], reply.location)
        if len(chunks) > 1 or reply.location is not None:
            await self.send(bot, update_id, message.chat.id, rest, reply_to=None, chunks=chunks[1:],
                             counted=False)
        return True

    def _remember_choice(self, chat_id: int, message_id: int) -> None:
        self._choice_messages[(chat_id, message_id)] = None
        while len(self._choice_messages) > self.CHOICE_MEMORY:
            self._choice_messages.popitem(last=False)


async def quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except TelegramError as e:  # e.g. "query is too old": nothing useful to do about it
        log.debug("ignored: %s", e)


def maybe_delivered(error: BaseException) -> bool:
    """Whether a failed call may have been carried out all the same: the request went out, and then the
    answer timed out or the connection dropped. Neither retried nor apologised for: a duplicate, or a
    "sorry" under a delivered answer, is worse than a gap."""
    cause = error.__cause__
    if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return False  # never reached Telegram
    return isinstance(error, TimedOut) or isinstance(cause, (httpx.ReadError, httpx.RemoteProtocolError))


async def with_retry(call: Callable[[], Awaitable[Any]]) -> Any:
    """One more try after a transient failure that certainly did not deliver (a proxy's 502, a refused
    connection, a 429 the limiter did not absorb)."""
    try:
        return await call()
    except RetryAfter as e:
        delay = retry_seconds(e)
        if delay > 30:
            raise
        await asyncio.sleep(delay + 0.1)
    except BadRequest:
        raise
    except NetworkError as e:
        if maybe_delivered(e):
            raise
        log.info("send failed (%s); retrying once", e)
        await asyncio.sleep(SEND_RETRY_DELAY)
    return await call()
