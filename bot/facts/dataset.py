"""The YAML interchange format: seed file, `/export`, `main.py import`.

One document: `sources: [...]`, `incidents: [...]` (each carrying its `claims`) and `parties: [...]` (the
people and organisations the articles name). Parsing
validates everything first and raises one DatasetError naming the faulty entry, so an import either
lands whole or not at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.facts.dates import DateError, check_stored
from bot.facts.kinds import CLAIM_KINDS, MEASURES, QUALIFIERS
from bot.facts.models import PARTY_TYPES, Claim, Incident, Party, Source
from bot.facts.places import CoordinateError, coordinate
from bot.yamldata import safe_load

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


class DatasetError(ValueError):
    """A dataset that cannot be loaded; the message says where and why, in one line."""


@dataclass
class Dataset:
    sources: list[Source] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)  # ids are re-assigned by the store
    parties: list[Party] = field(default_factory=list)

    def to_yaml(self) -> str:
        by_incident: dict[str, list[dict[str, Any]]] = {}
        for c in self.claims:
            d = c.to_dict()
            del d["incident"]
            by_incident.setdefault(c.incident, []).append({k: v for k, v in d.items() if v not in (None, [])})
        doc = {
            "sources": [s.to_dict() for s in self.sources],
            "incidents": [{**i.to_dict(), "claims": by_incident.get(i.id, [])} for i in self.incidents],
            "parties": [_party_doc(p) for p in self.parties],
        }
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)


def load_dataset(path: str | Path) -> Dataset:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise DatasetError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise DatasetError(f"cannot read {path}: not UTF-8 text") from None
    return parse_dataset_text(text, str(path))


def parse_dataset_text(text: str, name: str = "<input>") -> Dataset:
    try:
        doc = safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DatasetError(f"{name}: not valid YAML{where}") from None
    return parse_dataset(doc, name)


def parse_dataset(doc: Any, name: str = "<input>") -> Dataset:
    if not isinstance(doc, dict) or not isinstance(doc.get("incidents", []), list):
        raise DatasetError(f"{name}: expected a mapping with 'sources' and 'incidents' lists")
    ds = Dataset()
    for n, raw in enumerate(doc.get("sources") or []):
        where = f"{name}: sources[{n}]"
        _require(isinstance(raw, dict) and raw.get("id") and raw.get("publisher"), where, "needs id and publisher")
        ds.sources.append(Source.from_dict(raw))
    source_ids = {s.id for s in ds.sources}
    seen: set[str] = set()
    for n, raw in enumerate(doc.get("incidents") or []):
        where = f"{name}: incidents[{n}]"
        _require(isinstance(raw, dict), where, "expected a mapping")
        iid = str(raw.get("id", ""))
        _require(bool(ID_RE.match(iid)), where, f"bad id {iid!r} (lower-case letters, digits, '-', '.', '_')")
        _require(iid not in seen, where, f"duplicate id {iid!r}")
        _require(bool(raw.get("title")), where, "needs a title")
        seen.add(iid)
        try:
            incident = Incident.from_dict(raw)
        except (TypeError, ValueError, AttributeError) as e:
            raise DatasetError(f"{where}: {e}") from None
        try:
            check_stored(incident.date.value, incident.date.precision)
            incident.place.lat = coordinate("lat", incident.place.lat)
            incident.place.lon = coordinate("lon", incident.place.lon)
        except (DateError, CoordinateError) as e:
            raise DatasetError(f"{where}: {e}") from None
        ds.incidents.append(incident)
        for m, craw in enumerate(raw.get("claims") or []):
            ds.claims.append(_parse_claim(craw, iid, f"{where}.claims[{m}]", source_ids))
    _require(isinstance(doc.get("parties") or [], list), name, "'parties' must be a list")
    party_ids: set[str] = set()
    for n, raw in enumerate(doc.get("parties") or []):
        ds.parties.append(_parse_party(raw, f"{name}: parties[{n}]", source_ids, party_ids))
    return ds


def _parse_party(raw: Any, where: str, source_ids: set[str], seen: set[str]) -> Party:
    _require(isinstance(raw, dict), where, "expected a mapping")
    pid = str(raw.get("id", ""))
    _require(bool(ID_RE.match(pid)), where, f"bad id {pid!r} (lower-case letters, digits, '-', '.', '_')")
    _require(pid not in seen, where, f"duplicate id {pid!r}")
    _require(bool(raw.get("name")), where, "needs a name")
    _require(raw.get("type", "organisation") in PARTY_TYPES, where, f"type must be one of {', '.join(PARTY_TYPES)}")
    _require(isinstance(raw.get("aliases") or [], list) and isinstance(raw.get("descriptions") or [], list), where,
             "aliases and descriptions must be lists")
    party = Party.from_dict(raw)
    for d in party.descriptions:
        _require(bool(d.text.strip()), where, "a description needs text")
        _require(d.source is None or not source_ids or d.source in source_ids, where, f"unknown source {d.source!r}")
    _require(party.member_of is None or bool(ID_RE.match(party.member_of)), where, "member_of must be a party id")
    seen.add(pid)
    return party


def _party_doc(party: Party) -> dict[str, Any]:
    d = party.to_dict()
    d["descriptions"] = [{k: v for k, v in x.items() if v is not None} for x in d["descriptions"]]
    return {k: v for k, v in d.items() if v not in (None, [])}


def _parse_claim(raw: Any, incident_id: str, where: str, source_ids: set[str]) -> Claim:
    _require(isinstance(raw, dict), where, "expected a mapping")
    kind = raw.get("kind")
    _require(kind in CLAIM_KINDS, where, f"kind must be one of {', '.join(CLAIM_KINDS)}")
    value = raw.get("value")
    if kind == "casualties":
        _require(isinstance(value, dict), where, "casualties value must be a mapping")
        _require(value.get("measure", "killed") in MEASURES, where, f"measure must be one of {', '.join(MEASURES)}")
        _require(value.get("qualifier", "unspecified") in QUALIFIERS, where,
                 f"qualifier must be one of {', '.join(QUALIFIERS)}")
        for key in ("killed", "wounded", "low", "high"):
            n = value.get(key)
            _require(n is None or (isinstance(n, int) and not isinstance(n, bool) and n >= 0), where,
                     f"{key} must be a whole number")
    else:
        _require(isinstance(value, str) and value.strip() != "", where, "value must be text")
    src = raw.get("source")
    _require(src is None or not source_ids or src in source_ids, where, f"unknown source {src!r}")
    return Claim.from_dict({**raw, "id": raw.get("id") or "new", "incident": incident_id})


def _require(ok: bool, where: str, why: str) -> None:
    if not ok:
        raise DatasetError(f"{where}: {why}")
