"""Questions about people and organisations, answered from party records and the claims that name them.

"Who is Rami Abdel Rahman?", "What is Brett McGurk's job?", "Where is the Observatory based?", "Who runs the
observatory?", "What did the coalition's press office tell reporters?" (across incidents), "Which incidents
did state media blame on the coalition?", "Which outlet published the report on Al-Hari?".

One call for the engine: `PartyQuestions.answer(question, words, ctx)` returns a Reply, or None when the
question is not one of these (then the engine answers it as an incident question). Claims name parties in
free text ("the Syrian Observatory for Human Rights", via "its head, Rami Abdel Rahman"); they are linked to
party records through the parties' names and aliases, once per store version, and only when a question
first needs it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from bot import answers
from bot.facts.models import Claim, Incident, Party
from bot.replies import Reply
from bot.rich import Rich
from bot.store import Store
from bot.understanding.context import ChatContext
from bot.understanding.parties import PartyFinder, PartyQuestion, PartyWords, asks_outlet, read_party_question
from bot.understanding.resolver import IncidentIndex

# Kinds whose value names a party (the accused, the one who denied or carried it out).
PARTY_VALUED = frozenset({"blame", "denial", "perpetrator", "claim_responsibility"})
INTENT_OF_KIND = {"denial": "denial", "blame": "blame", "claim_responsibility": "perpetrator"}
PROFILE_SHAPES = frozenset({"identity", "role", "based", "head"})


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
        self._finder = PartyFinder(())
        self._claims_version = -1
        self._spoken: dict[str, list[Claim]] = {}  # party id -> claims it (or a person via it) made
        self._named: dict[str, list[Claim]] = {}  # party id -> claims whose value names it

    def answer(self, question: str, words: list[str], ctx: ChatContext) -> Reply | None:
        """The answer to a question about a person or organisation, or None if it is not one."""
        finder = self.finder()
        mentions = finder.find(words, question)
        if not mentions:
            return self._outlet(question, ctx) if asks_outlet(words, self.words) else None
        typed = {p.id: p.type for p in self.store.parties()}
        asked = read_party_question(words, mentions, self.words, typed)
        if asked is None:
            return None
        if self._names_incident(question, words, asked):
            return None  # "what did the observatory say about Al-Hari", "the SDF operation in Hasakeh"
        if asked.bare and ctx.incident:
            return None  # "and state media?" after a question about Al-Hari: that incident, their figure
        if asked.shape not in PROFILE_SHAPES and ctx.incident and any(w in self.words.incident_pronouns
                                                                      for w in words):
            return None  # "what did the observatory say about it": the chat's incident
        confidence = 0.9 if all(m.exact for m in asked.mentions) else 0.75
        if asked.shape in PROFILE_SHAPES:
            return self._profile(asked, confidence)
        if asked.shape == "said":
            return self._said(asked, ctx, confidence)
        return self._incidents_of(asked, ctx, confidence)

    def finder(self) -> PartyFinder:
        """The party finder for the store's current parties (rebuilt after any change)."""
        if self._version != self.store.version:
            self._finder = PartyFinder(self.store.parties())
            self._version = self.store.version
        return self._finder

    # -- shapes --------------------------------------------------------------------------------------
    def _profile(self, asked: PartyQuestion, confidence: float) -> Reply | None:
        party = self.store.party(asked.subject or "")
        if party is None:
            return None
        facts = answers.PartyFacts(party, self.store.source, self.store.party(party.member_of or ""),
                                   self._members(party.id))
        body = {"identity": answers.party_profile, "role": answers.party_role, "based": answers.party_base,
                "head": answers.party_heads}[asked.shape](facts)
        return Reply(body, "sources", None, confidence)

    def _said(self, asked: PartyQuestion, ctx: ChatContext, confidence: float) -> Reply | None:
        party = self.store.party(asked.subject or "")
        if party is None:
            return None
        family = self._family(party.id)
        self._link_claims()
        claims = {c.id: c for pid in family for c in self._spoken.get(pid, ())}
        groups = self._by_incident(claims.values())
        return self._reply(answers.party_said(party, groups), "sources", groups, ctx, confidence)

    def _incidents_of(self, asked: PartyQuestion, ctx: ChatContext, confidence: float) -> Reply | None:
        subject = self.store.party(asked.subject or "")
        accused = self.store.party(asked.accused or "")
        self._link_claims()
        said = self._family(subject.id) if subject else set()
        blamed = self._family(accused.id) if accused else set()
        kinds = asked.kinds
        if kinds == ("denial",) and subject:
            # The one who denied is the claim's value ("the US-led coalition"), or who said it (its press office).
            picked = [c for pid in said for c in (*self._named.get(pid, ()), *self._spoken.get(pid, ()))
                      if c.kind == "denial"]
        elif subject:
            picked = [c for pid in said for c in self._spoken.get(pid, ()) if kinds is None or c.kind in kinds]
        else:
            picked = [c for pid in blamed for c in self._named.get(pid, ()) if kinds is None or c.kind in kinds]
        if accused and subject:
            picked = [c for c in picked if c.kind in PARTY_VALUED and self._value_party(c) in blamed]
        groups = self._by_incident({c.id: c for c in picked}.values())
        others: list[answers.Facts] = []
        if kinds == ("denial",) and subject:
            # "Which incidents did the US-led coalition deny?": the ones blamed on it that others denied too.
            mine = {g.incident.id for g in groups}
            blame = [c for pid in said for c in self._named.get(pid, ()) if c.kind == "blame" and c.incident not in mine]
            denied = {c.incident for c in blame if any(d.kind == "denial" for d in self.store.claims(c.incident))}
            extra = [c for i in sorted(denied) for c in self.store.claims(i) if c.kind in ("blame", "denial")]
            others = self._by_incident(extra)
        body = answers.party_incidents(subject, accused, kinds, groups, others)
        intent = INTENT_OF_KIND.get(kinds[0], "sources") if kinds else "sources"
        return self._reply(body, intent, groups + others, ctx, confidence)

    def _outlet(self, question: str, ctx: ChatContext) -> Reply | None:
        res = self._incidents().resolve(question, self._known_words)
        if res.ambiguous or res.unknown_name:
            return None  # let the engine ask which one, or say it has no record
        incident_id = res.candidates[0].incident_id if res.candidates else ctx.incident
        incident = self.store.incident(incident_id) if incident_id else None
        if incident is None:
            return None
        facts = answers.Facts(incident, self.store.claims(incident.id), self.store.source)
        ctx.incident, ctx.intent = incident.id, "sources"
        return Reply(answers.outlets(facts), "sources", incident.id, 0.9)

    # -- helpers -------------------------------------------------------------------------------------
    def _names_incident(self, question: str, words: list[str], asked: PartyQuestion) -> bool:
        """Whether the question names an incident (or a place we lack) with more than the party's own words:
        "the coalition press office" is in Al-Hari's description, "the strike near the iraq border" names it."""
        party_words = {i for m in asked.mentions for i in range(m.start, m.end)}
        res = self._incidents().resolve(question, self._known_words)
        if any(c.tokens - party_words for c in res.candidates) or any(not c.tokens for c in res.candidates):
            return True
        own = {words[i] for i in party_words}
        return bool(res.unknown_name and set(res.unknown_name.split()) - own)

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

    def _link_claims(self) -> None:
        """Which party made each claim (claimant, or a person named in `via`) and which its value names."""
        if self._claims_version == self.store.version:
            return
        finder = self.finder()
        spoken: dict[str, list[Claim]] = defaultdict(list)
        named: dict[str, list[Claim]] = defaultdict(list)
        for incident in self.store.iter_incidents():
            for c in self.store.claims(incident.id):
                speakers = finder.parties_in(c.claimant)[:1] if c.claimant else ()
                speakers += finder.parties_in(c.via) if c.via else ()
                for pid in dict.fromkeys(speakers):
                    spoken[pid].append(c)
                value = self._value_party(c)
                if value:
                    named[value].append(c)
        self._spoken, self._named, self._claims_version = dict(spoken), dict(named), self.store.version

    def _value_party(self, claim: Claim) -> str | None:
        if claim.kind not in PARTY_VALUED or not isinstance(claim.value, str):
            return None
        found = self.finder().parties_in(claim.value)
        return found[0] if found else None

    def _by_incident(self, claims: Iterable[Claim]) -> list[answers.Facts]:
        """Claims grouped by incident, the latest incident first (ties by id, so the order never varies)."""
        grouped: dict[str, list[Claim]] = defaultdict(list)
        for c in claims:
            grouped[c.incident].append(c)
        incidents = [i for iid in grouped if (i := self.store.incident(iid))]
        incidents.sort(key=lambda i: i.id)
        incidents.sort(key=lambda i: i.date.value or "", reverse=True)
        return [answers.Facts(i, _in_store_order(grouped[i.id], self.store.claims(i.id)), self.store.source)
                for i in incidents]

    def _reply(self, body: Rich, intent: str, groups: list[answers.Facts], ctx: ChatContext,
               confidence: float) -> Reply:
        # One incident: follow-ups ("how many died there?") are about it. Several: the chat's stays.
        incident: Incident | None = groups[0].incident if len({g.incident.id for g in groups}) == 1 else None
        if incident:
            ctx.incident, ctx.intent = incident.id, intent
        return Reply(body, intent, incident.id if incident else None, confidence)


def _in_store_order(claims: list[Claim], stored: list[Claim]) -> list[Claim]:
    wanted = {c.id for c in claims}
    return [c for c in stored if c.id in wanted]
