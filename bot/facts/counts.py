"""Casualty counts as people write them: "38", "at least 100", "nearly 40", "a dozen", "several".

`parse_count` turns such text into the casualties value stored in a claim (the shape used in
data/incidents.yaml): {measure, killed, wounded, low, high, qualifier, text, who}. The rules:

- exact ("38", "thirty-eight", "a hundred"): the figure in killed/wounded, and low = high = the figure;
- "about N" / "around N" / "some N" / "a dozen": the best estimate in killed/wounded, no range;
- "at least N" / "no fewer than N": low = N;  "more than N" / "over N": low = N, qualifier more_than;
- "nearly N" / "almost N" / "close to N": high = N;
- "several", "dozens", "many", "scores", ...: qualifier unspecified and no number at all.

`text` keeps the words as given (whitespace tidied), so an answer can quote the source's own words.
A text that is none of these raises CountError with a one-line reason.
"""
from __future__ import annotations

import re
from typing import Any

from bot.text import clip

MAX_COUNT = 100_000_000  # a figure above this is a typo, not a casualty count


class CountError(ValueError):
    """Text that is not a casualty count; the message says what was expected."""


EXPECTED = ('a number such as 38, "thirty-eight", "a dozen", "at least 100", "nearly 40", "about 12", '
            '"more than 350,000" or "several"')

UNITS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
TENS = {w: 10 * n for n, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
NOUNS = {"dozen": 12, "score": 20}  # "a dozen", "two dozen", "half a dozen"

# Prefix words -> qualifier (longest phrases first when matching).
QUALIFIER_PHRASES = {
    "at least": "at_least", "no fewer than": "at_least", "no less than": "at_least", "a minimum of": "at_least",
    "more than": "more_than", "over": "more_than", "upwards of": "more_than", "in excess of": "more_than",
    "nearly": "nearly", "almost": "nearly", "close to": "nearly", "just under": "nearly",
    "about": "about", "around": "about", "approximately": "about", "roughly": "about", "some": "about",
    "an estimated": "about", "estimated": "about", "circa": "about", "approx": "about", "approx.": "about",
    "c.": "about", "~": "about",
    "exactly": "exact",
}
# Words that report casualties without a number.
UNSPECIFIED = {
    "several", "dozens", "many", "scores", "hundreds", "thousands", "numerous", "a number of", "a few", "few",
    "some", "unknown", "unspecified", "an unknown number", "an unknown number of", "an unspecified number",
    "an unspecified number of", "multiple", "tens", "dozens of", "hundreds of", "thousands of",
}
NONE_WORDS = {"none", "no one", "nobody", "noone", "no-one"}

_DIGITS = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")


def parse_count(text: str, measure: str = "killed", who: str | None = None) -> dict[str, Any]:
    """Parse a casualty count; `measure` is killed or wounded. Raises CountError."""
    if measure not in ("killed", "wounded", "killed_and_wounded"):
        raise CountError(f"unknown measure {measure!r}")
    shown = " ".join(str(text).split())
    if not shown:
        raise CountError(f"missing count; expected {EXPECTED}")
    words = shown.lower()
    value: dict[str, Any] = {"measure": measure, "killed": None, "wounded": None, "low": None, "high": None,
                             "qualifier": "unspecified", "text": shown, "who": who or None}
    if words in UNSPECIFIED:
        return value
    if words in NONE_WORDS:
        qualifier, rest = "exact", "0"
    else:
        qualifier, rest = _split_qualifier(words)
    number = parse_number(rest)
    if number is None:
        raise CountError(f"cannot read {clip(shown)!r} as a count; expected {EXPECTED}")
    if number > MAX_COUNT:
        raise CountError(f"{clip(shown)!r} is larger than any casualty count ({MAX_COUNT:,}); check the figure")
    if qualifier is None:
        # "a dozen" is the usual loose figure; plain numbers and number words are exact.
        qualifier = "about" if re.search(r"\bdozen\b|\bscore\b", rest) else "exact"
    best = measure if measure in ("killed", "wounded") else None
    if qualifier == "exact":
        value.update(low=number, high=number)
        if best:
            value[best] = number
    elif qualifier == "about":
        if best:
            value[best] = number
        else:
            value.update(low=number, high=number)
    elif qualifier in ("at_least", "more_than"):
        value["low"] = number
    elif qualifier == "nearly":
        value["high"] = number
    value["qualifier"] = qualifier
    return value


def _split_qualifier(words: str) -> tuple[str | None, str]:
    for phrase in sorted(QUALIFIER_PHRASES, key=len, reverse=True):
        if words == phrase:
            break
        if words.startswith(phrase + " ") or (phrase == "~" and words.startswith("~")):
            return QUALIFIER_PHRASES[phrase], words[len(phrase):].strip()
    return None, words


def parse_number(text: str) -> int | None:
    """'38', '350,000', '1.5 million', 'thirty-eight', 'a hundred and five', 'two dozen' -> int, else None."""
    t = text.strip().lower().rstrip(".")
    m = _DIGITS.match(t)
    if m:
        digits = m.group(1).replace(",", "")
        if m.group(2) or len(digits) > 12:
            return None  # "12.5" people is not a count, and a 5,000-digit number is no figure at all
        return int(digits)
    parts = t.replace("-", " ").replace(",", " ").split()
    if not parts:
        return None
    # "1.5 million", "2 thousand", "3 dozen"
    m = re.match(r"^(\d{1,12}(?:\.\d{1,6})?)$", parts[0])
    if m and len(parts) == 2 and (parts[1] in SCALES or parts[1] in NOUNS):
        n = float(m.group(1)) * (SCALES.get(parts[1]) or NOUNS[parts[1]])
        return int(n) if n == int(n) else None
    if parts[:2] == ["half", "a"] and len(parts) == 3 and (parts[2] in SCALES or parts[2] in NOUNS):
        return (SCALES.get(parts[2]) or NOUNS[parts[2]]) // 2  # "half a dozen", "half a million"
    return _words_to_int(parts)


def digits_for_words(words: list[str]) -> list[str]:
    """Folded words with number words as digits: "more than a hundred died" -> "more than 100 died", "a dozen"
    -> "12". A lone "one", "a" or "an" stays a word ("which one", "a strike")."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(5, len(words) - i), 0, -1):
            span = words[i:i + n]
            if span[-1] in ("a", "an", "and", "one", "half") or span[0] == "and" or not any(
                    w in UNITS or w in TENS or w in SCALES or w in NOUNS for w in span if w != "one"):
                continue
            value = parse_number(" ".join(span))
            if value is not None:
                out.append(str(value))
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _words_to_int(parts: list[str]) -> int | None:
    total = current = 0
    seen_number = False
    last = None  # the kind of the previous word, to refuse "twelve twelve" or "twenty thirty"
    for i, w in enumerate(parts):
        if w in ("a", "an", "one") and i + 1 < len(parts) and (parts[i + 1] in SCALES or parts[i + 1] in NOUNS):
            if last not in (None, "scale", "and"):
                return None
            current += 1
            last = "unit"
            seen_number = True
            continue
        if w == "and":
            if last != "scale":
                return None
            last = "and"
            continue
        if w in UNITS:
            if last in ("unit", "teen"):
                return None
            current += UNITS[w]
            last = "unit"
        elif w in TENS:
            if last in ("unit", "tens"):
                return None
            current += TENS[w]
            last = "tens"
        elif w in NOUNS:
            if last not in ("unit", "tens"):
                return None
            current *= NOUNS[w]
            last = "scale"
        elif w in SCALES:
            if last not in ("unit", "tens", "scale") or current == 0:
                return None
            if SCALES[w] == 100:
                current *= 100
            else:
                total += current * SCALES[w]
                current = 0
            last = "scale"
        else:
            return None
        seen_number = True
    if not seen_number or last == "and":
        return None
    return total + current


def describe(value: dict[str, Any]) -> str:
    """One line saying what was stored: 'killed: at least 100 (low 100; qualifier at_least) pro-regime fighters'."""
    measure = {"killed_and_wounded": "killed and wounded"}.get(value.get("measure") or "killed",
                                                               str(value.get("measure") or "killed"))
    numbers = [f"{k} {value[k]:,}" for k in ("killed", "wounded", "low", "high") if value.get(k) is not None]
    detail = "; ".join(numbers + [f"qualifier {value.get('qualifier') or 'unspecified'}"])
    who = f" {value['who']}" if value.get("who") else ""
    return f"{measure}: {value.get('text')!s}{who} ({detail})"
