"""Shared helpers for the Telegram tests: the real Application, polling the fake Bot API server.

``LiveBot`` runs ``bot.telegram.app.running(...)`` (the same life cycle as ``python main.py run``) in
an event loop on a background thread, so a plain synchronous test can push updates into the fake server
and wait for what the bot sends back. Nothing in python-telegram-bot or in our handlers is mocked.
"""
from __future__ import annotations

import asyncio
import html.parser
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fake_bot_api import FakeBotApi
from telegram.ext import Application

from bot.settings import SEED_FILE, Settings
from bot.telegram.app import Webhook, build_application, running

TELEGRAM_LIMIT = 4096
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "tg-spoiler", "span", "blockquote", "tg-emoji"}


def make_settings(api: FakeBotApi, db: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(db=db, seed=SEED_FILE, token=api.token, base_url=api.base_url)
    values.update(overrides)
    return Settings(**values)


class ErrorLog(logging.Handler):
    """Collects ERROR records from our transport (a handler exception is logged there)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class LiveBot:
    def __init__(self, app: Application, webhook: Webhook | None = None) -> None:
        self.app = app
        self.webhook = webhook
        self.errors = ErrorLog()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="LiveBot", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as e:  # surfaced in __enter__/__exit__
            self._failure = e
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running(self.app, self.webhook, poll_timeout=1):
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> LiveBot:
        logging.getLogger("incident_bot.telegram").addHandler(self.errors)
        self._thread.start()
        self._ready.wait(20)
        if self._failure is not None:
            raise self._failure
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._loop is not None and self._stop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(20)
            assert not self._thread.is_alive(), "the bot did not stop within 20 s"
            if self._failure is not None and exc[0] is None:
                raise self._failure
        finally:
            logging.getLogger("incident_bot.telegram").removeHandler(self.errors)


@contextmanager
def live_bot(api: FakeBotApi, db: Path, webhook: Webhook | None = None, **overrides: Any) -> Iterator[LiveBot]:
    with LiveBot(build_application(make_settings(api, db, **overrides)), webhook) as live:
        yield live


class _TelegramHTML(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"unsupported tag <{tag}>")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append(f"raw angle bracket in {data[:40]!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problems.append(f"unsupported entity &{name};")
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(name, ""))

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))


def check_telegram_html(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Assert `text` is HTML Telegram accepts (known tags, balanced, escaped, within the length limit);
    returns the visible text."""
    assert len(text.encode("utf-16-le")) // 2 <= limit, f"message of {len(text)} characters"
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    # A bare '&' not forming an entity is passed through as data by HTMLParser; Telegram rejects it.
    stripped = text
    for entity in ("&lt;", "&gt;", "&amp;", "&quot;"):
        stripped = stripped.replace(entity, "")
    if "&" in stripped:
        parser.problems.append("unescaped '&'")
    assert not parser.stack, f"unclosed tags {parser.stack} in {text[:200]!r}"
    assert not parser.problems, f"{parser.problems} in {text[:200]!r}"
    return "".join(parser.text)
