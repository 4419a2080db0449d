"""python-telegram-bot's ExtBot, with getUpdates that survives updates the library cannot parse.

PTB parses a whole getUpdates batch at once; one update it cannot read (poll options without
`persistent_id` from an older self-hosted Bot API server, a poll without `allows_revoting`,
`"date": "yesterday"`) makes it log "Received data was *not* processed!", keep the old offset and poll
again at once, forever: nobody is answered again and the log grows by gigabytes. Here each update is
parsed on its own; one that fails is logged once with its update_id and handed on as a bare
`Update(update_id)` that no handler takes, so the Updater still moves the offset past it. A response that
is not a list of updates at all becomes a NetworkError, which PTB's polling loop retries with a growing
pause (1 s up to 30 s) instead of at once.

`send_html` sends a reply and gives back only the new message's id (see there).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import NetworkError
from telegram.ext import ExtBot
from telegram.request import BaseRequest

log = logging.getLogger("incident_bot.telegram")


class BotApi(ExtBot):
    async def get_updates(self, offset: int | None = None, limit: int | None = None,
                          timeout: int | dt.timedelta | None = None, allowed_updates: Sequence[str] | None = None,
                          *, read_timeout: Any = BaseRequest.DEFAULT_NONE,
                          write_timeout: Any = BaseRequest.DEFAULT_NONE,
                          connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                          pool_timeout: Any = BaseRequest.DEFAULT_NONE,
                          api_kwargs: dict[str, Any] | None = None) -> tuple[Update, ...]:
        seconds = timeout.total_seconds() if isinstance(timeout, dt.timedelta) else (timeout or 0)
        # As PTB does: the long poll's length plus the usual read timeout (request 0 is getUpdates' own).
        base = self._request[0].read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        read_timeout = (base or 0) + seconds
        raw = await self._post("getUpdates", {"timeout": timeout, "offset": offset, "limit": limit,
                                              "allowed_updates": allowed_updates},
                               read_timeout=read_timeout, write_timeout=write_timeout,
                               connect_timeout=connect_timeout, pool_timeout=pool_timeout, api_kwargs=api_kwargs)
        if not isinstance(raw, list):
            raise NetworkError(f"getUpdates answered {type(raw).__name__}, not a list of updates")
        updates = []
        for data in raw:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not isinstance(update_id, int):
                raise NetworkError(f"getUpdates answered an update without an update_id: {str(data)[:200]}")
            try:
                update = Update.de_json(data, self)
            except Exception as e:  # noqa: BLE001 - any parse failure: whatever PTB raises for unexpected data
                log.warning("skipped update %s: python-telegram-bot cannot read it (%s: %s); data: %.300s",
                            update_id, type(e).__name__, e, data)
                update = Update(update_id)
            self.insert_callback_data(update)
            updates.append(update)
        return tuple(updates)

    async def send_html(self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None,
                        reply_parameters: ReplyParameters | None = None) -> int:
        """sendMessage as send_message sends it (through the same rate limiter), returning just the new
        message's id: send_message makes a whole Message, keyboard and all, of every answer, for the one
        number a reply needs kept: 8% of the bot's busy time in a burst (py-spy)."""
        sent = await self._post("sendMessage", {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML,
                                                "reply_markup": reply_markup, "reply_parameters": reply_parameters})
        return sent["message_id"]
