"""Which messages in a group are meant for the bot: one rule for every transport (Telegram and the console's
/ingroup), so what the console shows is what a Telegram group gets.

In a private chat every message is for the bot. In a group only a command that is ours (`/ask@thisbot …`,
or `/ask …` naming no bot when we know the command: `/roll` may be another bot's), a message that
mentions the bot (`@thisbot how many died?`, the mention removed), or a reply to one of the bot's messages.
"""
from __future__ import annotations

import re
from functools import lru_cache

from bot.commands import Commands, split_command

KNOWN_COMMANDS = frozenset(c.lstrip("/") for c, _ in Commands.menu(is_admin=True))


def addressed(text: str, bot_name: str, replied_to_bot: bool = False) -> str | None:
    """The question in a group message if it is meant for the bot named `bot_name`, else None."""
    if text.startswith("/"):
        name, target, _ = split_command(text)
        if target:
            return text if target.lower() == bot_name.lower() else None
        return text if name in KNOWN_COMMANDS else None
    mention = _mention(bot_name.lower())
    if mention.search(text):
        return mention.sub(" ", text).strip()
    return text if replied_to_bot else None


@lru_cache(maxsize=8)  # one bot name per process, compiled once rather than per group message
def _mention(bot_name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)@{re.escape(bot_name)}(?!\w)", re.IGNORECASE)
