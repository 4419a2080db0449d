"""Documents sent to the bot: an admin's article (.txt or .html) to review with /ingest.

A non-admin's file is refused before anything is downloaded, and so is a file over the article size
limit (Telegram announces the size); the download, reading and extraction run off the event loop.
"""
from __future__ import annotations

import asyncio
import re

from telegram import Bot, Document
from telegram.error import TelegramError

from bot.commands import Caller, Commands
from bot.ingest.reader import MAX_BYTES
from bot.replies import Reply
from bot.rich import Rich


async def article_reply(document: Document, caption: str, caller: Caller, bot: Bot, commands: Commands) -> Reply:
    name = document.file_name or "the file"
    if not caller.is_admin:
        return commands.document(b"", name, caller)  # the refusal, without downloading anything
    if document.file_size and document.file_size > MAX_BYTES:
        return _line(f"/ingest: {name} is {document.file_size / 1e6:.1f} MB; an article is at most "
                     f"{MAX_BYTES / 1e6:.1f} MB — nothing was changed.")
    try:
        file = await bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as e:
        return _line(f"/ingest: could not download {name} ({e.message}) — nothing was changed.")
    caption = re.sub(r"^/ingest(?:@\w+)?\s*", "", caption.strip())  # what follows /ingest may be the dateline
    return await asyncio.to_thread(commands.document, data, name, caller, caption)


def _line(text: str) -> Reply:
    return Reply(Rich().para(text))
