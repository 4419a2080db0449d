"""Records of the fact model: incidents, attributed claims, sources, and the parties the news names.

Stored as plain dicts (TinyDB documents, YAML export); these dataclasses are the typed view the rest of
the code works with. `from_dict` tolerates missing optional keys so hand-written YAML stays short.
"""
from __future__ import annotations

# Records are slots dataclasses: 500,000 of them at 100,000 incidents, and a __dict__ each doubled their size.
import sys
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(slots=True)
class Source:
    id: str
    publisher: str
    dateline: str | None = None
    published: str | None = None
    url: str | None = None
    article: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Source:
        return cls(**{k: _str_or_none(d.get(k)) for k in ("id", "publisher", "dateline", "published", "url", "article")})

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(slots=True)
class IncidentDate:
    value: str | None = None  # ISO prefix matching the precision: 2018-06-18, 2018-06, 2018
    precision: str = "unknown"
    text: str | None = None
    reported: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> IncidentDate:
        d = d or {}
        return cls(_shared(_str_or_none(d.get("value"))), _shared(d.get("precision") or "unknown"),
                   _shared(_str_or_none(d.get("text"))), _shared(_str_or_none(d.get("reported"))))

    @property
    def year(self) -> int | None:
        return int(self.value[:4]) if self.value and self.value[:4].isdecimal() else None

    @property
    def month(self) -> int | None:
        if self.precision in ("day", "month") and self.value and len(self.value) >= 7:
            return int(self.value[5:7])
        return None


@dataclass(slots=True)
class Place:
    name: str | None = None
    aliases: list[str] = field(default_factory=list)
    region: str | None = None
    country: str | None = None
    note: str | None = None
    lat: float | None = None
    lon: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Place:
        d = d or {}
        return cls(d.get("name"), list(d.get("aliases") or []), _shared(d.get("region")), _shared(d.get("country")),
                   _shared(d.get("note")), d.get("lat"), d.get("lon"))


@dataclass(slots=True)
class Incident:
    id: str
    title: str
    type: str = "incident"
    date: IncidentDate = field(default_factory=IncidentDate)
    place: Place = field(default_factory=Place)
    aliases: list[str] = field(default_factory=list)
    summary: str | None = None
    sources: list[str] = field(default_factory=list)
    created: str | None = None
    updated: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Incident:
        return cls(
            id=str(d["id"]), title=str(d.get("title") or d["id"]), type=_shared(d.get("type") or "incident"),
            date=IncidentDate.from_dict(d.get("date")), place=Place.from_dict(d.get("place")),
            aliases=[str(a) for a in d.get("aliases") or []], summary=d.get("summary"),
            sources=[_shared(s) for s in d.get("sources") or ()], created=_shared(d.get("created")),
            updated=_shared(d.get("updated")),
        )

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    def names(self) -> list[str]:
        """Every name people may use for this incident."""
        names = [self.title, *self.aliases]
        if self.place.name:
            names += [self.place.name, *self.place.aliases]
        return names


@dataclass(slots=True)
class Count:
    """A casualty figure as reported: "38", "at least 100", "nearly 40", "several" (no number)."""
    measure: str = "killed"
    killed: int | None = None
    wounded: int | None = None
    low: int | None = None
    high: int | None = None
    qualifier: str = "unspecified"
    text: str = ""
    who: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Count:
        return cls(d.get("measure") or "killed", d.get("killed"), d.get("wounded"), d.get("low"), d.get("high"),
                   d.get("qualifier") or "unspecified", str(d.get("text") or ""), d.get("who"))

    @property
    def best(self) -> int | None:
        for n in (self.killed, self.wounded, self.low, self.high):
            if n is not None:
                return n
        return None


@dataclass(slots=True)
class Claim:
    id: str
    incident: str
    kind: str
    value: Any  # Count as dict for casualties, a party or statement (str) otherwise
    claimant: str | None = None
    via: str | None = None
    quote: str | None = None
    note: str | None = None
    source: str | None = None
    conflicts_with: list[str] = field(default_factory=list)
    created_by: str | None = None
    created_at: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Claim:
        return cls(
            id=str(d["id"]), incident=str(d["incident"]), kind=str(d["kind"]), value=d.get("value"),
            claimant=d.get("claimant"), via=d.get("via"), quote=d.get("quote"), note=d.get("note"),
            source=d.get("source"), conflicts_with=list(d.get("conflicts_with") or []),
            created_by=d.get("created_by"), created_at=d.get("created_at"),
        )

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @property
    def count(self) -> Count | None:
        return Count.from_dict(self.value) if self.kind == "casualties" and isinstance(self.value, dict) else None


PARTY_TYPES = ("person", "organisation")


@dataclass(slots=True)
class Description:
    """What a source says a party is: "a Britain-based monitor of the conflict" (AFP)."""
    text: str
    source: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | str) -> Description:
        return cls(d) if isinstance(d, str) else cls(str(d.get("text") or ""), _str_or_none(d.get("source")))


@dataclass(slots=True)
class Party:
    """A person or organisation the news names: a claimant, an accused party, a spokesperson, an outlet.

    Claims name parties by their words (`claimant`, the accused in `value`); a party record says who or what
    that is, as the sources describe it, so "Who is Rami Abdel Rahman?" has an attributed answer."""
    id: str
    name: str
    type: str = "organisation"  # person | organisation
    aliases: list[str] = field(default_factory=list)
    descriptions: list[Description] = field(default_factory=list)
    member_of: str | None = None  # a person: the party (id) they head or speak for
    role: str | None = None  # their role there: "head", "spokesman", "special envoy for the war against IS"
    based_in: str | None = None  # where an organisation is based, when a source says so
    created: str | None = None
    updated: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Party:
        return cls(
            id=str(d["id"]), name=str(d.get("name") or d["id"]), type=d.get("type") or "organisation",
            aliases=[str(a) for a in d.get("aliases") or []],
            descriptions=[Description.from_dict(x) for x in d.get("descriptions") or []],
            member_of=_str_or_none(d.get("member_of")), role=_str_or_none(d.get("role")),
            based_in=_str_or_none(d.get("based_in")), created=d.get("created"), updated=d.get("updated"),
        )

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    def names(self) -> list[str]:
        return [self.name, *self.aliases]


def _shared(v: Any) -> Any:
    """One string object for a value many records repeat (a type, a country, a source id, a timestamp):
    at 100,000 incidents each record held its own copies, tens of MB. Any other value as it is."""
    return sys.intern(v) if type(v) is str else v


def _str_or_none(v: Any) -> str | None:
    return None if v is None else str(v)


def _plain(record: Any) -> dict[str, Any]:
    """The record as plain JSON types, as dataclasses.asdict gives it, but made in C: asdict was most of the
    time of an import of 100,000 incidents."""
    return orjson.loads(orjson.dumps(record))
