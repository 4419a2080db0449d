"""Admin commands, shared by the console and Telegram: add, correct, list, delete and undo facts; export.

`Admin(store).run(command, args, actor)` returns a Reply. Rights are checked before (bot/commands.py);
this module parses and validates. Every command validates all of its input before touching the store, so
a malformed command changes nothing and gets one line saying what was wrong and what was expected. Each
change is one Store call: one journalled change carrying its audit entry, which `/undo` reads back.

Arguments are read by bot/admin/lexer.py and incident fields validated by bot/admin/fields.py.

Sources: `source=` takes the id of a known source (e.g. afp-2018-06-19). Any other text is taken as the
publisher (or, if it starts with http, the URL) of a new source record, created in the same write as the
fact; an earlier bare record for the same publisher/URL is reused. Text that looks like a mistyped id of a
known source is refused with the closest id instead, so a typo never creates a junk source.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

from rapidfuzz import fuzz, process

from bot.admin.fields import (FACT_KEYS, INCIDENT_KEYS, apply_fields, check_length, echo, incident_diff,
                              incident_line, slug)
from bot.admin.lexer import AdminError, Args, parse_args
from bot.admin.parties import PARTY_KEYS, apply_party_fields, party_diff, party_line
from bot.facts.counts import CountError, describe, parse_count
from bot.facts.dataset import ID_RE
from bot.facts.kinds import ADMIN_ALIASES, ADMIN_KINDS, admin_name
from bot.facts.models import Claim, Incident, Party, Source
from bot.replies import Reply
from bot.rich import Rich
from bot.store import Store, StoreError
from bot.text import clip

T = TypeVar("T")

ADMIN_COMMANDS: dict[str, str] = {
    "newincident": "add an incident",
    "addfact": "add a fact to an incident",
    "setincident": "edit an incident's fields",
    "facts": "list an incident's facts with their ids",
    "delfact": "delete a fact",
    "newparty": "add a person or organisation",
    "setparty": "edit a person or organisation, or add what a source says they are",
    "party": "show a person or organisation with its sources (no id: list them)",
    "undo": "undo your last change",
    "export": "the whole database as YAML",
    "ingest": "propose facts from an article (its text or URL, or a file) for review",
}

USAGE: dict[str, str] = {
    "newincident": '/newincident <id> title="..." [date=YYYY-MM-DD|YYYY-MM|YYYY] [place="..."] [region="..."] '
                   '[country="..."] [aliases="a; b"] [type=airstrike]',
    "addfact": '/addfact <incident-id> <kind> <value> [by="claimant"] [source="..."] [quote="..."] [via="..."] '
               '[who="..."]',
    "setincident": "/setincident <id> key=value ... (keys: title, date, place, region, country, aliases, "
                   "summary, type, lat, lon, date_text, note)",
    "facts": "/facts <incident-id>",
    "delfact": "/delfact <fact-id>",
    "newparty": '/newparty <id> name="..." type=person|organisation [aliases="a; b"] [about="..." source=...] '
                '[member_of=<party-id>] [role="..."] [based_in="..."]',
    "setparty": "/setparty <id> key=value ... (keys: name, type, aliases, member_of, role, based_in; "
                'about="..." with source=... adds a description)',
    "party": "/party <party-id>",
    "undo": "/undo",
    "export": "/export",
    "ingest": "/ingest <article text or URL>",
}




# -- the commands ----------------------------------------------------------------------------------------
class Admin:
    def __init__(self, store: Store) -> None:
        self.store = store

    def run(self, command: str, args: str, actor: str) -> Reply:
        handler: Callable[[Args, str], Reply] | None = getattr(self, f"_{command}", None)
        if command not in ADMIN_COMMANDS or handler is None:
            return _error(command, f"unknown admin command; expected one of "
                          f"{', '.join('/' + c for c in ADMIN_COMMANDS)}")
        try:
            return handler(parse_args(args or ""), str(actor))
        except (AdminError, StoreError) as e:
            return _error(command, str(e))

    # /newincident <id> title="..." [key=value ...]
    def _newincident(self, args: Args, actor: str) -> Reply:
        incident_id = self._new_id(args, "newincident", "incident")
        existing = self.store.incident(incident_id)
        if existing:
            raise AdminError(f"duplicate id: {echo(incident_id)} is already the {existing.title}; pick another id, "
                             f"or change it with /setincident {incident_id} key=value")
        self._known_keys(args, INCIDENT_KEYS)
        if not args.options.get("title", "").strip():
            raise AdminError(f'missing title="..."; expected {USAGE["newincident"]}')
        incident = Incident(id=incident_id, title="")
        apply_fields(incident, args.options)
        added = self.store.add_incident(incident, actor)
        return _ok(Rich().para(f"Added incident {added.id}: {incident_line(added)}.")
                   .para(f'Add facts with /addfact {added.id} killed 12 by="..." source="..."'), added.id)

    # /setincident <id> key=value ...
    def _setincident(self, args: Args, actor: str) -> Reply:
        incident = self._edited(args, "setincident", "incident", INCIDENT_KEYS, self._incident)
        trial = copy.deepcopy(incident)
        apply_fields(trial, args.options)
        changes = incident_diff(incident, trial)
        if not changes:
            return _ok(Rich().para(f"{incident.id} already has those values; nothing was changed."), incident.id)
        options = dict(args.options)
        updated = self.store.update_incident(incident.id, lambda i: apply_fields(i, options), actor)
        return _ok(Rich().para(f"Updated incident {updated.id}: " + "; ".join(changes) + "."), updated.id)

    # /addfact <incident-id> <kind> <value> [by=...] [source=...] [quote=...] [via=...] [who=...] [note=...]
    def _addfact(self, args: Args, actor: str) -> Reply:
        pos = args.positional
        if len(pos) < 3:
            missing = ("the incident id, kind and value", "the kind and value", "the value")[len(pos)]
            raise AdminError(f"missing {missing}; expected {USAGE['addfact']}")
        incident = self._incident(pos[0])
        kind_word = self._kind(pos[1])
        value = " ".join(p for p in pos[2:] if p).strip()
        if not value:
            raise AdminError(f"missing the value; expected {USAGE['addfact']}")
        self._known_keys(args, FACT_KEYS)
        opts = {k: " ".join(v.split()) if k != "quote" else v.strip() for k, v in args.options.items()}
        for k, v in opts.items():
            check_length(f"{k}=", v)
        kind, measure = ADMIN_KINDS[kind_word]
        stored_value: Any
        if measure:
            try:
                stored_value = parse_count(value, measure, opts.get("who") or None)
            except CountError as e:
                raise AdminError(f"bad number for {kind_word}: {e}") from None
        else:
            if "who" in opts:
                raise AdminError(f"who= only goes with killed or wounded; for {kind_word} put the party in the value")
            check_length("the value", value)
            stored_value = " ".join(value.split())
        source_id, new_source = self._source(opts["source"]) if opts.get("source") else (None, None)
        claim = Claim(id="new", incident=incident.id, kind=kind, value=stored_value,
                      claimant=opts.get("by") or None, via=opts.get("via") or None, quote=opts.get("quote") or None,
                      note=opts.get("note") or None, source=source_id)
        added = self.store.add_claim(claim, actor, new_source=new_source)
        out = Rich().para(f"Added fact #{added.id} to {incident.id}: {self._fact_line(added)}.")
        if new_source:
            out.para(f"Recorded a new source {new_source.id} (publisher {new_source.publisher}"
                     f"{', ' + new_source.url if new_source.url else ''}).")
        return _ok(out.para("/undo removes it."), incident.id)

    # /facts <incident-id>
    def _facts(self, args: Args, actor: str) -> Reply:
        if not args.positional:
            ids = self.store.incident_ids()
            known = f"; incident ids: {', '.join(ids[:10])}{', ...' if len(ids) > 10 else ''}" if ids else ""
            raise AdminError(f"missing the incident id; expected {USAGE['facts']}{known}")
        incident = self._incident(args.positional[0])
        self._no_extra(args, 1, "facts")
        if args.options:
            raise AdminError(f"unexpected {next(iter(args.options))}=...; expected {USAGE['facts']}")
        claims = self.store.claims(incident.id)
        head = f"{incident.title} ({incident.id}): {len(claims)} fact{'s' if len(claims) != 1 else ''}"
        if not claims:
            return _ok(Rich().para(head + ".").para(f'Add one with /addfact {incident.id} killed 12 by="..."'),
                       incident.id)
        return _ok(Rich().para(head + ":").para("\n".join(f"#{c.id} {self._fact_line(c, short=True)}"
                                                          for c in claims)), incident.id)

    # /delfact <fact-id>
    def _delfact(self, args: Args, actor: str) -> Reply:
        if not args.positional:
            raise AdminError(f"missing the fact id; expected {USAGE['delfact']} (/facts <incident-id> lists the ids)")
        self._no_extra(args, 1, "delfact")
        if args.options:
            raise AdminError(f"unexpected {next(iter(args.options))}=...; expected {USAGE['delfact']}")
        fact_id = args.positional[0].lstrip("#")
        claim = self.store.claim(fact_id)
        if claim is None:
            raise AdminError(f"no fact #{clip(fact_id)}; expected a fact id as listed by /facts <incident-id>")
        line = self._fact_line(claim, short=True)
        self.store.delete_claim(fact_id, actor)
        return _ok(Rich().para(f"Deleted fact #{fact_id} from {claim.incident}: {line}.")
                   .para("/undo brings it back."), claim.incident)

    # /newparty <id> name="..." type=person|organisation [key=value ...]
    def _newparty(self, args: Args, actor: str) -> Reply:
        party_id = self._new_id(args, "newparty", "party")
        existing = self.store.party(party_id)
        if existing:
            raise AdminError(f"duplicate id: {echo(party_id)} is already {existing.name}; pick another id, "
                             f"or change it with /setparty {party_id} key=value")
        self._known_keys(args, PARTY_KEYS)
        for key in ("name", "type"):
            if not args.options.get(key, "").strip():
                raise AdminError(f'missing {key}=; expected {USAGE["newparty"]}')
        party = Party(id=party_id, name="")
        new_source = self._party_fields(party, args.options)
        added = self.store.add_party(party, actor, new_source=new_source)
        return _ok(Rich().para(f"Added party {added.id}: {party_line(added)}.")
                   .para(self._descriptions(added)).para("/undo removes it."))

    # /setparty <id> key=value ...
    def _setparty(self, args: Args, actor: str) -> Reply:
        party = self._edited(args, "setparty", "party", PARTY_KEYS, self._party_record)
        trial = copy.deepcopy(party)
        new_source = self._party_fields(trial, args.options)
        changes = party_diff(party, trial)
        if not changes:
            return _ok(Rich().para(f"{party.id} already has those values; nothing was changed."))
        updated = self.store.update_party(party.id, lambda p: _copy_fields(trial, p), actor, new_source=new_source)
        return _ok(Rich().para(f"Updated party {updated.id}: " + "; ".join(changes) + "."))

    # /party [<party-id>]
    def _party(self, args: Args, actor: str) -> Reply:
        if args.options:
            raise AdminError(f"unexpected {next(iter(args.options))}=...; expected {USAGE['party']}")
        if not args.positional:
            parties = sorted(self.store.parties(), key=lambda p: p.id)
            if not parties:
                return _ok(Rich().para("No parties yet.").para(f"Add one with {USAGE['newparty']}"))
            return _ok(Rich().para(f"{len(parties)} parties (/party <id> shows one):")
                       .para("\n".join(f"{p.id} — {p.name} ({p.type})" for p in parties)))
        party = self._party_record(args.positional[0])
        self._no_extra(args, 1, "party")
        members = sorted(p.id for p in self.store.parties() if p.member_of == party.id)
        out = Rich().para(f"{party.id}: {party_line(party)}.").para(self._descriptions(party))
        if members:
            out.para(f"Members: {', '.join(members)}.")
        return _ok(out)

    # /undo
    def _undo(self, args: Args, actor: str) -> Reply:
        if args.positional or args.options:
            raise AdminError("/undo takes no arguments; it undoes your own last change")
        entry = self.store.undo(actor)
        if entry is None:
            return _ok(Rich().para("You have no change left to undo; nothing was changed."))
        before, after, key = entry["before"], entry["after"], entry["key"]  # the undo's own before/after
        if entry.get("undid") == "add_batch":
            return _ok(Rich().para(f"Undone: your batch of {_batch_line(before)}; all of it is removed."))
        if entry["table"] == "incidents":
            if after is None:
                return _ok(Rich().para(f"Undone: your /newincident {before['id']} ({before['title']}); "
                                       "the incident is removed."))
            changes = incident_diff(Incident.from_dict(before), Incident.from_dict(after))
            return _ok(Rich().para(f"Undone: your /setincident {after['id']}; back to "
                                   + ("; ".join(changes) or "its previous fields") + "."), after["id"])
        if entry["table"] == "claims":
            if after is None:
                claim = Claim.from_dict({**before, "id": key})
                gone = f" and the source {claim.source} it added" if claim.source and not self.store.source(claim.source) else ""
                return _ok(Rich().para(f"Undone: your /addfact; fact #{key} on {claim.incident} is removed{gone}: "
                                       f"{self._fact_line(claim, short=True)}."), claim.incident)
            claim = Claim.from_dict({**after, "id": key})
            return _ok(Rich().para(f"Undone: your /delfact; fact #{key} is back on {claim.incident}: "
                                   f"{self._fact_line(claim, short=True)}."), claim.incident)
        if entry["table"] == "parties":
            if after is None:
                return _ok(Rich().para(f"Undone: your /newparty {before['id']} ({before['name']}); the party is removed."))
            changes = party_diff(Party.from_dict(before), Party.from_dict(after))
            return _ok(Rich().para(f"Undone: your /setparty {after['id']}; back to "
                                   + ("; ".join(changes) or "its previous fields") + "."))
        return _ok(Rich().para(f"Undone: your last change ({entry['table']} #{key})."))

    # /export
    def _export(self, args: Args, actor: str) -> Reply:
        if args.positional or args.options:
            raise AdminError("/export takes no arguments; it exports the whole database")
        data = self.store.dataset()
        text = data.to_yaml()
        body = Rich().para(f"Export of the whole database: {len(data.incidents)} incidents, {len(data.claims)} facts, "
                           f"{len(data.sources)} sources (incidents.yaml). Load it with "
                           "`python main.py import incidents.yaml --replace`.")
        return Reply(body, confidence=1.0, document=("incidents.yaml", text.encode("utf-8")))

    # -- helpers -----------------------------------------------------------------------------------------
    def _incident(self, incident_id: str) -> Incident:
        incident = self.store.incident(incident_id)
        if incident is not None:
            return incident
        lower = self.store.incident(incident_id.lower())
        if lower is not None:
            raise AdminError(f"no incident {echo(incident_id)}; ids are lower-case: did you mean {lower.id}?")
        hint = ""
        close = self._closest_incident(incident_id)
        if close:
            hint = f" (did you mean {close.id}, the {close.title}?)"
        raise AdminError(f"no incident {echo(incident_id)}{hint}; expected an incident id, "
                         "e.g. one listed by /facts with no arguments")

    def _closest_incident(self, text: str) -> Incident | None:
        names: dict[str, str] = {}
        for i in self.store.incidents():
            for name in (i.id, *i.names()):
                names.setdefault(name.lower(), i.id)
        if not names:
            return None
        hit = process.extractOne(text.lower(), list(names), scorer=fuzz.WRatio, score_cutoff=75)
        return self.store.incident(names[hit[0]]) if hit else None

    def _party_record(self, party_id: str) -> Party:
        party = self.store.party(party_id) or self.store.party(party_id.lower())
        if party is not None and party.id == party_id:
            return party
        if party is not None:
            raise AdminError(f"no party {echo(party_id)}; ids are lower-case: did you mean {party.id}?")
        close = self._closest_party(party_id)
        hint = f" (did you mean {close.id}, {close.name}?)" if close else ""
        raise AdminError(f"no party {echo(party_id)}{hint}; expected a party id, e.g. one listed by /party")

    def _closest_party(self, text: str) -> Party | None:
        names = {name.lower(): p.id for p in self.store.parties() for name in (p.id, *p.names())}
        hit = process.extractOne(text.lower(), sorted(names), scorer=fuzz.WRatio, score_cutoff=75) if names else None
        return self.store.party(names[hit[0]]) if hit else None

    def _party_fields(self, party: Party, options: dict[str, str]) -> Source | None:
        """Apply validated options to `party`; returns a new source its description cites, if any."""
        source_id, new_source = self._source(options["source"].strip()) if options.get("source", "").strip() \
            else (None, None)
        apply_party_fields(party, options, source_id or (new_source.id if new_source else None),
                           lambda pid: self._party_record(pid).id)
        return new_source

    def _descriptions(self, party: Party) -> str:
        if not party.descriptions:
            return 'No description yet; add one with about="..." source=...'
        lines = []
        for d in party.descriptions:
            src = self.store.source(d.source)
            lines.append(f"• {d.text} — {'source ' + d.source if d.source else 'no source'}"
                         f"{f' ({src.publisher})' if src and src.publisher != d.source else ''}")
        return "Described as:\n" + "\n".join(lines)

    def _kind(self, word: str) -> str:
        w = word.lower().strip()
        w = ADMIN_ALIASES.get(w, w)
        if w in ADMIN_KINDS:
            return w
        hit = process.extractOne(w, list(ADMIN_KINDS) + list(ADMIN_ALIASES), scorer=fuzz.ratio, score_cutoff=60)
        hint = f" (did you mean {ADMIN_ALIASES.get(hit[0], hit[0])}?)" if hit else ""
        raise AdminError(f"unknown kind {echo(word)}{hint}; expected one of {', '.join(ADMIN_KINDS)}")

    def _new_id(self, args: Args, command: str, what: str) -> str:
        """The id a /new... command gives, checked for form (not yet for being taken)."""
        if not args.positional:
            raise AdminError(f"missing the new {what}'s id; expected {USAGE[command]}")
        new_id = args.positional[0]
        self._no_extra(args, 1, command)
        if not ID_RE.match(new_id):
            raise AdminError(f"bad id {echo(new_id)}; expected lower-case letters, digits, '-', '.' or '_' "
                             f"(up to 80), e.g. {slug(new_id)}")
        return new_id

    def _edited(self, args: Args, command: str, what: str, keys: tuple[str, ...], lookup: Callable[[str], T]) -> T:
        """The record a /set... command edits, once its arguments are checked."""
        if not args.positional:
            raise AdminError(f"missing the {what} id; expected {USAGE[command]}")
        record = lookup(args.positional[0])
        self._no_extra(args, 1, command)
        if not args.options:
            raise AdminError(f"nothing to change; expected {USAGE[command]}")
        self._known_keys(args, keys)
        return record

    @staticmethod
    def _known_keys(args: Args, allowed: tuple[str, ...]) -> None:
        for key in args.options:
            if key not in allowed:
                hit = process.extractOne(key, list(allowed), scorer=fuzz.ratio, score_cutoff=60)
                hint = f" (did you mean {hit[0]}=?)" if hit else ""
                raise AdminError(f"unknown key {clip(key)}={hint}; expected {', '.join(k + '=' for k in allowed)}")

    @staticmethod
    def _no_extra(args: Args, n: int, command: str) -> None:
        if len(args.positional) > n:
            extra = " ".join(args.positional[n:])
            raise AdminError(f"unexpected {echo(extra)}; values with spaces go in quotes after a key, "
                             f"e.g. title=\"...\"; expected {USAGE[command]}")

    def _source(self, text: str) -> tuple[str | None, Source | None]:
        """A known source id, or a new source record for a publisher or URL (see the module docstring)."""
        known = {s.id: s for s in self.store.sources()}
        if text in known:
            return text, None
        for s in known.values():
            if s.id.lower() == text.lower():
                return s.id, None
        if re.match(r"^https?://", text, re.I):
            if any(c.isspace() for c in text):
                raise AdminError(f"bad source URL {echo(text)}; expected a URL without spaces")
            for s in known.values():
                if s.url == text:
                    return s.id, None
            host = (urlparse(text).hostname or "").removeprefix("www.")
            if not host:
                raise AdminError(f"bad source URL {echo(text)}; expected e.g. https://www.example.com/article")
            return None, Source(id=self._new_source_id(host, known), publisher=host, url=text)
        if ID_RE.match(text) and any(ch.isdigit() for ch in text):
            hit = process.extractOne(text, list(known), scorer=fuzz.ratio, score_cutoff=75)
            if hit:
                raise AdminError(f"unknown source id {echo(text)} (did you mean {hit[0]}?); expected a known source id, "
                                 'or a publisher or URL for a new source, e.g. source="Reuters"')
        for s in known.values():
            if s.publisher.lower() == text.lower() and not (s.url or s.published or s.dateline or s.article):
                return s.id, None  # the bare record an earlier /addfact made for this publisher
        return None, Source(id=self._new_source_id(text, known), publisher=text)

    @staticmethod
    def _new_source_id(name: str, known: dict[str, Source]) -> str:
        base = slug(name)
        sid, n = base, 2
        while sid in known:
            sid, n = f"{base}-{n}", n + 1
        return sid

    def _fact_line(self, claim: Claim, short: bool = False) -> str:
        """What a fact stores, in one line: 'killed: 38 ... — by X; via Y; source Z; quote “...”'."""
        if claim.kind == "casualties" and isinstance(claim.value, dict):
            what = describe(claim.value)
        else:
            what = f"{admin_name(claim.kind)}: {claim.value}"
        parts = []
        if claim.claimant:
            parts.append(f"by {claim.claimant}")
        if claim.via:
            parts.append(f"via {claim.via}")
        if claim.source:
            src = self.store.source(claim.source)
            publisher = f" ({src.publisher})" if src and src.publisher != claim.source else ""
            parts.append(f"source {claim.source}{publisher}")
        if claim.quote:
            q = claim.quote.strip()
            parts.append(f"quote “{q[:80] + '…' if short and len(q) > 80 else q}”")
        if claim.note:
            n = claim.note.strip()
            parts.append(f"note: {n[:80] + '…' if short and len(n) > 80 else n}")
        return what + (" — " + "; ".join(parts) if parts else " — no claimant given")


# -- incidents -------------------------------------------------------------------------------------------


def _batch_line(added: dict[str, list[str]]) -> str:
    """'2 incidents (a, b), 14 facts and 1 new source (x)': what a batch added, as its audit entry says."""
    def part(ids: list[str], noun: str, named: bool) -> str:
        names = f" ({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})" if named and ids else ""
        plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
        return f"{len(ids)} {noun if len(ids) == 1 else plural}{names}"
    parts = [part(added["incidents"], "incident", True), part(added["claims"], "fact", False),
             part(added["sources"], "new source", True)]
    if added.get("parties"):
        parts.append(part(added["parties"], "new party", True))
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _copy_fields(source: Party, target: Party) -> None:
    """Copy a validated trial's fields onto the stored record (the store keeps id and dates its own)."""
    for key in ("name", "type", "aliases", "descriptions", "member_of", "role", "based_in"):
        setattr(target, key, copy.deepcopy(getattr(source, key)))


def _ok(body: Rich, incident: str | None = None) -> Reply:
    return Reply(body, None, incident, 1.0)


def _error(command: str, message: str) -> Reply:
    return Reply(Rich().para(f"/{command}: {message} — nothing was changed."))
