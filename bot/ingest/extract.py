"""From an article's sentences to proposed incidents, claims and parties, by the rules in rules.yaml.

Each sentence is read in three steps: who says it (attribution: a claimant and a conduit, or the outlet
itself), which incident it is about (an event with a new time or place starts one; a definite mention such
as "the strike on Al-Hari" goes back to one), and what it claims (casualties, blame, denial, perpetrator,
claim of responsibility, victims; an attributed statement that is none of these is a note). A claim keeps
its sentence as the quote. When a rule cannot find the figure or the party, the sentence yields nothing.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any


from bot.facts.counts import NOUNS, QUALIFIER_PHRASES, SCALES, TENS, UNITS, UNSPECIFIED, CountError, parse_count
from bot.facts.dataset import Dataset
from bot.facts.dates import MONTH_NAMES, MONTHS
from bot.facts.models import Claim, Description, Incident, IncidentDate, Party, Place, Source
from bot.ingest.reader import Article
from bot.ingest.sentences import Sentence, split_sentences
from bot.yamldata import safe_load

RULES_FILE = Path(__file__).with_name("rules.yaml")
MAX_SENTENCE = 600  # characters: longer is no news sentence (and would make the rules' regexes crawl)
MAX_SENTENCES = 400  # a news article has far fewer; a book or a data dump is refused


class TooLong(ValueError):
    """Text too long to be one article."""
NAME = r"(?:[A-Z][\w'’.-]*|(?:al|el|bin|abu|de)-?[A-Z]?[\w'’-]*)(?: (?:[A-Z][\w'’.-]*|(?:al|el|bin|abu|de)-[\w'’-]+))*"
WEEKDAYS = {name: n for n, name in enumerate(calendar.day_name)}


@dataclass
class Rules:
    raw: dict[str, Any]
    attribution: list[tuple[re.Pattern[str], bool]]  # (pattern, strict)
    via: list[re.Pattern[str]]
    speakers: list[re.Pattern[str]]
    claims: dict[str, list[tuple[re.Pattern[str], dict[str, Any]]]]
    events: list[tuple[re.Pattern[str], dict[str, Any]]]
    places: list[re.Pattern[str]]
    regions: list[re.Pattern[str]]
    dates: list[tuple[re.Pattern[str], dict[str, Any]]]
    back_reference: re.Pattern[str]
    party_stop: re.Pattern[str]
    victims_in_who: re.Pattern[str]
    outlet_note_cues: list[re.Pattern[str]]


@cache
def load_rules(path: Path = RULES_FILE) -> Rules:
    raw = safe_load(path.read_text(encoding="utf-8"))
    roles = "|".join(sorted(map(re.escape, raw["roles"]), key=len, reverse=True))
    macros = {"{COUNT}": count_pattern(), "{NAME}": NAME, "{ROLE}": rf"(?:[a-z][\w-]* ){{0,4}}?(?:{roles})"}

    def rx(p: str) -> re.Pattern[str]:
        for k, v in macros.items():
            p = p.replace(k, v)
        return re.compile(p)

    claims = {kind: [(rx(r["pattern"]), r) if isinstance(r, dict) else (rx(r), {}) for r in rules]
              for kind, rules in raw["claims"].items()}
    return Rules(
        raw=raw, attribution=[(rx(a["pattern"]), bool(a.get("strict"))) for a in raw["attribution"]], via=[rx(p) for p in raw["via"]],
        speakers=[rx(p) for p in raw["speakers"]], claims=claims,
        events=[(rx(e["pattern"]), e) for e in raw["events"]], places=[rx(p) for p in raw["places"]],
        regions=[rx(p) for p in raw["regions"]], dates=[(rx(d["pattern"]), d) for d in raw["dates"]],
        back_reference=rx(raw["back_reference"]), party_stop=rx(raw["party_stop"]),
        victims_in_who=rx(raw["victims_in_who"]), outlet_note_cues=[rx(p) for p in raw["outlet_note_cues"]])


def count_pattern() -> str:
    """A regex for the figures bot/facts/counts.py reads, built from its own word tables."""
    words = sorted([*UNITS, *TENS], key=len, reverse=True)
    word = "(?i:" + "|".join(words) + ")"
    number_word = rf"(?:{word}(?:-{word})?(?: (?:{'|'.join(SCALES)}))?)"
    digits = r"\d{1,3}(?:,\d{3})+|\d+"
    noun = rf"(?:(?i:a|an|two|three|four|five|half a) (?:{'|'.join(NOUNS)}))"
    quals = "|".join(sorted((re.escape(q) for q in QUALIFIER_PHRASES if q.isascii() and q[0].isalpha()),
                            key=len, reverse=True))
    # "many" and "some" open too many other phrases ("many of the children who ...") to read as figures
    vague = "|".join(sorted((re.escape(u) for u in UNSPECIFIED if " " not in u and u not in ("many", "some", "few", "tens", "multiple", "unknown", "unspecified")), key=len, reverse=True))
    core = rf"(?:{digits}|{noun}|{number_word})"
    return rf"(?:(?:(?i:{quals}) )?{core}(?: (?:{'|'.join(SCALES)}))?|(?i:{vague}))(?![\w-])"


@dataclass
class Speaker:
    claimant: str
    via: str | None = None
    person: str | None = None


UNKNOWN = Speaker("")  # a speaker the article does not name: the sentence yields nothing


@dataclass
class Proposal:
    """What one article proposes: a Dataset in the seed's schema (new incidents, claims on new or known
    incidents, new parties, the article as a source); `existing` lists the known incidents it adds to."""
    dataset: Dataset
    outlet: str
    existing: list[str] = field(default_factory=list)


@dataclass
class _Incident:
    incident: Incident
    claims: list[Claim] = field(default_factory=list)
    blamed: list[str] = field(default_factory=list)


@dataclass
class _Entity:
    name: str  # as the article first wrote it in full, with "the" if it had one
    type: str = "organisation"
    acronym: str | None = None
    aliases: set[str] = field(default_factory=set)
    description: str | None = None
    member_of: str | None = None
    role: str | None = None


class Extractor:
    def __init__(self, article: Article, known_parties: list[Party] | None = None, rules: Rules | None = None):
        self.rules = rules or load_rules()
        self.article = article
        self.dateline = article.dateline
        self.outlet = article.dateline.publisher or "the outlet"
        self.report = date.fromisoformat(article.dateline.published) if article.dateline.published else None
        self.source_id = source_id(self.dateline.publisher, self.dateline.published)
        self.sentences = split_sentences(article.text)
        self.known = known_parties or []
        self.entities: list[_Entity] = []
        self.incidents: list[_Incident] = []
        self.current: _Incident | None = None
        self.last_speaker: Speaker | None = None
        self.last_org: str | None = None
        self.last_place: str | None = None
        self.country = self._main_country()

    # ---- parties -------------------------------------------------------------------------------------

    def _collect_entities(self) -> None:
        for s in self.sentences:
            for m in re.finditer(r"((?:the )?(?:[A-Z][\w'’-]*|of|for|the|and)(?: (?:[A-Z][\w'’-]*|of|for|the|and))*)"
                                 r" \(([A-Z]{2,6})\)", s.text):
                self._entity(_acronym_name(m.group(1), m.group(2)), acronym=m.group(2))
            for m in re.finditer(r"\b(?:the |The )?[A-Z][\w-]*-led coalition\b|"
                                 r"\b(?:[Tt]he )?(?:[A-Z][\w-]*s?['’]s? )?[A-Z][\w-]+ (?:television|TV|radio)\b|"
                                 r"\b(?:the )?(?:[A-Z][\w-]+ )+(?:for|of) "
                                 r"(?:the )?[A-Z][\w-]+(?: [A-Z][\w-]+)*|\b(?:[A-Z][\w-]+ )?state (?:media|television)\b",
                                 s.text):
                if self.canonical(m.group(0)) == _tidy_party(m.group(0)):
                    self._entity(m.group(0))

    def _entity(self, name: str, acronym: str | None = None, type_: str = "organisation") -> _Entity:
        name = name.strip()
        bare = _bare(name)
        for e in self.entities:
            if _bare(e.name).lower() == bare.lower() or (acronym and e.acronym == acronym):
                e.acronym = e.acronym or acronym
                return e
        e = _Entity(name=name if name.lower().startswith("the ") or type_ == "person" else name, type=type_,
                    acronym=acronym)
        self.entities.append(e)
        return e

    def canonical(self, mention: str) -> str:
        """The article's fullest name for a party mention: 'the observatory' -> 'the Syrian Observatory for ...'."""
        m = _tidy_party(mention)
        bare = _bare(m).lower()
        if not bare:
            return m
        for names, canon in self._gazetteer():
            if bare in names:
                return canon
        for e in self.entities:
            if bare == _bare(e.name).lower() or bare == (e.acronym or "").lower() or bare in e.aliases:
                return self._display(e)
        for e in self.entities:
            if e.acronym is None and len(bare) >= 2 and bare.upper() == bare.upper() and _initials(e.name) == bare.upper():
                return self._display(e)
        words = bare.split()
        for e in sorted(self.entities, key=lambda e: len(e.name), reverse=True):
            full = _bare(e.name).lower().replace("’", "'").split()
            if words and all(w in full for w in words) and e.type == "organisation" and (
                    len(words) == 1 or words[-1] == full[-1]):
                return self._display(e)
        for p in self.known:
            if bare in {_bare(n).lower() for n in p.names()}:
                return p.name
        return m

    def _display(self, e: _Entity) -> str:
        if e.type == "organisation" and not e.name.lower().startswith("the ") and \
                re.search(r"\bthe (?:[A-Z]\w+'s )?" + re.escape(e.name), self.article.text, re.I):
            e.name = "the " + e.name
        name = re.sub(r"^The ", "the ", e.name)
        return f"{name} ({e.acronym})" if e.acronym and e.acronym not in name else name

    def _gazetteer(self) -> list[tuple[set[str], str]]:
        out = []
        for canon, names in self.rules.raw["gazetteer"].items():
            out.append(({_bare(n).lower() for n in names} | {_bare(canon).lower()}, canon))
        return out

    def resolve_speaker(self, phrase: str) -> Speaker | None:
        phrase = phrase.strip().rstrip(",")
        if re.search(r"\b(?:%s)\b" % "|".join(self.rules.raw["not_a_speaker"]), phrase) or len(phrase) > 120:
            return None
        for rx in self.rules.speakers:
            m = rx.match(phrase)
            if not m:
                continue
            g = {k: v for k, v in m.groupdict().items() if v}
            person, role = g.get("person"), g.get("role")
            if "pronoun" in g:
                if person or role:
                    org = self.last_org or (self.last_speaker.claimant if self.last_speaker else None)
                    if org is None:
                        return None
                    return self._with_person(org, role, person)
                return self.last_speaker
            if "org" in g:
                org = self.canonical(g["org"])
                ent = self._entity(org)
                if g.get("description") and not ent.description:
                    ent.description = g["description"]
                if person:
                    return self._with_person(org, role, person)
                return Speaker(org)
            if person:
                ent = self._entity(person, type_="person")
                ent.description = ent.description or g.get("description")
                return Speaker(person, person=person)
        # a bare name: a person already introduced ("Rahman"), or a party
        for e in self.entities:
            if e.type == "person" and (phrase == e.name or phrase in e.name.split()) and e.member_of:
                return Speaker(e.member_of, f"its {e.role}, {e.name}", e.name)
            if e.type == "person" and (phrase == e.name or phrase in e.name.split()):
                return Speaker(e.name, person=e.name)
        if re.match(r"^(?:[Aa]n?|[Oo]ne) (?:[\w-]+ ){0,5}[\w-]+$", phrase):
            # an unnamed source, as the article words it ("a war monitor", "a Syrian military source"); a later
            # "the source" is the same one
            ent = self._entity(re.sub(r"^A", "a", phrase))
            return Speaker(ent.name)
        if not re.match(r"^(?:[Tt]he )?[A-Z]", phrase) and not re.match(r"^the (?:[\w-]+ ){0,6}[\w-]+$", phrase) \
                and self.canonical(phrase) == _tidy_party(phrase):
            return None
        name = self.canonical(phrase)
        if name == _tidy_party(phrase):
            self._entity(name)  # so that a later "the ministry" is "Russia's defence ministry"
        return Speaker(name)

    def _with_person(self, org: str, role: str | None, person: str | None) -> Speaker:
        ent = self._entity(person, type_="person") if person else None
        if ent:
            ent.member_of, ent.role = org, role
        self._entity(org)
        via = f"its {role}, {person}" if person else f"its {role}"
        return Speaker(org, via, person)

    # ---- dates and places ----------------------------------------------------------------------------

    def resolve_date(self, text: str) -> IncidentDate | None:
        if self.report is None:
            return None
        for rx, rule in self.rules.dates:
            m = rx.search(text)
            if not m:
                continue
            said = m.group(0)
            reported = self.report.isoformat()
            if m.groupdict().get("back"):
                cur = self.current.incident.date if self.current else None
                if not cur or cur.precision != "day" or not cur.value:
                    continue
                n = {"a": 1, "one": 1, "two": 2, "three": 3}[m.group("back")]
                d = date.fromisoformat(cur.value) - timedelta(days=n)
                return IncidentDate(d.isoformat(), "day", f"{said} {self.current.incident.title}", reported)
            if "days" in rule:
                d = self.report - timedelta(days=rule["days"])
                return IncidentDate(d.isoformat(), "day", f"{said}, in {_possessive(self.outlet)} report of {_day(self.report)}", reported)
            if m.groupdict().get("weekday"):
                back = (self.report.weekday() - WEEKDAYS[m.group("weekday")]) % 7
                d = self.report - timedelta(days=back)
                return IncidentDate(d.isoformat(), "day", f"{said}, in {_possessive(self.outlet)} report of {_day(self.report)}", reported)
            if "months" in rule:
                y, mo = self.report.year, self.report.month - rule["months"]
                while mo < 1:
                    y, mo = y - 1, mo + 12
                return IncidentDate(f"{y:04d}-{mo:02d}", "month", f"{said}, in {_possessive(self.outlet)} report of {_day(self.report)}", reported)
            if m.groupdict().get("month"):
                mo = MONTHS[m.group("month").lower()]
                y = int(m.group("year")) if m.group("year") else (self.report.year if mo <= self.report.month else self.report.year - 1)
                return IncidentDate(f"{y:04d}-{mo:02d}", "month", said if m.group("year") else
                                    f"{said}, in {_possessive(self.outlet)} report of {_day(self.report)}", reported)
            if m.groupdict().get("year"):
                return IncidentDate(m.group("year"), "year", said, reported)
        return None

    def find_place(self, text: str) -> str | None:
        stop = set(self.rules.raw["not_places"]) | {c for names in self.rules.raw["countries"].values() for c in names}
        for rx in self.rules.places:
            for m in rx.finditer(text):
                place = re.sub(r"[’']s$", "", m.group("place")).strip().rstrip(".")
                place = re.sub(r" (?:Province|province)$", "", place)
                if place in stop or place.split()[0] in stop or self._is_party(place):
                    continue
                return place
        if re.search(self.rules.raw["place_pronoun"], text) and self.last_place:
            return self.last_place
        return None

    def _is_party(self, name: str) -> bool:
        bare = _bare(name).lower()
        return any(bare == _bare(e.name).lower() or bare == (e.acronym or "").lower() for e in self.entities)

    def find_region(self, text: str) -> str | None:
        for rx in self.rules.regions:
            if m := rx.search(text):
                region = m.group("region")
                if region.endswith("provinces"):
                    return region
                return f"{region} Province" if re.search(re.escape(region) + r" [Pp]rovince", text) else region
        return None

    def find_country(self, text: str) -> str | None:
        for country, names in self.rules.raw["countries"].items():
            if any(re.search(rf"\b{re.escape(n)}\b", text) for n in names):
                return country
        return None

    def _main_country(self) -> str | None:
        counts: dict[str, int] = {}
        for country, names in self.rules.raw["countries"].items():
            counts[country] = sum(len(re.findall(rf"\b{re.escape(n)}\b", self.article.text)) for n in names)
        best = max(counts, key=lambda c: counts[c], default=None)
        return best if best and counts[best] else None

    # ---- incidents -----------------------------------------------------------------------------------

    def _event(self, text: str) -> str | None:
        if re.search(self.rules.raw["not_events"], text):
            return None
        for rx, rule in self.rules.events:
            if not rule.get("aside") and rx.search(text):
                return rule["type"]
        return None

    def _aside(self, text: str) -> _Incident | None:
        """An incident told in a relative clause: found or made, without becoming the current one."""
        for rx, rule in self.rules.events:
            if rule.get("aside") and (m := rx.search(text)):
                rest = text[m.start():]
                place = self.find_place(rest)
                if place and (same := self._by_place(place)):
                    return same
                inc = self._new_incident(rest, rule["type"], place, self.resolve_date(rest))
                self.incidents.append(inc)
                return inc
        return None

    def _incident_for(self, s: Sentence) -> _Incident | None:
        text = s.text
        for pattern, type_ in self.rules.raw["type_reference"].items():
            if re.search(pattern, text):
                found = next((i for i in reversed(self.incidents) if i.incident.type == type_), None)
                if found:
                    return found
        if m := self.rules.back_reference.search(text):
            found = self._by_place(m.group("place"))
            if found:
                head = text[:m.start()].strip().strip("“\"‘")
                if not head:
                    self.current = found
                    # "The strike on Al-Hari came a day after ...": a new event may follow in the same sentence
                    rest = text[m.end():]
                    if not self._event(rest):
                        return found
                    text = rest
        event = self._event(text)
        if event is None:
            if (named := self.find_place(text)) and named != self.last_place and not re.search(
                    self.rules.raw["place_pronoun"], text):
                self.last_place = named  # for a later "there"
            return self.current
        when = self.resolve_date(text)
        place = self.find_place(text)
        if when and (same_day := next((i for i in self.incidents if i.incident.type == event
                                       and i.incident.date.value == when.value), None)):
            return same_day
        cur = self.current
        new = cur is None
        if cur is not None:
            if when and cur.incident.date.value and cur.incident.date.value != when.value:
                new = True
            elif place and cur.incident.place.name and _bare(place) != _bare(cur.incident.place.name) \
                    and not self._by_place(place):
                new = True
            elif event == "war toll" and cur.incident.type != "war toll":
                new = True
        if not new and cur is not None:
            if place and not cur.incident.place.name:
                cur.incident.place.name = place
                cur.incident.place.note = cur.incident.place.note or _appositive(text, place)
            if when and cur.incident.date.precision == "unknown":
                cur.incident.date = when
            region = self.find_region(text)
            if region and not cur.incident.place.region:
                cur.incident.place.region = region
            if place:
                self.last_place = place
            return cur
        if place and (same := self._by_place(place)) and not when:
            self.current = same
            return same
        if event == "war toll":
            battle = re.search(r"\bbattle for ([A-Z][\w-]+)", text)
            place = battle.group(1) if battle else self.find_country(text) or self.country
        inc = self._new_incident(text, event, place, when)
        self.incidents.append(inc)
        self.current = inc
        if place:
            self.last_place = place
        return inc

    def _by_place(self, place: str) -> _Incident | None:
        key = _bare(place).lower()
        for inc in reversed(self.incidents):
            names = [inc.incident.place.name or "", *inc.incident.place.aliases]
            if any(_bare(n).lower() == key for n in names if n):
                return inc
        return None

    def _to_battles(self) -> None:
        """Move eventless statements about fighting in a battle's city to that battle (see `in_battle`)."""
        countries = set(self.rules.raw["countries"])
        battles = [i for i in self.incidents if i.incident.type == "war toll" and i.incident.place.name
                   and i.incident.place.name not in countries]
        for battle in battles:
            where = re.compile(self.rules.raw["in_battle"].replace("{PLACE}", re.escape(battle.incident.place.name)))
            for inc in self.incidents:
                own = [n for n in (inc.incident.place.name, *inc.incident.place.aliases) if n]
                for c in list(inc.claims):
                    q = c.quote or ""
                    if inc is not battle and where.search(q) and not self._event(q) and \
                            not any(re.search(rf"\b{re.escape(n)}\b", q) for n in own):
                        inc.claims.remove(c)
                        battle.claims.append(c)

    def _name_incidents(self, incidents: list[_Incident]) -> None:
        """Ids and titles from what the whole article said: the place may only be named after the lede."""
        taken: set[str] = set()
        for i in incidents:
            inc = i.incident
            when = inc.date
            place = inc.place.name
            label = place or inc.place.region or (
                f"{MONTH_NAMES[int(when.value[5:7]) - 1]} {when.value[:4]}" if when.precision in ("day", "month")
                and when.value else None) or inc.place.country or "unnamed"
            inc.title = {"war toll": f"{label} war death toll"}.get(inc.type, f"{label} {inc.type}")
            inc.title = inc.title[0].upper() + inc.title[1:]
            base = slug(f"{place or inc.place.region or inc.place.country or 'incident'}-war-toll" if inc.type == "war toll"
                        else f"{place or inc.place.region or inc.place.country or 'incident'}-{(when.value or '')[:7]}")
            ident, n = base, 2
            while ident in taken:
                ident, n = f"{base}-{n}", n + 1
            taken.add(ident)
            inc.aliases = [f"{place} strike"] if inc.type == "airstrike" and place else []
            for c in i.claims:
                c.incident = ident
            inc.id = ident

    def _new_incident(self, text: str, event: str, place: str | None, when: IncidentDate | None) -> _Incident:
        region = self.find_region(text)
        country = self.find_country(text) or self.country
        if place == region:
            region = region if place else None
        when = when or IncidentDate(reported=self.report.isoformat() if self.report else None)
        label = place or region or (f"{MONTH_NAMES[int(when.value[5:7]) - 1]} {when.value[:4]}"
                                   if when.precision in ("day", "month") and when.value else None) or country or "unnamed"
        title = {"war toll": f"{label} war death toll"}.get(event, f"{label} {event}")
        ident = slug(f"{place or region or country or 'incident'}-{(when.value or '')[:7]}" if event != "war toll"
                     else f"{place or country}-war-toll")
        taken = {i.incident.id for i in self.incidents}
        base, n = ident, 2
        while ident in taken:
            ident, n = f"{base}-{n}", n + 1
        aliases = [f"{label} strike"] if event == "airstrike" and place else []
        note = _appositive(text, place) if place else None
        inc = Incident(id=ident, title=title[0].upper() + title[1:], type=event, date=when,
                       place=Place(name=place, aliases=[], region=region, country=country, note=note),
                       aliases=aliases, sources=[self.source_id])
        return _Incident(inc)

    # ---- claims --------------------------------------------------------------------------------------

    def attribute(self, s: Sentence) -> tuple[Speaker | None, str, str | None]:
        """(speaker or None for the outlet, content, conduit)."""
        text = s.text
        via = next((m.group("via") for rx in self.rules.via if (m := rx.search(text))), None)
        for rx, strict in self.rules.attribution:
            m = rx.match(text)
            if not m:
                continue
            speaker = self.resolve_speaker(m.group("speaker"))
            if speaker is None:
                if strict or re.match(r"^(?:He|She|It|They|[Hh]is|[Hh]er|[Ii]ts|[Tt]heir)\b", m.group("speaker").strip()):
                    return UNKNOWN, "", None  # someone said it, but who is not in the article: propose nothing
                continue
            content = m.group("content")
            return speaker, content, via or speaker.via
        return None, text, via

    def run(self) -> Proposal:
        if len(self.sentences) > MAX_SENTENCES:
            raise TooLong(f"the text has {len(self.sentences):,} sentences; an article has at most {MAX_SENTENCES}")
        self.sentences = [s for s in self.sentences if len(s.text) <= MAX_SENTENCE]
        self._collect_entities()
        for s in self.sentences:
            clauses = re.split(self.rules.raw["clause_split"], s.text)
            for clause in clauses:
                self._read(s if len(clauses) == 1 else Sentence(clause.rstrip(".") + ".", s.paragraph, s.index),
                           s.text)
        return self._proposal()

    def _read(self, s: Sentence, quote: str) -> None:
        speaker, content, via = self.attribute(s)
        if speaker and re.match(r"^(?:[Hh]is|[Hh]er) ", s.text.rsplit(",", 1)[-1].strip()) and \
                (principal := re.match(rf"^({NAME}) [a-z]+ed\b", content)):
            speaker = Speaker(principal.group(1), s.text.rsplit(",", 1)[-1].strip().rstrip(". ").removesuffix(" said"))
            via = speaker.via
        if speaker is UNKNOWN:
            return
        self.quote = quote
        self.aside = self._aside(s.text)
        before = len(self.incidents)
        inc = self._incident_for(s)
        started = len(self.incidents) > before and inc is self.incidents[-1]
        subject = re.match(r"^((?:[Tt]he )?[A-Z][\w'’-]*(?: [\w'’-]+){0,5}?) (?:also |\w+ly )?(?:denied|rejected|said|"
                           r"accused|blamed|reported|announced)\b", s.text)
        if subject and (sp := self.resolve_speaker(subject.group(1))):
            self.last_org = sp.claimant
        if inc is None:
            if speaker:
                self.last_speaker = speaker
            return
        claimant = speaker.claimant if speaker else self.outlet
        base_via = via if speaker else via
        found = self._claims(s, inc, claimant, base_via, speaker)
        if not found and speaker and speaker.claimant != self.outlet:
            value = _statement(content)
            if value:
                self._add(inc, "note", value, claimant, base_via, s)
        elif not found and speaker is None:
            if started or any(rx.search(s.text) for rx in self.rules.outlet_note_cues):
                if not re.match(r"^(?:He|She|They)\b", s.text):
                    self._add(inc, "note", _statement(s.text), self.outlet, None, s)
        if speaker:
            self.last_speaker = speaker

    def _claims(self, s: Sentence, inc: _Incident, claimant: str, via: str | None, speaker: Speaker | None) -> int:
        text = s.text
        found = 0
        taken: list[tuple[int, int]] = []
        last_measure, last_who = "killed", None
        for rx, opts in self.rules.claims["casualties"]:
            measure = opts["measure"]
            for m in rx.finditer(text):
                if any(a < m.end("count") and m.start("count") < b for a, b in taken):
                    continue
                who = re.sub(r"^of ", "", (m.groupdict().get("who") or "").strip()) or None
                if measure == "of_killed" and (last_measure != "killed" or not taken):
                    continue
                meas = "killed" if measure == "of_killed" else measure
                if who is None and meas == "wounded" and last_who:
                    who = last_who
                try:
                    value = parse_count(m.group("count"), meas, who)
                except CountError:
                    continue
                taken.append((m.start("count"), m.end("count")))
                self._add(inc, "casualties", value, claimant, via, s)
                found += 1
                if meas == "killed" and who and s.paragraph > 0:
                    v = self.rules.victims_in_who.search(who)
                    victims = v.group("victims") if v else re.sub(r",.*$", "", who)
                    if victims.lower() not in self.rules.raw["generic_victims"]:
                        self._add(inc, "victims", victims, claimant, via, s)
                last_measure, last_who = meas, who
        for kind in ("blame", "denial", "perpetrator", "claim_responsibility", "victims"):
            for rx, opts in self.rules.claims[kind]:
                m = rx.search(text)
                if not m:
                    continue
                target = self.aside if opts.get("aside") else inc
                if target is None:
                    continue
                if opts.get("kin") and not _related(m.group("party"), claimant):
                    continue
                g = m.groupdict()
                who_claims, who_via = claimant, via
                if g.get("by"):
                    by = self.resolve_speaker(g["by"]) if kind != "blame" or " and " not in g["by"] else None
                    if kind == "blame" and " and " in g["by"]:
                        for one in re.split(r",? and |, ", g["by"]):
                            if sp := self.resolve_speaker(one):
                                found += self._party_claim(target, kind, g.get("party"), sp.claimant, sp.via, s)
                        break
                    if by is None:
                        continue
                    if speaker is not None and by.claimant != claimant:
                        who_via = speaker.person or speaker.claimant
                    who_claims = by.claimant
                    who_via = by.via or who_via
                    if by.person is None and speaker is None:
                        self.last_org = by.claimant
                    if speaker is None:
                        self.last_speaker = by
                if kind == "victims":
                    self._add(target, "victims", _tidy(g["victims"]), who_claims, who_via, s)
                    found += 1
                    break
                found += self._party_claim(target, kind, g.get("party"), who_claims, who_via, s)
                if not opts.get("aside"):
                    break
        return found

    def _party_claim(self, inc: _Incident, kind: str, party: str | None, claimant: str, via: str | None,
                     s: Sentence) -> int:
        if party:
            party = self.canonical(self._strip_weapons(party))
        if kind == "blame":
            if not party:
                return 0
            inc.blamed.append(party)
        elif kind == "denial":
            accused = next((b for b in reversed(inc.blamed) if _related(b, claimant)), None)
            party = accused or party or claimant
            if any(c.kind == "denial" and c.claimant == claimant for c in inc.claims):
                return 1  # one denial per party and incident; a second sentence only says it again
        elif kind in ("perpetrator", "claim_responsibility"):
            party = party or claimant
        if not party:
            return 0
        self._add(inc, kind, party, claimant, via, s)
        return 1

    def _strip_weapons(self, phrase: str) -> str:
        words = sorted(self.rules.raw["weapon_words"], key=len, reverse=True)
        return re.sub(r"\s(?:%s)$" % "|".join(map(re.escape, words)), "", phrase.strip())

    def _add(self, inc: _Incident, kind: str, value: Any, claimant: str, via: str | None, s: Sentence) -> None:
        for c in inc.claims:
            if c.kind == kind and c.claimant == claimant and _same_value(c.value, value):
                return
        inc.claims.append(Claim(id="new", incident=inc.incident.id, kind=kind, value=value, claimant=claimant,
                                via=via, quote=self.quote, source=self.source_id))

    # ---- the result ----------------------------------------------------------------------------------

    def _proposal(self) -> Proposal:
        used = {c.claimant for i in self.incidents for c in i.claims} | {
            c.value for i in self.incidents for c in i.claims if c.kind in ("blame", "denial", "perpetrator", "claim_responsibility")}
        parties: dict[str, Party] = {}
        for e in self.entities:
            if re.match(r"^(?:an?|one) ", e.name) or (
                    self._display(e) not in used and not (e.type == "person" and e.member_of in used)):
                continue
            pid = slug(_bare(e.name))
            if pid in parties:
                continue
            aliases = [a for a in ([e.acronym] if e.acronym else []) + [_bare(e.name)] if a and a != e.name]
            parties[pid] = Party(
                id=pid, name=self._display(e), type=e.type, aliases=aliases,
                descriptions=[Description(e.description, self.source_id)] if e.description else [],
                member_of=slug(_bare(e.member_of)) if e.member_of else None, role=e.role)
        for p in parties.values():
            if p.member_of and p.member_of not in parties:
                p.member_of = None
        source = Source(id=self.source_id, publisher=self.dateline.publisher or "unknown",
                        dateline=self.dateline.place, published=self.dateline.published, url=self.article.url,
                        article=self.article.path)
        self._to_battles()
        incidents = [i for i in self.incidents if i.claims]
        self._name_incidents(incidents)
        ds = Dataset(sources=[source], incidents=[i.incident for i in incidents],
                     claims=[c for i in incidents for c in i.claims], parties=list(parties.values()))
        return Proposal(ds, self.outlet)


def propose(article: Article, known_parties: list[Party] | None = None) -> Proposal:
    return Extractor(article, known_parties).run()


# ---- small text helpers ----------------------------------------------------------------------------------

def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "").replace("'", "")).strip("-")
    return (s or "x")[:60].strip("-")


def source_id(publisher: str | None, published: str | None) -> str:
    return slug(f"{publisher or 'article'}-{published or 'undated'}")


def _bare(name: str) -> str:
    return re.sub(r"^(?:the|The)\s+", "", (name or "").strip()).replace("’", "'")


def _acronym_name(phrase: str, acronym: str) -> str:
    """The words an acronym stands for, from the phrase before it: 'the UN and the Syrian Arab Red Crescent'
    (SARC) -> 'Syrian Arab Red Crescent'; "Haftar's Libyan National Army" (LNA) -> 'Libyan National Army'."""
    words = phrase.split()
    for start in range(len(words) - 1, -1, -1):
        tail = " ".join(words[start:])
        if _initials(tail) == acronym and not words[start][0].islower():
            return tail
    return re.sub(r"^(?:(?:of|for|and) )+", "", phrase)


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Z][\w'-]*", _bare(name)))


def _tidy_party(phrase: str) -> str:
    rules = load_rules()
    p = phrase.strip().strip(",.;:")
    p = rules.party_stop.sub("", p) if not re.search(r"\((?:[A-Z]{2,6})\)$", p) else p
    p = re.sub(rules.raw["party_epithets"], "the ", p)
    return re.sub(r"^The ", "the ", p.strip())


def _tidy(text: str) -> str:
    return text.strip().strip(",.;:").strip()


def _related(accused: str, claimant: str) -> bool:
    """'the US-led coalition' and 'the coalition's press office', 'Russia' and 'Russia's defence ministry'."""
    # five-letter stems, so that "Houthi forces" and "the Houthis' Al-Masirah" are kin
    a = {w[:5] for w in re.findall(r"[a-z]+", _bare(accused).lower()) if len(w) > 2 and w not in ("led", "the")}
    c = {w[:5] for w in re.findall(r"[a-z]+", _bare(claimant).lower())}
    return bool(a & c)


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(a.get(k) == b.get(k) for k in ("measure", "killed", "wounded", "low", "high", "qualifier"))
    return str(a).lower() == str(b).lower()


def _statement(content: str) -> str:
    t = content.strip().strip("“”\"").strip()
    t = re.sub(r"^(?:that|:)\s+", "", t)
    t = t.rstrip(".,").strip().strip("“”\"")
    return t[:1].lower() + t[1:] if t[:2].istitle() and not re.match(r"^[A-Z][a-z]+ [A-Z]", t) else t


def _appositive(text: str, place: str) -> str | None:
    m = re.search(re.escape(place) + r", (an? [^.]+?)(?:\.|$)", text)
    return m.group(1) if m else None


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _day(d: date) -> str:
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"
