"""The admin argument lexer: words, "quoted values" and key=value pairs, as phones type them.

Quotes are straight or typographic (“…” ‘…’ „…“, listed once in bot/text.py). A quote opens only at the
start of a word or right after `key=`, so apostrophes inside words (coalition's, coalition’s) are text.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from bot.text import DOUBLE_QUOTES, SINGLE_QUOTES, strip_bidi

KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_NEXT_TOKEN = re.compile(r"\s*(\S*)")  # the next word after a position


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
    closers: _Closers | None = None  # worked out once, on the first quote
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
                closers = closers or _Closers(text)
                j = closers.after(i)
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


class _Closers:
    """Where a quote opened at text[i] closes, or -1.

    A closing quote is one of the same family (double or single, straight or typographic) followed by a
    space or the end of the line. When there are several, the first one after which the line ends or
    another key=, quote or option begins wins, so `quote="he said "no" twice"` keeps its inner quotes.
    Every candidate is judged once per message: looking ahead from each opening quote made a message of
    thousands of quotes take minutes.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.candidates: dict[str, list[int]] = {DOUBLE_QUOTES: [], SINGLE_QUOTES: []}
        self.good: dict[str, list[int]] = {DOUBLE_QUOTES: [], SINGLE_QUOTES: []}
        n = len(text)
        for j, c in enumerate(text):
            family = DOUBLE_QUOTES if c in DOUBLE_QUOTES else SINGLE_QUOTES if c in SINGLE_QUOTES else None
            if family is None or (j + 1 < n and not text[j + 1].isspace()):
                continue
            self.candidates[family].append(j)
            token = _NEXT_TOKEN.match(text, j + 1)
            word = token.group(1) if token else ""
            if not word or word[0] in DOUBLE_QUOTES or word[0] in SINGLE_QUOTES or KEY_RE.match(word):
                self.good[family].append(j)

    def after(self, i: int) -> int:
        family = DOUBLE_QUOTES if self.text[i] in DOUBLE_QUOTES else SINGLE_QUOTES
        for positions in (self.good[family], self.candidates[family]):
            k = bisect_right(positions, i)
            if k < len(positions):
                return positions[k]
        return -1
