"""Places: coordinates are only stored when a source or gazetteer gives them, and always in range."""
from __future__ import annotations

import math
from typing import Any

LIMITS = {"lat": 90, "lon": 180}


class CoordinateError(ValueError):
    """A latitude or longitude that cannot be stored; the message says what was expected."""


def coordinate(key: str, value: Any) -> float | None:
    """A latitude (key 'lat') or longitude ('lon') in decimal degrees, from a number or text; '' or None clears it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    limit = LIMITS[key]
    shown = repr(value if not isinstance(value, str) or len(value) <= 60 else value[:60] + "…")
    number = math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace("−", "-"))
        except ValueError:
            pass
    if not (-limit <= number <= limit):  # also false for nan
        raise CoordinateError(f"bad {key} {shown}; expected a number from -{limit} to {limit} in decimal degrees "
                              f"(e.g. {key}={'34.45' if key == 'lat' else '40.91'}), or {key}= to clear it")
    return number
