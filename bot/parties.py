"""Questions about people and organisations, answered from party records and the claims that name them.

"Who is Rami Abdel Rahman?", "What is Brett McGurk's job?", "Where is the Observatory based?", "Who runs the
observatory?", "What did the coalition's press office tell reporters?" (across incidents), "Which incidents
did state media blame on the coalition?", "Which outlet published the report on Al-Hari?".

One call for the engine: `PartyQuestions.answer(question, words, ctx)` returns a Reply, or None when the
question is not one of these (then the engine answers it as an incident question). Claims name parties in
free text ("the Syrian Observatory for Human Rights", via "its head, Rami Abdel Rahman"); they are linked to
party records through the parties' names and aliases (bot/party_links.py: loaded from beside the database or
made when a question first needs them, then kept up to date incident by incident as the store changes). They
hold ids; an answer reads from the store only the incidents it shows.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

from bot import answers, party_links
from bot.facts.kinds import CLAIM_KINDS
from bot.facts.models import Claim, Incident, Party
from bot.party_links import PARTY_VALUED, Names, PartyLinks, Posting, names_of
from bot.replies import Reply
from bot.rich import Rich
from bot.store import Store
from bot.understanding.context import ChatContext
from bot.understanding.parties import (PartyFinder, PartyQuestion, PartyWords, asks_outlet, asks_source, has_phrase,
                                      pronoun_mention, read_party_question)
from bot.understanding.resolver import IncidentIndex

INTENT_OF_KIND = {"denial": "denial", "blame": "blame", "claim_responsibility": "perpetrator",
                  "perpetrator": "perpetrator"}
DONE_BY = ("perpetrator", "claim_responsibility")  # kinds whose value is who did it
PROFILE_SHAPES = frozenset({"identity", "role", "based", "head"})
# What "it"/"they" can ask about an organisation rather than an incident: an incident has no base or head.
ORGANISATION_SHAPES = frozenset({"role", "based", "head"})
MAX_INCIDENTS = 8  # incidents listed in one answer, latest first; the rest are counted


class PartyQuestions:
    def __init__(self, store: Store, incidents: Callable[[], IncidentIndex], known_words: frozenset[str],
                 words: PartyWords | None = None) -> None:
        """`incidents`: the engine's incident index (kept fresh by the engine); `known_words`: the intents'
        vocabulary, so question words are not taken for incident names."""
        self.store = store
        self._incidents = incidents
        self.words = words or PartyWords.load()
        self._known_words = known_words | self.words.vocabulary
        self._version = -1
        self._names: Names | None = None  # what the finder was built from
        self._finder = PartyFinder(())
        self._links = PartyLinks(self._finder, (), -1)  # none yet: linked when a question first needs them
        self._links_saved = -1  # the version of the links last saved beside the database

    def answer(self, question: str, words: list[str], ctx: ChatContext) -> Reply | None:
        """The answer to a question about a person or organisation, or None if it is not one."""
        finder = self.finder()
        mentions = finder.find(words, question)
        pointed = self.store.party(ctx.party) if not mentions and ctx.party else None
        if pointed:
            mentions = pronoun_mention(words, pointed.id, pointed.type == "person", self.words)
        who_is = bool(mentions) and " ".join(words[:mentions[0].start]) in ("who is", "who was", "who is the")
        if asks_source(words, self.words) and not who_is or not mentions and asks_outlet(words, self.words):
            named = {i for m in mentions for i in range(m.start, m.end)}  # "AFP" names no incident here
            return self._outlet(" ".join(w for i, w in enumerate(words) if i not in named), ctx)
        if not mentions:
            return None
        typed = {p.id: p.type for p in self.store.parties()}
        asked = read_party_question(words, mentions, self.words, typed)
        if asked is None or (pointed and pointed.type != "person" and (
                asked.shape not in ORGANISATION_SHAPES or ctx.incident and not any(
                    has_phrase(words, w) for w in self.words.organisation_words))):
            return None  # "what did they say?", "where is it?": the chat's incident more likely than its party
        if asked.shape != "based" and self._names_incident(question, words, asked):
            return None  # "what did the observatory say about Al-Hari", "the SDF operation in Hasakeh"
        if asked.bare and ctx.incident:
            return None  # "and state media?" after a question about Al-Hari: that incident, their figure
        if asked.shape not in PROFILE_SHAPES and ctx.incident and any(w in self.words.incident_pronouns
                                                                      for w in words):
            return None  # "what did the observatory say about it": the chat's incident
        confidence = 0.9 if all(m.exact for m in asked.mentions) else 0.75
        if asked.of_head:
            members = self._members(asked.subject or "")
            if not members:
                return self._profile(PartyQuestion("head", asked.subject, mentions=asked.mentions), confidence)
            asked = PartyQuestion(asked.shape, members[0].id, mentions=asked.mentions)
        subject = self.store.party(asked.subject or "")
        ctx.party = subject.id if subject else ctx.party
        if asked.shape in PROFILE_SHAPES:
            return self._profile(asked, confidence)
        if asked.shape == "said":
            return self._said(asked, ctx, confidence)
        return self._incidents_of(asked, ctx, confidence)

    def finder(self) -> PartyFinder:
        """The party finder for the store's current parties: rebuilt when their names change, and only then,
        since the claims' links to parties are all redone with a new finder."""
        if self._version != self.store.version:
            parties = self.store.parties()
            names = names_of(parties)
            if names != self._names:
                self._finder, self._names = PartyFinder(parties), names
            self._version = self.store.version
        return self._finder

    def claims_by(self, party_id: str, kinds: tuple[str, ...], ctx: ChatContext) -> Reply | None:
        """The incidents where a party made claims of these kinds, with the claims."""
        return self._incidents_of(PartyQuestion("incidents", party_id, kinds=kinds), ctx, 0.7)

    def profile(self, party_id: str, ctx: ChatContext) -> Reply | None:
        """Who or what a party is, as the reports describe it."""
        if self.store.party(party_id) is None:
            return None
        ctx.party = party_id
        return self._profile(PartyQuestion("identity", party_id), 0.6)

    # -- shapes --------------------------------------------------------------------------------------
    def _profile(self, asked: PartyQuestion, confidence: float) -> Reply | None:
        party = self.store.party(asked.subject or "")
        if party is None:
            return None
        if asked.shape == "based" and not party.based_in and (org := self.store.party(party.member_of or "")):
            party = org  # "where's his outfit based?": the organisation he heads or speaks for
        facts = answers.PartyFacts(party, self.store.source, self.store.party(party.member_of or ""),
                                   self._members(party.id))
        body = {"identity": answers.party_profile, "role": answers.party_role, "based": answers.party_base,
                "head": answers.party_heads}[asked.shape](facts)
        return Reply(body, "sources", None, confidence)

    def _said(self, asked: PartyQuestion, ctx: ChatContext, confidence: float) -> Reply | None:
        party = self.store.party(asked.subject or "")
        if party is None:
            return None
        self._link_claims()
        groups, more = self._latest(self._postings(self._links.spoken, self._family(party.id), CLAIM_KINDS))
        return self._reply(answers.party_said(party, groups, more), "sources", groups, ctx, confidence)

    def _incidents_of(self, asked: PartyQuestion, ctx: ChatContext, confidence: float) -> Reply | None:
        subject = self.store.party(asked.subject or "")
        accused = self.store.party(asked.accused or "")
        self._link_claims()
        said = self._family(subject.id) if subject else set()
        blamed = self._family(accused.id) if accused else set()
        kinds = asked.kinds or CLAIM_KINDS
        if kinds == ("denial",) and subject:
            # The one who denied is the claim's value ("the US-led coalition"), or who said it (its press office).
            postings = self._postings(self._links.named, said, kinds) + self._postings(self._links.spoken, said, kinds)
        elif kinds[0] in DONE_BY and subject:
            # Who carried it out or claimed it is the claim's value, whoever reports it.
            postings = self._postings(self._links.named, said, DONE_BY)
        elif subject:
            postings = self._postings(self._links.spoken, said, kinds)
        else:
            postings = self._postings(self._links.named, blamed, kinds)
        wanted = None
        if accused and subject:  # "what has state media blamed on the coalition?": read each claim's value
            wanted = lambda c: c.kind in PARTY_VALUED and self._value_party(c) in blamed  # noqa: E731
        groups, more = self._latest(postings, wanted)
        others: list[answers.Facts] = []
        more_others = 0
        if subject and (kinds == ("denial",) or kinds[0] in DONE_BY):
            # "Which incidents did the US-led coalition deny / carry out?": also those blamed on it that others
            # denied, or that no one admitted; the blame and the denials side by side, no side taken.
            mine = set().union(*(p.incidents for p in postings))
            others, more_others = self._latest(self._postings(self._links.named, said, ("blame",)), skip=mine,
                                               only=self._links.denied_in if kinds == ("denial",) else None,
                                               also=("blame", "denial"))
        body = answers.party_incidents(subject, accused, asked.kinds, groups, others, more, more_others)
        intent = INTENT_OF_KIND.get(kinds[0], "sources") if asked.kinds else "sources"
        return self._reply(body, intent, groups + others, ctx, confidence)

    def _outlet(self, question: str, ctx: ChatContext) -> Reply | None:
        res = self._incidents().resolve(question, self._known_words)
        if res.ambiguous or res.unknown_name:
            return None  # let the engine ask which one, or say it has no record
        incident_id = res.candidates[0].incident_id if res.candidates else ctx.incident
        incident = self.store.incident(incident_id) if incident_id else None
        if incident is None:  # "which news agency is all this from?": every report the records draw on
            return Reply(answers.all_outlets(self.store.sources()), "sources", None, 0.9)
        facts = answers.Facts(incident, self.store.claims(incident.id), self.store.source)
        ctx.incident, ctx.intent = incident.id, "sources"
        return Reply(answers.outlets(facts), "sources", incident.id, 0.9)

    # -- helpers -------------------------------------------------------------------------------------
    def _names_incident(self, question: str, words: list[str], asked: PartyQuestion) -> bool:
        """Whether the question names an incident (or a place we lack) with more than the party's own words:
        "the coalition press office" is in Al-Hari's description, "the strike near the iraq border" names it."""
        party_words = {i for m in asked.mentions for i in range(m.start, m.end)}
        index = self._incidents()
        # Without the party's words, so its name in an incident's description does not count, but a date does.
        rest = index.resolve(" ".join(w for i, w in enumerate(words) if i not in party_words), self._known_words)
        if rest.candidates or rest.unknown_name:
            return True
        if not rest.near:
            return False
        # Some description nearly fits: with the party's words it may ("the press office ... near the iraq border").
        whole = index.resolve(question, self._known_words)
        return any(c.tokens - party_words for c in whole.candidates)

    def _members(self, party_id: str) -> list[Party]:
        return sorted((p for p in self.store.parties() if p.member_of == party_id), key=lambda p: p.id)

    def _family(self, party_id: str) -> set[str]:
        """A party and everyone who heads or speaks for it, at any depth: their words are its words."""
        family, todo = set(), [party_id]
        while todo:
            pid = todo.pop()
            if pid not in family:
                family.add(pid)
                todo += [m.id for m in self._members(pid)]
        return family

    def prepare(self) -> None:
        """Link the claims now, not on the first party question: load the saved links or read every fact."""
        self._link_claims()

    def _link_claims(self) -> None:
        """Bring the links up to date with the store: relink the incidents changed since (a change costs what
        it changed, not a read of every fact). On the first question, and when the parties' names change
        (any claim may then name others), the links saved beside the database for these names, or all
        relinked; all relinked too after an import (the store then says "rebuild")."""
        if self._links.version == self.store.version:
            return
        finder = self.finder()
        if self._links.finder is not finder:
            self._links = party_links.load(self.store, finder, self._names) or self._link_all()
        if not self._links.update(self.store):
            self._link_all()

    def _link_all(self) -> PartyLinks:
        assert self._names is not None  # finder() has run
        self._links = party_links.link_all(self.store, self._finder, self._names)
        self._save_links()  # if the file holds this version: no journal since the last fold
        return self._links

    def save(self) -> None:
        """Save the links for the database file as it is now (a transport closing its store: the journal is
        folded), so the next start loads them rather than reading every fact; if they were ever made."""
        if self._links.version >= 0:
            self._link_claims()
            self._save_links()

    def _save_links(self) -> None:
        if self._links.version != self._links_saved and party_links.save(self.store, self._links):
            self._links_saved = self._links.version

    def _value_party(self, claim: Claim) -> str | None:
        if claim.kind not in PARTY_VALUED or not isinstance(claim.value, str):
            return None
        found = self.finder().parties_in(claim.value)
        return found[0] if found else None

    @staticmethod
    def _postings(table: dict[tuple[str, str], Posting], parties: set[str], kinds: tuple[str, ...]) -> list[Posting]:
        return [table[(pid, k)] for pid in sorted(parties) for k in kinds if (pid, k) in table]

    def _latest(self, postings: list[Posting], wanted: Callable[[Claim], bool] | None = None,
                skip: set[str] | None = None, only: set[str] | None = None,
                also: tuple[str, ...] = ()) -> tuple[list[answers.Facts], int]:
        """The claims of these postings (that are `wanted`, on incidents not in `skip` and in `only`), grouped
        by incident: the latest MAX_INCIDENTS incidents, and how many more there are. Without `wanted` the
        count comes from the postings' incident sets and only the incidents shown are read from the store,
        so the cost follows the answer, not how much a party said; with it, each incident is read to test
        its claims. `also`: more kinds of each shown incident's claims to show beside them."""
        if not postings:
            return [], 0
        total = set().union(*(p.incidents for p in postings))
        if skip:
            total -= skip
        if only is not None:
            total &= only
        shown: dict[str, set[str]] = {}
        passing: set[str] = set()
        for incident_id, ids in self._merged(postings, wanted):
            if incident_id not in total or not ids:
                continue
            if incident_id in shown:
                shown[incident_id].update(ids)
            elif len(shown) < MAX_INCIDENTS:
                shown[incident_id] = set(ids)
            elif wanted is None:
                break  # the rest are counted from the incident sets
            else:
                passing.add(incident_id)
        more = len(total) - len(shown) if wanted is None else len(passing)
        groups = []
        for incident_id, ids in shown.items():
            incident = self.store.incident(incident_id)
            if incident is not None:
                keep = [c for c in self.store.claims(incident_id) if c.id in ids or c.kind in also]
                groups.append(answers.Facts(incident, keep, self.store.source))
        return groups, more

    def _merged(self, postings: list[Posting], wanted: Callable[[Claim], bool] | None
                ) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Each posting's (incident, claim ids), latest incident first across all of them (one incident comes
        once per posting holding it, one after the other). With `wanted`, only the ids of wanted claims, read
        from the store once per incident."""
        place = self._links.place
        merged = heapq.merge(*(p.latest_first() for p in postings), key=lambda e: place[e[0]], reverse=True)
        if wanted is None:
            yield from merged
            return
        read: tuple[str, list[Claim]] = ("", [])
        for incident_id, ids in merged:
            if read[0] != incident_id:
                read = (incident_id, self.store.claims(incident_id))
            yield incident_id, tuple(c.id for c in read[1] if c.id in ids and wanted(c))

    def _reply(self, body: Rich, intent: str, groups: list[answers.Facts], ctx: ChatContext,
               confidence: float) -> Reply:
        # One incident: follow-ups ("how many died there?") are about it. Several: the chat's stays.
        incident: Incident | None = groups[0].incident if len({g.incident.id for g in groups}) == 1 else None
        if incident:
            ctx.incident, ctx.intent = incident.id, intent
        ctx.listed = tuple(dict.fromkeys(g.incident.id for g in groups))  # "how many died in them?"
        return Reply(body, intent, incident.id if incident else None, confidence)


