"""Rich text -> Telegram HTML messages within Telegram's length limit; buttons -> an inline keyboard.

Every part of a Rich is escaped (bot/rich.py), so stored and user-supplied text can never inject markup.
Telegram caps a message at 4096 characters; we measure the HTML source in UTF-16 code units, which is
never less than what Telegram counts (the text after parsing the markup), so a chunk that fits here fits
there. A long reply is split between paragraphs; a single paragraph too long for one message is cut at
a space or line break where possible, and bold runs are closed and reopened around every cut, so no chunk
ever holds half a tag or half an entity.
"""
from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.actions import compact
from bot.replies import Button
from bot.rich import Bold, Part, Rich

log = logging.getLogger("incident_bot.telegram")

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit
MAX_BUTTON_LABEL = 60
_SEP = "\n\n"
_BOLD_COST = len("<b></b>")


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def html_chunks(body: Rich, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The reply as HTML messages of at most `limit` units each, split at paragraph boundaries first."""
    chunks: list[str] = []
    current = ""
    for para, rendered in zip(body.paragraphs, body.html_paragraphs()):
        if units(rendered) <= limit:
            pieces = [rendered]
        else:  # the first piece may fill what is left of the current message
            room = limit - units(current) - units(_SEP) if current else limit
            pieces = _split_paragraph(para, limit, room if room >= limit // 4 else limit)
        for piece in pieces:
            if not _visible(piece):
                continue
            if current and units(current) + units(_SEP) + units(piece) <= limit:
                current += _SEP + piece
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _visible(fragment: str) -> bool:
    return bool(html.unescape(fragment.replace("<b>", "").replace("</b>", "")).strip())


def _split_paragraph(parts: list[Part], limit: int, first: int) -> list[str]:
    """Cut one paragraph into HTML pieces: the first at most `first` units, the others `limit`."""
    chars: list[str] = []
    bold: list[bool] = []
    for part in parts:
        text, is_bold = (part.text, True) if isinstance(part, Bold) else (part, False)
        chars.extend(text)
        bold.extend([is_bold] * len(text))
    escaped = [html.escape(c, quote=False) for c in chars]
    cost = [units(e) for e in escaped]
    out: list[str] = []
    i, n = 0, len(chars)
    budget = first
    while i < n:
        used, j, last_space = 0, i, -1
        while j < n:
            extra = cost[j] + (_BOLD_COST if bold[j] and (j == i or not bold[j - 1]) else 0)
            if used + extra > budget:
                break
            used += extra
            if chars[j] in " \n":
                last_space = j
            j += 1
        if j == i:  # cannot happen for limit >= 8 (one escaped character in a bold run); be safe anyway
            j = i + 1
        elif j < n and last_space > i + (j - i) // 2:
            j = last_space + 1  # cut after a space or line break rather than inside a word
        out.append(_render(escaped, bold, i, j).strip())
        i, budget = j, limit
    return out


def _render(escaped: list[str], bold: list[bool], start: int, end: int) -> str:
    out: list[str] = []
    k = start
    while k < end:
        run_end = k
        while run_end < end and bold[run_end] == bold[k]:
            run_end += 1
        text = "".join(escaped[k:run_end])
        out.append(f"<b>{text}</b>" if bold[k] else text)
        k = run_end
    return "".join(out)


def keyboard(buttons: list[Button], one_per_row: bool = False) -> InlineKeyboardMarkup | None:
    """Inline keyboard for a reply's buttons. The callback data is the engine's action, with the incident id
    replaced by its digest when the action would not fit Telegram's 64 bytes (bot/actions.py)."""
    usable = []
    for b in buttons:
        data = compact(b.action, MAX_CALLBACK_DATA)
        if 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_DATA and b.label.strip():
            label = b.label if len(b.label) <= MAX_BUTTON_LABEL else b.label[:MAX_BUTTON_LABEL - 1] + "…"
            usable.append(InlineKeyboardButton(label, callback_data=data))
        else:
            log.warning("button %r skipped: its action is empty or longer than %d bytes", b.label, MAX_CALLBACK_DATA)
    if not usable:
        return None
    per_row = 1 if one_per_row or any(len(b.text) > 24 for b in usable) else 2
    return InlineKeyboardMarkup([usable[i:i + per_row] for i in range(0, len(usable), per_row)])
