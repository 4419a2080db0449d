"""Admin field validation: incident fields from key=value options, and how incidents are shown back.

Every setter is planned (validated) before any runs, so a command with one bad field changes nothing.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.admin.lexer import AdminError
from bot.facts.dates import DateError, parse_date
from bot.facts.models import Incident, IncidentDate
from bot.facts.places import CoordinateError, coordinate
from bot.text import clip

# Incident fields an admin may set; newincident takes the same ones (title required).
INCIDENT_KEYS = ("title", "date", "place", "region", "country", "aliases", "summary", "type", "lat", "lon",
                 "date_text", "note")
FACT_KEYS = ("by", "source", "quote", "via", "note", "who")
MAX_FIELD = 2000  # characters; a longer value is a paste gone wrong


def split_aliases(text: str) -> list[str]:
    return list(dict.fromkeys(a.strip() for a in text.split(";") if a.strip()))


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:60].strip("-") or "source"


def check_length(label: str, value: str) -> None:
    if len(value) > MAX_FIELD:
        raise AdminError(f"{label} is {len(value):,} characters long; expected at most {MAX_FIELD:,}")


def apply_fields(incident: Incident, options: dict[str, str]) -> None:
    """Set validated fields on `incident` (raises AdminError before changing anything on bad input)."""
    plan: list[Callable[[], None]] = []
    for key, raw in options.items():
        value = " ".join(raw.split()) if key not in ("summary",) else raw.strip()
        check_length(f"{key}=", value)
        plan.append(_field_setter(incident, key, value, options))
    for step in plan:
        step()


def _field_setter(incident: Incident, key: str, value: str, options: dict[str, str]) -> Callable[[], None]:
    place = incident.place
    if key == "title":
        if not value:
            raise AdminError('title cannot be empty; expected title="..."')
        return lambda: setattr(incident, "title", value)
    if key == "type":
        if not value:
            raise AdminError("type cannot be empty; expected e.g. type=airstrike")
        return lambda: setattr(incident, "type", value)
    if key == "date":
        try:
            parsed, precision = parse_date(value)
        except DateError as e:
            raise AdminError(str(e)) from None
        keep_text = "date_text" in options or (parsed == incident.date.value and precision == incident.date.precision)

        def set_date() -> None:
            old = incident.date
            incident.date = IncidentDate(parsed, precision, old.text if keep_text else None, old.reported)
        return set_date
    if key == "date_text":
        return lambda: setattr(incident.date, "text", value or None)
    if key in ("lat", "lon"):
        try:
            number = coordinate(key, value)
        except CoordinateError as e:
            raise AdminError(str(e)) from None
        return lambda: setattr(place, key, number)
    if key == "aliases":
        aliases = split_aliases(value)
        return lambda: setattr(incident, "aliases", aliases)
    if key == "summary":
        return lambda: setattr(incident, "summary", value or None)
    if key in ("place", "region", "country", "note"):
        attr = "name" if key == "place" else key
        return lambda: setattr(place, attr, value or None)
    raise AdminError(f"unknown key {clip(key)}=; expected {', '.join(k + '=' for k in INCIDENT_KEYS)}")


def incident_view(i: Incident) -> dict[str, Any]:
    p = i.place
    date_shown = f"{i.date.value} ({i.date.precision})" if i.date.value else "unknown"
    return {"title": i.title, "type": i.type, "date": date_shown, "date_text": i.date.text, "place": p.name,
            "region": p.region, "country": p.country, "note": p.note, "aliases": "; ".join(i.aliases) or None,
            "summary": i.summary, "lat": p.lat, "lon": p.lon}


def incident_diff(before: Incident, after: Incident) -> list[str]:
    a, b = incident_view(before), incident_view(after)
    out = []
    for key in a:
        if a[key] != b[key]:
            old = "(none)" if a[key] is None else short(a[key])
            new = "(none)" if b[key] is None else short(b[key])
            out.append(f"{key} {old} → {new}")
    return out


def incident_line(i: Incident) -> str:
    v = incident_view(i)
    where = ", ".join(x for x in (v["place"], v["region"], v["country"]) if x)
    parts = [f"“{i.title}”", f"type {i.type}", f"date {v['date']}"]
    if where:
        parts.append(f"place {where}")
    if i.place.lat is not None or i.place.lon is not None:
        parts.append(f"lat {i.place.lat}, lon {i.place.lon}")
    if i.aliases:
        parts.append(f"aliases {v['aliases']}")
    if i.summary:
        parts.append(f"summary {short(i.summary)}")
    return "; ".join(parts)


def echo(text: str) -> str:
    return repr(clip(text))


def short(value: Any, n: int = 60) -> str:
    s = str(value)
    return f"“{s[:n]}…”" if len(s) > n else (f"“{s}”" if isinstance(value, str) else s)
