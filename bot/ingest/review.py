"""Ingesting an article for review: read it, extract proposals, drop what is known, and show the result
as a review file (the YAML schema of data/incidents.yaml) or, in chat, as numbered proposals.

Nothing here writes: the command line prints the review file, the chat flow (bot/admin/ingest.py) lands
the accepted proposals with Store.add_batch.
"""
from __future__ import annotations

from dataclasses import replace

from bot.facts.counts import describe
from bot.facts.dataset import Dataset
from bot.facts.dates import DateError, parse_date
from bot.facts.models import Claim
from bot.ingest.extract import Proposal, propose
from bot.ingest.match import match_known
from bot.ingest.reader import TIMEOUT_S, Article, Dateline, ReadError, parse_dateline_option, read_source, read_text


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


def ingest(article: Article, known: Dataset) -> Proposal:
    """Proposals for an article, less what `known` already holds."""
    if not article.dateline.published:
        raise IngestError("the article gives no date; say it with --date YYYY-MM-DD (or a first line "
                          "'date 2018-06-19 AFP, BEIRUT')")
    return match_known(propose(article, known.parties), known)


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
