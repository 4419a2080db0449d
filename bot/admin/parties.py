"""Party fields from key=value options (/newparty, /setparty), and how a party is shown back to an admin.

Like incident fields (bot/admin/fields.py), every value is validated before any is set, so one bad field
changes nothing. `about=` adds a description and needs `source=`: what a party is, is always somebody's word.
"""
from __future__ import annotations

from collections.abc import Callable

from bot.admin.fields import check_length, short, split_aliases
from bot.admin.lexer import AdminError
from bot.facts.models import PARTY_TYPES, Description, Party
from bot.text import clip

PARTY_KEYS = ("name", "type", "aliases", "about", "source", "member_of", "role", "based_in")
# What admins type for a type; the stored spelling is British, as in the seed.
TYPE_SPELLINGS = {"person": "person", "people": "person", "individual": "person", "organisation": "organisation",
                  "organization": "organisation", "org": "organisation", "group": "organisation"}


def apply_party_fields(party: Party, options: dict[str, str], source: str | None,
                       member_of: Callable[[str], str]) -> None:
    """Set validated fields on `party` (raises AdminError before changing anything on bad input).

    `source`: the source id that `about=` is attributed to (already validated); `member_of`: checks a party
    id and returns it, or raises AdminError naming the closest."""
    plan: list[Callable[[], None]] = []
    for key, raw in options.items():
        value = " ".join(raw.split())
        check_length(f"{key}=", value)
        plan.append(_setter(party, key, value, source, member_of))
    if "source" in options and "about" not in options:
        raise AdminError('source= says where a description comes from; give it with about="..."')
    for step in plan:
        step()


def _setter(party: Party, key: str, value: str, source: str | None,
            member_of: Callable[[str], str]) -> Callable[[], None]:
    if key == "name":
        if not value:
            raise AdminError('name cannot be empty; expected name="..."')
        return lambda: setattr(party, "name", value)
    if key == "type":
        kind = TYPE_SPELLINGS.get(value.lower())
        if kind is None:
            raise AdminError(f"bad type {clip(value)!r}; expected one of {', '.join(PARTY_TYPES)}")
        return lambda: setattr(party, "type", kind)
    if key == "aliases":
        aliases = split_aliases(value)
        return lambda: setattr(party, "aliases", aliases)
    if key == "about":
        if not value:
            raise AdminError('about= needs the description\'s text, e.g. about="a Britain-based monitor"')
        if not source:
            raise AdminError('about= needs source=, the source that describes them so (a source id, '
                             'publisher or URL)')
        described = Description(value, source)
        return lambda: party.descriptions.append(described) if described not in party.descriptions else None
    if key == "source":
        return lambda: None  # read with about=
    if key == "member_of":
        if value and value == party.id:
            raise AdminError(f"{party.id} cannot be a member of itself; expected another party's id")
        target = member_of(value) if value else None
        return lambda: setattr(party, "member_of", target)
    if key in ("role", "based_in"):
        return lambda: setattr(party, key, value or None)
    raise AdminError(f"unknown key {clip(key)}=; expected {', '.join(k + '=' for k in PARTY_KEYS)}")


def party_view(p: Party) -> dict[str, str | None]:
    return {"name": p.name, "type": p.type, "aliases": "; ".join(p.aliases) or None, "member_of": p.member_of,
            "role": p.role, "based_in": p.based_in}


def party_diff(before: Party, after: Party) -> list[str]:
    a, b = party_view(before), party_view(after)
    out = [f"{key} {'(none)' if a[key] is None else short(a[key])} → {'(none)' if b[key] is None else short(b[key])}"
           for key in a if a[key] != b[key]]
    out += [f"description {short(d.text)} ({d.source}) added" for d in after.descriptions if d not in before.descriptions]
    out += [f"description {short(d.text)} ({d.source}) removed" for d in before.descriptions
            if d not in after.descriptions]
    return out


def party_line(p: Party) -> str:
    """One line of what is stored: '“Rami Abdel Rahman”, person; head of syrian-observatory; aliases …'."""
    parts = [f"“{p.name}”", p.type]
    if p.role or p.member_of:
        parts.append(" of ".join(x for x in (p.role or "member", p.member_of) if x))
    if p.based_in:
        parts.append(f"based in {p.based_in}")
    if p.aliases:
        parts.append(f"aliases {'; '.join(p.aliases)}")
    return ", ".join(parts[:2]) + "".join(f"; {x}" for x in parts[2:])
