"""A question as a frame, before it is answered: its parts, each with an intent, a target and a form.

    "Who was blamed for the May strike and who denied it?" -> two parts, blame and denial, one incident
    "Which strikes did the US deny?"                       -> denial over a filter: accused = US parties
    "Which was deadlier: Al-Hari or the May 2018 strike?"  -> compare two incidents
    "Did the Pentagon admit the May strike?"               -> yes/no: did the Pentagon admit it
    "Why did the coalition admit the Al-Hari strike?"      -> premise: the coalition admitted it

The words that signal each shape are data (intents/signals.yaml); this module only reads them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.facts.counts import digits_for_words
from bot.facts.dates import MONTH_NAMES
from bot.text import ARTICLES, STOPWORDS, fold, is_number
from bot.understanding.filters import Filter, FilterIndex, victim_key
from bot.understanding.language import Act, found_phrases, has_phrase
from bot.understanding.matcher import LEAD_INS, IntentMatcher
from bot.understanding.mentions import Mention
from bot.understanding.resolver import Candidate, IncidentIndex, Resolution, date_in

ACROSS = "across"  # forms: wh, yesno, compare, superlative, count, across, opinion, outside
OUTSIDE = "outside"  # sums, and questions about something else that name a known place
TOTAL = "total"  # the death tolls of several incidents added up
LATEST = "latest"  # the newest incident a filter fits (or the oldest: Part.most False)
QUOTE = "quote"  # who said these words
WH_WORDS = frozenset({"who", "what", "when", "where", "which", "why", "how"})
INCIDENT_PRONOUNS = ("it", "this", "that", "there", "this one", "that one")  # the chat's incident
PARTY_ROLE_KINDS = ("denial", "claim_responsibility", "perpetrator")  # the party named is the claim's value
MAX_DESCRIBED = 8  # incidents a description such as "the one where Russians died" may name before it is vague
NAMED_SCORE = 0.9  # an incident resolved at least this well was named, not just described in passing
# Between two questions typed as one message; a full stop only between words ("U.S." is no break), where it
# may end a statement the next question rests on ("The SDF killed 38 at Al-Hari. What was their motive?").
SENTENCE_BREAK = re.compile(r"([?;!]+|\s[+&\u2013\u2014-]\s|(?<=[a-z0-9])\.\s+(?=[A-Za-z]))")


def attributed(words: list[str]) -> int | None:
    """Where the question starts in "According to the coalition, who died at Al-Hari?" (its wh-word), or None:
    what is asked is matched on the words from there; "according to" only says whose word is wanted."""
    if words[:2] != ["according", "to"]:
        return None
    return next((k for k, w in enumerate(words) if k > 2 and w in WH_WORDS), None)


@dataclass(frozen=True)
class Check:
    """What a yes/no question or a premise holds to be so, to be checked against the claims."""
    act: Act | None = None  # the party admitted / denied / blamed / carried it out / said
    parties: frozenset[str] = frozenset()  # party keys, with the parties related to them
    figure: tuple[str, int] | None = None  # ("above", 50), ("below", 10), ("equal", 80)
    words: tuple[str, ...] = ()  # other content words: "russians", "hasakeh"
    speakers: frozenset[str] = frozenset()  # "McGurk said the coalition hit it": who is said to have said so
    strangers: tuple[str, ...] = ()  # "Did Turkey deny it?": who is said to have done it, that no report names


@dataclass
class Part:
    text: str  # the folded words of this part
    intent: str | None
    confidence: float
    form: str = "wh"
    target: str = "none"  # incident | incidents (two, compared) | filter | party | none
    res: Resolution | None = None
    sides: list[Resolution] = field(default_factory=list)  # compare: each side's incident
    filter: Filter | None = None
    mentions: list[Mention] = field(default_factory=list)
    check: Check | None = None  # yes/no: the proposition asked about
    premise: Check | None = None  # what the question takes for granted
    most: bool = True  # superlative / comparison direction
    listed: bool = False  # "them": the incidents of the last list
    inherited: bool = False  # names nothing itself: its target is the previous part's
    whole: bool = False  # its incident was resolved from all its words (so the engine reuses `res`)


@dataclass
class Frame:
    parts: list[Part]


class FrameParser:
    def __init__(self, matcher: IntentMatcher, incidents: IncidentIndex, filters: FilterIndex) -> None:
        self.matcher = matcher
        self.s = matcher.signals
        self.incidents = incidents
        self.filters = filters
        self.known = matcher.vocabulary | self.s.words
        # Phrases made of the signal words, built once: every question is read with them.
        s, nouns = self.s, self.s.across_nouns
        self._plural = tuple(n for n in nouns if n.endswith("s"))
        self._count_phrases = tuple(f"{d} {n}" for d in s.count for n in nouns)
        self._any_plural = tuple(f"{d} {n}" for d in s.across_determiners for n in self._plural)
        self._which_plural = tuple(f"{d} {n}" for d in s.across_determiners for n in self._plural
                                   if d not in ("the", "those", "other"))
        self._any_singular = tuple(f"{d} {n}" for d in ("any", "every", "each") for n in nouns if not n.endswith("s"))
        self._dropped = tuple(f" {p} " for p in (*s.everything, *s.most, *s.least, *s.latest, *s.earliest))
        self._act_words = tuple(w for a in s.acts if a.name != "said" for w in a.words)
        acts = {a.name: a for a in s.acts}
        self._said, self._carried_out = acts.get("said"), acts.get("carried_out")
        self._blamed_words = next((a.words for a in s.acts if a.intent == "blame"), ())
        # By determiner: a question without " which " needs none of its 19 phrases tried (see _strip).
        self._det_nouns = tuple((f" {d} ", tuple((f" {d} {n} ", " " if d in s.count else f" {d} ") for n in nouns))
                                for d in s.across_determiners)
        self._relative = {p: (unit, step) for p, unit, step in reversed(s.relative_dates)}  # the first of each
        self._relative_phrases = tuple(p for p, _, _ in s.relative_dates)

    def parse(self, question: str, listed: bool = False, recent: tuple[str, ...] = ()) -> Frame:
        """`listed`: the chat has a list to refer back to; `recent`: the incidents it last answered about."""
        texts = [(t, stated) for sentence, stated in self._sentences(question)
                 for t in self._split(self._dated(sentence, recent))]
        # One part: its incident is read from the question as typed, capitals and all, as the engine would.
        typed = question if len(texts) == 1 and texts[0][0] == fold(question).split() else None
        parts = [self._part(t, listed, recent, typed, stated) for t, stated in texts]
        # A later part that names nothing asks about what the first named: "... and who denied it?"
        for prev, part in zip(parts, parts[1:]):
            if part.target == "none" and prev.target in ("incident", "filter"):
                part.inherited = True
                part.target, part.res, part.filter = prev.target, prev.res, prev.filter and Filter(
                    **{**prev.filter.__dict__, "kinds": self._kinds(part.intent)})
        return Frame(parts)

    # -- splitting ------------------------------------------------------------------------------------
    def _sentences(self, question: str) -> list[tuple[list[str], bool]]:
        """Questions one after the other ("Who reported 38? Where are they based?", "... + who denied it"),
        each kept apart only if both ask something: "Al-Hari? how many died" stays one question. A statement
        ended by a full stop before a question is kept apart too, marked True: it is checked like "…, right?"."""
        out: list[list[str]] = []
        stated: list[bool] = []
        pieces = SENTENCE_BREAK.split(question)
        for piece, stop in zip(pieces[::2], [*pieces[1::2], ""]):
            words = digits_for_words(fold(piece).split())
            words = self._unprefaced(self._quiet(words))
            if not words:
                continue
            # "What did McGurk say? And what's his job?": a join opening a sentence is no part of its question
            opening = words[1] if words[0] in self.s.joins and len(words) > 1 else words[0]
            asked = opening in self.s.question_starts
            statement = bool(out) and stated[-1] and asked and len(words) >= 2
            if statement or not out or (len(out[-1]) >= 3 and len(words) >= 3 and asked
                                        and out[-1][0] in self.s.question_starts or len(out[-1]) >= 3
                                        and len(words) >= 2 and asked and self._asks(out[-1]) and self._asks(words)):
                out.append(words)
                stated.append(False)
            else:
                out[-1] = out[-1] + words
            # a full stop after four or more words that ask nothing: a statement, if a question follows
            stated[-1] = stop.strip() == "." and len(out[-1]) >= 4 and out[-1][0] not in self.s.question_starts
        return [(words, flag and n + 1 < len(out)) for n, (words, flag) in enumerate(zip(out, stated))] or [([], False)]

    def _dated(self, words: list[str], recent: tuple[str, ...]) -> list[str]:
        """ "the strike the month before" -> "the strike in may 2018": a date relative to an incident named
        after the phrase ("the month before Al-Hari"), else before it, else the chat's last, made absolute."""
        text = " ".join(words)
        phrase = has_phrase(text, self._relative_phrases)
        if phrase is None:
            return words
        unit, step = self._relative[phrase]
        n = len(phrase.split())
        at = next(i for i in range(len(words)) if words[i:i + n] == phrase.split())
        after = self.incidents.resolve(" ".join(words[at + n:]), self.known)
        used = max(after.candidates[0].tokens) + 1 if after.candidates and after.candidates[0].tokens else 0
        before = self.incidents.resolve(" ".join(words[:at]), self.known) if not used else after
        ref = (after if used else before).candidates[0].incident_id if (after if used else before).candidates \
            else recent[-1] if recent else None
        date = self.filters.date(ref) if ref else ""
        if len(date) < (7 if unit == "month" else 4):
            return words  # the incident's date is not that precise: leave the words for the question to fail on
        year, month = int(date[:4]), int(date[5:7]) if len(date) >= 7 else 0
        if unit == "month":
            month += step
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
            when = [MONTH_NAMES[month - 1].lower(), str(year)]
        else:
            when = [str(year + step)]
        return [*words[:at], "in", *when, *words[at + n + used:]]

    def _quiet(self, words: list[str]) -> list[str]:
        """Without words that ask nothing wherever they stand: "on file", "in your database" (signals.yaml: noise)."""
        text = f" {' '.join(words)} "
        for phrase in self.s.noise:
            text = text.replace(f" {phrase} ", " ")
        return text.split()

    def _unprefaced(self, words: list[str]) -> list[str]:
        """Without a preface such as "two things:" or "quick question:" (signals.yaml: prefaces)."""
        text = " ".join(words)
        found = next((p for p in self.s.prefaces if text == p or text.startswith(p + " ")), None)
        return words[len(found.split()):] if found else words

    def _split(self, words: list[str]) -> list[list[str]]:
        if not words:
            return [words]
        # "where and when did it happen": two wh-words joined, one rest.
        if len(words) > 3 and words[1] in self.s.joins and words[0] in self.s.question_starts \
                and words[2] in self.s.question_starts and words[0] != words[2]:
            return [[words[0], *words[3:]], [words[2], *words[3:]]]
        parts, start = [], 0
        for i, w in enumerate(words):
            # "... and who denied it?"; a bare wh-word at the end asks too: "who carried it out and when?"
            if (w in self.s.joins and i - start >= 3 and (i + 2 < len(words) or i + 2 == len(words) and words[-1]
                                                          in self.s.wh_alone)
                    and words[i + 1] in self.s.question_starts and words[i + 1] not in ("any",)
                    and self._asks(words[start:i]) and self._asks(words[i + 1:])):
                parts.append(words[start:i])
                start = i + 1
        parts.append(words[start:])
        return parts

    def _asks(self, words: list[str]) -> bool:
        """Whether these words ask about an incident or a party on their own: names lower the intent's score
        ("where is dashisha"), so a question opening that leans to one, or what a party said, is enough."""
        if len(words) > 1 and words[0] in self.s.joins:
            words = words[1:]
        # "I want both sides on Al-Hari: what does Damascus say": the question starts at its wh-word
        wh = next((k for k, w in enumerate(words) if w in WH_WORDS), 0) if words[0] not in self.s.question_starts else 0
        words = words[wh:]
        text = " ".join(words)
        m = self.matcher.match(text)
        if m.intent is not None:
            return self.matcher.specs[m.intent].about_incident
        return words[0] in self.s.question_starts and (
            self.matcher.specs[m.best].about_incident and m.confidence >= self.matcher.threshold * 0.6
            or any(has_phrase(text, a.words) for a in self.s.acts))

    # -- one part -------------------------------------------------------------------------------------
    def _part(self, words: list[str], listed: bool, recent: tuple[str, ...] = (), typed: str | None = None,
              stated: bool = False) -> Part:
        text = " ".join(words)
        lead = [w for w in words if w not in LEAD_INS]
        mentions = self._mentions(words, text)
        if has_phrase(text, self.s.arithmetic) and sum(is_number(w) for w in words) >= 2:
            return Part(text, "out_of_scope", 1.0, form=OUTSIDE)
        mentioned = {p for m in mentions for p in range(m.start, m.end)}
        figure, figure_at = self._figure(words, stated)
        if figure and figure[0] == "equal":
            figure_at = set()  # "is the 38 figure from the Observatory?": the number names the incident too
        rest_words = [w for i, w in enumerate(words) if i not in mentioned and i not in figure_at]
        # Misspelt question words ("denyed") are question words too, not names or descriptions.
        known = self.known | {w for w in words if self.matcher.correct(w) != w and not self.incidents.has_word(w)}
        whole = len(rest_words) == len(words)
        res = self.incidents.resolve(typed if whole and typed is not None else text, known) if whole else \
            self.incidents.resolve(" ".join(rest_words), known)
        stripped = self._strip(res.rest or " ".join(rest_words))
        if (at := attributed(words)) is not None and f"{words[at]} " in stripped:
            stripped = stripped[stripped.find(f"{words[at]} "):]  # the question, then whose word
        match = self.matcher.match(stripped)
        # Its resolution serves the engine too unless party names were left out of it ("more than 48" names no
        # incident, so leaving it out changes nothing): one resolve per question, not two (30 ms at 100,000).
        part = Part(text, match.intent, match.confidence, res=res, mentions=mentions, whole=not mentioned)
        subject = self._party_subject(words, mentions)
        if self._aside(part, lead, match.best, stripped, subject):
            return part
        parties = frozenset(k for m in mentions for k in self.filters.names.related(m.key, words[m.start:m.end]))
        act = self._act_of(text, words, parties)
        if act is None and any(m.end < len(words) and words[m.end] in self.s.kill_verbs for m in mentions):
            act = self._carried_out  # "the SDF killed 38 there"
        if subject and not act and not figure and not any(c.score >= NAMED_SCORE for c in res.candidates):
            # "Is McGurk a Syrian official?", "the Observatory sits in Damascus, right?": what the reports say of them
            part.form, part.target, part.intent = "yesno", "party", None
            part.check = Check(parties=parties)
            return part
        named = any(c.tokens for c in res.candidates) or bool(res.unknown_name)
        part.listed = listed and bool(has_phrase(text, self.s.listed_pronouns)) and not named
        across = self._across(text, lead)
        if not across and figure and figure[0] != "equal" and not named and any(
                has_phrase(text, (n,)) for n in self.s.across_nouns if n.endswith("s")):
            across = "across"  # "the strikes where more than 30 were killed"
        if across == "across" and recent[1:] and not named and has_phrase(text, self.s.total) and not has_phrase(
                text.replace(has_phrase(text, self.s.total) or "", " "), self.s.everything):
            across = None  # "how many in total?" after two answers: those two, not every incident
        groups = tuple(victim_key(g.split()[-1]) for g in found_phrases(text, self.s.victim_groups))
        # An incident named by what happened in it: "the one where Russians died", "the strike the US denied".
        clause = self._victim_clause(words) if groups and not named else set()
        if clause and self._described(part, words, clause, self.filters.match(Filter(victims=groups))):
            res, named, groups = part.res, True, ()
        acted: frozenset[str] | None = None  # "the strikes the coalition denied": the incidents of that act
        clause = self._act_clause(words, mentions, act) if act and act.intent and act.kinds and not named else set()
        if clause and act:
            own = [m for m in mentions if m.start in clause]
            f = self._filter(Part(text, act.intent, 1.0, form=ACROSS), words, own, act, None, None, res)
            acted = frozenset(self.filters.match(replace(f, kinds=act.kinds)))
            one = any(has_phrase(text, (f"the {n}",)) for n in (*self.s.across_nouns, "one") if not n.endswith("s"))
            if one and self._described(part, words, clause, set(acted)):
                res, named, act, acted = part.res, True, None, None
        most = has_phrase(text, self.s.most)
        least = has_phrase(text, self.s.least)
        # "Al-Hari, the May one or Deir Ezzor: which killed the fewest?", or "which was worst?" after two answers.
        # Incidents named with different dates rule each other out; named together, each still counts.
        pool = [c.incident_id for c in (*res.candidates, *res.dated_out) if c.tokens or res.dated_out]
        among = pool if len(pool) > 1 else []
        if not among and not named and not across and not listed:
            among = list(recent)
        if has_phrase(text, self.s.total) and not named and not across and not part.listed and len(recent) > 1:
            among = list(recent[-2:])  # "how many is that for both together?": the last two answered about
        if has_phrase(text, self.s.total) and (len(among) > 1 or part.listed or across and not named) \
                and part.intent in (None, "casualties", "summary"):
            part.form, part.intent = TOTAL, "casualties"  # "add up the deaths from Al-Hari and the May strike"
        elif (has_phrase(text, self.s.latest) or has_phrase(text, self.s.earliest)) and not named:
            part.form = LATEST  # "the most recent airstrike?", "the earliest one you know of?"
            part.most = not has_phrase(text, self.s.earliest)
        elif most or least:
            part.form, part.most = "superlative", bool(most)
            part.intent = "casualties"
        elif across or (part.listed and part.intent and self.matcher.specs[part.intent].about_incident):
            part.form = "count" if across == "count" else ACROSS
        elif not figure and self._compares(text) and self._compare_sides(part, [w if i not in mentioned else "" for i, w in
                                                                enumerate(words)], among):
            part.form = "compare"
            part.most = not has_phrase(text, self.s.less)
            if part.target == "incidents" and (has_phrase(text, self.s.earlier) or has_phrase(text, self.s.later)):
                part.intent = "date"  # "Dashisha and Al-Hari, which came first?"
                part.most = not has_phrase(text, self.s.later)  # here: the first named is said to be earlier
            either = part.intent == "date" and has_phrase(text, self.s.earlier) and has_phrase(text, self.s.later)
            if (bool(lead) and lead[0] in self.s.yes_no_starts or self._tag(words)) and not either:
                part.check = Check()  # "the February strike was earlier than the May one, right?": yes or no
            return part
        elif not named and not res.candidates and act and act.intent and parties and (
                lead and lead[0] in self.s.yes_no_starts) and not has_phrase(text, INCIDENT_PRONOUNS):
            part.form, part.intent = ACROSS, act.intent  # "did the Pentagon own up to anything?": its incidents
        elif not named and not mentions and part.intent in ("victims", "casualties") and groups:
            part.form = ACROSS  # "were any Russians killed?": every incident whose dead include them
        elif not named and not mentions and not res.ruled_out and any(res.asked_date) and (
                len(res.close) > 1 or not res.candidates) and (
                part.intent is None and not recent
                or part.intent == "out_of_scope" and not self.matcher.has_keyword(stripped, "out_of_scope")
                or part.intent is not None and self.matcher.specs[part.intent].about_incident):
            # ("and in 2016?" after Al-Hari asks about Al-Hari in 2016: the chat's incident, ruled out)
            part.form = ACROSS  # "what happened in june 2018?", "anything in 2017?": every incident of that date
        elif not named and (figure or mentions) and part.intent in ("blame", "denial", "perpetrator", "casualties") \
                and (figure or act) and lead and lead[0] in ("which", "what", "list", "any", "how", "where", "give"):
            part.form = ACROSS  # "what has state media blamed on the coalition?"
        if part.form in (ACROSS, "count", "superlative", TOTAL, LATEST):
            part.target = "filter"
            part.filter = self._filter(part, words, mentions, act, figure, across, res) if acted is None else \
                Filter(kinds=self._kinds(part.intent), within=acted)
            if act and act.kinds and act.intent == part.intent and part.form == ACROSS:
                part.filter = replace(part.filter, kinds=act.kinds)  # "did the Pentagon admit anything?"
            if groups and part.intent in ("victims", "casualties"):
                part.filter = replace(part.filter, victims=groups, kinds=())
            if part.form in ("superlative", TOTAL) and len(among) > 1 and not (
                    part.filter.claimants or part.filter.accused or part.filter.at_least or part.filter.at_most):
                part.filter = Filter(within=frozenset(among))  # their names and dates are in `among` already
            if part.form == ACROSS and replace(part.filter, types=()).empty and not part.filter.kinds \
                    and self.matcher.match(text).intent == "list_incidents":
                if part.filter.empty:
                    part.form, part.target, part.filter = "wh", "none", None  # "which incidents do you know about"
                else:
                    part.intent = "list_incidents"  # "which strikes do you know about": the list, of strikes only
                return part
            if part.intent is None or not self.matcher.specs[part.intent].about_incident or (
                    part.form != "superlative" and not (act and act.intent == part.intent)
                    and not self.matcher.has_keyword(stripped, part.intent)):
                part.intent = "summary"  # "how many incidents were there in 2018": no word of "where" in it
            return part
        yes_no = bool(lead) and lead[0] in self.s.yes_no_starts or bool(self._tag(words)) or stated
        if figure and (part.intent is None or not self.matcher.specs[part.intent].about_incident):
            part.intent = "casualties"  # "is it true 40 died?"
        content = self._content(words, mentioned, res)
        if groups and part.intent in ("victims", "casualties"):  # "were Russians killed in Deir Ezzor?"
            content = tuple(dict.fromkeys((*content, *groups)))
        if yes_no and not figure and not act and (located := self._located(rest_words, res)):
            # "Is Dashisha in Deir Ezzor?": one incident named as the subject, the other as a place to check.
            res, content = located
            part.res, part.intent = res, "location"
        elif yes_no and content and not act and not figure and any(
                w in content and i and rest_words[i - 1] in self.s.place_prepositions for i, w in enumerate(rest_words)):
            part.intent = "location"  # "did the strike on Al-Hari happen in Iraq?"
        said = self._said
        speakers = frozenset(k for m in mentions if said and act and act.name != "said" and m.end < len(words)
                             and has_phrase(" ".join(words[m.end:m.end + 2]), said.words)
                             for k in self.filters.names.related(m.key, words[m.start:m.end]))
        strangers = () if not act or parties else self._strangers(words, act, mentions, res) if act.kinds \
            else self._unknown_speaker(words, act, res)
        if strangers and res.unknown_name and set(res.unknown_name.split()) <= set(strangers[0].split()):
            # "Did Turkey deny the May strike?": Turkey is who is said to have acted, not an incident we lack
            res = part.res = self.incidents.resolve(typed or text, known | frozenset(strangers[0].split()))
        check = Check(act, parties - speakers or parties, figure, content, speakers, strangers)
        if yes_no:
            part.form, part.check = "yesno", check
        elif act and act.name == "said" and strangers and not yes_no:
            part.premise = check  # "what did the Russian defence ministry say about Al-Hari?": no report quotes it
        elif act and act.kinds and (parties or strangers) and (has_phrase(text, self.s.presuppose)
                                                               or self._acted_by(words, mentions, act)):
            # "Why did the coalition admit it?", "who did the Observatory blame for Al-Hari?": taken as so
            if act.intent and not has_phrase(text, self.s.presuppose):
                part.intent = act.intent  # what it asks is who they blamed, denied...
            part.premise = check
        spec = self.matcher.specs.get(part.intent) if part.intent else None
        if res.candidates or res.unknown_name or res.ruled_out:
            part.target = "incident"
        elif mentions and not named and part.form == "wh" and (spec is None or not spec.claims) \
                and not has_phrase(text, ("it", "this", "that")):
            part.target = "party"  # "Who is Rami Abdel Rahman?", "Where is the Observatory based?"
        return part

    def _mentions(self, words: list[str], text: str) -> list[Mention]:
        """The parties the words name, but not a name right after "in"/"near" ("any strikes in Damascus?": a
        place), nor one word of a name after a word of its own ("the Iranian government" is not the Syrian one
        that "the government" may be)."""
        return [m for m in self.filters.names.find(text)
                if not (m.start and words[m.start - 1] in self.s.place_prepositions)
                and (m.exact or not m.start or words[m.start - 1] in STOPWORDS or words[m.start - 1] in self.known)]

    def _aside(self, part: Part, lead: list[str], best: str, stripped: str, subject: Mention | None) -> bool:
        """Forms decided before anything else is read, set on `part`; False if none fits. Out of scope though it
        names a place or party ("the weather in Deir Ezzor", "a decent restaurant in Beirut"), someone no
        report names ("who is Hassan Nasrallah?"), whose words these are ("who said there were no strikes?"),
        an opinion."""
        res, mentions, text = part.res, part.mentions, part.text
        assert res is not None
        outside_word = self.matcher.has_keyword(stripped, "out_of_scope")
        # Two incidents named and weighed against each other ("which came first, Dashisha or Al-Hari?") are
        # a comparison, though no intent's key word is in it.
        if best == "out_of_scope" and not subject and (any(c.tokens for c in res.candidates)
                                                       and not self.matcher.has_keyword(stripped)
                                                       or (res.candidates or res.unknown_name or mentions)
                                                       and outside_word) \
                and not (sum(bool(c.tokens) for c in res.candidates) > 1 and self._compares(text)):
            part.form, part.intent = OUTSIDE, "out_of_scope"
            return True
        if (stranger := self._stranger(lead, mentions, res)) is not None:
            part.target, part.res = "party", replace(res, unknown_name=stranger)
            return True
        opener = next((o for o in self.s.quote_openers if " ".join(lead).startswith(o + " ")), None)
        if opener and not (mentions and has_phrase(text, self._act_words)) \
                and sum(w not in STOPWORDS and not is_number(w) for w in lead[len(opener.split()):]) >= 2:
            part.form = QUOTE
            part.target = "incident" if res.candidates else "none"
            return True
        if has_phrase(text, self.s.opinions):
            part.form, part.intent = "opinion", "out_of_scope"
            part.target = "incident" if res.candidates else "none"
            return True
        return False

    def _act_of(self, text: str, words: list[str], parties: frozenset[str]) -> Act | None:
        """What a party is asked or said to have done: admitted, denied, blamed, carried out; else said."""
        said = self._said
        act = next((a for a in self.s.acts if a.name != "said" and has_phrase(text, a.words)), None) or (
            said if said and has_phrase(text, said.words) else None)
        if act and not parties and all(has_phrase(text, (w,)) is None or w in self.s.across_nouns
                                       for w in act.words if has_phrase(text, (w,))):
            # "was the Al-Hari strike in Hasakeh?": "strike" names the incident, it asks no act (but "what did X
            # say about the May strike?" still asks what was said)
            act = said if said and has_phrase(text, said.words) else None
        if act is None and any(w in self.s.said_nouns for w in words):  # "the ministry's response to it"
            act = said
        return act

    def _described(self, part: Part, words: list[str], clause: set[int], ids: set[str]) -> bool:
        """Make the incidents `ids` (the newest few) the part's, named by the words at `clause`, and read what
        is asked from the other words. False if there are none."""
        found = [Candidate(i, 1.0, frozenset(clause)) for i in self.filters.latest(ids, MAX_DESCRIBED)]
        if not found:
            return False
        rest = " ".join(w for i, w in enumerate(words) if i not in clause)
        part.res = Resolution(candidates=found, close=found if len(found) > 1 else [], rest=rest, described=True)
        match = self.matcher.match(self._strip(rest))
        part.intent, part.confidence, part.whole = match.intent, match.confidence, True
        return True

    def _victim_clause(self, words: list[str]) -> set[int]:
        """Positions of "where Russians died" in "the one where Russians died": an incident noun or "one", a
        relative word, a victim group and the words saying they died."""
        text = " ".join(words)
        for i, w in enumerate(words):
            if w not in ("one", *self.s.across_nouns) or i + 2 >= len(words):
                continue
            rel = next((r for r in self.s.relatives if " ".join(words[i + 1:]).startswith(r + " ")), None)
            if rel is None:
                continue
            start = i + 1 + len(rel.split())
            group = next((g for g in self.s.victim_groups if f" {' '.join(words[start:start + 4])} ".find(f" {g} ") >= 0),
                         None)
            if group is None:
                continue
            end = text.split().index(group.split()[-1], start) + 1
            death = next((d for d in self.s.deaths if " ".join(words[end:]).startswith(d)), None)
            return set(range(i + 1, end + (len(death.split()) if death else 0)))
        return set()

    def _act_clause(self, words: list[str], mentions: list[Mention], act: Act) -> set[int]:
        """Positions of "the coalition denied" in "the strike the coalition denied": an incident noun, at most
        "that"/"which" and "the", a party, then the act."""
        for m in mentions:
            before = [w for w in words[max(0, m.start - 3):m.start] if w not in ("that", "which", "the")]
            if not before or before[-1] not in (*self.s.across_nouns, "one"):
                continue
            for j in range(m.end, min(len(words), m.end + 3)):
                if has_phrase(" ".join(words[m.end:j + 1]), act.words):
                    end = max((k.end for k in mentions if k.start > j and k.start <= j + 2), default=j + 1)
                    return set(range(m.start - (len(words[max(0, m.start - 3):m.start]) - len(before)), end))
        return set()

    def _stranger(self, lead: list[str], mentions: list[Mention], res: Resolution) -> str | None:
        """The name in "who is Hassan Nasrallah?" when it is no one the reports name: after "who is/was/are",
        two to four words, none an everyday or question word; or one word that is not an English word."""
        if mentions or res.candidates or len(lead) < 3 or lead[0] != "who" or lead[1] not in ("is", "was", "are"):
            return None
        name = lead[2:]
        if not 1 <= len(name) <= 4 or any(w in STOPWORDS or w in self.known and w not in ARTICLES or is_number(w)
                                          for w in name):
            return None
        if len(name) == 1 and self.matcher.is_common(name[0]):
            return None  # "who is winning?"
        return " ".join(name)

    def _acted_by(self, words: list[str], mentions: list[Mention], act: Act) -> bool:
        """Whether a party named is who did the act, in a wh-question: "who did the Observatory blame?", "and
        the Observatory, who did it blame?" (the pronoun right before the verb standing for the party)."""
        for j in range(2, len(words)):
            if not any(words[j:j + len(p.split())] == p.split() for p in act.words):
                continue
            before = words[j - 1]
            if any(m.end == j for m in mentions) or before in ("it", "they", "he", "she") and mentions:
                asked = words[:j]
                return any(w in asked for w in ("who", "whom", "what", "which")) and any(
                    w in asked for w in ("did", "does", "has", "have"))
        return False

    def _strangers(self, words: list[str], act: Act, mentions: list[Mention], res: Resolution) -> tuple[str, ...]:
        """Who a question says did the act when no report names them: "did Turkey deny it?", "why did Russia
        bomb Deir Ezzor?", "Israel was behind Al-Hari, right?" (the word right before the act's words)."""
        used = {p for c in res.candidates for p in c.tokens} | {p for m in mentions for p in range(m.start, m.end)}
        for j in range(1, len(words)):
            if not any(words[j:j + len(p.split())] == p.split() for p in act.words):
                continue
            w = words[j - 1]
            if j - 1 not in used and w not in STOPWORDS and w not in self.known and not is_number(w) and len(w) > 2 \
                    and not self.incidents.has_word(w):
                return (w,)
        return ()

    def _unknown_speaker(self, words: list[str], act: Act, res: Resolution) -> tuple[str, ...]:
        """Who "what did the Russian defence ministry say about Al-Hari?" asks about, when no report names
        them: the words between "did"/"does"/"has" and the saying verb, with at least one that is no known
        or everyday word."""
        aux = next((i for i, w in enumerate(words) if w in ("did", "does", "has", "have", "do")), None)
        verb = next((j for j in range(len(words)) if aux is not None and j > aux + 1 and words[j] in act.words), None)
        # "What was the Russian defence ministry's response to Deir Ezzor?": the words before "'s response"
        noun = next((j for j in range(2, len(words)) if words[j] in self.s.said_nouns and words[j - 1].endswith("s")
                     and words[j - 1][:-1] not in STOPWORDS), None)
        if noun is not None and (aux is None or verb is None):
            aux = next((i for i in range(noun - 2, -1, -1) if words[i] in STOPWORDS), -1)
            verb, words = noun, [*words[:noun - 1], words[noun - 1][:-1], *words[noun:]]
        if aux is None or verb is None or verb - aux > 6:
            return ()
        slot = [w for w in words[aux + 1:verb] if w != "the"]
        used = {words[p] for c in res.candidates for p in c.tokens}
        if not slot or all(w in used for w in slot) or any(w in STOPWORDS for w in slot):
            return ()
        return (" ".join(slot),) if any(w not in self.known and not self.matcher.is_common(w) for w in slot) \
            or len(slot) > 1 else ()

    def _party_subject(self, words: list[str], mentions: list[Mention]) -> Mention | None:
        """The person or organisation a yes/no question or a tagged statement is about: "is [the] X ...?",
        "X is ..., right?"; not a possessive ("is the Observatory's figure right?")."""
        first = mentions[0] if mentions else None
        last = words[first.end - 1] if first else ""
        if first is None or last.endswith("s") and last[:-1] in self.filters.names.words():
            return None
        before = [w for w in words[:first.start] if w != "the"]
        after = " ".join(words[first.end:first.end + 2])
        if before and " ".join(before) in self.s.copulas:
            return first
        if not before and self._tag(words) and any(f"{after} ".startswith(c + " ") for c in self.s.copulas):
            return first
        return None

    def _strip(self, text: str) -> str:
        """The words left for intent matching once the frame words are read ("which strikes", "more than 30")."""
        out = f" {text} "
        for phrase in self._dropped:
            if phrase in out:
                out = out.replace(phrase, " ")
        for determiner, phrases in self._det_nouns:
            if determiner not in out:
                continue  # nor then any of its phrases, whatever was replaced before
            for phrase, kept in phrases:
                # "how many strikes were blamed on X" asks to count blame, not casualties: the count goes too.
                if phrase in out:
                    out = out.replace(phrase, kept)
        return out.strip()

    def _across(self, text: str, lead: list[str]) -> str | None:
        """"count" for "how many airstrikes", "across" for "which strikes", "all the strikes"; else None."""
        if has_phrase(text, self._count_phrases):
            return "count"
        if has_phrase(text, self.s.everything):
            return "across"
        opening = " ".join(lead) + " "
        if any(opening.startswith(n + " ") for n in self._plural):
            return "across"  # "strikes that killed less than 20?"
        commanded = bool(lead) and lead[0] in ("show", "list", "give", "name")  # "show me the strikes ..."
        if has_phrase(text, self._any_plural if commanded else self._which_plural):
            return "across"
        return "across" if has_phrase(text, self._any_singular) else None  # "any strike where fewer than 20 died"

    def _figure(self, words: list[str], stated: bool = False) -> tuple[tuple[str, int] | None, set[int]]:
        text = " ".join(words)
        for direction, phrases in (("above", self.s.above), ("below", self.s.below)):
            for phrase in found_phrases(text, phrases):  # those the question has; then where, a number after
                n = len(phrase.split())
                for i in range(len(words) - n):
                    if " ".join(words[i:i + n]) == phrase and is_number(words[i + n]) and len(words[i + n]) < 7:
                        return (direction, int(words[i + n]) + (0 if phrase in ("at least", "at most",
                                "no more than") else (1 if direction == "above" else -1))), set(range(i, i + n + 1))
        if self._tag(words) or stated or (words and words[0] in self.s.yes_no_starts):
            for i, w in enumerate(words):  # "The Observatory said 80 died, right?", "Were 40 killed?"
                unit = words[i + 1] if i + 1 < len(words) else ""
                if is_number(w) and len(w) < 7 and not (1900 <= int(w) <= 2100) and unit not in self.s.time_units:
                    return ("equal", int(w)), {i}
        return None, set()

    def _tag(self, words: list[str]) -> str | None:
        tail = " ".join(words[-3:])
        return next((t for t in self.s.tag_questions if f" {tail}".endswith(f" {t}")), None) if len(words) > 3 else None

    def _compares(self, text: str) -> bool:
        return bool(has_phrase(text, self.s.more) or has_phrase(text, self.s.less) or has_phrase(text, self.s.same)
                    or has_phrase(text, self.s.earlier) or has_phrase(text, self.s.later))

    def _compare_sides(self, part: Part, words: list[str], among: list[str]) -> bool:
        """Two incidents on either side of "or"/"than"/"and", or claimants of one incident compared; else the
        two the chat last answered about ("which was worse?")."""
        for i, w in enumerate(words):
            if w in self.s.sides and 0 < i < len(words) - 1:
                # A party's name is no side ("do the Observatory and state media agree"): `words` has them blank.
                left = self.incidents.resolve(" ".join(words[:i]), self.known)
                right = self.incidents.resolve(" ".join(words[i + 1:]), self.known)
                if left.candidates and right.candidates and \
                        left.candidates[0].incident_id != right.candidates[0].incident_id:
                    part.sides, part.target = [left, right], "incidents"
                    part.intent = self._compared_on(part)
                    return True
        by_date = not (has_phrase(part.text, self.s.more) or has_phrase(part.text, self.s.less)
                       or has_phrase(part.text, self.s.same))
        if by_date and len(among) < 2:
            return False  # "what happened before the Al-Hari strike?" compares nothing
        if part.res and part.res.candidates:
            part.target = "incident"
            return True
        if len(part.mentions) > 1 and (shared := self._reported_by_all(part.mentions, words)):
            # "the difference between the Observatory's and AFP's numbers": the latest incident both report on.
            part.res = Resolution(candidates=[Candidate(shared, 1.0, frozenset())])
            part.target = "incident"
            return True
        if len(among) > 1 and not part.mentions:
            part.sides = [Resolution(candidates=[Candidate(i, 1.0, frozenset())]) for i in among[-2:]]
            part.target, part.intent = "incidents", self._compared_on(part)
            return True
        return False

    def _compared_on(self, part: Part) -> str:
        """What two incidents are compared on: their death tolls, unless the question names another of their
        facts ("how do the denials of Al-Hari and the May strike differ?")."""
        named = [n for n in self.matcher.specs if n != "casualties" and self._kinds(n)
                 and self.matcher.has_keyword(part.text, n)]
        if len(named) > 1:  # "was it the same side denying ...": a word of the kind ("denying") over a phrase
            scores = self.matcher.match(part.text).scores
            named.sort(key=lambda n: (not has_phrase(part.text, tuple(
                fold(k) for k in self.matcher.specs[n].keywords if " " not in k)), -scores.get(n, 0.0)))
        return named[0] if named else "casualties"

    def _reported_by_all(self, mentions: list[Mention], words: list[str]) -> str | None:
        ids: set[str] | None = None
        for m in mentions:
            keys = frozenset(self.filters.names.related(m.key, [w for w in words[m.start:m.end] if w]))
            found = self.filters.match(Filter(claimants=keys))
            ids = found if ids is None else ids & found
        return next(iter(self.filters.latest(ids, 1)), None) if ids else None

    def _filter(self, part: Part, words: list[str], mentions: list[Mention], act: Act | None,
                figure: tuple[str, int] | None, across: str | None, res: Resolution) -> Filter:
        month, year = date_in(words)
        claimants: set[str] = set()
        accused: set[str] = set()
        names = self.filters.names
        for m in mentions:
            keys = names.related(m.key, words[m.start:m.end]) if m.exact else {m.key}
            if part.intent in ("casualties", "sources", "summary", None) or (act and act.name == "said"):
                claimants |= keys
            elif part.intent == "blame" and (self._acts_first(words, m) or [w for w in words[max(0, m.start - 2):m.start]
                                                                              if w != "the"][-1:] == ["by"]):
                claimants |= keys
            else:
                accused |= keys
        types = tuple(self.s.type_words.get(n, n.rstrip("s")) for n in self.s.across_nouns
                      if has_phrase(" ".join(words), (n,)) and n not in self.s.untyped_nouns)
        places, place_names = self.filters.place_keys([w for i, w in enumerate(words)
                                          if not any(m.start <= i < m.end for m in mentions)])
        elsewhere = [w for i, w in enumerate(words) if i and words[i - 1] in self.s.place_prepositions
                     and w not in STOPWORDS and w not in self.known and not is_number(w) and date_in([w]) == (None, None)
                     and not any(m.start <= i < m.end for m in mentions)]
        if elsewhere and not places:
            # "any strikes in Aleppo?": a place no incident has fits none of them, not all of them
            places, place_names = (f"?{elsewhere[0]}",), (elsewhere[0],)
        lo = hi = None
        if figure and figure[0] == "above":
            lo = figure[1]
        elif figure and figure[0] == "below":
            hi = figure[1]
        return Filter(kinds=self._kinds(part.intent) if part.form not in ("superlative", TOTAL) else (),
                      claimants=frozenset(claimants), accused=frozenset(accused), year=year, month=month,
                      places=places, types=types[:1], at_least=lo, at_most=hi, place_names=place_names)

    def _kinds(self, intent: str | None) -> tuple[str, ...]:
        spec = self.matcher.specs.get(intent) if intent else None
        return spec.claims or () if spec else ()

    def _acts_first(self, words: list[str], m: Mention) -> bool:
        """"state media blamed ..." / "what has state media blamed": the party is who blamed, not the blamed."""
        blamed = self._blamed_words
        before = words[max(0, m.start - 1):m.start]
        # the verb after the party, with at most other parties and "and"/"or" between ("the Observatory and
        # state media blamed ...")
        verb = next((j for j in range(m.end, len(words)) if has_phrase(" ".join(words[j:j + 2]), blamed)), None)
        passive = verb is not None and any(w in ("been", "being", "was", "were", "is", "are", "got")
                                           for w in words[m.end:verb])  # "has the coalition been blamed"
        return verb is not None and verb - m.end <= 4 and not passive and not any(
            w in ("on", "against") for w in before)

    def _located(self, words: list[str], res: Resolution) -> tuple[Resolution, tuple[str, ...]] | None:
        """The first incident named, and the words of a second named after "in"/"near", as a place."""
        if len(res.candidates) < 2 or not all(c.tokens for c in res.candidates[:2]):
            return None
        first, other = sorted(res.candidates[:2], key=lambda c: min(c.tokens))
        start = min(other.tokens)
        while start > 0 and words[start - 1] in ARTICLES:  # "al hari": the name is "hari"
            start -= 1
        compass = start > 1 and words[start - 1] == "of" and words[start - 2] in self.s.compass
        if start == 0 or words[start - 1] not in self.s.place_prepositions and not compass:
            return None
        # "north of Al-Hari" is no place to check it against: the answer is where the reports put it
        return replace(res, candidates=[first], close=[first]), () if compass else tuple(
            words[i] for i in sorted(other.tokens))

    def _content(self, words: list[str], mentioned: set[int], res: Resolution) -> tuple[str, ...]:
        used = {p for c in res.candidates[:1] for p in c.tokens}
        rest = fold(res.rest).split() if res.rest else words
        return tuple(w for w in rest if w not in STOPWORDS and w not in self.known and not is_number(w)
                     and len(w) > 2) if used or rest else ()
