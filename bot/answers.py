"""Every sentence the bot says about incidents, in one place.

Answers lead with the fact, then say who claims it; claims that disagree stand side by side and the bot
never picks one. Functions take records and return Rich text; they never touch the store.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.facts.dates import format_date
from bot.facts.kinds import BY_NAME
from bot.facts.models import Claim, Count, Description, Incident, Party, Place, Source
from bot.rich import Bold, Rich
from bot.text import clip, fold

VERBS = {"killed": "killed", "wounded": "wounded", "killed_and_wounded": "killed and wounded"}
QUALIFIER_WORDS = {"at_least": "at least", "about": "about", "nearly": "nearly", "more_than": "more than"}
# A figure's strength decides which claim leads; the others follow, never dropped.
MEASURE_ORDER = {"killed": 0, "killed_and_wounded": 1, "wounded": 2}
MEASURE_ORDER_WOUNDED = {"wounded": 0, "killed_and_wounded": 1, "killed": 2}
SPECIFICITY = {"exact": 0, "at_least": 1, "more_than": 1, "about": 2, "nearly": 2, "unspecified": 3}

EXAMPLE_QUESTIONS = [
    "How many died in the Al-Hari airstrike?",
    "Who was blamed for it?",
    "Who denied it?",
    "Where did it happen?",
    "How many were killed in Deir Ezzor in February 2018?",
]


# Each intent's answer, registered by the intent's name (as opsdroid binds skills to matchers): an intent is
# its YAML file in intents/ plus one function here. Incident intents take the incident's Facts; the others
# take nothing, except list_incidents, which takes the incidents to list and their total.
HANDLERS: dict[str, Callable[..., Rich]] = {}


def handler(intent: str) -> Callable[[Callable[..., Rich]], Callable[..., Rich]]:
    def register(fn: Callable[..., Rich]) -> Callable[..., Rich]:
        HANDLERS[intent] = fn
        return fn
    return register


@dataclass(frozen=True)
class Facts:
    """What one answer about one incident may draw on."""
    incident: Incident
    claims: Sequence[Claim]
    source: Callable[[str | None], Source | None]
    wounded: bool = False  # the question asks about the wounded rather than the dead

    def of(self, *kinds: str) -> list[Claim]:
        return [c for c in self.claims if c.kind in kinds]


# -- helpers -------------------------------------------------------------------------------------------
def cite(facts: Facts, claim: Claim, extra: str | None = None) -> str:
    """" (its head, Rami Abdel Rahman; AFP, 19 June 2018)": how the claim reached us, and where we read it."""
    src = facts.source(claim.source)
    parts = [extra] if extra else []
    if src:
        when = format_date(src.published, "day") if src.published else None
        publisher = None if src.publisher == claim.claimant else src.publisher
        parts.append(", ".join(x for x in (publisher, when) if x))
    return f" ({'; '.join(p for p in parts if p)})" if any(parts) else ""


def attribution(facts: Facts, claim: Claim) -> str:
    return f"{claim.claimant or 'an unnamed source'}{cite(facts, claim, claim.via)}"


def figure(count: Count) -> str:
    if count.qualifier == "unspecified" or count.best is None:
        return count.text or "an unspecified number of"
    if count.text and count.qualifier != "exact" and not count.text.isdigit():
        return count.text  # the source's own words: "a dozen", "nearly 40"
    return f"{QUALIFIER_WORDS.get(count.qualifier, '')} {count.best:,}".strip()


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def sources_line(facts: Facts) -> str:
    ids = list(dict.fromkeys([c.source for c in facts.claims if c.source] + list(facts.incident.sources)))
    names = []
    for sid in ids:
        src = facts.source(sid)
        if src:
            names.append(", ".join(x for x in (src.publisher, src.dateline,
                                               format_date(src.published, "day") if src.published else None) if x))
    return "Sources: " + "; ".join(names) if names else ""


# -- incident intents ------------------------------------------------------------------------------------
@handler("casualties")
def casualties(facts: Facts) -> Rich:
    # Deaths lead (the wounded, if asked about), then mixed figures; within each, the most exact first.
    order = MEASURE_ORDER_WOUNDED if facts.wounded else MEASURE_ORDER
    claims = sorted(facts.of("casualties"), key=lambda c: (order.get(c.count.measure, 1),
                                                           SPECIFICITY.get(c.count.qualifier, 3)))
    if not claims:
        return Rich().para(f"I have no casualty figures for the {facts.incident.title}.")
    out = Rich()
    if facts.wounded and not any(c.count.measure == "wounded" for c in claims):
        out.para(f"The reports I have give no separate figure for the wounded of the {facts.incident.title}.")
    for n, claim in enumerate(claims):
        c = claim.count
        verb = VERBS.get(c.measure, "killed")
        who = c.who or "people"
        who = f"{who}," if "," in who else who  # "fighters, including Russians, were killed"
        if c.qualifier == "unspecified" or c.best is None:
            out.para(f"{cap(attribution(facts, claim))} said {figure(c)} {who} were {verb} but gave no number.")
        elif n == 0:
            out.para(Bold(cap(figure(c))), f" {who} were {verb}, according to {attribution(facts, claim)}.")
        else:
            out.para(f"{cap(attribution(facts, claim))} said ", Bold(figure(c)), f" {who} were {verb}.")
    return out


@handler("blame")
def blame(facts: Facts) -> Rich:
    blames = facts.of("blame")
    if not blames:
        return Rich().para(f"The reports I have blame no one for the {facts.incident.title}.").extend(perpetrator(facts))
    return _blamed(facts, blames).extend(_denied(facts))


@handler("denial")
def denial(facts: Facts) -> Rich:
    denials = facts.of("denial")
    if not denials:
        return Rich().para(f"I have no record of anyone denying responsibility for the {facts.incident.title}.")
    out = Rich()
    for d in denials:
        said = f", according to {attribution(facts, d)}" if d.claimant and d.claimant != d.value else cite(facts, d)
        quote = f" “{d.quote.strip()}”" if d.quote else ""
        out.para(Bold(cap(d.value)), f" denied responsibility{said}.{quote}")
    return out.extend(_blamed(facts, facts.of("blame")))


@handler("perpetrator")
def perpetrator(facts: Facts) -> Rich:
    admitted = facts.of("claim_responsibility", "perpetrator")
    blames, denials = facts.of("blame"), facts.of("denial")
    out = Rich()
    if admitted:
        for c in admitted:
            did = "claimed it" if c.kind == "claim_responsibility" else "carried it out"
            out.para(Bold(cap(c.value)), f" {did}, according to {attribution(facts, c)}.")
            if c.note:
                out.para(cap(c.note) + ".")
        return out
    if blames and denials:
        out.para(Bold("Disputed"), ": no one has admitted carrying it out.")
    elif blames:
        out.para(Bold("Unconfirmed"), ": no one has admitted carrying it out.")
    else:
        return out.para(f"The reports I have do not say who carried out the {facts.incident.title}.")
    return out.extend(_blamed(facts, blames)).extend(_denied(facts))


def place_words(p: Place) -> list[str]:
    """Name, region, country, each once: "Al-Hari, eastern Syria" rather than "..., eastern Syria, Syria"."""
    out: list[str] = []
    for x in (p.name, p.region, p.country):
        if x and not any(x.lower() in y.lower() for y in out):
            out.append(x)
    return out


@handler("location")
def location(facts: Facts) -> Rich:
    i, p = facts.incident, facts.incident.place
    if not p.name:
        country = f", only that it was in {p.country}" if p.country else ""
        out = Rich().para(f"The reports I have do not say exactly where the {i.title} took place{country}.")
    else:
        where = place_words(p)[1:]
        out = Rich().para(f"The {i.title} took place in ", Bold(p.name), f", {', '.join(where)}" if where else "", ".")
    if p.note:
        out.para(cap(p.note) + ".")
    return out


@handler("date")
def when(facts: Facts) -> Rich:
    d = facts.incident.date
    if d.precision == "unknown":
        return Rich().para(f"The reports I have do not give a date for the {facts.incident.title}.")
    verb = {"day": "was on", "month": "was in", "year": "dates from"}[d.precision]
    detail = f" ({d.text})" if d.text else ""
    reported = f" It was reported on {format_date(d.reported, 'day')}." if d.reported and d.precision != "day" else ""
    return Rich().para(f"The {facts.incident.title} {verb} ", Bold(format_date(d.value, d.precision)),
                       f"{detail}.{reported}")


@handler("victims")
def victims(facts: Facts) -> Rich:
    claims = facts.of("victims")
    out = Rich()
    if not claims:
        counts = [c for c in facts.of("casualties") if c.count and c.count.who]
        if not counts:
            return out.para(f"The reports I have do not say who the victims of the {facts.incident.title} were.")
        claims = counts
    for c in claims:
        what = c.count.who if c.count else c.value
        out.para(Bold(cap(what)), f", according to {attribution(facts, c)}.")
        if c.note:
            out.para(cap(c.note) + ".")
    return out


@handler("sources")
def sources(facts: Facts) -> Rich:
    out = Rich()
    for c in facts.claims:
        if c.kind == "casualties" and c.count:
            out.para(f"{cap(figure(c.count))} {VERBS.get(c.count.measure, 'killed')}: ", Bold(c.claimant or "unnamed"),
                     f"{cite(facts, c, c.via)}.")
    for c in facts.of("blame", "denial", "claim_responsibility", "perpetrator", "note"):
        out.para(f"{BY_NAME[c.kind].label} ({c.value}): ", Bold(c.claimant or "unnamed"), f"{cite(facts, c)}.")
    return out.para(sources_line(facts) or "No sources are recorded for this incident.")


@handler("summary")
def summary(facts: Facts) -> Rich:
    i = facts.incident
    out = Rich().para(Bold(i.title), f" ({format_date(i.date.value, i.date.precision)})")
    if i.summary:
        out.para(i.summary.strip())
    else:
        out.extend(casualties(facts)).extend(perpetrator(facts))
    for c in facts.of("note"):
        if c.quote:
            out.para(f"{cap(c.claimant or 'A source')} said: “{c.quote.strip()}”")
    return out.para(sources_line(facts))


def statements(facts: Facts, claimant: str) -> Rich:
    """Everything one source said about the incident ("What did Syrian state media say about Al-Hari?")."""
    own = Facts(facts.incident, [c for c in facts.claims if c.claimant == claimant], facts.source, facts.wounded)
    out = Rich().para(f"What {claimant} said about the {facts.incident.title}:")
    return out.extend(_said(own)).para(sources_line(own))


def victims_not_reported(groups: Sequence[str], title: str) -> Rich:
    return Rich().para(f"The reports I have do not say that any {_join(list(groups))} were among the dead of the "
                       f"{title}. What they say:")


def as_name(folded: str) -> str:
    """A name the question gave, folded to lower case, written as names are: "russian defence ministry" ->
    "Russian Defence Ministry" (small words stay small)."""
    return " ".join(w if w in ("of", "for", "and") else w[:1].upper() + w[1:] for w in folded.split())


def no_statement(who: str, facts: Facts) -> str:
    quoted = _join(list(dict.fromkeys(c.claimant for c in facts.claims if c.claimant)))
    return (f"I have no record of the {as_name(who)} saying anything about the {facts.incident.title}"
            + (f"; the reports quote {quoted}." if quoted else "."))


# When answering failed (a bug): the user is told, the error goes to the log; every transport says it so.
APOLOGY = "Sorry, something went wrong while answering that. Please try again in a moment."


def no_reasons(followed: bool = True) -> Rich:
    """"Why?": the reports give who claims what, not reasons; `followed` by the last answer again."""
    return Rich().para("The reports I have do not say why; they say who claims what" + (":" if followed else "."))


def on_incident(title: str) -> Rich:
    return Rich().para(f"On the {title}:")


def saying(facts: Facts) -> Rich:
    """Who said these words ("Who said there were no strikes in that area?"): each claim holding them, as said."""
    who = _join(list(dict.fromkeys(c.claimant or "an unnamed source" for c in facts.claims)))
    out = Rich().para(f"On the {facts.incident.title}, {who} said so:")
    return out.extend(_said(facts)).para(sources_line(facts))


def _said(own: Facts) -> Rich:
    """Each of these claims as said: figures, blame, then denials, admissions, victims and notes, with quotes."""
    out = Rich()
    if own.of("casualties"):
        out.extend(casualties(own))
    out.extend(_blamed(own, own.of("blame")))
    for c in own.of("denial", "perpetrator", "claim_responsibility", "victims", "note"):
        out.para(f"{cap(_stated(c))}.", f" “{c.quote.strip()}”" if c.quote else "")
        if c.note and c.kind != "note":
            out.para(cap(c.note) + ".")
    return out


# -- people and organisations ------------------------------------------------------------------------------
DETERMINERS = frozenset({"a", "an", "the", "its", "his", "her", "their", "one", "this", "that"})


@dataclass(frozen=True)
class PartyFacts:
    """What an answer about one person or organisation may draw on (records only; the store stays out)."""
    party: Party
    source: Callable[[str | None], Source | None]
    member_of: Party | None = None  # the organisation they head or speak for
    members: Sequence[Party] = ()  # who heads or speaks for it


def _according(facts: PartyFacts, description: Description) -> str:
    src = facts.source(description.source)
    if src is None:
        return " (no source is recorded for this)"
    when = format_date(src.published, "day") if src.published else None
    return f", according to {src.publisher}{f' ({when})' if when else ''}"


def _predicate(text: str) -> str:
    """A description as it follows "is": "head of the Observatory" -> "the head of the Observatory"."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if first.lower() in DETERMINERS or first.endswith(("'s", "’s")):
        return text
    return "the " + text


def _is_line(facts: PartyFacts, description: Description, name: str | None = None) -> str:
    name = name or facts.party.name
    bare = name.lower().removeprefix("the ")
    src = facts.source(description.source)
    if src and description.text.lower().removeprefix("the ").startswith(bare):
        # "the US-led coalition fighting the IS group": not "the coalition is the coalition fighting ...".
        when = f" ({format_date(src.published, 'day')})" if src.published else ""
        return f"{src.publisher}{when} describes {name} as “{description.text}”."
    return f"{cap(name)} is {_predicate(description.text)}{_according(facts, description)}."


def party_profile(facts: PartyFacts) -> Rich:
    """Who or what a party is, in the sources' words, each with its source."""
    p, out = facts.party, Rich()
    for d in p.descriptions:
        out.para(_is_line(facts, d))
    if not p.descriptions:
        out.para(f"The reports I have do not say who or what {p.name} is.")
    other = _other_names(p)
    if other:
        out.para(f"{cap(p.name)} is also called {_join(other)}.")
    if facts.member_of and not any(facts.member_of.name.lower() in d.text.lower() or
                                   any(a.lower() in d.text.lower() for a in facts.member_of.aliases)
                                   for d in p.descriptions):
        out.para(f"{cap(p.name)} is the {p.role or 'a member'} of {facts.member_of.name}.")
    for m in facts.members:
        out.extend(_member_line(facts, m))
    if p.based_in and not any(p.based_in.lower() in d.text.lower() for d in p.descriptions):
        out.para(f"{cap(p.name)} is based in {p.based_in}.")
    return out.para(f"Ask “what did {p.name} say?” for their statements." if p.type == "person"
                    else f"Ask “what did {p.name} say?” for its statements.")


def _other_names(p: Party) -> list[str]:
    """Aliases that say more than a part of the name: "SOHR", "Agence France-Presse", "the Pentagon"."""
    seen = {fold(p.name).removeprefix("the ")}
    out = []
    for a in p.aliases:
        key = fold(a).removeprefix("the ")  # "Agence France-Presse" and "Agence France Presse" are one name
        if key not in seen and key not in fold(p.name) and p.type != "person":
            seen.add(key)
            out.append(a)
    return out


def party_role(facts: PartyFacts) -> Rich:
    """A party's job or role: the descriptions that say it, else the recorded role."""
    p = facts.party
    out = Rich()
    for d in p.descriptions:
        out.para(_is_line(facts, d))
    if p.role and not p.descriptions:  # a description says it in a source's words; the role field has none
        where = f" of {facts.member_of.name}" if facts.member_of else ""
        out.para(f"{cap(p.name)}'s role: {p.role}{where}.")
    if not out.paragraphs:
        out.para(f"The reports I have do not say what {p.name} does.")
    for m in facts.members:
        out.extend(_member_line(facts, m))
    return out


def party_base(facts: PartyFacts) -> Rich:
    """Where a party is based, with the description that says so."""
    p = facts.party
    if not p.based_in:
        out = Rich().para(f"The reports I have do not say where {p.name} is based.")
        for d in p.descriptions:
            out.para(_is_line(facts, d))
        return out
    said = next((d for d in p.descriptions if p.based_in.lower() in d.text.lower()), None)
    if said is None:
        return Rich().para(f"{cap(p.name)} is based in ", Bold(p.based_in), " (no source is recorded for this).")
    src = _according(facts, said)
    return Rich().para(f"{cap(p.name)} is based in ", Bold(p.based_in), f"{src}, which calls it “{said.text}”.")


def party_heads(facts: PartyFacts) -> Rich:
    """Who heads or speaks for an organisation."""
    if not facts.members:
        return Rich().para(f"The reports I have do not say who heads or speaks for {facts.party.name}.")
    out = Rich()
    for m in facts.members:
        out.extend(_member_line(facts, m))
    return out


def _member_line(facts: PartyFacts, member: Party) -> Rich:
    role = member.role or "a member"
    line = Rich()
    said = next(iter(member.descriptions), None)
    source = _according(PartyFacts(member, facts.source), said) if said else ""
    return line.para(Bold(cap(member.name)), f" is the {role} of {facts.party.name}{source}." if role != "a member"
                     else f" is a member of {facts.party.name}{source}.")


def party_said(party: Party, groups: Sequence[Facts], more: int = 0) -> Rich:
    """What a party (or its members) said, one incident after another; `more`: incidents left out."""
    if not groups:
        return Rich().para(f"I have no statements from {party.name} on record.")
    n = len(groups) + more
    out = Rich().para(f"What {party.name} said{f' about {n} incidents' if n > 1 else ''}"
                      f"{f', the latest {len(groups)}' if more else ''}:")
    for own in groups:
        i = own.incident
        out.para(Bold(i.title), f" ({format_date(i.date.value, i.date.precision)}):")
        out.extend(_said(own))
    return out.para(_and_more(more)).para(_sources_of(groups))


def _and_more(more: int) -> str:
    return f"… and {more:,} more incident{'s' if more != 1 else ''}." if more else ""


# "Incidents Syrian state media blamed on the US-led coalition": how each kind of list is headed ({who}: the
# party that said it or, for who did it, the party named as the one).
LIST_HEADS = {"blame": "incidents {who}blamed{on}", "denial": "incidents {who}denied",
              "claim_responsibility": "incidents {who}claimed responsibility for",
              "perpetrator": "incidents attributed to {who}", None: "incidents {who}reported on"}


def party_incidents(subject: Party | None, accused: Party | None, kinds: tuple[str, ...] | None,
                    groups: Sequence[Facts], others: Sequence[Facts] = (), more: int = 0,
                    more_others: int = 0) -> Rich:
    """Incidents a party reported on, denied, or blamed (on another): one line per incident, latest first.
    `others`: incidents blamed on the subject that it did not deny itself or that no one admitted."""
    kind = kinds[0] if kinds else None
    who = subject.name if subject else ""
    head = LIST_HEADS.get(kind, LIST_HEADS[None]).format(
        who=who if kind == "perpetrator" else (who + " " if who else ""), on=f" on {accused.name}" if accused else "")
    if not groups:
        out = Rich().para(f"I have no record of {head}.")
    else:
        out = Rich().para(f"{cap(head)}:")
        for own in groups:
            out.extend(_incident_line(own))
        out.para(_and_more(more))
    if others:
        name = subject.name if subject else "them"
        out.para(f"Blamed on {name} and denied:" if kind == "denial" else f"Blamed on {name}, not admitted:")
        for own in others:
            out.extend(_incident_line(own))
        out.para(_and_more(more_others))
    return out.para(_sources_of([*groups, *others]))


def _incident_line(own: Facts) -> Rich:
    i = own.incident
    # Notes and victims only when nothing else is said: a line of a list stays a line.
    main = [c for c in own.claims if c.kind not in ("note", "victims")] or list(own.claims)
    gists = [_gist(own, c) for c in main]
    return Rich().para(Bold(i.title), f" ({format_date(i.date.value, i.date.precision)}): " + "; ".join(gists) + ".")


def _gist(facts: Facts, c: Claim) -> str:
    """One claim in a line of a list: who said what, briefly."""
    by = attribution(facts, c)
    if c.kind == "casualties" and c.count:
        return f"{by} said {figure(c.count)} {VERBS.get(c.count.measure, 'killed')}"
    if c.kind == "blame":
        return f"{by} blamed {c.value}"
    if c.kind == "denial":
        return f"{c.value} denied responsibility" + ("" if c.claimant == c.value else f", according to {by}")
    said = _stated(c)
    return f"{by}: {said[:1].lower() + said[1:] if said.startswith('The ') else said}"


def outlets(facts: Facts) -> Rich:
    """Who published the reports behind an incident's facts."""
    ids = list(dict.fromkeys([c.source for c in facts.claims if c.source] + list(facts.incident.sources)))
    found = [s for sid in ids if (s := facts.source(sid))]
    if not found:
        return Rich().para(f"No source is recorded for the {facts.incident.title}.")
    out = Rich().para(f"The report on the {facts.incident.title} was published by ",
                      Bold(_join([_report(s) for s in found])), ".")
    return out.extend(sources(facts))


def all_outlets(found: Sequence[Source]) -> Rich:
    """Where all the records come from ("which news agency is all this from?")."""
    if not found:
        return Rich().para("No sources are recorded yet.")
    shown = [_report(s) for s in found[:MAX_LINES]]
    more = f", and {len(found) - MAX_LINES:,} more" if len(found) > MAX_LINES else ""
    noun = "report" if len(found) == 1 else "reports"
    return Rich().para(f"My records come from {len(found):,} {noun}: ", Bold(_join(shown)), f"{more}.")


def _report(s: Source) -> str:
    """"AFP (dateline Beirut, 19 June 2018)"."""
    details = [f"dateline {s.dateline}" if s.dateline else None,
               format_date(s.published, "day") if s.published else None]
    return s.publisher + (f" ({', '.join(d for d in details if d)})" if any(details) else "")


def _sources_of(groups: Sequence[Facts]) -> str:
    """One sources line for facts drawn from several incidents."""
    claims = [c for own in groups for c in own.claims]
    return sources_line(Facts(groups[0].incident, claims, groups[0].source)) if claims else ""


def _stated(c: Claim) -> str:
    """A claim's value as its kind states it ("X denied responsibility"), from the kinds table."""
    kind = BY_NAME.get(c.kind)
    return ((kind.said if kind else None) or "{value}").format(value=c.value)


def _blamed(facts: Facts, blames: Sequence[Claim]) -> Rich:
    """"Syrian state media (citing a military source; AFP, 19 June 2018) blamed the US-led coalition.": one
    line per accused party, with everyone who blamed it. Every answer that lists blame words it this way."""
    out = Rich()
    for party, claims in _by_value(blames).items():
        out.para(cap(_join([attribution(facts, c) for c in claims])), " blamed ", Bold(party), ".")
    return out


def _denied(facts: Facts) -> Rich:
    """"The US-led coalition denied responsibility.": the short form, beside blame."""
    out = Rich()
    for d in facts.of("denial"):
        out.para(f"{cap(d.value)} denied responsibility.")
    return out


# -- conversation ----------------------------------------------------------------------------------------
@handler("greeting")
def greeting() -> Rich:
    return Rich().para("Hello! I answer questions about conflict incidents reported in the news, "
                       "and I always say who claims what.").para("Try: “" + EXAMPLE_QUESTIONS[0] + "”")


@handler("thanks")
def thanks() -> Rich:
    return Rich().para("You're welcome. Ask me anything else about the incidents I know.")


@handler("help")
def help_text(commands: Sequence[tuple[str, str]] = ()) -> Rich:
    out = Rich().para("I answer questions about incidents reported in the news: how many were killed or wounded, "
                      "who was blamed, who denied it, who carried it out, where and when it happened, who the "
                      "victims were, and where the figures come from. I always say who claims what.")
    out.para("For example:\n" + "\n".join(f"• {q}" for q in EXAMPLE_QUESTIONS))
    if commands:
        out.para("Commands:\n" + "\n".join(f"{c} — {d}" for c, d in commands))
    return out


@handler("list_incidents")
def incident_list(incidents: Sequence[Incident], total: int) -> Rich:
    if not incidents:
        return Rich().para("I have no incidents on record yet.")
    out = Rich().para(f"I know about {total} incident{'s' if total != 1 else ''}:" if total <= len(incidents)
                      else f"I know about {total:,} incidents; the latest {len(incidents)}:")
    out.para("\n".join(f"• {i.title} ({format_date(i.date.value, i.date.precision)})" for i in incidents))
    if total > len(incidents):
        out.para("Ask about any of them by place or date.")
    return out


@handler("out_of_scope")
def out_of_scope() -> Rich:
    return Rich().para("That is outside what I cover: I only answer questions about the conflict incidents in my "
                       "records.").para("Type “help” to see what you can ask, or “list incidents”.")


def unsure(suggestions: Sequence[str]) -> Rich:
    out = Rich().para("I'm not sure what you are asking.")
    if suggestions:
        out.para("You could ask:\n" + "\n".join(f"• {s}" for s in suggestions))
    return out


def unsure_about(facts: Facts) -> Rich:
    i = facts.incident
    out = Rich().para(f"I'm not sure what you want to know about the {i.title}.")
    if i.summary:
        out.para("In short: " + i.summary.strip())
    return out.para("Ask, for example, how many died, who was blamed, or who denied it.")


def no_record(name: str, near: Sequence[Incident]) -> Rich:
    out = Rich().para("I have no record of ", Bold(f"“{name}”"), ".")
    if near:
        out.para("The closest incidents I know: " + "; ".join(i.title for i in near) + ".")
    else:
        out.para("Type “list incidents” to see what I know.")
    return out


def which_incident(options: Sequence[Incident], more: int = 0) -> Rich:
    lines = "\n".join(f"{n}. {i.title} ({format_date(i.date.value, i.date.precision)})"
                      for n, i in enumerate(options, 1))
    out = Rich().para("Which incident do you mean?").para(lines)
    if more:
        return out.para(f"{more} more incident{'s' if more != 1 else ''} also fit: if yours is not listed, ask again "
                        "with the date or the province, e.g. “… in Idlib in May 2019”.")
    return out.para("Reply with a number or a name.")


def need_incident() -> Rich:
    return Rich().para("Which incident do you mean? Name a place or a date, for example “Al-Hari” or "
                       "“Deir Ezzor, February 2018”.")


def empty_question() -> Rich:
    return Rich().para("I didn't catch a question there. Type “help” to see what you can ask.")


def stale_button() -> Rich:
    return Rich().para("That button is out of date. Please ask your question again.")


def _by_value(claims: Sequence[Claim]) -> dict[str, list[Claim]]:
    grouped: dict[str, list[Claim]] = {}
    for c in claims:
        grouped.setdefault(str(c.value), []).append(c)
    return grouped


def _join(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- beyond one question about one incident ---------------------------------------------------------------
MAX_LINES = 8  # incidents listed in one reply before "and N more"


def dated_title(incident: Incident) -> str:
    return f"{incident.title} ({format_date(incident.date.value, incident.date.precision)})"


def claim_phrase(facts: Facts, c: Claim, quote: bool = False) -> str:
    """One claim as a short attributed phrase, for a line of a list or a side of a comparison; with its quote
    when the question is what someone said."""
    if quote and c.quote:
        return f"{claim_phrase(facts, c)}: “{c.quote.strip()}”"
    who = c.claimant or "an unnamed source"
    if c.kind == "casualties" and c.count:
        n = c.count
        verb = VERBS.get(n.measure, "killed")
        if n.qualifier == "unspecified" or n.best is None:
            return f"{figure(n)} {verb}, no number given ({who})"
        return f"{figure(n)} {verb} ({who})"
    if c.kind == "blame":
        return f"{who} blamed {c.value}"
    if c.kind == "denial":
        return f"{c.value} denied responsibility" + (f" (said by {who})" if c.claimant and c.claimant != c.value else "")
    stated = _stated(c)
    return f"{'t' + stated[1:] if stated.startswith('The ') else stated} ({who})"  # mid-line, so lower case


def incident_line(facts: Facts, intent: str, fits: Sequence[Claim], quotes: bool = False) -> str:
    """"Al-Hari airstrike (18 June 2018): the US-led coalition denied responsibility (said by …)"."""
    i = facts.incident
    if intent == "location":
        p = i.place
        what = ", ".join(place_words(p)) or "place not reported"
    elif intent == "date":
        what = format_date(i.date.value, i.date.precision) + (f" ({i.date.text})" if i.date.text else "")
    else:
        claims = list(fits) or facts.of("casualties")
        what = "; ".join(dict.fromkeys(claim_phrase(facts, c, quotes) for c in claims)) or "no figures reported"
    return f"{dated_title(i)}: {what}"


def across(lines: Sequence[str], total: int, header: str) -> Rich:
    if not total:
        return Rich().para(f"I have no record of {header[:1].lower() + header[1:]}.")
    out = Rich().para(f"{header} ({total}, most recent first):" if total > 1 else f"{header}:")
    out.para("\n".join(f"• {line}" for line in lines))
    if total > len(lines):
        out.para(f"…and {total - len(lines):,} more. Ask with a date, place or party to narrow it down.")
    return out


def counted(lines: Sequence[str], total: int, noun: str) -> Rich:
    out = Rich().para("I know of ", Bold(f"{total:,}"), f" {noun if total != 1 else noun.rstrip('s')}" + (":" if total else "."))
    if lines:
        out.para("\n".join(f"• {line}" for line in lines))
    if total > len(lines):
        out.para(f"…and {total - len(lines):,} more.")
    return out


def latest_lead(title: str, newest: bool = True) -> Rich:
    return Rich().para("The most recent I know of is the " if newest else "The earliest I know of is the ",
                       Bold(title), ":")


def total(lines: Sequence[str], added: int, counted: int) -> Rich:
    """Death tolls added up, each incident's highest figure, with who gives it."""
    if not counted:
        return Rich().para("None of these incidents has a reported death toll to add up.")
    out = Rich().para("Added up, the highest death toll reported for each of ", Bold(f"{counted:,}"),
                      f" incident{'s' if counted != 1 else ''} comes to ", Bold(f"{added:,}"), ":")
    out.para("\n".join(f"• {line}" for line in lines))
    if counted > len(lines):
        out.para(f"…and {counted - len(lines):,} more.")
    return out.para("The figures come from different sources and methods; I only add them up, I do not verify them.")


def ranked(lines: Sequence[str], most: bool) -> Rich:
    if not lines:
        return Rich().para("None of the incidents I know has a reported death toll.")
    which = "deadliest" if most else "least deadly"
    out = Rich().para(f"The {which}, by the highest death toll reported for each:")
    out.para("\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1)))
    return out.para("These are the figures as reported, with who reports them; I do not verify them.")


def first_of(sides: Sequence[Facts]) -> str | None:
    """The id of the one that came first, if the dates' precision tells them apart."""
    a, b = sorted(sides, key=lambda f: f.incident.date.value or "9999")
    da, db = a.incident.date, b.incident.date
    return a.incident.id if da.value and db.value and not db.value.startswith(da.value) else None


def compare_dates(sides: Sequence[Facts]) -> Rich:
    """Which came first, by the dates the reports give: said only when their precision tells them apart."""
    a, b = sorted(sides, key=lambda f: f.incident.date.value or "9999")
    out = Rich()
    if first_of(sides):
        out.para("By the dates the reports give, the ", Bold(a.incident.title), " came first.")
    else:
        out.para("The dates the reports give do not tell which came first:")
    for f in (a, b):
        out.extend(when(f))
    return out


def side_by_side(lines: Sequence[str]) -> Rich:
    """Two incidents' claims of one kind, one line each, with who makes them."""
    return Rich().para("\n".join(f"• {line}" for line in lines)).para(
        "I report who says what about each; I don't say who is right.")


def compare_incidents(sides: Sequence[tuple[Facts, int | None]], most: bool) -> Rich:
    """Figures side by side, with who gives them; which is larger only when both are numbers."""
    out = Rich()
    for facts, _ in sides:
        out.para(incident_line(facts, "casualties", facts.of("casualties")))
    (a, fa), (b, fb) = sides[0], sides[1]
    if fa is not None and fb is not None and fa != fb:
        hi, lo = ((a, fa), (b, fb)) if fa > fb else ((b, fb), (a, fa))
        if most:
            out.para(f"By the highest figure reported for each, the {hi[0].incident.title} was deadlier: ",
                     Bold(f"{hi[1]:,}"), f" against {lo[1]:,} for the {lo[0].incident.title}, a difference of "
                     f"{hi[1] - lo[1]:,}.")
        else:  # "which killed fewer?"
            out.para(f"By the highest figure reported for each, the {lo[0].incident.title} was less deadly: ",
                     Bold(f"{lo[1]:,}"), f" against {hi[1]:,} for the {hi[0].incident.title}, a difference of "
                     f"{hi[1] - lo[1]:,}.")
    elif fa is not None and fa == fb:
        out.para(f"The highest figures reported for each are the same: {fa:,}.")
    else:
        missing = [f.incident.title for f, n in sides if n is None]
        out.para(f"I can't say which was deadlier: the reports give no number for the {_join(missing)}.")
    return out.para("I report who gives which figure; I don't say which source is right.")


def compare_claimants(facts: Facts, groups: Sequence[tuple[str, Sequence[Claim]]]) -> Rich:
    """What each source says about one incident, side by side, and where they disagree."""
    out = Rich().para(f"On the {facts.incident.title}:")
    for who, claims in groups:
        out.para(Bold(cap(who)), ": ", "; ".join(claim_phrase(facts, c) for c in claims) or "nothing on record", ".")
    claims = [c for _, cs in groups for c in cs]
    blamed = {str(c.value) for c in claims if c.kind == "blame"}
    denied = [c for c in claims if c.kind == "denial" and str(c.value) in blamed]
    numbers = [(c, c.count.best) for c in claims if c.count and c.count.qualifier != "unspecified" and c.count.best]
    vague = [c for c in claims if c.count and (c.count.qualifier == "unspecified" or not c.count.best)]
    if denied:
        d = denied[0]
        accusers = _join([c.claimant or "a source" for c in claims if c.kind == "blame" and c.value == d.value])
        out.para(Bold("They disagree"), f": {accusers} blamed {d.value}, which denied it.")
    if len({n for _, n in numbers}) > 1:
        out.para(Bold("Their figures differ"), ": " + " against ".join(f"{figure(c.count)} ({c.claimant})"
                                                                      for c, _ in numbers if c.count) + ".")
    if numbers and vague:
        out.para(f"Only {_join(list(dict.fromkeys(c.claimant or 'a source' for c, _ in numbers)))} gives a number; "
                 f"{_join(list(dict.fromkeys(c.claimant or 'a source' for c in vague)))} gave no number.")
    said = [{(c.kind, str(c.value)) for c in cs if c.kind in ("blame", "denial", "perpetrator")} for _, cs in groups]
    if len(groups) > 1 and not denied and said[0] and all(s == said[0] for s in said):
        agreed = "; ".join(f"blamed {value}" if kind == "blame" else f"say {_stated(Claim('', '', kind, value))}"
                           for kind, value in sorted(said[0]))
        out.para(Bold("They agree"), f": {'both' if len(groups) == 2 else 'all'} {agreed}.")
    return out.para("I report who says what; I don't say which is right.")


def verdict(answer: str, lead: str) -> Rich:
    """The direct answer a yes/no question or a premise gets first: "No: the US Department of Defense denied
    responsibility." Never a bare yes or no: `lead` is what the claims say."""
    word = {"yes": "Yes", "no": "No", "disputed": "Disputed", "unknown": "The reports I have do not say"}[answer]
    return Rich().para(Bold(word), f": {lead}" if lead else ", by what the reports say:")


def premise_corrected(lead: str) -> Rich:
    return Rich().para(Bold("That is not what the reports say"), f": {lead}")


def no_admission(facts: Facts, denials: Sequence[Claim]) -> str:
    if not denials:
        return f"nobody has admitted the {facts.incident.title}."
    return f"nobody has admitted the {facts.incident.title}; {_join([str(d.value) for d in denials])} denied it."


def opinion(named: bool) -> Rich:
    out = Rich().para("I take no side and give no opinions: I report who claims what.")
    return out.para("Here is what the sources say:" if named else "Ask me who said what about an incident instead.")


def no_record_then(name: str, asked: str, known: Sequence[Incident]) -> Rich:
    """"I have no record of an Al-Hari strike in 2016; I know of the Al-Hari airstrike of 18 June 2018.\""""
    article = "an" if name[:1].lower() in "aeiou" else "a"
    knowns = []
    for i in known:
        when = format_date(i.date.value, i.date.precision)
        knowns.append(f"the {i.title}" + ("" if when in i.title else f" of {when}" if i.date.precision == "day"
                                           else f" ({when})"))
    return Rich().para(f"I have no record of {article} {name} {asked}; I know of {_join(knowns)}.")


def not_reported(name: str) -> Rich:
    return Rich().para(f"The reports I have do not say that about {name}. What they do say:")


def nobody_called(name: str) -> Rich:
    return Rich().para(f"I have no record of anyone called {clip(as_name(name))}: the reports I have do not name them.").para(
        "Type “list incidents” to see what I know.")


def party_unknown(name: str) -> Rich:
    return Rich().para(f"I can tell you what the reports say {name} said or did: ask, for example, "
                       f"“Which incidents did {name} report on?”")


KIND_HEADERS = {"denial": "denied", "blame": "blamed", "casualties": "with reported deaths",
                "perpetrator": "carried out", "claim_responsibility": "claimed", "victims": "with named victims"}


def filter_header(noun: str, kinds: Sequence[str], claimants: Sequence[str], accused: Sequence[str],
                  when: str | None, place: str | None, at_least: int | None, at_most: int | None,
                  victims: Sequence[str] = ()) -> str:
    """"Incidents denied by the US-led coalition", "Airstrikes in February 2018 with more than 30 killed"."""
    words = [cap(noun)]
    kind = next((KIND_HEADERS[k] for k in kinds if k in KIND_HEADERS), None)
    if at_least is not None or at_most is not None or victims:
        kind = None if kind == KIND_HEADERS.get("casualties") else kind  # the figure or the dead say it already
    if victims:
        words.append(f"with {_join(list(victims))} reported among the dead")
    if kind in ("denied", "claimed", "carried out") and accused:
        words.append(f"{kind} by {_join(list(accused))}")
    elif kind == "blamed" and accused:
        words.append(f"blamed on {_join(list(accused))}")
    elif kind:
        words.append(kind)
    if claimants:
        words.append(f"{'according to' if kind else 'reported on by'} {_join(list(claimants))}")
    if place:
        words.append(f"in {place}")
    if when:
        words.append(f"in {when}")
    if at_least is not None:
        words.append(f"with at least {at_least:,} reported killed")
    if at_most is not None:
        words.append(f"with at most {at_most:,} reported killed")
    return " ".join(words)
