"""The Telegram transport's life cycle: build the python-telegram-bot 22 Application, run it, stop it.

- `build_application(settings, commands=None)` -> a ready Application (handlers, HTML defaults, rate
  limiter, error handler). Without `commands` it opens the database from `settings` and takes its write
  lock, so a second bot (or an admin console) on the same file is refused at once.
- `running(app, webhook=None)` async context manager: initialise (getMe), publish the command menus,
  start polling (or the webhook server), and on exit stop cleanly and release the database; the stop
  waits at most STOP_GRACE for polling to wind down and for answers in progress, then drops them. Tests and
  the benchmark use it inside their own event loop; `run` uses it too, so there is one life cycle.
- `run(settings, args)` for `python main.py run`: polling by default, `--webhook-url` for webhook mode;
  SIGTERM/SIGINT stop it gracefully with exit code 0; a missing or rejected token, an unreachable API or
  a port in use is one line on stderr and exit code 2.

Handlers are in bot/telegram/handlers.py, sending in sending.py, HTML and keyboards in render.py.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, Defaults, InlineQueryHandler
from telegram.request import HTTPXRequest

from bot.commands import Commands
from bot.settings import ConfigError, Settings
from bot.store import StoreError
from bot.telegram.api import BotApi
from bot.telegram.handlers import TelegramBot, bot_of
from bot.telegram.inflight import within
from bot.telegram.inline import InlineAnswers
from bot.telegram.limiter import RateLimiter

log = logging.getLogger("incident_bot.telegram")

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
RATE_LIMIT_RETRIES = 3
STOP_GRACE = 2.0  # seconds a stop waits for polling to wind down, and then for answers in progress
CONCURRENT_UPDATES = 256  # updates accepted at once; most just wait for their chat's turn or a worker


@dataclass(frozen=True)
class Webhook:
    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.lstrip("/")


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
    urls = {}
    if settings.base_url:
        urls["base_url"] = settings.base_url
        files = file_base_url(settings.base_url)
        if files:
            urls["base_file_url"] = files
    try:
        # Our own ExtBot subclass (bot/telegram/api.py), with the request pools PTB's builder would make.
        api = BotApi(settings.token.strip(), defaults=Defaults(parse_mode=ParseMode.HTML),
                     request=HTTPXRequest(connection_pool_size=256),
                     get_updates_request=HTTPXRequest(connection_pool_size=1),
                     rate_limiter=RateLimiter(max_retries=RATE_LIMIT_RETRIES) if settings.rate_limiter else None,
                     **urls)
        app = (Application.builder().bot(api)
               .concurrent_updates(CONCURRENT_UPDATES)  # many chats at once; one turn at a time per chat
               .build())
    except InvalidToken:
        if owns_store:
            commands.engine.store.close()
        raise ConfigError("TELEGRAM_BOT_TOKEN is not a bot token; get one from @BotFather") from None
    TelegramBot(commands, settings, owns_store).register(app)
    app.add_handler(InlineQueryHandler(InlineAnswers(commands.engine).on_query))
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
                await app.updater.start_polling(timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES,
                                                error_callback=_polling_failed)
            await app.start()
            try:
                yield app
            finally:
                # Each step is bounded: with the API unreachable, PTB's Updater.stop waits out its polling
                # pause (up to 30 s) and then a last getUpdates, and answers in progress wait on their sends.
                await asyncio.gather(
                    within(STOP_GRACE, app.updater.stop(), "confirming the last updates to Telegram")
                    if app.updater.running else asyncio.sleep(0),
                    bot_of(app).in_flight.settle(STOP_GRACE))
                if app.running:
                    await app.stop()
    finally:
        bot_of(app).close()


def _polling_failed(error: TelegramError) -> None:
    """One line per failed poll; PTB's polling loop waits longer after each (1 s growing to 30 s)."""
    log.warning("polling for updates failed (%s); trying again after a pause", error)


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
    starting = asyncio.current_task()
    assert starting is not None

    def on_signal() -> None:
        stop.set()
        if not serving.is_set():  # still starting: each call to a hung API would wait out its timeout
            starting.cancel()

    serving = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        async with running(app, webhook):
            serving.set()
            mode = f"webhook {webhook.url} (listening on {webhook.listen}:{webhook.port})" if webhook else "polling"
            log.info("@%s is answering (%s); SIGTERM or Ctrl-C stops it", app.bot.username, mode)
            if not app.bot.supports_inline_queries:
                log.info("inline mode is off for @%s; /setinline at @BotFather turns it on", app.bot.username)
            await stop.wait()
            log.info("stopping")
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        log.info("stopped while starting")


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
