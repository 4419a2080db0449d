"""The admin argument lexer: words, "quoted values" and key=value pairs, as phones type them.

Quotes are straight or typographic (“…” ‘…’ „…“, listed once in bot/text.py). A quote opens only at the
start of a word or right after `key=`, so apostrophes inside words (coalition's, coalition’s) are text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text import DOUBLE_QUOTES, SINGLE_QUOTES, strip_bidi

KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


class AdminError(ValueError):
    """Malformed admin input; the message is one line: what was wrong and what was expected."""


# -- argument parsing ------------------------------------------------------------------------------------
@dataclass
class Args:
    positional: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)  # lower-case key -> value, in the order given


def parse_args(text: str) -> Args:
    """Split command arguments into positional words and key=value options. Raises AdminError.
    Bidirectional-control characters are dropped first: no stored value may reorder an answer's text."""
    args = Args()
    for raw, quoted in _tokens(strip_bidi(text)):
        m = None if quoted == "whole" else KEY_RE.match(raw)
        if m:
            key, value = m.group(1).lower(), m.group(2)
            if key in args.options:
                raise AdminError(f"{key}= is given twice; give each key once")
            args.options[key] = value.strip()
        else:
            args.positional.append(raw.strip() if quoted else raw)
    return args


def _tokens(text: str) -> list[tuple[str, str | None]]:
    """(token, how it was quoted: None, "whole" for a quoted word, "value" for key="...")."""
    out: list[tuple[str, str | None]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        buf: list[str] = []
        quoted: str | None = None
        while i < n and not text[i].isspace():
            c = text[i]
            opens = c in DOUBLE_QUOTES or c in SINGLE_QUOTES
            # Only a quote can start a value, so only then look back at the word (else "x=x=x=..." is quadratic).
            if opens and quoted is None and (not buf or (buf[-1] == "=" and KEY_RE.match("".join(buf)))):
                j = _closing_quote(text, i)
                if j < 0:
                    start = "".join(buf)
                    shown = (start + text[i:])[:40]
                    raise AdminError(f"the quote opened at {shown!r} is never closed; "
                                     "close it with the same kind of quote, e.g. title=\"Al-Hari airstrike\"")
                buf.append(text[i + 1:j])
                quoted = "value" if buf[:-1] else "whole"
                i = j + 1
                continue
            buf.append(c)
            i += 1
        out.append(("".join(buf), quoted))
    return out


def _closing_quote(text: str, i: int) -> int:
    """Where the quote opened at text[i] closes, or -1.

    A closing quote is one of the same family (double or single, straight or typographic) followed by a
    space or the end of the line. When there are several, the first one after which the line ends or
    another key=, quote or option begins wins, so `quote="he said "no" twice"` keeps its inner quotes.
    """
    family = DOUBLE_QUOTES if text[i] in DOUBLE_QUOTES else SINGLE_QUOTES
    n = len(text)
    candidates = [j for j in range(i + 1, n) if text[j] in family and (j + 1 == n or text[j + 1].isspace())]
    for j in candidates:
        rest = text[j + 1:].lstrip()
        if not rest or rest[0] in DOUBLE_QUOTES or rest[0] in SINGLE_QUOTES or KEY_RE.match(rest.split(None, 1)[0]):
            return j
    return candidates[0] if candidates else -1
