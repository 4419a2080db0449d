"""Whether the claims bear out what a yes/no question asks or a question takes for granted.

"Did the Pentagon admit the May strike?" -> no: the US Department of Defense denied it. "Were more than 50
killed?" -> no: the figures reported are 38 and nearly 40. The answer is grounded in the claims that
support or contradict it, and is "disputed" when both exist; the wording lives in bot/answers.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot import answers
from bot.answers import Facts
from bot.facts.models import Claim
from bot.understanding.frame import Check
from bot.understanding.mentions import PartyNames

ACTED = ("denial", "claim_responsibility", "perpetrator")  # the party named is the claim's value


@dataclass(frozen=True)
class Verdict:
    answer: str  # yes | no | disputed | unknown
    lead: str  # the claims behind it, worded


def check(facts: Facts, c: Check, intent: str | None, names: PartyNames) -> Verdict | None:
    """None when the question holds nothing checkable (then the plain answer is the answer)."""
    if c.speakers and not [x for x in facts.claims if _party_of(x, names) & c.speakers]:
        # "McGurk said the coalition hit Al-Hari, didn't he?": he said nothing about it that I have.
        verdict = check(facts, replace(c, speakers=frozenset()), intent, names)
        said = f" What the reports do say: {verdict.lead}" if verdict else ""
        return Verdict("no", f"I have no record of {_who(replace(c, parties=c.speakers), names)} saying anything "
                             f"about the {facts.incident.title}.{said}")
    if c.speakers and c.act and c.act.kinds and c.act.name != "denied":
        # "State media said the coalition hit Al-Hari, didn't they?": blame by them counts as saying so.
        own = [x for x in facts.of(*c.act.kinds, "blame") if _party_of(x, names) & c.speakers
               and (not c.parties or names.key_of(str(x.value)) in c.parties)]
        if own:
            against = [x for x in facts.of(*c.act.against) if _party_of(x, names) & c.parties]
            lead = "; ".join(dict.fromkeys(answers.claim_phrase(facts, x) for x in own + against))
            return Verdict("yes", lead + ".")
    if c.act and c.act.name == "said" and c.strangers and not c.parties:
        return Verdict("unknown", answers.no_statement(c.strangers[0], facts))
    if c.figure and c.act and c.act.kinds and (c.parties or c.strangers):
        # "The SDF killed 38 people at Al-Hari": who did it and how many, both checked; the worse leads
        both = (_act(facts, c, names), _figure(facts, c, names))
        answer = next((a for a in ("no", "unknown", "disputed") if any(v.answer == a for v in both)), "yes")
        return Verdict(answer, " ".join(v.lead for v in both))
    if c.figure:
        return _figure(facts, c, names)
    if c.act and c.act.kinds:
        return _act(facts, c, names)
    if c.parties and c.act:  # "Did state media say how many died?"
        return _said(facts, c, intent, names)
    if c.words and intent == "location":
        p = facts.incident.place
        # The place's note ("on the Syrian-Iraqi border") is near it, not where it is: it is told, not matched.
        where = " ".join(filter(None, [p.name, p.region, p.country, *p.aliases])).lower()
        place = ", ".join(answers.place_words(p))
        if all(any(w[:5] in x for x in where.split()) for w in c.words):
            return Verdict("yes", f"the {facts.incident.title} took place in {place}.")
        near = f" ({p.note})" if p.note else ""
        return Verdict("no", f"the reports place the {facts.incident.title} in {place}{near}.") if place else None
    if c.words and intent in ("victims", "casualties"):
        claims = facts.of("victims", "casualties")
        hits = [x for x in claims if all(w[:5] in _text(x) for w in c.words)]
        if hits:
            return Verdict("yes", "; ".join(dict.fromkeys(answers.claim_phrase(facts, x) for x in hits)) + ".")
        return Verdict("unknown", f"none of the reports I have mentions {' '.join(c.words)} among the victims.")
    if c.words and not c.act and intent in (None, "summary"):
        # "Was anyone arrested for the Al-Hari strike?": a word no claim or account of it uses.
        told = " ".join([facts.incident.summary or "", *(_text(x) for x in facts.claims),
                         *(x.quote or "" for x in facts.claims)]).lower()
        missing = [w for w in c.words if w[:5] not in told]
        if missing:
            return Verdict("unknown", f"none of the reports I have on the {facts.incident.title} mentions "
                                      f"{' or '.join(missing)}.")
    return None


def _party_of(claim: Claim, names: PartyNames) -> set[str]:
    keys = {names.key_of(claim.claimant), names.key_of(claim.via)}
    if claim.kind in ACTED or claim.kind == "blame":
        keys.add(names.key_of(str(claim.value)))
    return keys - {None}  # type: ignore[return-value]


def _act(facts: Facts, c: Check, names: PartyNames) -> Verdict:
    assert c.act is not None
    if c.strangers and not c.parties:  # "Did Turkey deny the May strike?": no report says Turkey did anything
        return _unclaimed(facts, c, " and ".join(map(answers.as_name, c.strangers)))
    by = (lambda x: bool(_party_of(x, names) & c.parties)) if c.parties else (lambda x: True)
    support = [x for x in facts.of(*c.act.kinds) if by(x)]
    accused_only = False
    if c.act.name == "carried_out" and c.parties:
        # "Was it the coalition that hit Al-Hari?": whoever blames the coalition says so; its denial says not.
        blamed = [x for x in facts.of("blame") if names.key_of(str(x.value)) in c.parties]
        accused_only = bool(blamed) and not support
        support += blamed
    against = [x for x in facts.of(*c.act.against) if by(x)] or (
        [x for x in facts.of(*c.act.against)] if not support and c.act.name == "admitted" else [])
    if accused_only and not against:
        # "Did the coalition carry out the May strike?": an accusation is no confirmation, and whoever denied
        # it (the Pentagon, for a strike blamed on the coalition) is part of the answer
        against = facts.of("denial")
    phrases = lambda xs: "; ".join(dict.fromkeys(answers.claim_phrase(facts, x) for x in xs))  # noqa: E731
    if support and against:
        return Verdict("disputed", f"{phrases(support)}; but {phrases(against)}.")
    if support:
        return Verdict("yes", phrases(support) + ".")
    if against:
        if c.act.name == "admitted":
            return Verdict("no", answers.no_admission(facts, against))
        return Verdict("no", phrases(against) + ".")
    if c.act.name == "admitted":
        return Verdict("no", answers.no_admission(facts, []))
    return _unclaimed(facts, c, _who(c, names) or "anyone")


def _unclaimed(facts: Facts, c: Check, who: str) -> Verdict:
    """No claim says `who` did it: what the reports do say about who did it, so "So the SDF bombed Al-Hari?" is
    not left at "I don't know"."""
    assert c.act is not None
    said = facts.of("perpetrator", "claim_responsibility", "blame", "denial")
    verb = "blamed anyone for" if c.act.name == "blamed" else c.act.name.replace("_", " ")
    told = "; ".join(dict.fromkeys(answers.claim_phrase(facts, x) for x in said))
    # A report that someone else carried it out contradicts "Russia bombed it"; otherwise it is just not said.
    other = c.act.name == "carried_out" and facts.of("perpetrator", "claim_responsibility")
    return Verdict("no" if other else "unknown", f"I have no claim that {who} {verb} the {facts.incident.title}"
                              + (f"; the reports say: {told}." if said else "."))


def _said(facts: Facts, c: Check, intent: str | None, names: PartyNames) -> Verdict:
    own = [x for x in facts.claims if _party_of(x, names) & c.parties and x.kind != "note"]
    if intent == "casualties":
        own = [x for x in own if x.kind == "casualties"]
        if own and all(x.count and (x.count.qualifier == "unspecified" or not x.count.best) for x in own):
            return Verdict("no", "; ".join(answers.claim_phrase(facts, x) for x in own) + ".")
    if own:
        return Verdict("yes", "; ".join(dict.fromkeys(answers.claim_phrase(facts, x) for x in own)) + ".")
    return Verdict("unknown", f"I have no claim by {_who(c, names) or 'them'} about that.")


def _figure(facts: Facts, c: Check, names: PartyNames) -> Verdict | None:
    assert c.figure is not None
    how, n = c.figure
    claims = [x for x in facts.of("casualties") if x.count and x.count.measure != "wounded"]
    if c.parties:
        claims = [x for x in claims if _party_of(x, names) & c.parties] or claims
    numbered = [x for x in claims if x.count and x.count.best and x.count.qualifier != "unspecified"]
    if not numbered:
        return Verdict("unknown", "the reports I have give no number.") if claims else None
    fits = {"above": lambda v: v >= n, "below": lambda v: v <= n, "equal": lambda v: v == n}[how]
    yes = [x for x in numbered if x.count and fits(x.count.best or 0)]
    # "At least 100" may be more than 100: neither yes nor no to "were more than 100 killed?".
    open_ended = [x for x in numbered if x not in yes and x.count and x.count.qualifier in ("at_least", "more_than")
                  and how != "below"]
    no = [x for x in numbered if x not in yes and x not in open_ended]
    said = lambda xs: "; ".join(answers.claim_phrase(facts, x) for x in xs)  # noqa: E731
    if open_ended and not yes:
        return Verdict("unknown", f"{said(open_ended)}" + (f"; {said(no)}" if no else "") + ", no exact figure.")
    if yes and no:
        return Verdict("disputed", f"{said(yes)}; but {said(no)}.")
    if yes:
        return Verdict("yes", said(yes) + ".")
    lead = said(no) + (f", not {n:,}." if how == "equal" else ".")
    return Verdict("no", lead)


def _who(c: Check, names: PartyNames) -> str:
    return " or ".join(sorted({names.display.get(k, k) for k in c.parties}))[:120] if c.parties else ""


def _text(claim: Claim) -> str:
    parts: Sequence[object] = (claim.value, claim.note, claim.count.who if claim.count else None)
    return " ".join(str(p) for p in parts if p).lower()
