"""Ingesting an article for review: read it, extract proposals, drop what is known, and show the result
as a review file (the YAML schema of data/incidents.yaml) or, in chat, as numbered proposals.

Nothing here writes: the command line prints the review file, the chat flow (bot/admin/ingest.py) lands
the accepted proposals with Store.add_batch.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.facts.counts import describe
from bot.facts.dataset import Dataset
from bot.facts.dates import DateError, format_date, parse_date
from bot.facts.models import Claim
from bot.ingest.extract import Proposal, TooLong, propose
from bot.ingest.match import match_known
from bot.rich import Bold, Rich
from bot.ingest.reader import (TIMEOUT_S, Article, Dateline, ReadError, dateline_of, parse_dateline_option,
                               read_bytes, read_source, read_text)


class IngestError(ValueError):
    """An article that cannot be ingested; the message says why, in one line."""


def options(date: str | None = None, dateline: str | None = None) -> Dateline:
    """--date and --dateline as a Dateline (they fill what the article does not say)."""
    given = parse_dateline_option(dateline) if dateline else Dateline()
    if date:
        try:
            value, precision = parse_date(date)
        except DateError as e:
            raise IngestError(f"--date: {e}") from None
        if precision != "day":
            raise IngestError("--date: expected the report's day, YYYY-MM-DD")
        given.published = value
    return given


def read(source: str, given: Dateline | None = None, is_text: bool = False, timeout: float | None = None) -> Article:
    try:
        if is_text:
            return read_text(source, "the message", None, given)
        return read_source(source, given, timeout=timeout or TIMEOUT_S)
    except ReadError as e:
        raise IngestError(str(e)) from None


def read_bytes_article(data: bytes, name: str, caption: str = "") -> Article:
    """A document's bytes (a .txt or .html file sent in chat); a caption such as
    'date 2019-07-03 Reuters, TRIPOLI' gives the dateline the file lacks."""
    html = True if name.lower().endswith((".html", ".htm")) else None
    given = dateline_of(caption) if caption.strip() else None
    try:
        return read_bytes(data, name, html, given)
    except ReadError as e:
        raise IngestError(str(e)) from None


def ingest(article: Article, known: Dataset) -> Proposal:
    """Proposals for an article, less what `known` already holds."""
    if not article.dateline.published:
        raise IngestError("the article gives no date: start it with a line such as 'date 2018-06-19 AFP, BEIRUT' "
                          "(on the command line, --date YYYY-MM-DD works too)")
    try:
        return match_known(propose(article, known.parties), known)
    except TooLong as e:
        raise IngestError(str(e)) from None


def review_yaml(proposal: Proposal, known: Dataset, origin: str) -> str:
    """The review file: the proposals in the seed's schema, with the known incidents they add to."""
    ds = proposal.dataset
    by_id = {i.id: i for i in known.incidents}
    adding_to = [by_id[i] for i in proposal.existing if i in by_id]
    # numbered as the chat numbers them, so an admin can talk about "proposal 7"; import renumbers them
    claims = [replace(c, id=str(n)) for n, c in enumerate(ds.claims, 1)]
    doc = replace(ds, incidents=adding_to + ds.incidents, claims=claims)
    header = [f"# Proposed by `ingest` from {origin}. Review it: correct or delete entries; every claim keeps",
              "# the sentence it came from as its quote. Then load it with `python main.py import FILE`.",
              "# Nothing has been written to the database."]
    if adding_to:
        header.append("# Incidents already in the database are repeated unchanged; their new claims are added to them: "
                      + ", ".join(i.id for i in adding_to) + ".")
    if not ds.claims:
        header.append("# Nothing new: the database already holds every fact found in the article.")
    return "\n".join(header) + "\n" + doc.to_yaml()


def summary(proposal: Proposal) -> str:
    ds = proposal.dataset
    new = len(ds.incidents)
    return (f"proposed {len(ds.claims)} facts: {new} new incident{'s' * (new != 1)}, "
            f"{len(proposal.existing)} known; {len(ds.parties)} new parties")


def claim_line(claim: Claim) -> str:
    """One proposal as the chat shows it: kind, value, claimant, conduit."""
    value = describe(claim.value) if claim.kind == "casualties" and isinstance(claim.value, dict) else str(claim.value)
    via = f" ({claim.via})" if claim.via else ""
    return f"{claim.kind}: {value} — {claim.claimant}{via}"


# ---- the chat review: proposals numbered and grouped by incident, accepted or skipped one by one ----------

@dataclass
class Review:
    """One admin's review of one article's proposals. Numbers are 1-based, in the order of `claims`."""
    proposal: Proposal
    origin: str  # "AFP, 19 June 2018"
    known_titles: dict[str, str] = field(default_factory=dict)  # known incident id -> title
    decisions: dict[int, bool] = field(default_factory=dict)  # number -> accepted

    @property
    def claims(self) -> list[Claim]:
        return self.proposal.dataset.claims

    def pending(self) -> list[int]:
        return [n for n in range(1, len(self.claims) + 1) if n not in self.decisions]

    def decide(self, number: int, accept: bool) -> None:
        if 1 <= number <= len(self.claims):
            self.decisions[number] = accept

    def accept_rest(self) -> None:
        for n in self.pending():
            self.decisions[n] = True

    def accepted(self) -> Dataset:
        """What lands: the accepted claims, the new incidents they need, the article as their source, and
        the proposed parties they name."""
        ds = self.proposal.dataset
        claims = [c for n, c in enumerate(ds.claims, 1) if self.decisions.get(n)]
        used = {c.incident for c in claims}
        named = {x for c in claims for x in (c.claimant, c.value) if isinstance(x, str)}
        vias = " ".join(c.via for c in claims if c.via)
        parties = [p for p in ds.parties if p.name in named or re.search(rf"\b{re.escape(p.name)}\b", vias)]
        kept = {p.id for p in parties}
        parties = [replace(p, member_of=p.member_of if p.member_of in kept else None) for p in parties]
        return Dataset(sources=ds.sources if claims else [], incidents=[i for i in ds.incidents if i.id in used],
                       claims=claims, parties=parties)

    def incident_label(self, incident_id: str) -> str:
        new = next((i for i in self.proposal.dataset.incidents if i.id == incident_id), None)
        if new is None:
            return f"{self.known_titles.get(incident_id, incident_id)} (known: {incident_id})"
        where = ", ".join(x for x in (new.place.name, new.place.region, new.place.country) if x)
        when = format_date(new.date.value, new.date.precision)
        return f"{new.title} (new: {new.id}; {when}; {where or 'place not given'})"

    def overview(self) -> Rich:
        ds = self.proposal.dataset
        out = Rich().para(Bold(f"{len(ds.claims)} proposed fact{'s' * (len(ds.claims) != 1)}"),
                          f" from {self.origin}; nothing is written until you accept.")
        order = list(dict.fromkeys(c.incident for c in ds.claims))
        for incident_id in order:
            out.para(Bold(self.incident_label(incident_id)))
            for n, c in enumerate(ds.claims, 1):
                if c.incident == incident_id:
                    out.para(f"{n}. {claim_line(c)}")
        if ds.parties:
            out.para("New parties: " + "; ".join(p.name for p in ds.parties) + ".")
        return out

    def item(self, number: int) -> Rich:
        c = self.claims[number - 1]
        left = len(self.pending())
        return (Rich().para(Bold(f"Proposal {number} of {len(self.claims)}"), f" ({left} left) — ",
                            self.incident_label(c.incident))
                .para(claim_line(c)).para(f"“{c.quote}”" if c.quote else None))
