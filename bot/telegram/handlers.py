"""Telegram update handlers: which messages are ours, flood admission, one turn at a time per chat, and
handing text to the shared Commands and Engine. Nothing here matches intents or reads the store.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Bot, CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, ContextTypes, MessageHandler,
                          TypeHandler, filters)

from bot import answers
from bot.addressing import addressed
from bot.answers import APOLOGY
from bot.commands import Caller, Commands
from bot.replies import Reply
from bot.rich import Rich
from bot.settings import Settings
from bot.store import StoreError
from bot.telegram.documents import article_reply
from bot.telegram.flood import FloodGate, Pacer, Verdict
from bot.telegram.inflight import InFlight, SeenUpdates
from bot.telegram.sending import Sender, maybe_delivered, quietly, with_retry

log = logging.getLogger("incident_bot.telegram")

NOT_TEXT = "I can only read text. Ask me a question, for example “How many died in the Al-Hari airstrike?”"
WORKERS = 8  # turns being answered at once: enough to keep Telegram's 30 msg/s flowing over a network of
#              up to ~250 ms per call. Each one in flight holds an HTTP connection, and httpcore checks
#              every idle connection against all the others on every request, so more only costs CPU.
BOT_KEY = "incident_bot"
TYPING_DELAY = 0.5  # seconds an answer may take before a typing indicator is worth its API call
ADMIN_BURST = 30  # admin commands run at full speed before the pacing starts: an article's facts pasted at once


def slow_down_text(limit: int, window: float) -> str:
    return (f"You are sending messages faster than I can answer (more than {limit} in {window:g} seconds). "
            "Please slow down; I will read your messages again in a few seconds.")


class TelegramBot:
    """The handlers and the little state the transport keeps: flood windows, per-chat turn locks, and what
    sending remembers (bot/telegram/sending.py)."""

    def __init__(self, commands: Commands, settings: Settings, owns_store: bool = False) -> None:
        self.commands = commands
        self.admins = frozenset(str(a) for a in settings.admins)
        self.flood = FloodGate(settings.flood_limit, settings.flood_window)
        self.admin_pace = Pacer(settings.admin_write_rate, ADMIN_BURST)
        self.slow_down = slow_down_text(settings.flood_limit, settings.flood_window)
        self.owns_store = owns_store
        self._turns: dict[int, list[Any]] = {}  # chat id -> [asyncio.Lock, users]
        self._workers = asyncio.Semaphore(WORKERS)
        self.sender = Sender()
        self.seen = SeenUpdates()
        self.in_flight = InFlight()
        self.typing_delay = TYPING_DELAY

    @property
    def replies(self) -> int:
        return self.sender.replies

    def register(self, app: Application) -> None:
        app.bot_data[BOT_KEY] = self
        app.add_handler(TypeHandler(Update, self.once), group=-1)
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self.on_message))
        app.add_error_handler(self.on_error)

    def close(self) -> None:
        if self.owns_store:
            self.commands.engine.close()  # the store, and the indexes saved for its folded file

    # -- handlers ---------------------------------------------------------------------------------------
    async def once(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every other handler: an update id seen before is not handled again."""
        if not self.seen.first(update.update_id):
            log.info("update %s arrived again; it was handled already", update.update_id)
            raise ApplicationHandlerStop

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with self.in_flight.track():
            await self._handle_message(update, context)
        self.sender.answered.discard(update.update_id)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with self.in_flight.track():
            await self._handle_button(update, context)
        self.sender.answered.discard(update.update_id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if not isinstance(update, Update):
            log.error("error outside an update: %s", error, exc_info=error)
            return
        log.error("error while handling update %s: %s", update.update_id, error, exc_info=error)
        try:
            with self.in_flight.track():
                if update.callback_query is not None:
                    await quietly(update.callback_query.answer())
                chat = update.effective_chat
                # A send that may have arrived (timed out, connection dropped): no apology under an answer.
                if chat is not None and update.update_id not in self.sender.answered and not maybe_delivered(error):
                    self.sender.replies += 1
                    await with_retry(lambda: context.bot.send_message(chat.id, APOLOGY, parse_mode=None))
        except TelegramError as e:
            log.warning("could not tell chat about the error either: %s", e)
        finally:
            self.sender.answered.discard(update.update_id)

    async def _handle_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None or (user.is_bot and message.sender_chat is None):
            return  # other bots (anonymous group admins post as a bot with sender_chat set: they count)
        chat = message.chat
        private = chat.type == ChatType.PRIVATE
        # a document is an article to ingest: sent in a private chat, or captioned /ingest in a group
        document = message.document if message.text is None and (
            private or (message.caption or "").startswith("/ingest")) else None
        if message.text is None:
            if document is None and (not private or not _user_content(message)):
                return  # service messages and non-text in groups are none of our business
            question: str | None = None
        else:
            question = message.text if private else self._addressed(message, context.bot.username, context.bot.id)
            if question is None:
                return
        caller = Caller(str(user.id), str(chat.id), str(user.id) in self.admins,
                        user.username or user.full_name or None)
        verdict = self._admit(caller)
        if verdict is Verdict.DROP:
            return
        async with self._turn(chat.id):
            if verdict is Verdict.WARN:
                reply = Reply(Rich().para(self.slow_down))
            elif document is not None:
                await self.sender.typing(context.bot, chat.id)
                reply = await article_reply(document, message.caption or "", caller, context.bot, self.commands)
            elif question is None:
                reply = Reply(Rich().para(NOT_TEXT))
            else:
                async with self._typing_if_slow(context.bot, chat.id):
                    reply = await self._answer(question, caller)
            await self.sender.send(context.bot, update.update_id, chat.id, reply,
                             reply_to=None if private else message.message_id)

    async def _handle_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query: CallbackQuery = update.callback_query
        user = query.from_user
        message = query.message  # None for inline-mode messages; maybe inaccessible when very old
        if message is None:
            await quietly(query.answer(answers.stale_button().plain()))
            return
        chat_id = message.chat.id
        caller = Caller(str(user.id), str(chat_id), str(user.id) in self.admins, user.username)
        verdict = self._admit(caller)
        if verdict is Verdict.DROP:
            await quietly(query.answer())
            return
        async with self._turn(chat_id):
            await quietly(query.answer())  # stop the button's spinner whatever happens next
            if verdict is Verdict.WARN:
                await self.sender.send(context.bot, update.update_id, chat_id, Reply(Rich().para(self.slow_down)), None)
                return
            reply = self._act(query.data or "", caller)
            if (reply.incident and isinstance(message, Message)
                    and self.sender.take_choice(chat_id, message.message_id)):
                if await self.sender.edit(context.bot, update.update_id, message, reply):
                    return
            await self.sender.send(context.bot, update.update_id, chat_id, reply, reply_to=None)

    # -- deciding ---------------------------------------------------------------------------------------
    @staticmethod
    def _addressed(message: Message, username: str, bot_id: int) -> str | None:
        """In a group: the question if the message is meant for us (bot/addressing.py), else None."""
        replied = message.reply_to_message
        to_us = replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
        return addressed(message.text or "", username, to_us)

    def _admit(self, caller: Caller) -> Verdict:
        """The flood verdict, decided on arrival (before any await, so in the order messages came)."""
        if caller.is_admin:
            return Verdict.ALLOW  # admins are configured by the operator and may paste a batch of commands
        verdict = self.flood.check(caller.user)
        if verdict is Verdict.WARN:
            log.info("flood limit: user %s told to slow down", caller.user)
        return verdict

    async def _answer(self, question: str, caller: Caller) -> Reply:
        try:
            if self.commands.slow(question):
                # Paced, so that an admin's script cannot take the interpreter from every other chat; in
                # the chat's turn, so the admin's next message still sees this change.
                if caller.is_admin and (wait := self.admin_pace.delay()):
                    await asyncio.sleep(wait)
                # Off the event loop, so no other chat waits for an admin's write; this chat's turn is held
                # until it is done. Answers meanwhile read the store's previous maps, swapped whole.
                reply = await asyncio.to_thread(self.commands.handle, question, caller)
                # The index catches up with the change here, on the loop between other chats' turns, rather
                # than in the next user's answer: with an admin writing nonstop, that was every answer.
                self.commands.engine.refresh_index()
                return reply
            if question.startswith("/"):
                return self.commands.handle(question, caller)
            return self.commands.engine.answer(question, caller.chat)
        except StoreError as e:  # one line for the user, as on the console
            return Reply(Rich().para(str(e)))

    @asynccontextmanager
    async def _typing_if_slow(self, bot: Bot, chat_id: int) -> AsyncIterator[None]:
        """Show "typing…" only when the answer is not ready within typing_delay. Questions are answered
        on the event loop in milliseconds, before the timer can fire, so they cost no extra API call;
        slow work (admin commands, in a thread) gets the indicator."""
        loop = asyncio.get_running_loop()
        started: list[asyncio.Task[None]] = []
        timer = loop.call_later(self.typing_delay,
                                lambda: started.append(loop.create_task(self.sender.typing(bot, chat_id))))
        try:
            yield
        finally:
            timer.cancel()
            for task in started:
                await task  # so the indicator never arrives after the reply it announces

    def _act(self, action: str, caller: Caller) -> Reply:
        try:
            return self.commands.act(action, caller)
        except StoreError as e:
            return Reply(Rich().para(str(e)))

    @asynccontextmanager
    async def _turn(self, chat_id: int) -> AsyncIterator[None]:
        """One update at a time per chat, in arrival order, so follow-ups see the context they follow;
        up to WORKERS chats at once. The worker is taken only once it is the chat's turn, so a busy
        chat's queue never holds workers that other chats could use."""
        entry = self._turns.get(chat_id)
        if entry is None:
            entry = self._turns[chat_id] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0], self._workers:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._turns[chat_id]


def bot_of(app: Application) -> TelegramBot:
    return app.bot_data[BOT_KEY]


def _user_content(message: Message) -> bool:
    """True for something a person sent (photo, sticker, voice, ...), False for service messages."""
    return bool(message.effective_attachment) or message.caption is not None
