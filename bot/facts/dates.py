"""Dates, in one place: month names, the stored forms and their precision, validation and wording.

An incident's date is stored as an ISO prefix whose length is its precision: `2018-06-18` (day), `2018-06`
(month), `2018` (year), or no value (unknown). Admin commands, imports and the seed file all pass through
`parse_date`, so a date that one of them accepts every other one accepts too.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

PRECISIONS = ("day", "month", "year", "unknown")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
# Every way a question may name a month, lower-case: full names and the usual abbreviations.
MONTHS: dict[str, int] = {name: n for n, names in enumerate([
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
    ("november", "nov"), ("december", "dec")], 1) for name in names}
LONG_MONTHS = tuple(m for m in MONTHS if len(m) >= 6)  # january ... december, not "march" or "may"
YEAR_RE = re.compile(r"^(19|20)\d\d$")  # a year as people write one in a question
EARLIEST_YEAR = 1800
EXPECTED = "expected YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2018-06-18), or unknown"
_FORMS = ((re.compile(r"\d{4}-\d{2}-\d{2}"), "day"), (re.compile(r"\d{4}-\d{2}"), "month"),
          (re.compile(r"\d{4}"), "year"))


class DateError(ValueError):
    """A date that cannot be stored; the message says why and what was expected, in one line."""


def parse_date(text: str, today: date | None = None) -> tuple[str | None, str]:
    """'2018-06-18' -> ('2018-06-18', 'day'); '2018-06' month; '2018' year; 'unknown' or '' -> (None, 'unknown').

    Refuses what is not a real day or month, years before 1800 and dates in the future."""
    t = text.strip()
    if t.lower() in ("", "unknown", "none"):
        return None, "unknown"
    shown = repr(t if len(t) <= 60 else t[:60] + "…")
    precision = next((p for form, p in _FORMS if form.fullmatch(t)), None)
    if precision is None:
        raise DateError(f"bad date {shown}; {EXPECTED}")
    try:
        first = date(int(t[:4]), int(t[5:7]) if precision != "year" else 1, int(t[8:10]) if precision == "day" else 1)
    except ValueError:
        raise DateError(f"bad date {shown}: no such day or month; {EXPECTED}") from None
    if first.year < EARLIEST_YEAR:
        raise DateError(f"bad date {shown}: year {first.year} is too early; {EXPECTED}")
    today = today or datetime.now(timezone.utc).date()
    if first > today + timedelta(days=1):
        raise DateError(f"bad date {shown}: it is in the future; {EXPECTED}")
    return t, precision


def check_stored(value: str | None, precision: str) -> None:
    """Validate a stored date (value and precision given apart, as in the YAML files). Raises DateError."""
    if precision not in PRECISIONS:
        raise DateError(f"date precision must be one of {', '.join(PRECISIONS)}")
    if precision == "unknown":
        return
    parsed, got = parse_date(value or "")
    if got != precision:
        raise DateError(f"date {value!r} does not fit precision {precision!r}")


def format_date(value: str | None, precision: str) -> str:
    """'2018-06-18', 'day' -> '18 June 2018'; month -> 'June 2018'; year -> '2018'."""
    if not value or precision == "unknown":
        return "an unknown date"
    parts = value.split("-")
    try:
        if precision == "day" and len(parts) == 3:
            d = date(int(parts[0]), int(parts[1]), int(parts[2]))
            return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"
        if precision in ("day", "month") and len(parts) >= 2:
            return f"{MONTH_NAMES[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        return value
    return parts[0]
