"""The answering pipeline: text in, Reply out. Knows nothing of consoles or Telegram.

normalise -> incident (fuzzy, else chat context, else ask) -> intent on the remaining words -> claims ->
worded answer + follow-up buttons.
"""
from __future__ import annotations

from itertools import islice
from typing import Any

from rapidfuzz import fuzz

from bot import answers
from bot.actions import DIGEST_MARK, Digests
from bot.understanding.context import ChatContext, Contexts, Pending
from bot.facts.kinds import kinds_for
from bot.facts.models import Claim
from bot.parties import PartyQuestions
from bot.understanding.resolver import MAX_LISTED, IncidentIndex, Resolution, incident_facts
from bot.replies import Button, Choice, Reply
from bot.rich import Rich
from bot.store import Store
from bot.text import STOPWORDS, clean_input, is_number, tokens
from bot.understanding.matcher import IntentMatcher

MAX_CHOICES = MAX_LISTED
MAX_FOLLOW_UPS = 4
# Words of a claimant's name that do not tell claimants apart ("the Syrian Observatory", "Syrian state media").
CLAIMANT_FILLER = STOPWORDS | {"syrian", "us", "head", "office"}
SAY_WORDS = frozenset({"say", "said", "says", "claim", "claimed", "claims", "report", "reported", "reports",
                       "according", "stated", "told"})
WOUNDED_WORDS = frozenset({"wounded", "injured", "hurt", "injuries", "wounds", "injury"})
ALONE = "\x00alone"  # the context key of answer_alone: no chat or console user has a NUL in its name
FOLLOW_UP_ORDER = ("casualties", "blame", "denial", "perpetrator", "victims", "location", "date", "sources")


class Engine:
    def __init__(self, store: Store, matcher: IntentMatcher | None = None, contexts: Contexts | None = None) -> None:
        self.store = store
        self.matcher = matcher or IntentMatcher.from_dir()
        self.contexts = contexts or Contexts()
        self._index: IncidentIndex | None = None
        self._index_version = -1
        self._latest: tuple[int, int, list[Any]] = (-1, 0, [])  # (store version, incidents, latest 20)
        self.parties = PartyQuestions(store, self.refresh_index, self.matcher.vocabulary)
        self._digests: tuple[int, Digests] = (-1, Digests([]))  # (store version, button digests of incident ids)

    @property
    def index(self) -> IncidentIndex:
        return self.refresh_index()

    def refresh_index(self) -> IncidentIndex:
        """Bring the incident index up to date with the store: the incidents a change touched, or all of it at
        start and after an import. Transports call it after an edit and at start, so neither cost lands on a
        user's question."""
        if self._index is not None and self._index_version != self.store.version:
            version, changed = self.store.changes_since(self._index_version)
            for incident_id in changed or ():
                incident = self.store.incident(incident_id)
                if incident is None:
                    self._index.remove(incident_id)
                else:
                    self._index.update(incident, self.store.claims(incident_id))
            self._index_version = version
            if changed is None:
                self._index = None
        if self._index is None:
            version = self.store.version
            figures: dict[str, set[int]] = {}
            descriptions: dict[str, str] = {}
            for i in self.store.incidents():
                figures[i.id], descriptions[i.id] = incident_facts(i, self.store.claims(i.id))
            self._index = IncidentIndex(self.store.incidents(), figures, descriptions)
            self._index_version = version
        return self._index

    # -- entry points ------------------------------------------------------------------------------
    def answer(self, text: str, chat: str = "console") -> Reply:
        question = clean_input(text)
        if not question:
            return Reply(answers.empty_question())
        ctx = self.contexts.get(chat)
        if ctx.pending:
            pending, ctx.pending = ctx.pending, None
            picked = self._pick(question, pending)
            if picked:
                return self._about(pending.intent, picked, ctx, 1.0, pending.wounded)
        # Misspelt question words ("denyed") are question words too, not names or descriptions.
        index, words = self.index, tokens(question)
        corrected = {w: self.matcher.correct(w) for w in words}
        misspelt = {w for w, c in corrected.items() if c != w and not index.has_word(w)}
        wounded = bool(WOUNDED_WORDS & set(corrected.values()))
        # Questions about a person or organisation ("who is Rami Abdel Rahman?", "what did the coalition say?").
        about_party = self.parties.answer(question, words, ctx)
        if about_party is not None:
            return about_party
        # "What did Syrian state media say about Al-Hari?": the words that may name who said it.
        speaker = frozenset(words) if SAY_WORDS & set(corrected.values()) else frozenset()
        res = index.resolve(question, self.matcher.vocabulary | misspelt)
        match = self.matcher.match(res.rest or question)
        intent, confidence = match.intent, match.confidence
        spec = self.matcher.specs.get(intent) if intent else None

        named = any(c.tokens for c in res.candidates)  # not just a year that happens to fit
        if intent == "out_of_scope" and not named:
            return self._small_talk(intent, confidence)
        if res.candidates and (spec is None or not spec.about_incident) and intent not in ("help", "thanks", "greeting"):
            # A named incident makes a weak incident intent likely right; a bare name ("Al-Hari", "and in Deir
            # Ezzor?") keeps the last question and switches incident.
            best = self.matcher.specs[match.best]
            if best.about_incident and match.confidence >= self.matcher.threshold * 0.7 and (
                    self.matcher.has_keyword(res.rest) or not ctx.intent):
                intent = best.name
            else:
                intent, wounded = ctx.intent or "summary", ctx.wounded
            confidence = max(confidence, res.candidates[0].score * 0.8)
            spec = self.matcher.specs[intent]
        if spec is None:
            if not res.candidates and not self.matcher.knows(question):
                return self._small_talk("out_of_scope", confidence)
            return Reply(answers.unsure(answers.EXAMPLE_QUESTIONS[:3]), None, None, confidence)
        if not spec.about_incident:
            return self._small_talk(spec.name, confidence)
        return self._incident_question(spec.name, confidence, res, ctx, wounded, speaker)

    def answer_alone(self, text: str) -> list[tuple[str, Reply]]:
        """A question answered with no chat's memory, as (title, reply) pairs: for inline mode, where every
        keystroke is a new query from no particular chat. A question that fits several incidents gets one
        answer per incident (at most MAX_CHOICES) instead of a "which one?"."""
        self.contexts.forget(ALONE)
        ctx = self.contexts.get(ALONE)
        try:
            reply = self.answer(text, ALONE)
            pending = ctx.pending
            if reply.choices and pending is not None:
                return [(c.title, self._about(pending.intent, c.id, ctx, reply.confidence, pending.wounded))
                        for c in reply.choices]
            incident = self.store.incident(reply.incident) if reply.incident else None
            return [(incident.title if incident else reply.text.split("\n", 1)[0], reply)]
        finally:
            self.contexts.forget(ALONE)

    def list_incidents(self) -> Reply:
        """The incidents, latest first (for /incidents)."""
        return self._small_talk("list_incidents", 1.0)

    def act(self, action: str, chat: str = "console") -> Reply:
        """Carry out a button's action: "pick:<incident>" or "ask:<intent>:<incident>", where <incident> is
        an id or, from a transport that limits a button's size, its digest (bot/actions.py)."""
        ctx = self.contexts.get(chat)
        kind, _, rest = action.partition(":")
        if kind == "pick":
            rest = self._button_incident(rest)
        if kind == "pick" and ctx.pending and rest in ctx.pending.options and self.store.incident(rest):
            pending, ctx.pending = ctx.pending, None
            return self._about(pending.intent, rest, ctx, 1.0, pending.wounded)
        if kind == "ask":
            intent, _, incident_id = rest.partition(":")
            incident_id = self._button_incident(incident_id)
            if intent in answers.INCIDENT_ANSWERS and self.store.incident(incident_id):
                return self._about(intent, incident_id, ctx, 1.0)
        return Reply(answers.stale_button())

    def _button_incident(self, ref: str) -> str:
        if not ref.startswith(DIGEST_MARK):
            return ref
        if self._digests[0] != self.store.version:  # built on the first such button after a change
            self._digests = (self.store.version, Digests(i.id for i in self.store.iter_incidents()))
        return self._digests[1].resolve(ref)

    # -- steps ---------------------------------------------------------------------------------------
    def _incident_question(self, intent: str, confidence: float, res: Resolution, ctx: ChatContext,
                           wounded: bool, speaker: frozenset[str] = frozenset()) -> Reply:
        if res.candidates:
            if res.ambiguous:
                close = [c.incident_id for c in res.close]
                if ctx.incident not in close:
                    return self._ask_which(intent, close, ctx, confidence, wounded)
                return self._about(intent, ctx.incident, ctx, confidence, wounded, speaker)
            return self._about(intent, res.candidates[0].incident_id, ctx, confidence, wounded, speaker)
        if res.unknown_name:
            # "what about Al-Hari then?" after this should keep the question; "it" should not mean the old one.
            ctx.intent, ctx.incident = intent, None
            near = [i for c in res.near if (i := self.store.incident(c.incident_id))]
            return Reply(answers.no_record(res.unknown_name, near), intent, None, confidence)
        if ctx.incident and self.store.incident(ctx.incident):
            return self._about(intent, ctx.incident, ctx, confidence, wounded, speaker)
        kinds = kinds_for(intent)
        # Only none, one, a few or too many matters, so stop at MAX_CHOICES + 1: with 100,000 incidents,
        # listing them all with their claims took 300 ms for every "who denied it?" without context.
        options = list(islice((i.id for i in self.store.iter_incidents()
                               if kinds is None or any(c.kind in kinds for c in self.store.claims(i.id))),
                              MAX_CHOICES + 1))
        if 1 < len(options) <= MAX_CHOICES:
            return self._ask_which(intent, options, ctx, confidence, wounded)
        if len(options) == 1:
            return self._about(intent, options[0], ctx, confidence, wounded)
        return Reply(answers.need_incident(), intent, None, confidence)

    def _about(self, intent: str, incident_id: str, ctx: ChatContext, confidence: float,
               wounded: bool = False, speaker: frozenset[str] = frozenset()) -> Reply:
        incident = self.store.incident(incident_id)
        assert incident is not None
        ctx.wounded = wounded and intent == "casualties"  # a follow-up such as "and in Deir Ezzor?" keeps it
        facts = answers.Facts(incident, self.store.claims(incident_id), self.store.source, wounded)
        ctx.incident, ctx.intent = incident_id, intent
        place = incident.place
        where = (place.lat, place.lon) if intent == "location" and place.lat is not None and place.lon is not None else None
        claimant = _named_claimant(facts.claims, speaker) if speaker else None
        body = answers.statements(facts, claimant) if claimant else answers.INCIDENT_ANSWERS[intent](facts)
        return Reply(body, intent, incident_id, confidence, buttons=self._follow_ups(intent, facts), location=where)

    def _follow_ups(self, intent: str, facts: answers.Facts) -> list[Button]:
        buttons = []
        for other in FOLLOW_UP_ORDER:
            kinds = kinds_for(other)
            if other == intent or (kinds and not facts.of(*kinds)):
                continue
            label = self.matcher.specs[other].button or other
            buttons.append(Button(label, f"ask:{other}:{facts.incident.id}"))
        return buttons[:MAX_FOLLOW_UPS]

    def _ask_which(self, intent: str, options: list[str], ctx: ChatContext, confidence: float,
                   wounded: bool = False) -> Reply:
        incidents = [i for o in options[:MAX_CHOICES] if (i := self.store.incident(o))]
        ctx.pending = Pending(intent, tuple(i.id for i in incidents), wounded)
        more = max(0, len(options) - MAX_CHOICES)
        return Reply(answers.which_incident(incidents, more), intent, None, confidence,
                     choices=[Choice(i.id, i.title) for i in incidents],
                     buttons=[Button(i.title, f"pick:{i.id}") for i in incidents])

    def _pick(self, reply: str, pending: Pending) -> str | None:
        number = reply.strip().rstrip(".)")
        if is_number(number):
            n = int(number)
            picked = pending.options[n - 1] if 1 <= n <= len(pending.options) else None
        else:
            res = self.index.resolve(reply, self.matcher.vocabulary, only=pending.options)
            picked = res.candidates[0].incident_id if res.candidates else None
        return picked if picked and self.store.incident(picked) else None  # it may be gone since we asked

    def _small_talk(self, intent: str, confidence: float) -> Reply:
        if intent == "list_incidents":
            # Sorted once per database version: sorting 100,000 incidents took 65 ms per question.
            if self._latest[0] != self.store.version:
                incidents = self.store.incidents()
                self._latest = (self.store.version, len(incidents),
                                sorted(incidents, key=lambda i: i.date.value or "", reverse=True)[:20])
            _, total, latest = self._latest
            return Reply(answers.incident_list(latest, total), intent, None, confidence,
                         buttons=[Button(i.title, f"ask:summary:{i.id}") for i in latest[:MAX_CHOICES]])
        body = {"greeting": answers.greeting, "thanks": answers.thanks, "help": answers.help_text,
                "out_of_scope": answers.out_of_scope}[intent]()
        return Reply(body, intent, None, confidence)


def _named_claimant(claims: list[Claim], words: frozenset[str]) -> str | None:
    """The claimant the question names ("state media", "the observatory"), if exactly one fits best."""
    scores: dict[str, int] = {}
    for c in claims:
        if c.claimant and c.claimant not in scores:
            own = {w for w in tokens(c.claimant) if w not in CLAIMANT_FILLER}
            scores[c.claimant] = sum(1 for w in own if any(fuzz.ratio(w, q) >= 85 for q in words))
    best = max(scores.values(), default=0)
    winners = [name for name, n in scores.items() if n == best]
    return winners[0] if best and len(winners) == 1 else None
