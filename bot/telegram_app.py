"""The Telegram transport: a python-telegram-bot 22 Application around the shared Commands and Engine.

Public pieces:
- `build_application(settings, commands=None)` -> a ready Application (handlers, HTML defaults, rate
  limiter, error handler). Without `commands` it opens the database from `settings` and takes its write
  lock, so a second bot (or an admin console) on the same file is refused at once.
- `running(app, webhook=None)` async context manager: initialise (getMe), publish the command menus,
  start polling (or the webhook server), and on exit stop cleanly and release the database. Tests and
  the benchmark use it inside their own event loop; `run` uses it too, so there is one life cycle.
- `run(settings, args)` for `python main.py run`: polling by default, `--webhook-url` for webhook mode;
  SIGTERM/SIGINT stop it gracefully with exit code 0; a missing or rejected token, an unreachable API or
  a port in use is one line on stderr and exit code 2.

The transport never matches intents or reads the store: private messages and group messages addressed
to the bot go to Commands (slash commands) or Engine.answer; button presses go to Engine.act with the
callback data as it came. Replies are rendered from Rich by bot/telegram_render.py.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import re
import signal
import sys
import warnings
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, Application, CallbackQueryHandler, ContextTypes, Defaults, MessageHandler
from telegram.ext import filters

from bot import answers
from bot.commands import Caller, Commands
from bot.config import ConfigError, Settings
from bot.engine import Button, Reply
from bot.flood import FloodGate, Verdict
from bot.rich import Rich
from bot.store import StoreError
from bot.telegram_render import CAPTION_LIMIT, html_chunks, units

log = logging.getLogger("incident_bot.telegram")

APOLOGY = "Sorry, something went wrong while answering that. Please try again in a moment."
NOT_TEXT = "I can only read text. Ask me a question, for example “How many died in the Al-Hari airstrike?”"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit
MAX_BUTTON_LABEL = 60
RATE_LIMIT_RETRIES = 3
SEND_RETRY_DELAY = 0.5
CONCURRENT_UPDATES = 256  # updates accepted at once; most just wait for their chat's turn or a worker
WORKERS = 16  # turns being answered at once: enough to keep 30 msg/s flowing over a ~100 ms network, and
#               few enough that httpx's connection pool (whose bookkeeping grows with its size) stays cheap
BOT_KEY = "incident_bot"
KNOWN_COMMANDS = frozenset(c.lstrip("/") for c, _ in Commands.menu(is_admin=True))


def slow_down_text(limit: int, window: float) -> str:
    return (f"You are sending messages faster than I can answer (more than {limit} in {window:g} seconds). "
            "Please slow down; I will read your messages again in a few seconds.")


class _RateLimiter(AIORateLimiter):
    """PTB's limiter (30 messages/s overall, 20/min per group, retries on 429 retry_after), except that
    typing indicators go straight through: they are not messages, and queueing them behind the replies
    they announce would only make every answer later."""

    async def process_request(self, callback: Callable[..., Awaitable[Any]], args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any], rate_limit_args: int | None) -> Any:
        if endpoint == "sendChatAction":
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


@dataclass(frozen=True)
class Webhook:
    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.lstrip("/")


class TelegramBot:
    """The handlers and the little state the transport keeps: flood windows, per-chat turn locks, and
    which bot messages offer an incident choice (pressing one of those edits the question into the answer)."""

    CHOICE_MEMORY = 2048

    def __init__(self, commands: Commands, settings: Settings, owns_store: bool = False) -> None:
        self.commands = commands
        self.admins = frozenset(str(a) for a in settings.admins)
        self.flood = FloodGate(settings.flood_limit, settings.flood_window)
        self.slow_down = slow_down_text(settings.flood_limit, settings.flood_window)
        self.owns_store = owns_store
        self._turns: dict[int, list[Any]] = {}  # chat id -> [asyncio.Lock, users]
        self._workers = asyncio.Semaphore(WORKERS)
        self._choice_messages: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._answered: set[int] = set()  # update ids that already got a reply (no apology on top of it)
        self.replies = 0  # replies sent (a reply may take several messages); tests check one per update at most

    def register(self, app: Application) -> None:
        app.bot_data[BOT_KEY] = self
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self.on_message))
        app.add_error_handler(self.on_error)

    def close(self) -> None:
        if self.owns_store:
            self.commands.engine.store.close()

    # -- handlers ---------------------------------------------------------------------------------------
    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle_message(update, context)
        self._answered.discard(update.update_id)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle_button(update, context)
        self._answered.discard(update.update_id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if not isinstance(update, Update):
            log.error("error outside an update: %s", error, exc_info=error)
            return
        log.error("error while handling update %s: %s", update.update_id, error, exc_info=error)
        try:
            if update.callback_query is not None:
                await _quietly(update.callback_query.answer())
            chat = update.effective_chat
            if chat is not None and update.update_id not in self._answered:
                self.replies += 1
                await context.bot.send_message(chat.id, APOLOGY, parse_mode=None)
        except TelegramError as e:
            log.warning("could not tell chat about the error either: %s", e)
        finally:
            self._answered.discard(update.update_id)

    async def _handle_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None or (user.is_bot and message.sender_chat is None):
            return  # other bots (anonymous group admins post as a bot with sender_chat set: they count)
        chat = message.chat
        private = chat.type == ChatType.PRIVATE
        if message.text is None:
            if not private or not _user_content(message):
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
            elif question is None:
                reply = Reply(Rich().para(NOT_TEXT))
            else:
                await self._typing(context, chat.id)
                reply = self._answer(question, caller)
            await self._send(context, update.update_id, chat.id, reply,
                             reply_to=None if private else message.message_id)

    async def _handle_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query: CallbackQuery = update.callback_query
        user = query.from_user
        message = query.message  # None for inline-mode messages; maybe inaccessible when very old
        if message is None:
            await _quietly(query.answer(answers.stale_button().plain()))
            return
        chat_id = message.chat.id
        caller = Caller(str(user.id), str(chat_id), str(user.id) in self.admins, user.username)
        verdict = self._admit(caller)
        if verdict is Verdict.DROP:
            await _quietly(query.answer())
            return
        async with self._turn(chat_id):
            await _quietly(query.answer())  # stop the button's spinner whatever happens next
            if verdict is Verdict.WARN:
                await self._send(context, update.update_id, chat_id, Reply(Rich().para(self.slow_down)), None)
                return
            reply = self._act(query.data or "", caller)
            key = (chat_id, message.message_id)
            if key in self._choice_messages and reply.incident and isinstance(message, Message):
                self._choice_messages.pop(key, None)
                if await self._edit(context, update.update_id, message, reply):
                    return
            await self._send(context, update.update_id, chat_id, reply, reply_to=None)

    # -- deciding ---------------------------------------------------------------------------------------
    @staticmethod
    def _addressed(message: Message, username: str, bot_id: int) -> str | None:
        """In a group: the question if the message is meant for us (command, @mention, reply), else None."""
        text = message.text or ""
        if text.startswith("/"):
            name, _, target = text.split(maxsplit=1)[0][1:].partition("@")
            if target:
                return text if target.lower() == username.lower() else None
            # "/roll" with no @name may be for another bot in the group: ours only if we know it
            return text if name.lower() in KNOWN_COMMANDS else None
        mention = re.compile(rf"(?<!\w)@{re.escape(username)}(?!\w)", re.IGNORECASE)
        if mention.search(text):
            return mention.sub(" ", text).strip()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
            return text
        return None

    def _admit(self, caller: Caller) -> Verdict:
        """The flood verdict, decided on arrival (before any await, so in the order messages came)."""
        if caller.is_admin:
            return Verdict.ALLOW  # admins are configured by the operator and may paste a batch of commands
        verdict = self.flood.check(caller.user)
        if verdict is Verdict.WARN:
            log.info("flood limit: user %s told to slow down", caller.user)
        return verdict

    def _answer(self, question: str, caller: Caller) -> Reply:
        try:
            if question.startswith("/"):
                return self.commands.handle(question, caller)
            return self.commands.engine.answer(question, caller.chat)
        except StoreError as e:  # one line for the user, as on the console
            return Reply(Rich().para(str(e)))

    def _act(self, action: str, caller: Caller) -> Reply:
        try:
            return self.commands.engine.act(action, caller.chat)
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

    # -- sending ----------------------------------------------------------------------------------------
    async def _typing(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as e:  # cosmetic; never worth failing an answer for
            log.debug("typing indicator failed: %s", e)

    async def _send(self, context: ContextTypes.DEFAULT_TYPE, update_id: int, chat_id: int, reply: Reply,
                    reply_to: int | None, chunks: list[str] | None = None, counted: bool = True) -> None:
        bot = context.bot
        chunks = html_chunks(reply.body) if chunks is None else chunks
        markup = keyboard(reply.buttons, one_per_row=bool(reply.choices))
        caption = None
        if reply.document and len(chunks) == 1 and units(chunks[0]) <= CAPTION_LIMIT:
            caption = chunks.pop()
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        last_sent: Message | None = None
        if counted and (chunks or reply.document):
            self.replies += 1  # counted before it goes out, so whoever sees it on the wire sees the count
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            last_sent = await _with_retry(lambda: bot.send_message(
                chat_id, chunk, reply_markup=markup if last and not reply.document else None,
                reply_parameters=quote if n == 0 else None))
            self._answered.add(update_id)
        if reply.document:
            name, content = reply.document
            last_sent = await _with_retry(lambda: bot.send_document(
                chat_id, content, filename=name, caption=caption, reply_markup=markup,
                reply_parameters=quote if not chunks else None))
            self._answered.add(update_id)
        if reply.choices and last_sent is not None:
            self._remember_choice(chat_id, last_sent.message_id)
        if reply.location is not None:
            lat, lon = reply.location
            await _with_retry(lambda: bot.send_location(chat_id, latitude=lat, longitude=lon))

    async def _edit(self, context: ContextTypes.DEFAULT_TYPE, update_id: int, message: Message,
                    reply: Reply) -> bool:
        """Turn the "which incident?" message into the answer; False if Telegram will not let us."""
        chunks = html_chunks(reply.body)
        if not chunks or reply.document:
            return False
        markup = keyboard(reply.buttons, one_per_row=bool(reply.choices))
        self.replies += 1
        try:
            await _with_retry(lambda: context.bot.edit_message_text(
                chunks[0], chat_id=message.chat.id, message_id=message.message_id,
                reply_markup=markup if len(chunks) == 1 else None))
        except BadRequest as e:  # too old to edit, deleted, ...: answer with a new message instead
            log.info("could not edit message %s: %s", message.message_id, e)
            self.replies -= 1
            return False
        self._answered.add(update_id)
        rest = Reply(reply.body, reply.intent, reply.incident, reply.confidence, reply.choices,
                     reply.buttons if len(chunks) > 1 else [], reply.location)
        if len(chunks) > 1 or reply.location is not None:
            await self._send(context, update_id, message.chat.id, rest, reply_to=None, chunks=chunks[1:],
                             counted=False)
        return True

    def _remember_choice(self, chat_id: int, message_id: int) -> None:
        self._choice_messages[(chat_id, message_id)] = None
        while len(self._choice_messages) > self.CHOICE_MEMORY:
            self._choice_messages.popitem(last=False)


def keyboard(buttons: list[Button], one_per_row: bool = False) -> InlineKeyboardMarkup | None:
    """Inline keyboard for a reply's buttons; the callback data is the engine's action, untouched."""
    usable = []
    for b in buttons:
        if 0 < len(b.action.encode("utf-8")) <= MAX_CALLBACK_DATA and b.label.strip():
            label = b.label if len(b.label) <= MAX_BUTTON_LABEL else b.label[:MAX_BUTTON_LABEL - 1] + "…"
            usable.append(InlineKeyboardButton(label, callback_data=b.action))
        else:
            log.warning("button %r skipped: its action is empty or longer than %d bytes", b.label, MAX_CALLBACK_DATA)
    if not usable:
        return None
    per_row = 1 if one_per_row or any(len(b.text) > 24 for b in usable) else 2
    return InlineKeyboardMarkup([usable[i:i + per_row] for i in range(0, len(usable), per_row)])


def _user_content(message: Message) -> bool:
    """True for something a person sent (photo, sticker, voice, ...), False for service messages."""
    return bool(message.effective_attachment) or message.caption is not None


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except TelegramError as e:  # e.g. "query is too old": nothing useful to do about it
        log.debug("ignored: %s", e)


async def _with_retry(call: Callable[[], Awaitable[Any]]) -> Any:
    """One more try after a transient failure (a proxy's 502, a 429 the limiter did not absorb). Timeouts
    are not retried: the message may have been delivered, and a duplicate is worse than a gap."""
    try:
        return await call()
    except RetryAfter as e:
        with warnings.catch_warnings():  # PTB 22 deprecation note about the attribute's future type
            warnings.simplefilter("ignore")
            after = e.retry_after
        delay = after.total_seconds() if isinstance(after, dt.timedelta) else float(after)
        if delay > 30:
            raise
        await asyncio.sleep(delay + 0.1)
    except (BadRequest, TimedOut):
        raise
    except NetworkError as e:
        log.info("send failed (%s); retrying once", e)
        await asyncio.sleep(SEND_RETRY_DELAY)
    return await call()


# -- building and running -------------------------------------------------------------------------------
def file_base_url(base_url: str) -> str | None:
    """The file download URL that goes with a Bot API base URL: .../bot -> .../file/bot."""
    at = base_url.rfind("/bot")
    while at >= 0:
        rest = base_url[at + len("/bot"):]
        if rest in ("", "/") or rest.startswith("{token}"):
            return f"{base_url[:at]}/file/bot{rest}"
        at = base_url.rfind("/bot", 0, at)
    return None


def build_application(settings: Settings, commands: Commands | None = None) -> Application:
    """The Application for `settings`. Without `commands`, opens settings.db and takes its write lock."""
    if not settings.token or not settings.token.strip():
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and export it "
                          "(or put token: in the --config file)")
    owns_store = commands is None
    if commands is None:
        commands = _open_commands(settings)
    builder = (Application.builder().token(settings.token.strip())
               .defaults(Defaults(parse_mode=ParseMode.HTML))
               .concurrent_updates(CONCURRENT_UPDATES))  # many chats at once; one turn at a time per chat
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
        files = file_base_url(settings.base_url)
        if files:
            builder = builder.base_file_url(files)
    if settings.rate_limiter:
        builder = builder.rate_limiter(_RateLimiter(max_retries=RATE_LIMIT_RETRIES))
    try:
        app = builder.build()
    except InvalidToken:
        if owns_store:
            commands.engine.store.close()
        raise ConfigError("TELEGRAM_BOT_TOKEN is not a bot token; get one from @BotFather") from None
    TelegramBot(commands, settings, owns_store).register(app)
    return app


def _open_commands(settings: Settings) -> Commands:
    from bot.store import open_store
    store = open_store(settings.db, settings.seed)
    try:
        store.acquire_write_lock()  # one writer: refuse now, not at an admin's first edit
    except StoreError:
        store.close()
        raise
    commands = Commands.for_store(store)
    commands.engine.refresh_index()  # at start, not in the first user's question
    return commands


def bot_of(app: Application) -> TelegramBot:
    return app.bot_data[BOT_KEY]


async def publish_commands(app: Application) -> None:
    """Command menus: user commands for everyone, user + admin commands in each admin's private chat."""
    bot = bot_of(app)
    user_menu = [BotCommand(c.lstrip("/"), d[:256]) for c, d in Commands.menu(False)]
    admin_menu = [BotCommand(c.lstrip("/"), d[:256]) for c, d in Commands.menu(True)]
    try:
        await app.bot.set_my_commands(user_menu, scope=BotCommandScopeDefault())
    except TelegramError as e:
        log.warning("could not set the command menu: %s", e)
    for admin in sorted(bot.admins):
        try:
            chat_id = int(admin)
        except ValueError:
            log.warning("admin %r is not a numeric Telegram user id (see /whoami); no admin menu for it", admin)
            continue
        try:
            await app.bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(chat_id))
        except TelegramError as e:  # "chat not found": the admin has not talked to the bot yet
            log.warning("could not set the admin command menu for %s (%s); it appears after a restart "
                        "once they have started a chat with the bot", admin, e)


@asynccontextmanager
async def running(app: Application, webhook: Webhook | None = None,
                  poll_timeout: float = 10.0) -> AsyncIterator[Application]:
    """Run `app` (polling, or the webhook server) for the duration of the block, then stop it cleanly."""
    try:
        async with app:  # initialize (getMe: a bad token fails here) ... shutdown
            await publish_commands(app)
            assert app.updater is not None
            if webhook is not None:
                await app.updater.start_webhook(
                    listen=webhook.listen, port=webhook.port, url_path=webhook.path, webhook_url=webhook.url,
                    secret_token=webhook.secret_token, allowed_updates=ALLOWED_UPDATES)
            else:
                await app.updater.start_polling(timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES)
            await app.start()
            try:
                yield app
            finally:
                if app.updater.running:
                    await app.updater.stop()
                if app.running:
                    await app.stop()
    finally:
        bot_of(app).close()


def run(settings: Settings, args: argparse.Namespace) -> int:
    """`python main.py run`: serve until SIGTERM/SIGINT (exit 0); startup failures are ConfigError (exit 2)."""
    _configure_logging()
    # PTB 22 itself reads RetryAfter.retry_after and warns about its future type on every 429: noise here.
    warnings.filterwarnings("ignore", message=".*retry_after.*", category=DeprecationWarning)
    app = build_application(settings)  # missing token, locked or unreadable database: one line, exit 2
    webhook = None
    if getattr(args, "webhook_url", None):
        webhook = Webhook(args.webhook_url, args.listen, args.port, args.secret_token)
    where = settings.base_url or "https://api.telegram.org"
    try:
        asyncio.run(_serve(app, webhook))
    except InvalidToken:
        raise ConfigError(f"the Bot API server ({where}) rejected TELEGRAM_BOT_TOKEN; "
                          "check the token from @BotFather") from None
    except NetworkError as e:
        raise ConfigError(f"cannot reach the Bot API server ({where}): {e}") from None
    except TelegramError as e:
        raise ConfigError(f"the Bot API server ({where}) refused to start the bot: {e}") from None
    except OSError as e:
        raise ConfigError(f"cannot start: {e.strerror or e}") from None
    return 0


async def _serve(app: Application, webhook: Webhook | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(app, webhook):
        mode = f"webhook {webhook.url} (listening on {webhook.listen}:{webhook.port})" if webhook else "polling"
        log.info("@%s is answering (%s); SIGTERM or Ctrl-C stops it", app.bot.username, mode)
        await stop.wait()
        log.info("stopping")


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
