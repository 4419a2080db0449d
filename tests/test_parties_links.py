"""Party answers kept up to date change by change: admin writes through the real commands on a real TinyDB
file, questions through the real engine, which links claims to parties once and then relinks only the
incidents a change touched. After every write its answers must equal those of an engine started afresh on
the same store (which links everything), and the store hands out fresh Claim objects on every read, as a
store that reads facts from its file on demand does: nothing may rest on a Claim object kept from before."""
from __future__ import annotations

import dataclasses
import gc
import weakref
from pathlib import Path

import pytest

from bot.commands import Caller, Commands
from bot.engine import Engine
from bot.facts.models import Claim
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "incidents.yaml"
ADMIN = Caller("1", "admin-chat", is_admin=True)

SAID = "what did the observatory say"
DENIED = "Which incidents did the US-led coalition deny?"
BLAMED_BY = "what has syrian state media blamed on the coalition?"  # reads each claim's value (`wanted`)
QUESTIONS = [SAID, DENIED, BLAMED_BY, "Which incidents did the Observatory report on?",
             "Which incidents were blamed on the coalition?", "which strikes did the coalition carry out",
             "What did Rami Abdel Rahman say?", "what did the monitor group say"]


class _Tracked(Claim):
    """A Claim that can be watched (Claim has slots, so no weak references of its own)."""


class FreshClaims(Store):
    """The real store, but every read of an incident's facts parses them anew: new objects each time."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._handed_out: list[weakref.ref[Claim]] = []
        self.reads = 0  # incidents whose facts were read

    def claims(self, incident_id: str) -> list[Claim]:
        fresh = [_Tracked(**{f.name: getattr(c, f.name) for f in dataclasses.fields(Claim)})
                 for c in super().claims(incident_id)]
        self._handed_out += [weakref.ref(c) for c in fresh]
        self.reads += 1
        return fresh

    def live_claims(self) -> int:
        """How many of the Claim objects handed out are still referenced somewhere."""
        gc.collect()
        return sum(ref() is not None for ref in self._handed_out)


@pytest.fixture
def store(tmp_path: Path) -> FreshClaims:
    s = FreshClaims(tmp_path / "facts.json", SEED)
    yield s
    s.close()


class Bot:
    """One long-running engine and its admin commands, checked against a fresh engine after each write."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.commands = Commands.for_store(store)
        self.asked = 0

    def write(self, line: str) -> str:
        reply = self.commands.handle(line, ADMIN).text
        assert not reply.startswith(("Usage", "Unknown", "No ", "Cannot")), reply
        self.check_against_fresh()
        return reply

    def ask(self, question: str, engine: Engine | None = None) -> str:
        self.asked += 1  # a new chat each time: no follow-up context
        return (engine or self.commands.engine).answer(question, f"chat-{self.asked}").body.plain()

    def check_against_fresh(self) -> None:
        fresh = Engine(self.store)
        for question in QUESTIONS:
            assert self.ask(question) == self.ask(question, fresh), question


def fact_id(reply: str) -> str:
    assert reply.startswith("Added fact #"), reply
    return reply.split("#", 1)[1].split(" ", 1)[0]


def test_a_fact_added_or_deleted_shows_in_the_next_party_answer(store: FreshClaims) -> None:
    bot = Bot(store)
    bot.check_against_fresh()  # linked once, before any change
    bot.write('/newincident town1-2019 title="Town1 shelling" date=2019-01-01 place="Town1"')
    said = fact_id(bot.write('/addfact town1-2019 killed 7 by="the Syrian Observatory for Human Rights"'))
    assert "Town1 shelling" in bot.ask(SAID)
    bot.write("/addfact town1-2019 denied \"the US-led coalition\" by=\"the coalition's press office\"")
    assert "Town1 shelling" in bot.ask(DENIED)
    assert "Town1 shelling" not in bot.ask(BLAMED_BY)
    bot.write('/addfact town1-2019 blamed "the US-led coalition" by="Syrian state media"')
    assert "Town1 shelling" in bot.ask(BLAMED_BY)
    bot.write(f"/delfact {said}")
    assert "Town1 shelling" not in bot.ask(SAID)
    bot.write("/undo")
    assert "Town1 shelling" in bot.ask(SAID)


def test_an_incident_whose_date_changes_moves_in_the_lists(store: FreshClaims) -> None:
    bot = Bot(store)
    bot.ask(SAID)  # linked once, before any change
    for n in (1, 2):
        bot.write(f'/newincident town{n}-2019 title="Town{n} shelling" date=2019-0{n}-01 place="Town{n}"')
        bot.write(f'/addfact town{n}-2019 killed {n} by="the Syrian Observatory for Human Rights"')
    said = bot.ask(SAID)
    assert said.index("Town2 shelling") < said.index("Town1 shelling") < said.index("Al-Hari"), said
    bot.write("/setincident town1-2019 date=2019-03-01")
    said = bot.ask(SAID)
    assert said.index("Town1 shelling") < said.index("Town2 shelling"), said
    bot.write("/setincident town1-2019 date=2017-01-01")
    said = bot.ask(SAID)
    assert said.index("Town2 shelling") < said.index("Al-Hari") < said.index("Town1 shelling"), said


def test_a_long_list_counts_the_rest_as_facts_come_and_go(store: FreshClaims) -> None:
    bot = Bot(store)
    bot.ask(SAID)
    for n in range(1, 10):
        bot.write(f'/newincident town{n}-2019 title="Town{n} shelling" date=2019-0{n}-01 place="Town{n}"')
        bot.write(f'/addfact town{n}-2019 killed {n} by="the Syrian Observatory for Human Rights"')
    said = bot.ask(SAID)
    assert "about 11 incidents, the latest 8:" in said and "… and 3 more incidents." in said, said
    assert "Town1 shelling" not in said


def test_a_party_named_after_its_claims_were_written_is_linked_to_them(store: FreshClaims) -> None:
    bot = Bot(store)
    bot.ask(SAID)
    bot.write('/newincident town1-2019 title="Town1 shelling" date=2019-01-01 place="Town1"')
    bot.write('/addfact town1-2019 killed 4 by="the Monitor Group"')
    bot.write('/newparty monitor-group name="the Monitor Group" type=organisation')
    assert "Town1 shelling" in bot.ask("what did the monitor group say")
    bot.write('/setparty monitor-group name="the Watch Group"')
    assert "Town1 shelling" not in bot.ask("what did the watch group say")


def test_party_answers_keep_no_claim_objects(store: FreshClaims) -> None:
    bot = Bot(store)
    bot.commands.engine.refresh_index()
    before = store.live_claims()
    for question in QUESTIONS:
        bot.ask(question)
    bot.write('/addfact al-hari-2018-06 killed 40 by="the Syrian Observatory for Human Rights"')
    bot.ask(SAID)
    assert store.live_claims() <= before, "facts kept in memory after answering"


def test_a_denial_by_others_comes_and_goes_with_its_fact(store: FreshClaims) -> None:
    # Blamed on the coalition and denied by someone else: listed beside the coalition's own denials.
    bot = Bot(store)
    bot.ask(DENIED)
    bot.write('/newincident town1-2019 title="Town1 shelling" date=2019-01-01 place="Town1"')
    bot.write('/addfact town1-2019 blamed "the US-led coalition" by="Syrian state media"')
    assert "Town1 shelling" not in bot.ask(DENIED)
    denial = fact_id(bot.write('/addfact town1-2019 denied "the Syrian Democratic Forces" '
                               'by="the Syrian Democratic Forces"'))
    assert "Town1 shelling" in bot.ask(DENIED)
    bot.write(f"/delfact {denial}")
    assert "Town1 shelling" not in bot.ask(DENIED)


def _towns(bot: Bot, n: int) -> None:
    for k in range(1, n + 1):
        bot.write(f'/newincident town{k}-2019 title="Town{k} shelling" date=2019-{k:02}-01 place="Town{k}"')
        bot.write(f'/addfact town{k}-2019 killed {k} by="the Syrian Observatory for Human Rights"')


def _first_said(store: FreshClaims) -> tuple[str, int]:
    """A fresh engine's answer to SAID on `store`, and how many incidents' facts answering it read."""
    engine = Engine(store)
    engine.refresh_index()  # at start, before any question
    store.reads = 0
    text = engine.answer(SAID, "chat").body.plain()
    return text, store.reads


def test_links_saved_on_closing_are_loaded_at_the_next_start_and_brought_up_to_date(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    first = FreshClaims(db, SEED)
    bot = Bot(first)
    _towns(bot, 11)
    bot.write('/addfact town2-2019 killed 5 by="the Monitor Group"')  # no party of that name yet
    bot.ask(SAID)
    bot.commands.engine.close()  # as a transport closes: fold, then save what is derived
    assert Path(f"{db}.parties").exists()
    incidents = len(first.incidents())

    again = FreshClaims(db)
    said, reads = _first_said(again)
    assert "Town11 shelling" in said and "… and 5 more incidents." in said, said
    assert reads < incidents  # loaded, not relinked from every incident's facts (16 of them)

    # A change still in the journal at the next start (the bot was killed before folding) is brought in.
    writer = Commands.for_store(again)
    writer.handle('/addfact al-hari-2018-06 killed 40 by="the Syrian Observatory for Human Rights"', ADMIN)
    writer.handle("/setincident town1-2019 date=2020-01-01", ADMIN)
    killed = FreshClaims(db)
    said, reads = _first_said(killed)
    assert said.index("Town1 shelling") < said.index("Town11 shelling") and "… and 5 more" in said, said
    assert reads < incidents
    # A party named in the journal: the saved links are for other names, so all are relinked.
    writer.handle('/newparty monitor-group name="the Monitor Group" type=organisation', ADMIN)
    named = FreshClaims(db)
    engine = Engine(named)
    assert "Town2 shelling" in engine.answer("what did the monitor group say", "chat").body.plain()
    for store in (killed, named, again, first):
        store.close()


def test_a_saved_copy_that_does_not_parse_is_relinked(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    first = FreshClaims(db, SEED)
    bot = Bot(first)
    _towns(bot, 2)
    bot.ask(SAID)
    bot.commands.engine.close()
    Path(f"{db}.parties").write_bytes(b"garbage\n{")
    again = FreshClaims(db)
    said, reads = _first_said(again)
    assert "Town2 shelling" in said and reads >= len(again.incidents()), said
    again.close()


def test_a_start_that_builds_the_indexes_links_the_parties_too(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    first = FreshClaims(db, SEED)
    _towns(Bot(first), 11)
    first.close()  # folded, with nothing derived saved for the file it wrote
    again = FreshClaims(db)
    said, reads = _first_said(again)  # the start builds the incident indexes, and links the parties
    assert Path(f"{db}.parties").exists()
    assert "Town11 shelling" in said and reads < len(again.incidents()), said
    again.close()
