"""The incident index kept current one incident at a time (IncidentIndex.update/remove, called by
Engine.refresh_index from Store.changes_since) finds what an index built from scratch finds."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands import Caller, Commands
from bot.engine import Engine
from bot.settings import SEED_FILE
from bot.store import Store
from bot.understanding import indexes
from bot.facts.models import Claim
from bot.understanding.filters import FilterIndex
from bot.understanding.per_claim import Tallies
from bot.understanding.resolver import IncidentIndex, incident_facts

QUESTIONS = ["how many died in al hari?", "what happened in mayadin?", "the al-mayadin raid", "deir ezzor",
             "the july 2018 strike", "where does the 23 come from?", "the market strike", "dashisha",
             "who did the russian air force hit?", "the strike in qamishli", "what about the souk attack?"]
CHANGES = [
    '/newincident mayadin-2018-07 title="Al-Mayadin airstrike" date=2018-07-05 place="Al-Mayadin" '
    'country=Syria aliases="Mayadin strike; Al Mayadin raid" type=airstrike',
    '/addfact mayadin-2018-07 killed "at least 23" by="the Syrian Observatory for Human Rights"',
    '/addfact mayadin-2018-07 blamed "the Russian air force" by="SANA"',
    '/setincident mayadin-2018-07 place="Qamishli" summary="A strike on the souk."',
    "/delfact 5",
    "/undo",
    "/undo",
]


def fresh(store: Store) -> IncidentIndex:
    figures, descriptions = {}, {}
    for i in store.incidents():
        figures[i.id], descriptions[i.id] = incident_facts(i, store.claims(i.id))
    return IncidentIndex(store.incidents(), figures, descriptions)


def found(index: IncidentIndex, engine: Engine, question: str) -> tuple:
    res = index.resolve(question, engine.matcher.vocabulary)
    return [c.incident_id for c in res.candidates], [pytest.approx(c.score, abs=0.02) for c in res.candidates], \
        res.unknown_name


def test_updated_index_finds_what_a_fresh_one_finds(tmp_path: Path) -> None:
    store = Store(tmp_path / "facts.json", SEED_FILE)
    commands = Commands.for_store(store)
    engine = commands.engine
    built = engine.refresh_index()
    admin = Caller(user="alice", chat="alice", is_admin=True)
    for line in CHANGES:
        reply = commands.handle(line, admin)
        assert "nothing was changed" not in reply.text, (line, reply.text)
        assert engine.refresh_index() is built  # updated in place, not rebuilt
        rebuilt = fresh(store)
        for q in QUESTIONS:
            assert found(built, engine, q) == found(rebuilt, engine, q), (line, q)
    store.close()


def test_a_name_added_is_found_by_a_misspelling_asked_before(tmp_path: Path) -> None:
    """Similar keys found for a question word are kept; a new name in the index must show up in them."""
    store = Store(tmp_path / "facts.json", SEED_FILE)
    commands = Commands.for_store(store)
    engine = commands.engine
    built = engine.refresh_index()
    question = "what happened in zitaba?"
    assert not built.resolve(question, engine.matcher.vocabulary).candidates
    commands.handle('/newincident zitawa-2019-05 title="Zitawa shelling" date=2019-05-02 place="Zitawa" '
                    'country=Syria type=shelling', Caller(user="alice", chat="alice", is_admin=True))
    assert engine.refresh_index() is built
    assert [c.incident_id for c in built.resolve(question, engine.matcher.vocabulary).candidates] == ["zitawa-2019-05"]
    store.close()


def test_scores_after_a_rename_are_those_of_a_fresh_index(tmp_path: Path) -> None:
    """A name's weight is kept between questions; a rename that changes a word's weight must not leave
    other names scored with the old one (the incident count does not change, so nothing drifts)."""
    store = Store(tmp_path / "facts.json", SEED_FILE)
    commands = Commands.for_store(store)
    admin = Caller(user="alice", chat="alice", is_admin=True)
    for line in ('/newincident kafr-zita-2019-05 title="Kafr Zita shelling" date=2019-05-02 place="Kafr Zita" type=shelling',
                 '/newincident kafr-nabl-2019-06 title="Kafr Nabl shelling" date=2019-06-02 place="Kafr Nabl" type=shelling'):
        assert "nothing was changed" not in commands.handle(line, admin).text
    engine = commands.engine
    built = engine.refresh_index()

    def scores(index: IncidentIndex) -> list[tuple[str, float]]:
        res = index.resolve("the kafr strike", engine.matcher.vocabulary)
        return [(c.incident_id, c.score) for c in res.candidates + res.near]

    assert "kafr-zita-2019-05" in dict(scores(built))
    commands.handle('/setincident kafr-nabl-2019-06 title="Tell Nabl shelling" place="Tell Nabl"', admin)
    assert engine.refresh_index() is built
    assert scores(built) == scores(fresh(store))
    store.close()


def indexed(names: IncidentIndex, filters: FilterIndex) -> dict[str, tuple]:
    """What both indexes hold for each incident from its facts: the filter keys and death toll, the figures
    and description words the incident index finds it by."""
    return {iid: (set(filters._keys(filters._entries[iid])), filters.figure(iid), set(part.figures),
                  set(names._described_keys(part)))
            for iid, part in names._parts.items()}


def test_facts_changed_again_and_again_are_indexed_as_a_fresh_build_indexes_them(tmp_path: Path) -> None:
    """An update derives only an incident's new facts and keeps the rest as tallied (Tallies):
    through adds, a delete, undos, a changed party and a fold (the same facts read again as new objects)
    the indexes must hold what indexes built from the records hold. A tuple of commands is run before the
    index catches up."""
    store = Store(tmp_path / "facts.json", SEED_FILE)
    commands = Commands.for_store(store)
    engine = commands.engine
    built = engine.refresh_index()
    admin = Caller(user="alice", chat="alice", is_admin=True)
    steps = [
        '/addfact al-hari-2018-06 note "medics from the Kurdish Red Crescent reached the village"',
        '/addfact al-hari-2018-06 killed "at least 52" who="fighters" by="the Kurdish Red Crescent"',
        '/addfact al-hari-2018-06 denied "the Kurdish Red Crescent" by="the Zawiya tribal council"',
        # both before the index catches up: the new fact takes the id of the one undone
        ("/undo", '/addfact al-hari-2018-06 blamed "the Zawiya tribal council" by="SANA"'),
        "fold",
        '/addfact al-hari-2018-06 killed "61" by="the Observatory"',
        "/delfact 1",
        "/undo",
        "fold",
        '/addfact al-hari-2018-06 note "a second note after the fold"',
    ]
    for step in steps:
        for line in (step,) if isinstance(step, str) else step:
            if line == "fold":
                store._fold()  # what the background fold does, here at a known moment
            else:
                reply = commands.handle(line, admin).text
                assert "nothing was changed" not in reply and "Usage" not in reply, (line, reply)
        assert engine.refresh_index() is built  # updated in place, not rebuilt
        rebuilt = indexes.build(store)
        assert indexed(built, engine.filters) == indexed(rebuilt.names, rebuilt.filters), step
    store.close()


def test_a_tally_derives_only_the_facts_it_has_not_seen() -> None:
    derived: list[str] = []
    tallies = Tallies(lambda c: (derived.append(c.id), c.kind, c.claimant)[1:])
    a, b = Claim("1", "x", "note", "v", claimant="SANA"), Claim("2", "x", "denial", "US", claimant="US")
    assert tallies("x", [a, b]) == {"note": 1, "SANA": 1, "denial": 1, "US": 1}
    c = Claim("3", "x", "note", "w", claimant="SANA")
    assert tallies("x", [a, b, c]) == {"note": 2, "SANA": 2, "denial": 1, "US": 1}
    assert derived == ["1", "2", "3"]
    # read again as new objects (from the file a fold wrote), one gone: nothing derived, its items counted out
    a2, b2 = Claim.from_dict(a.to_dict()), Claim.from_dict(b.to_dict())
    assert tallies("x", [a2, b2]) == {"note": 1, "SANA": 1, "denial": 1, "US": 1}
    assert derived == ["1", "2", "3"]
    tallies.forget("x")
    assert tallies("x", [a2]) == {"note": 1, "SANA": 1} and derived[-1] == "1"
