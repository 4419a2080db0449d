"""The incident indexes saved beside the database (facts.json.index, bot/understanding/indexes.py): loaded at
start when they fit the database, rebuilt (with one log line, never an error) when they do not, and
brought up to date with changes still in the journal. Real files in a temporary folder; whether the indexes
were built or loaded is read from the log lines of bot.understanding.indexes."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import orjson
import pytest

from bot.admin import Admin
from bot.commands import Caller, Commands
from bot.engine import Engine
from bot.settings import SEED_FILE
from bot.store import Store

ADMIN = Caller(user="alice", chat="alice", is_admin=True)
QUESTION = "how many died in the al-hari airstrike?"


def start(db: Path, caplog: pytest.LogCaptureFixture, writer: bool = False) -> tuple[Engine, str]:
    """Open the database as a bot does (a writer takes the lock, folding the journal), answer a first
    question; returns the engine and how its indexes came to be: "built" or "loaded"."""
    caplog.clear()
    store = Store(db)
    if writer:
        store.acquire_write_lock()
    engine = Engine(store)
    with caplog.at_level(logging.DEBUG, logger="bot.understanding.indexes"):
        engine.answer(QUESTION, "warm-up")
    said = [r.getMessage() for r in caplog.records if r.name == "bot.understanding.indexes" and r.levelno == logging.DEBUG]
    assert len(said) == 1, said
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1  # why it was rebuilt, if it was
    return engine, said[0].split()[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    Store(path, SEED_FILE).close()
    return path


def answers(engine: Engine) -> list[str]:
    return [engine.answer(q, "check").text for q in (
        QUESTION, "who was blamed for the may 2018 strike?", "which strikes were blamed on the coalition?",
        "which strikes killed more than 30 people?", "where does the 38 come from?", "who is rami abdel rahman?")]


def test_the_saved_index_is_used_when_it_fits(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    first, how = start(db, caplog)
    assert how == "built" and Path(f"{db}.index").exists()
    second, how = start(db, caplog)
    assert how == "loaded"
    assert answers(second) == answers(first)
    assert "38" in answers(second)[0]


def test_a_database_changed_behind_it_rebuilds(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    start(db, caplog)
    other = Store(db)  # another process edits the database, and folds on closing
    Commands.for_store(other).handle('/addfact al-hari-2018-06 killed "at least 77" by="Zebra Monitor"', ADMIN)
    other.close()
    engine, how = start(db, caplog)
    assert how == "built"
    assert "Zebra Monitor" in engine.answer(QUESTION, "c").text
    assert start(db, caplog)[1] == "loaded"  # and saved again for the changed file


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other code", "other format", "empty", "wrong shape"])
def test_a_damaged_or_foreign_index_file_rebuilds(db: Path, caplog: pytest.LogCaptureFixture, damage: str) -> None:
    expected = answers(start(db, caplog)[0])
    path = Path(f"{db}.index")
    head, body = path.read_bytes().split(b"\n", 1)
    header = orjson.loads(head)
    path.write_bytes({
        "garbage": b"\x00\xffnot json at all\n{{{",
        "truncated": head + b"\n" + body[:len(body) // 2],
        "other code": orjson.dumps({**header, "code": "0" * 16}) + b"\n" + body,
        "other format": orjson.dumps({**header, "format": 999}) + b"\n" + body,
        "empty": b"",
        "wrong shape": head + b"\n" + orjson.dumps({"names": {"ids": ["no-such-incident"]}, "filters": [], "parties": 3}),
    }[damage])
    caplog.clear()
    engine, how = start(db, caplog)
    assert how == "built"
    assert answers(engine) == expected
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert start(db, caplog)[1] == "loaded"  # written anew


def test_journal_changes_not_folded_are_applied_to_the_loaded_index(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    start(db, caplog)
    writer = Store(db, fold_after=10_000, fold_idle=3600.0)
    commands = Commands.for_store(writer)
    for line in ('/newincident raqqa-2019-03 title="Raqqa market strike" date=2019-03-02 place="Raqqa" country=Syria '
                 'type=airstrike', '/addfact raqqa-2019-03 killed "at least 41" by="Zebra Monitor"',
                 '/addfact al-hari-2018-06 blamed "the Purple Brigade" by="Zebra Monitor"'):
        assert "nothing was changed" not in commands.handle(line, ADMIN).text
    assert Path(f"{db}.journal").exists()  # not folded: the TinyDB file and the saved index are as before
    reader, how = start(db, caplog)  # a second process, reading while the writer runs
    assert how == "loaded"
    assert "41" in reader.answer("how many died in the raqqa market strike?", "r").text
    assert "Purple Brigade" in reader.answer("who was blamed for al-hari?", "r").text
    assert "Raqqa" in reader.answer("which strikes did zebra monitor report on?", "r").text
    writer._writer.close()  # as if killed: no fold on the way out (as in test_store.py's crash windows)
    os.close(writer._lock_fd)  # the killed writer's lock goes with it
    bot, how = start(db, caplog, writer=True)  # the next bot folds the journal at start ...
    assert how == "loaded"
    assert "41" in bot.answer("how many died in the raqqa market strike?", "b").text
    bot.store.close()
    assert start(db, caplog)[1] == "loaded"  # ... and the index saved for the folded file fits it


def test_a_loaded_index_kept_current_finds_what_a_fresh_one_finds(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Changes after a load go through the saved, still packed per-incident entries (filters.py, resolver.py)."""
    from test_index_updates import CHANGES, QUESTIONS, found, fresh

    start(db, caplog)
    engine, how = start(db, caplog, writer=True)
    assert how == "loaded"
    commands = Commands(engine, Admin(engine.store))
    loaded = engine.refresh_index()
    for line in CHANGES:
        assert "nothing was changed" not in commands.handle(line, ADMIN).text, line
        assert engine.refresh_index() is loaded  # updated in place
        rebuilt = fresh(engine.store)
        for q in QUESTIONS:
            assert found(loaded, engine, q) == found(rebuilt, engine, q), (line, q)
        Path(f"{db}.index").unlink(missing_ok=True)
        built = Engine(engine.store)  # builds: no saved index
        for q in ("which strikes were blamed on the russian air force?", "what happened in july 2018?",
                  "which strikes killed more than 20 people?", "what did SANA say?"):
            assert engine.answer(q, "x").text == built.answer(q, "x").text, (line, q)
    engine.close()  # saved again from the loaded index, its untouched lists still packed
    again, how = start(db, caplog)
    assert how == "loaded"
    loaded_answers = answers(again)
    Path(f"{db}.index").unlink()
    assert loaded_answers == answers(Engine(Store(db)))  # as indexes built from the records answer
    for q in QUESTIONS:
        assert found(again.refresh_index(), again, q) == found(fresh(again.store), again, q), q


def test_after_a_clean_stop_the_next_start_loads_the_index(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Closing folds the journal into the file (a new file); Engine.close saves the indexes for it."""
    start(db, caplog)
    bot, how = start(db, caplog, writer=True)
    assert how == "loaded"
    commands = Commands(bot, Admin(bot.store))
    assert "nothing was changed" not in commands.handle(
        '/addfact al-hari-2018-06 killed "at least 77" by="Zebra Monitor"', ADMIN).text
    bot.answer("which strikes did zebra monitor report on?", "b")
    bot.close()
    assert not Path(f"{db}.journal").exists()
    engine, how = start(db, caplog)
    assert how == "loaded"
    assert "Zebra Monitor" in engine.answer(QUESTION, "c").text
    assert "Al-Hari" in engine.answer("which strikes did zebra monitor report on?", "c").text
