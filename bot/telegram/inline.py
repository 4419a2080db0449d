"""Inline mode: `@yourbot how many died in al hari` typed in any chat offers the answer as a result to send
there. Inline mode is switched on at @BotFather (/setinline); until then Telegram sends no inline queries.

Each query is answered by the same engine as messages, without any chat's memory (Engine.answer_alone):
one result per answer, and for a question that fits several incidents one per incident. A result has the
incident's title, a one-line description, the full attributed answer as the message it sends (HTML), and a
button that opens a chat with the bot.
"""
from __future__ import annotations

import logging

from telegram import (InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle, InputTextMessageContent,
                      Update)
from telegram.constants import InlineQueryLimit, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.engine import Engine
from bot.replies import Reply
from bot.telegram.render import html_chunks
from bot.text import clip

log = logging.getLogger("incident_bot.telegram")

CACHE_SECONDS = 10  # Telegram may reuse an answer this long; short, so an admin's correction shows soon
TITLE_CHARS = 64
DESCRIPTION_CHARS = 120  # the first paragraph, cut: Telegram shows about two lines of it
BACK_LABEL = "Ask me more"


class InlineAnswers:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None:
            return
        if not query.query.strip():  # the user has typed only "@yourbot " so far
            await self._answer(query.answer([], cache_time=CACHE_SECONDS))
            return
        back = InlineKeyboardMarkup([[InlineKeyboardButton(BACK_LABEL, url=f"https://t.me/{context.bot.username}")]])
        pairs = self.engine.answer_alone(query.query)[:InlineQueryLimit.RESULTS]
        results = [r for n, (title, reply) in enumerate(pairs) if (r := _article(str(n), title, reply, back))]
        await self._answer(query.answer(results, cache_time=CACHE_SECONDS))

    @staticmethod
    async def _answer(call: object) -> None:
        try:
            await call  # type: ignore[misc]
        except BadRequest as e:  # "query is too old": the user typed on; a newer query is coming
            log.info("inline answer not taken: %s", e)


def _article(result_id: str, title: str, reply: Reply, back: InlineKeyboardMarkup) -> InlineQueryResultArticle | None:
    chunks = html_chunks(reply.body)
    if not chunks:
        return None
    # A message sent from an inline result is one message: an answer longer than that keeps its first part.
    return InlineQueryResultArticle(
        result_id, clip(title, TITLE_CHARS),
        InputTextMessageContent(chunks[0], parse_mode=ParseMode.HTML),
        reply_markup=back, description=clip(" ".join(reply.text.split("\n\n", 1)[0].split()), DESCRIPTION_CHARS))
