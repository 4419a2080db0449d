"""Matching proposals with what the database already knows.

A proposed incident at the same place as a known one, within a few days of it (or in the same month or
year when either date is that coarse), is that incident: its claims go to the known id. A proposed claim
the database already holds — same kind, same value, same claimant — is dropped, and so is a party the
database already knows by one of its names. Ingesting an article twice therefore proposes nothing new.

The same equivalences decide, in bench/ingest_quality.py, whether a proposal is right.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from bot.facts.dataset import Dataset
from bot.facts.models import Claim, Incident, Party
from bot.ingest.extract import Proposal

FEW_DAYS = 3
PARTY_KINDS = ("blame", "denial", "perpetrator", "claim_responsibility")
STOP = set("the a an of and or to in on at for by with from that this it its was were had has have been be is are "
           "as their his her they he she which who".split())


def party_aliases(parties: list[Party]) -> dict[str, str]:
    """Every known name of a party (lower-case, without 'the') -> its id."""
    return {_plain(n): p.id for p in parties for n in p.names()}


def party_keys(name: Any, aliases: dict[str, str], value: bool = False) -> set[str]:
    """The names a party mention may go by: itself, its acronym ("... (SARC)"), the name before its
    description ("Brett McGurk, the US president's envoy"), a trailing proper name ("the state news agency
    Sana"), the known party it is an alias of; for a value, also the state that owns it ("Russia's defence
    ministry" denies for Russia)."""
    t = str(name or "").replace("’", "'").strip()
    out: set[str] = set()

    def add(x: str) -> None:
        x = _plain(x)
        if x:
            out.add(x)
            if x in aliases:
                out.add(aliases[x])

    add(t)
    if m := re.search(r"\(([A-Z]{2,6})\)", t):
        add(m.group(1))
        add(t[:m.start()])
    if "," in t:
        add(t.split(",")[0])
    if m := re.search(r"\b[a-z][\w-]* ([A-Z][\w-]+)$", t):
        add(m.group(1))
    if m := re.search(r"\(([^)]+)\)$", t):
        add(t[:m.start()])
    if m := re.match(r"^(?:the )?[A-Z][\w-]*s?'s? ([A-Z].*)$", t):
        add(m.group(1))  # "the Houthis' Al-Masirah television"
        if value:
            add(t[:m.start(1)].rstrip("' s"))  # "Russia's defence ministry" denies for Russia
    if value and (m := re.match(r"^(?:the )?([A-Z][\w-]+)'s [a-z]", t)):
        add(m.group(1))
    return out


def same_party(a: Any, b: Any, aliases: dict[str, str], value: bool = False) -> bool:
    return bool(party_keys(a, aliases, value) & party_keys(b, aliases, value))


def same_value(kind: str, a: Claim, b: Claim, aliases: dict[str, str]) -> bool:
    """Casualties by measure, qualifier and figure; parties by name; free text by sentence or by words."""
    if kind == "casualties":
        x, y = a.value or {}, b.value or {}
        return (x.get("measure"), _bound(x), _figure(x)) == (y.get("measure"), _bound(y), _figure(y))
    if kind in PARTY_KINDS:
        return same_party(a.value, b.value, aliases, value=True)
    if b.quote and a.quote and (_flat(b.quote) in _flat(a.quote) or _flat(a.quote) in _flat(b.quote)):
        return True
    x, y = _words(str(a.value)), _words(str(b.value))
    return bool(x and y) and len(x & y) >= 0.5 * min(len(x), len(y))


def same_claim(a: Claim, b: Claim, aliases: dict[str, str]) -> bool:
    return a.kind == b.kind and same_party(a.claimant, b.claimant, aliases) and same_value(a.kind, a, b, aliases)


def same_incident(p: Incident, k: Incident) -> bool:
    """The same place (by any of its names) within a few days; without a place, the same date, type, country."""
    names = {_plain(n) for n in [p.place.name, *p.place.aliases] if n}
    known = {_plain(n) for n in [k.place.name, *k.place.aliases] if n}
    if names or known:
        if not names & known:
            return False
    elif (p.type, p.place.country) != (k.type, k.place.country):
        return False
    return _close(p.date.value, k.date.value)


def match_known(proposal: Proposal, known: Dataset) -> Proposal:
    ds = proposal.dataset
    aliases = party_aliases(known.parties + ds.parties)
    to_known: dict[str, str] = {}
    for inc in ds.incidents:
        hit = next((k for k in known.incidents if same_incident(inc, k)), None)
        if hit:
            to_known[inc.id] = hit.id
    held: dict[str, list[Claim]] = {}
    for c in known.claims:
        held.setdefault(c.incident, []).append(c)
    claims: list[Claim] = []
    for c in ds.claims:
        target = to_known.get(c.incident, c.incident)
        if any(same_claim(c, k, aliases) for k in held.get(target, [])):
            continue
        claims.append(replace(c, incident=target))
    kept = {c.incident for c in claims}
    incidents = [i for i in ds.incidents if i.id not in to_known and i.id in kept]
    known_names = {_plain(n) for p in known.parties for n in p.names()}
    parties = [p for p in ds.parties if not {_plain(n) for n in p.names()} & known_names]
    known_sources = {s.id for s in known.sources}
    sources = [s for s in ds.sources if s.id not in known_sources] if claims else []
    return Proposal(Dataset(sources=sources, incidents=incidents, claims=claims, parties=parties), proposal.outlet,
                    existing=sorted({to_known[i] for i in to_known if to_known[i] in kept}))


def _close(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return a == b
    if len(a) < 10 or len(b) < 10:
        n = min(len(a), len(b))
        return a[:n] == b[:n]
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days) <= FEW_DAYS


def _bound(v: dict[str, Any]) -> str:
    """'at least 100' and 'more than 100' are both a lower bound of 100: the seed writes the one for the other."""
    q = v.get("qualifier") or "unspecified"
    return {"more_than": "at_least"}.get(q, q)


def _figure(v: dict[str, Any]) -> int | None:
    return next((v.get(k) for k in ("killed", "wounded", "low", "high") if v.get(k) is not None), None)


def _plain(text: str | None) -> str:
    return re.sub(r"^the\s+", "", (text or "").replace("’", "'").strip(" ,.").lower())


def _flat(text: str | None) -> str:
    return " ".join(re.sub(r"[“”\"‘’']", "", text or "").lower().split()).rstrip(".")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP}
