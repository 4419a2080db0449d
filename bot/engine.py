"""The answering pipeline: text in, Reply out. Knows nothing of consoles or Telegram.

normalise -> incident (fuzzy, else chat context, else ask) -> intent on the remaining words -> claims ->
worded answer + follow-up buttons.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice

from rapidfuzz import fuzz

from bot import answers, checks
from bot.actions import DIGEST_MARK, Digests
from bot.facts.dates import format_date
from bot.facts.models import Claim
from bot.parties import PARTY_VALUED, PartyQuestions
from bot.understanding.resolver import COUNTRY_WEIGHT, MAX_LISTED, IncidentIndex, Resolution
from bot.replies import Button, Choice, Reply
from bot.rich import Rich
from bot.store import Store
from bot.text import STOPWORDS, clean_input, is_number, tokens
from bot.understanding.context import ChatContext, Contexts, Pending
from bot.understanding.filters import Filter, FilterIndex, victim_key
from bot.understanding.frame import ACROSS, LATEST, NAMED_SCORE, OUTSIDE, QUOTE, TOTAL, FrameParser, Part, attributed
from bot.understanding.language import has_phrase
from bot.understanding.matcher import IntentMatcher
from bot.understanding import indexes

MAX_CHOICES = MAX_LISTED
MAX_FOLLOW_UPS = 4
QUOTE_SEARCH = 500  # incidents searched for "who said X?" when the question and the chat name none
# Words of a claimant's name that do not tell claimants apart ("the Syrian Observatory", "Syrian state media").
CLAIMANT_FILLER = STOPWORDS | {"syrian", "us", "head", "office"}
WOUNDED_WORDS = frozenset({"wounded", "injured", "hurt", "injuries", "wounds", "injury"})
ALONE = "\x00alone"  # the context key of answer_alone: no chat or console user has a NUL in its name
# A named incident with an unclear question: the likeliest question about an incident scoring this (of 100)
# is taken; below it the bot asks, with the incident's gist and buttons, rather than guessing a summary.
GUESS_SCORE = 45.0
MAX_REMEMBERED = 1000  # incidents of a list kept for a follow-up on it ("and who denied them?")


class Engine:
    def __init__(self, store: Store, matcher: IntentMatcher | None = None, contexts: Contexts | None = None) -> None:
        self.store = store
        self.matcher = matcher or IntentMatcher.from_dir()
        self.contexts = contexts or Contexts()
        missing = sorted(set(self.matcher.specs) - set(answers.HANDLERS))
        if missing:
            raise ValueError(f"intents without an answer in bot/answers.py (@handler): {', '.join(missing)}")
        self._follow_ups_order = sorted((s.follow_up, s.name) for s in self.matcher.specs.values() if s.follow_up)
        self._index: IncidentIndex | None = None
        self._filters: FilterIndex | None = None
        self._parser: FrameParser | None = None
        self._index_version = -1
        self._index_saved = -1  # the index version saved beside the database (or loaded from it as it is)
        self._parties_seen: tuple[tuple[str, ...], ...] = ()  # the party names the filters were keyed with
        self.parties = PartyQuestions(store, lambda: self.index, self.matcher.vocabulary)
        self._digests: tuple[int, Digests] = (-1, Digests([]))  # (store version, button digests of incident ids)
        self._changing = threading.Lock()  # held around a change to the store and the index rebuild after it

    @property
    def index(self) -> IncidentIndex:
        return self.refresh_index()

    @property
    def index_version(self) -> int:
        """The store version the incident index describes (-1 before it is first made)."""
        return self._index_version

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold around a change to the store made in another thread (an admin command, off the event loop):
        answers meanwhile keep the index as it is, and the first answer after the change brings it up to
        date on the answering thread, so the index is never changed under a reader."""
        with self._changing:
            yield

    def refresh_index(self) -> IncidentIndex:
        """Bring the incident index up to date with the store: the incidents a change touched, or all of it at
        start (saved beside the database: loaded when it fits, see understanding/indexes.py) and after an
        import. Transports call it at start, so that cost never lands on a user's question."""
        if self._index is not None and self._changing.locked():
            return self._index  # a change is under way: answer from the index as it was
        opened = None
        if self._index is None:
            opened = indexes.load(self.store) or indexes.build(self.store)
            self._use(opened)
        if self._index is not None and self._index_version != self.store.version:
            version, changed = self.store.changes_since(self._index_version)
            for incident_id in changed or ():
                incident = self.store.incident(incident_id)
                claims = self.store.claims(incident_id) if incident else []
                if incident is None:
                    self._index.remove(incident_id)
                else:
                    self._index.update(incident, claims)
                if self._filters is not None:
                    self._filters.update(incident_id, incident, claims)  # the same path: one change, one incident
            self._index_version = version
            # A party's names decide which claims name it: a party edit re-keys the filters (rare, small).
            parties = indexes.parties_key(self.store.parties())
            if changed is None or parties != self._parties_seen:
                self._index = None
        if self._index is None:
            opened = indexes.build(self.store)
            self._use(opened)
        if opened is not None and not opened.built and opened.version == self._index_version:
            self._index_saved = opened.version  # loaded, and the file it was saved for is as it was
        elif opened is not None:
            self._save_index()
        if opened is not None and opened.built:
            # No saved copy fitted the file (a first start, an import): nor will the party links'. Linking
            # reads every fact (seconds at 100,000 incidents): here, not on someone's first party question.
            self.parties.prepare()
        assert self._index is not None
        return self._index

    def _save_index(self) -> None:
        assert self._index is not None and self._filters is not None
        if indexes.save(self.store, indexes.Indexes(self._index, self._filters, self._index_version,
                                                    self._parties_seen, built=False)):
            self._index_saved = self._index_version

    def close(self) -> None:
        """Close the store, which folds its journal into the TinyDB file, and save the indexes and the party
        links for the folded file, so the next start loads them rather than building them (a transport that
        owns the store)."""
        self.store.close()
        if self._index is not None and not self._changing.locked():
            self.refresh_index()
            if self._index_version != self._index_saved:
                self._save_index()
            self.parties.save()

    def _use(self, opened: indexes.Indexes) -> None:
        self._index, self._filters = opened.names, opened.filters
        self._parser = FrameParser(self.matcher, opened.names, opened.filters)
        self._parties_seen, self._index_version = opened.parties, opened.version

    @property
    def filters(self) -> FilterIndex:
        self.refresh_index()
        assert self._filters is not None
        return self._filters

    @property
    def parser(self) -> FrameParser:
        self.refresh_index()
        assert self._parser is not None
        return self._parser

    # -- entry points ------------------------------------------------------------------------------
    def answer(self, text: str, chat: str = "console") -> Reply:
        question = clean_input(text)
        if not question:
            return Reply(answers.empty_question())
        ctx = self.contexts.get(chat)
        if ctx.incident and ctx.intent and " ".join(tokens(question)) in self.matcher.signals.why_alone \
                and self.store.incident(ctx.incident):
            reply = self._about(ctx.intent, ctx.incident, ctx, 1.0)  # "why?" after "who denied it?"
            reply.body = answers.no_reasons().extend(reply.body)
            return reply
        if ctx.pending:
            pending, ctx.pending = ctx.pending, None
            picked = self._pick(question, pending)
            if picked:
                return self._about(pending.intent, picked, ctx, 1.0, pending.wounded)
        question = self._other_one(question, ctx)
        frame = self.parser.parse(question, listed=bool(ctx.listed), recent=ctx.recent)
        parts = frame.parts
        if len(parts) == 1 and parts[0].form == "wh" and parts[0].target != "party" and not parts[0].premise:
            # as typed (its capitals mark names), unless the frame dropped words ("same question for …")
            asked = question if tokens(question) == parts[0].text.split() else parts[0].text
            return self._single(asked, ctx, self._own_res(parts[0]))
        replies = [self._part(p, ctx) for p in parts]
        if len(replies) == 1:
            return replies[0]
        body = Rich()
        for r in replies:
            body.extend(r.body)
        first, last = replies[0], replies[-1]
        return Reply(body, first.intent, last.incident or first.incident, min(r.confidence for r in replies),
                     buttons=last.buttons)

    def _other_one(self, question: str, ctx: ChatContext) -> str:
        """ "and the other one?" with the other one's title in its place, when the chat's last list (or its last
        two answers) had two incidents and one of them was just answered."""
        text = f" {' '.join(tokens(question))} "
        phrase = next((p for p in self.matcher.signals.other_one if f" {p} " in text), None)
        pool = ctx.listed if len(ctx.listed) == 2 else ctx.recent[-2:]
        others = [i for i in pool if i != (ctx.incident or (ctx.recent[-1] if ctx.recent else None))]
        if phrase is None or len(pool) != 2 or len(others) != 1 or not self.store.incident(others[0]):
            return question
        return text.replace(f" {phrase} ", f" the {self.filters.titles[others[0]]} ").strip()

    def _single(self, question: str, ctx: ChatContext, res: Resolution | None = None) -> Reply:
        """One question about one incident (or small talk): the pipeline the frame hands plain questions to,
        with the incidents the frame found in it (`res`), if it read the whole question."""
        # Misspelt question words ("denyed") are question words too, not names or descriptions.
        index, words = self.index, tokens(question)
        corrected = {w: self.matcher.correct(w) for w in words}
        misspelt = {w for w, c in corrected.items() if c != w and not index.has_word(w)}
        wounded = bool(WOUNDED_WORDS & set(corrected.values()))
        # Questions about a person or organisation ("who is Rami Abdel Rahman?", "what did the coalition say?").
        # (not when the frame found the incident in the whole question: "who blamed the coalition for the
        # strike the Pentagon denied?" names parties, but asks about that strike)
        described = res is not None and res.described
        # "Who said the coalition did it?" asks who said it: the party named is what was said, not the speaker.
        asks_who = any(" ".join(words).startswith(o + " ") for o in self.matcher.signals.quote_openers)
        about_party = None if described or asks_who else self.parties.answer(question, words, ctx)
        if about_party is not None:
            return about_party
        # "What did Syrian state media say about Al-Hari?": the words that may name who said it.
        speaker = frozenset(words) if self.parties.words.said_words & set(corrected.values()) and not asks_who \
            else frozenset()
        party = self.store.party(ctx.party) if speaker and ctx.party else None
        if party and set(words) & self.parties.words.pronouns:
            speaker |= frozenset(tokens(party.name))  # "what did they say about Al-Hari?" after the Observatory
        res = res or index.resolve(question, self.matcher.vocabulary | misspelt, not_names=self.filters.names.words())
        at = attributed(words)
        match = self.matcher.match(" ".join(words[at:]) if at is not None else res.rest or question)
        intent, confidence = match.intent, match.confidence
        spec = self.matcher.specs.get(intent) if intent else None

        named = any(c.tokens for c in res.candidates)  # not just a year that happens to fit
        if intent == "out_of_scope" and not named:
            return self._small_talk(intent, confidence)
        if res.candidates and (spec is None or not spec.about_incident) and intent not in ("help", "thanks", "greeting"):
            # A named incident makes a weak incident intent likely right; a bare name ("Al-Hari", "and in Deir
            # Ezzor?") keeps the last question and switches incident.
            best = self.matcher.specs[match.best]
            bare = all(w in STOPWORDS for w in tokens(res.rest))
            if best.about_incident and match.confidence >= self.matcher.threshold * 0.7 and (
                    self.matcher.has_keyword(res.rest) or not ctx.intent):
                intent = best.name
            elif bare or ctx.intent:
                intent, wounded = ctx.intent or "summary", ctx.wounded
            elif best.about_incident:
                intent = best.name  # a weak guess at what was asked beats a summary of everything
            elif speaker and self.parties.finder().find(words):
                intent = "summary"  # "what did Rami Abdel Rahman say about Al-Hari?": all that he said on it
            elif (guess := max((n for n, sp in self.matcher.specs.items() if sp.about_incident),
                               key=lambda n: match.scores.get(n, 0.0))) and \
                    match.scores.get(guess, 0.0) >= GUESS_SCORE:
                intent = guess  # the best of the questions about an incident, if it is not a wild guess
            else:
                incident = res.candidates[0].incident_id
                facts = self._facts(incident)
                ctx.incident = incident
                return Reply(answers.unsure_about(facts), None, incident, confidence,
                             buttons=self._follow_ups("summary", facts))
            confidence = max(confidence, res.candidates[0].score * 0.8)
            spec = self.matcher.specs[intent]
        if spec is None and not res.candidates and ctx.incident and not res.unknown_name \
                and self.matcher.specs[match.best].about_incident and confidence >= self.matcher.threshold * 0.7:
            spec = self.matcher.specs[match.best]  # "who carried those out?" about the incident just discussed
        if spec is None and res.unknown_name and not res.candidates and not res.ruled_out and not all(
                self.matcher.is_common(w) for w in res.unknown_name.split()):
            spec = self.matcher.specs["summary"]  # "anything on the Raqqa airstrikes?": one we have no record of
        if spec is None:
            if not res.candidates and not self.matcher.knows(question):
                return self._small_talk("out_of_scope", confidence)
            return Reply(answers.unsure(answers.EXAMPLE_QUESTIONS[:3]), None, None, confidence)
        if not res.candidates and not res.unknown_name and spec.about_incident and spec.claims and ctx.party \
                and set(words) & self.parties.words.person_pronouns:
            said = self.parties.claims_by(ctx.party, spec.claims, ctx)  # "what figure did he put on the dead?"
            if said is not None:
                return said
        if spec.name == "list_incidents" and res.unknown_name:
            spec = self.matcher.specs["summary"]  # "any info on the Raqqa airstrike?": one we have no record of
        if not spec.about_incident:
            return self._small_talk(spec.name, confidence)
        before = ctx.incident  # "no, I meant the one in February": a date alone moves to another incident
        reply = self._incident_question(spec.name, confidence, res, ctx, wounded, speaker, _figure(words))
        switched = reply.incident != before and bool(before) and not any(c.tokens for c in res.candidates)
        if (res.described or switched and res.candidates) and reply.incident and not reply.choices:
            # "the one where Russians died": say which incident that is, as a name would have
            reply.body = answers.on_incident(self.filters.titles[reply.incident]).extend(reply.body)
        missing = self._unreported(words, reply.incident) if reply.intent in ("casualties", "victims") else []
        if reply.incident and missing:
            # "How many civilians died at Al-Hari?": no report says civilians died there; say so before the figures
            reply.body = answers.victims_not_reported(missing, self.filters.titles[reply.incident]).extend(reply.body)
        return reply

    def _unreported(self, words: list[str], incident_id: str | None) -> list[str]:
        """The victim groups the question names ("civilians") that no claim on the incident says died."""
        if incident_id is None:
            return []
        text = " ".join(words)
        groups = [g for g in self.matcher.signals.victim_groups if has_phrase(text, (g,))]
        return [g for g in groups if not self.filters.match(
            Filter(victims=(victim_key(g.split()[-1]),), within=frozenset((incident_id,))))]

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
            spec = self.matcher.specs.get(intent)
            if spec and spec.about_incident and self.store.incident(incident_id):
                return self._about(intent, incident_id, ctx, 1.0)
        return Reply(answers.stale_button())

    def _button_incident(self, ref: str) -> str:
        if not ref.startswith(DIGEST_MARK):
            return ref
        if self._digests[0] != self.store.version:  # built on the first such button after a change
            self._digests = (self.store.version, Digests(self.store.incident_ids()))
        return self._digests[1].resolve(ref)

    # -- steps ---------------------------------------------------------------------------------------
    def _incident_question(self, intent: str, confidence: float, res: Resolution, ctx: ChatContext,
                           wounded: bool, speaker: frozenset[str] = frozenset(), figure: int | None = None) -> Reply:
        if res.candidates:
            if res.ambiguous:
                close = [c.incident_id for c in res.close]
                # "how many died in the June one?": of June's incidents, the ones with figures.
                kinds = self.matcher.specs[intent].claims
                with_claims = [i for i in close if kinds and self.filters.has_claim(i, kinds)]
                if len(with_claims) == 1:
                    return self._about(intent, with_claims[0], ctx, confidence, wounded, speaker, figure)
                if ctx.incident not in close:
                    return self._ask_which(intent, close, ctx, confidence, wounded)
                return self._about(intent, ctx.incident, ctx, confidence, wounded, speaker, figure)
            return self._about(intent, res.candidates[0].incident_id, ctx, confidence, wounded, speaker, figure)
        if res.ruled_out:
            ctx.intent, ctx.incident = intent, None
            # "oh, I meant 2018": the next message may pick one of them, by a date or a name, as from a list.
            ctx.pending = Pending(intent, tuple(c.incident_id for c in res.ruled_out), wounded)
            return Reply(self._ruled_out(res), intent, None, confidence)
        if res.unknown_name:
            # "what about Al-Hari then?" after this should keep the question; "it" should not mean the old one.
            ctx.intent, ctx.incident = intent, None
            near = [i for c in res.near if (i := self.store.incident(c.incident_id))]
            return Reply(answers.no_record(res.unknown_name, near), intent, None, confidence)
        if ctx.incident and self.store.incident(ctx.incident):
            return self._about(intent, ctx.incident, ctx, confidence, wounded, speaker)
        kinds = self.matcher.specs[intent].claims
        # Only none, one, a few or too many matters, so stop at MAX_CHOICES + 1: with 100,000 incidents,
        # listing them all with their claims took 300 ms for every "who denied it?" without context.
        options = list(islice((i.id for i in self.store.iter_incidents()
                               if kinds is None or self.filters.has_claim(i.id, kinds)), MAX_CHOICES + 1))
        if 1 < len(options) <= MAX_CHOICES:
            return self._ask_which(intent, options, ctx, confidence, wounded)
        if len(options) == 1:
            return self._about(intent, options[0], ctx, confidence, wounded)
        return Reply(answers.need_incident(), intent, None, confidence)

    def _about(self, intent: str, incident_id: str, ctx: ChatContext, confidence: float,
               wounded: bool = False, speaker: frozenset[str] = frozenset(), figure: int | None = None) -> Reply:
        incident = self.store.incident(incident_id)
        assert incident is not None
        ctx.wounded = wounded and intent == "casualties"  # a follow-up such as "and in Deir Ezzor?" keeps it
        claims = self.store.claims(incident_id)
        if figure is not None and intent in ("sources", "casualties"):
            # "Who reported the figure of 38?": the claims that give it, if any do.
            claims = [c for c in claims if c.kind == "casualties" and c.count and figure in (
                c.count.best, c.count.low, c.count.high)] or claims
        facts = answers.Facts(incident, claims, self.store.source, wounded)
        ctx.answered(incident_id)
        ctx.intent = intent
        ctx.party = self._party_of(facts, intent) or ctx.party
        place = incident.place
        where = (place.lat, place.lon) if intent == "location" and place.lat is not None and place.lon is not None else None
        claimant = _named_claimant(facts.claims, speaker, self._organisation_words) if speaker else None
        person = self.store.party(ctx.party) if ctx.party else None
        if claimant and (key := self.filters.names.key_of(claimant)) and self.store.party(key) and not (
                person and person.member_of == key):  # "what did he say?" about Rahman keeps Rahman
            ctx.party = key  # "what did the Observatory say about Al-Hari?" "who runs it?"
        body = answers.statements(facts, claimant) if claimant else answers.HANDLERS[intent](facts)
        return Reply(body, intent, incident_id, confidence, buttons=self._follow_ups(intent, facts), location=where)

    def _organisation_words(self, claimant: str) -> list[frozenset[str]]:
        """The words of each name of the organisation a claimant belongs to ("Damascus" for state media)."""
        key = self.filters.names.key_of(claimant)
        party = self.store.party(key) if key else None
        org = self.store.party(party.member_of) if party and party.member_of else None
        return [frozenset(w for w in tokens(n) if w != "the") for n in org.names()] if org else []

    def _party_of(self, facts: answers.Facts, intent: str) -> str | None:
        """The party an answer is about, for "where are they based?": the one party it names ("who denied it?"
        -> the coalition), or for figures and sources the one it leads with (who gave the first figure)."""
        kinds = self.matcher.specs[intent].claims or ("casualties",)
        names = self.filters.names
        keys = [names.key_of(str(c.value) if c.kind in PARTY_VALUED else c.claimant) for c in facts.of(*kinds)]
        keys = [k for k in dict.fromkeys(keys) if k and self.store.party(k)]
        return keys[0] if len(keys) == 1 or keys and intent in ("casualties", "sources") else None

    def _follow_ups(self, intent: str, facts: answers.Facts) -> list[Button]:
        buttons = []
        for _, other in self._follow_ups_order:
            kinds = self.matcher.specs[other].claims
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

    # -- the parts of a frame ----------------------------------------------------------------------------
    def _part(self, part: Part, ctx: ChatContext) -> Reply:
        if part.form == OUTSIDE:
            return self._small_talk("out_of_scope", part.confidence)
        if part.form == "opinion":
            return self._opinion(part, ctx)
        if " ".join(w for w in part.text.split() if w not in ("and", "so", "but")) in self.matcher.signals.why_alone:
            return Reply(answers.no_reasons(followed=False), None, ctx.incident, part.confidence)  # "What motive?"
        if part.form == QUOTE and (said := self._quote(part, ctx)):
            return said
        if part.target == "filter" and part.filter is not None and part.filter.empty and part.form == ACROSS \
                and not part.filter.kinds and not part.listed:
            return self._single(part.text, ctx, self._own_res(part))  # "what incidents do you know": the list
        if part.target == "filter" and part.filter is not None:
            return self._across(part, ctx)
        if part.target == "party":
            return self._party(part, ctx)
        if part.form == "yesno" and part.mentions and part.check and not (part.check.act or part.check.figure) \
                and (about := self.parties.answer(part.text, part.text.split(), ctx)):
            return about  # "Is the Observatory based in Syria?": what the reports say of it
        if part.inherited and ctx.party and (about := self.parties.answer(part.text, part.text.split(), ctx)):
            return about  # "who reported 38 and where are they based?": they, the party just answered
        if part.form == "compare" and part.target == "incidents":
            return self._compare_incidents(part, ctx)
        incident = self._one_incident(part.res, ctx)
        res = part.res
        if incident is None and res and not res.candidates and (res.unknown_name or res.ruled_out) and part.inherited:
            return Reply(Rich(), part.intent, None, part.confidence)  # "…in 2015? How many died?": said already
        if incident is None and res and not res.candidates and (res.unknown_name or res.ruled_out) and part.check:
            # "Was there an airstrike in Aleppo in 2016?": no record of it, whatever was asked about it.
            return self._incident_question(part.intent or "summary", part.confidence, res, ctx, False)
        if incident is None:
            return self._single(part.text, ctx, self._own_res(part))
        if part.form == "compare":
            return self._compare_claims(part, incident, ctx)
        intent = part.intent if part.intent and self.matcher.specs[part.intent].about_incident else None
        c = part.check or part.premise
        if c is None:
            return self._single(part.text, ctx, self._own_res(part)) if intent is None else self._about(
                intent, incident, ctx, part.confidence, figure=_figure(part.text.split()))
        facts = self._facts(incident)
        v = checks.check(facts, c, intent, self.filters.names)
        # With no intent, a "yes" or "no" says it all; "the reports do not say" is followed by what they do say.
        reply = self._about(intent or "summary", incident, ctx, part.confidence) \
            if intent or v is None or v.answer == "unknown" else Reply(Rich(), "summary", incident, part.confidence)
        if v is None or (part.premise and v.answer in ("yes", "disputed")):
            return reply
        lead = answers.verdict(v.answer, v.lead) if part.check or v.answer == "unknown" \
            else answers.premise_corrected(v.lead)
        reply.body = lead.extend(reply.body)
        return reply

    @staticmethod
    def _own_res(part: Part) -> Resolution | None:
        """The part's incidents, if the frame read them from all of the part's own words."""
        return part.res if part.whole and not part.inherited else None

    def _one_incident(self, res: Resolution | None, ctx: ChatContext) -> str | None:
        """The one incident a part is about: named clearly, else the chat's; None leaves it to the pipeline."""
        if res is None or res.ruled_out or res.unknown_name or (res.candidates and res.ambiguous):
            return None
        if res.candidates:
            return res.candidates[0].incident_id
        return ctx.incident if ctx.incident and self.store.incident(ctx.incident) else None

    def _facts(self, incident_id: str) -> answers.Facts:
        incident = self.store.incident(incident_id)
        assert incident is not None
        return answers.Facts(incident, self.store.claims(incident_id), self.store.source)

    def _quote(self, part: Part, ctx: ChatContext) -> Reply | None:
        """Whose claim holds the words the question quotes: in the incidents it names, the chat's or the
        QUOTE_SEARCH most recent (a bound, so the cost stays flat at any size). None if no claim has them."""
        found = part.res.candidates if part.res else []
        named = [c.incident_id for c in found if c.score >= NAMED_SCORE]
        # Else all of these: a quote's own words may also describe some other incident weakly.
        ids = dict.fromkeys(named or [*(c.incident_id for c in found), *([ctx.incident] if ctx.incident else []),
                                      *self.filters.newest(QUOTE_SEARCH)])
        words = tuple(part.text.split())
        best: tuple[int, str, list[Claim]] = (0, "", [])
        for i in ids:
            n, claims = _saying(self.store.claims(i), words)
            if n > best[0]:
                best = (n, i, claims)
        if not best[2]:
            return None
        facts = self._facts(best[1])
        ctx.answered(best[1])
        ctx.incident, ctx.intent = best[1], "sources"
        body = answers.saying(answers.Facts(facts.incident, best[2], self.store.source))
        return Reply(body, "sources", best[1], part.confidence, buttons=self._follow_ups("sources", facts))

    def _opinion(self, part: Part, ctx: ChatContext) -> Reply:
        # Claims go with the neutral line only for an incident the question names: a country alone ("should
        # the US pull out of Syria?") or a loose description scores no more than COUNTRY_WEIGHT.
        named = part.res is not None and any(c.score > COUNTRY_WEIGHT for c in part.res.candidates)
        incident = self._one_incident(part.res, ctx) if part.target == "incident" and named else None
        keys = frozenset(k for m in part.mentions if m.exact for k in self.filters.names.related(m.key))
        # "Who's lying, the coalition or Syria?": the claims the parties named dispute, incident by incident.
        disputed = self.filters.match(Filter(accused=keys, kinds=("blame", "denial"))) if keys and not incident \
            else set()
        body = answers.opinion(bool(incident or disputed))
        if incident:
            facts = self._facts(incident)
            body.extend(answers.perpetrator(facts)).extend(answers.casualties(facts))
            ctx.incident = incident
        elif disputed:
            shown = [self._facts(i) for i in self.filters.latest(disputed, answers.MAX_LINES)]
            body.para("\n".join("• " + answers.incident_line(fa, "blame", fa.of("blame", "denial")) for fa in shown))
            ctx.listed = tuple(fa.incident.id for fa in shown)
        return Reply(body, "out_of_scope", incident, part.confidence)

    def _across(self, part: Part, ctx: ChatContext) -> Reply:
        f = part.filter
        assert f is not None
        if part.listed and ctx.listed:
            f = replace(f, within=frozenset(ctx.listed))
        names = self.filters.names
        ids = self.filters.match(f)
        intent = part.intent if part.intent and self.matcher.specs[part.intent].about_incident else "summary"
        if part.form == LATEST:
            top = self.filters.latest(ids, 1, oldest=not part.most)
            if not top:
                return Reply(answers.across([], 0, "incidents like that"), intent, None, part.confidence)
            reply = self._about(intent, top[0], ctx, part.confidence)
            reply.body = answers.latest_lead(self.filters.titles[top[0]], part.most).extend(reply.body)
            return reply
        if part.form == TOTAL:
            figures = {i: n for i in ids if (n := self.filters.figure(i)) is not None}
            top = sorted(figures, key=lambda i: (-figures[i], i))[:answers.MAX_LINES]
            lines = [answers.incident_line(fa, "casualties", fa.of("casualties")) for fa in map(self._facts, top)]
            ctx.listed = tuple(top)
            return Reply(answers.total(lines, sum(figures.values()), len(figures)), "casualties", None,
                         part.confidence, buttons=[Button(self.filters.titles[i], f"ask:casualties:{i}") for i in top])
        if part.form == "superlative":
            top = self.filters.ranked(None if f.empty else ids, 3, part.most)
            lines = [answers.incident_line(fa, "casualties", fa.of("casualties"))
                     for fa in map(self._facts, top)]
            ctx.listed = tuple(top)
            if top:
                ctx.answered(top[0])  # "who denied that one?": the deadliest
            return Reply(answers.ranked(lines, part.most), "casualties", top[0] if top else None, part.confidence,
                         buttons=[Button(self.filters.titles[i], f"ask:casualties:{i}") for i in top])
        parties = bool(f.claimants or f.accused)
        one_party = len({m.key for m in part.mentions}) == 1  # "the coalition or the Pentagon": the filter's union
        if parties and one_party and part.form == ACROSS and not part.listed and replace(
                f, claimants=frozenset(), accused=frozenset(), types=()).empty:
            # What a party reported, denied, blamed on another: the parties module words it (bot/parties.py);
            # the incidents it fits are remembered here, for "and who denied them?".
            about = self.parties.answer(part.text, part.text.split(), ctx)
            if about is not None:
                return about  # it remembers the incidents it listed, for "and who denied them?"
        if len(ids) == 1 and not parties and part.form != "count" and not part.listed \
                and f.at_least is None and f.at_most is None and not f.victims:
            return self._about(intent, next(iter(ids)), ctx, part.confidence)  # "What happened in February 2018?"
        shown: list[tuple[answers.Facts, list[Claim]]] = []
        remembered = self.filters.latest(ids, MAX_REMEMBERED)  # one walk of the date order for both
        for iid in remembered[:answers.MAX_LINES + 4]:
            facts = self._facts(iid)
            fits = [c for c in facts.claims if f.claim_fits(c, names)] if (parties or f.kinds or f.victims) else []
            if parties and not fits:  # the sets matched on different claims of the incident
                ids.discard(iid)
                continue
            shown.append((facts, fits))
        shown = shown[:answers.MAX_LINES]
        lines = [answers.incident_line(fa, intent, fits, quotes=bool(f.claimants)) for fa, fits in shown]
        ctx.listed = tuple(i for i in remembered if i in ids)  # less any whose claims did not fit
        ctx.incident = None
        if len(ids) == 1:
            ctx.answered(next(iter(ids)))  # "how many died in that one?"
        ctx.intent = intent
        noun = f.types[0] + "s" if f.types else "incidents"
        named = frozenset(m.key for m in part.mentions if m.exact)
        if part.form == "count":
            body = answers.counted(lines, len(ids), noun)
        else:
            when = format_date(f"{f.year}-{f.month:02d}" if f.month and f.year else str(f.year or ""),
                               "month" if f.month and f.year else "year") if f.year else None
            header = answers.filter_header(
                "the incidents I listed" if part.listed else noun, f.kinds,
                self._display(f.claimants & named or f.claimants), self._display(f.accused & named or f.accused), when,
                " and ".join(w.title() for w in f.place_names) if f.places and not f.year else None, f.at_least, f.at_most,
                [v if v.endswith(("s", "ren", "men", "ese")) else v + "s" for v in f.victims])
            body = answers.across(lines, len(ids), header)
        return Reply(body, part.intent or intent, None, part.confidence,
                     buttons=[Button(fa.incident.title, f"ask:{intent}:{fa.incident.id}") for fa, _ in shown])

    def _display(self, keys: frozenset[str]) -> list[str]:
        return sorted({self.filters.names.display.get(k, k) for k in keys})[:4]

    def _party(self, part: Part, ctx: ChatContext) -> Reply:
        """Questions about a person or organisation go to the parties module (bot/parties.py); what it does not
        take, if the question asks what a party said, is the incidents that party reported, as a filter."""
        if not part.mentions:
            name = part.res.unknown_name if part.res and part.res.unknown_name else part.text
            return Reply(answers.nobody_called(name), None, None, part.confidence)
        about = self.parties.answer(part.text, part.text.split(), ctx)
        if about is not None:
            return about
        keys = frozenset(k for m in part.mentions for k in self.filters.names.related(m.key) if m.exact) or \
            frozenset(m.key for m in part.mentions)
        if part.intent is None and part.form != "yesno" and ctx.incident and self.store.incident(ctx.incident):
            # "what about the Observatory?" after a question on Al-Hari: its word on that question there.
            return self._about(ctx.intent or "summary", ctx.incident, ctx, part.confidence,
                               speaker=frozenset(part.text.split()))
        said = part.intent in ("sources", "summary") or any(
            a.name == "said" for a in self.matcher.signals.acts if any(f" {w} " in f" {part.text} " for w in a.words))
        if said:
            part.filter, part.form, part.target = Filter(claimants=keys), ACROSS, "filter"
            return self._across(part, ctx)
        exact = next((m.key for m in part.mentions if m.exact), None)
        # the one a yes/no question is about comes first: "is the Observatory an Assad mouthpiece?"
        named = self._display(frozenset({exact} if exact and part.form == "yesno" else ()) or frozenset(
            m.key for m in part.mentions if m.exact) or keys)
        profile = self.parties.profile(exact, ctx) if exact else None
        if profile is not None:  # "How old is Bashar al-Assad?": not in the reports; what they do say of him
            profile.body = answers.not_reported(named[0]).extend(profile.body)
            return profile
        return Reply(answers.party_unknown(named[0]), part.intent, None, part.confidence)

    def _compare_incidents(self, part: Part, ctx: ChatContext) -> Reply:
        ids = [side.candidates[0].incident_id for side in part.sides]
        if part.intent == "date":
            ctx.listed, ctx.incident, ctx.intent = tuple(ids), None, "date"
            sides = [self._facts(i) for i in ids]
            body = answers.compare_dates(sides)
            first = answers.first_of(sides)
            if part.check is not None and first is not None:  # "… was earlier than …, right?"
                body = answers.verdict("yes" if (first == ids[0]) == part.most else "no", "").extend(body)
            return Reply(body, "date", ids[0], part.confidence,
                         buttons=[Button(self.filters.titles[i], f"ask:date:{i}") for i in ids])
        if part.intent and part.intent != "casualties":
            # "was the denial over Al-Hari from the same body as the one over the May strike?": side by side
            kinds = self.matcher.specs[part.intent].claims or ()
            ctx.listed, ctx.incident, ctx.intent = tuple(ids), None, part.intent
            lines = [answers.incident_line(fa, part.intent, fa.of(*kinds)) for fa in map(self._facts, ids)]
            return Reply(answers.side_by_side(lines), part.intent, ids[0], part.confidence,
                         buttons=[Button(self.filters.titles[i], f"ask:{part.intent}:{i}") for i in ids])
        sides = [(self._facts(i), self.filters.figure(i)) for i in ids]
        ctx.listed, ctx.incident, ctx.intent = tuple(ids), None, "casualties"
        body = answers.compare_incidents(sides, part.most)
        (_, fa), (_, fb) = sides
        if part.check is not None and fa is not None and fb is not None and fa != fb:  # "… deadlier than …?"
            body = answers.verdict("yes" if (fa > fb) == part.most else "no", "").extend(body)
        return Reply(body, "casualties", ids[0], part.confidence,
                     buttons=[Button(f.incident.title, f"ask:casualties:{f.incident.id}") for f, _ in sides])

    def _compare_claims(self, part: Part, incident: str, ctx: ChatContext) -> Reply:
        facts = self._facts(incident)
        names = self.filters.names
        kinds = self.matcher.specs[part.intent].claims if part.intent and part.intent in self.matcher.specs else None
        if not kinds and any(w in part.text for w in ("figure", "number", "toll", "dead", "killed", "died")):
            kinds = ("casualties",)
        groups: dict[str, list[Claim]] = {}
        wanted = [m.key for m in part.mentions]
        for c in facts.claims:
            if c.kind == "note" or (kinds and c.kind not in kinds):
                continue
            keys = {names.key_of(c.claimant), names.key_of(c.via)}
            if c.kind in ("denial", "claim_responsibility", "perpetrator"):
                keys.add(names.key_of(str(c.value)))
            for w in wanted or [names.key_of(c.claimant)]:
                if w in keys or (wanted and keys & names.related(w)):
                    groups.setdefault(names.display.get(w, w) if wanted else (c.claimant or "unnamed"), []).append(c)
                    break
        for w in wanted:  # a source named but silent on it still has a place in the comparison
            groups.setdefault(names.display.get(w, w), [])
        ctx.incident, ctx.intent = incident, part.intent or "sources"
        return Reply(answers.compare_claimants(facts, list(groups.items())), part.intent or "sources", incident,
                     part.confidence, buttons=self._follow_ups("sources", facts))

    def _ruled_out(self, res: Resolution) -> Rich:
        known = [i for c in res.ruled_out if (i := self.store.incident(c.incident_id))]
        month, year = res.asked_date
        asked = f"in {format_date(f'{year}-{month:02d}', 'month') if month and year else year or format_date(f'2000-{month:02d}', 'month').split()[0]}"
        first = known[0]
        name = first.place.name or first.title
        noun = "strike" if "strike" in first.type else first.type
        return answers.no_record_then(f"{name} {noun}", asked, known)

    def _small_talk(self, intent: str, confidence: float) -> Reply:
        if intent == "list_incidents":
            # From the filters' date order, kept up to date per change: re-sorting 100,000 incidents after each
            # admin write took 105 ms, on the event loop's next answer.
            latest = [i for iid in self.filters.newest(20) if (i := self.store.incident(iid))]
            total = len(self.filters)
            return Reply(answers.HANDLERS[intent](latest, total), intent, None, confidence,
                         buttons=[Button(i.title, f"ask:summary:{i.id}") for i in latest[:MAX_CHOICES]])
        return Reply(answers.HANDLERS[intent](), intent, None, confidence)


def _figure(words: list[str]) -> int | None:
    """The one figure a question gives ("who reported the figure of 38?"), not a year."""
    figures = [int(w) for w in words if is_number(w) and len(w) < 7 and not 1900 <= int(w) <= 2100]
    return figures[0] if len(figures) == 1 else None


def _saying(claims: list[Claim], words: tuple[str, ...]) -> tuple[int, list[Claim]]:
    """The claims whose words (quote, value, note) hold most of the question's content words, at least two, and
    how many they hold; (0, []) if none holds two."""
    scored = [(_overlap(c, words), c) for c in claims]
    best = max((n for n, _ in scored), default=0)
    return (best, [c for n, c in scored if n == best]) if best >= 2 else (0, [])


def _overlap(claim: Claim, words: tuple[str, ...]) -> int:
    said = set(tokens(f"{claim.quote or ''} {claim.value} {claim.note or ''}"))
    return sum(1 for w in set(words) if w in said and w not in STOPWORDS and len(w) > 2 and not is_number(w))


def _named_claimant(claims: list[Claim], words: frozenset[str],
                    organisation: Callable[[str], list[frozenset[str]]]) -> str | None:
    """The claimant the question names ("state media", "the observatory", "Damascus" for state media, whose
    organisation it is), if exactly one fits best."""
    scores: dict[str, int] = {}
    for c in claims:
        if c.claimant and c.claimant not in scores:
            # who said it, or through whom ("its head, Rami Abdel Rahman")
            own = {w for w in tokens(f"{c.claimant} {c.via or ''}") if w not in CLAIMANT_FILLER}
            scores[c.claimant] = sum(1 for w in own if any(fuzz.ratio(w, q) >= 85 for q in words))
            # ... or the organisation it speaks for, by one of its whole names ("Damascus", "the Syrian regime")
            scores[c.claimant] += any(alias <= words for alias in organisation(c.claimant))
    best = max(scores.values(), default=0)
    winners = [name for name, n in scores.items() if n == best]
    return winners[0] if best and len(winners) == 1 else None
