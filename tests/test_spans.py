"""The spans a fold saves beside the file it wrote (bot/store/spans.py): opening by them gives the records that
reading the file whole gives; spans of another file, of another format, or damaged are not used; bytes that
are not what the fold wrote are one clear error when read, never a wrong record."""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import orjson
import pytest

from bot.facts.dataset import load_dataset
from bot.facts.models import Claim
from bot.settings import SEED_FILE
from bot.store import Store, StoreError, open_store
from bot.store.spans import FORMAT, FileIncidents, spans_path


def _folded(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    store = open_store(path, SEED_FILE)
    store.add_claim(Claim("", "al-hari-2018-06", "note", "a later note"), actor="t")
    store.close()  # folds: writes the file and its spans
    return path


def _everything(store: Store) -> tuple:
    return (store.sources(), store.parties(), store.incidents(), {i.id: store.claims(i.id) for i in store.incidents()},
            store.audit(), store._t.id_at, store._t.key_of, store._t.citations, store._t.counters, store._t.seq)


def _whole(path: Path) -> Store:
    """The store as opening the file without its spans (reading every line) gives it."""
    saved = spans_path(path).read_bytes()
    spans_path(path).unlink()
    store = Store(path)
    assert not isinstance(store._t.incidents, FileIncidents)
    spans_path(path).write_bytes(saved)
    return store


def _same_stat(path: Path, write: bytes) -> None:
    """Change the file's bytes in place, keeping its size and modification time: what spans cannot see."""
    stat = path.stat()
    assert len(write) == stat.st_size
    with open(path, "r+b") as f:
        f.write(write)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_opening_by_the_spans_reads_no_record_and_gives_what_reading_the_file_whole_gives(tmp_path: Path) -> None:
    path = _folded(tmp_path)
    assert spans_path(path).exists()
    store = Store(path)
    incidents = store._t.incidents
    assert isinstance(incidents, FileIncidents) and all(type(v) is int for v in dict.values(incidents))
    assert store.incident_ids() == [i.id for i in _whole(path).incidents()]
    assert all(type(v) is int for v in dict.values(incidents))  # listing ids read no record
    hari = store.incident("al-hari-2018-06")
    assert hari is not None and store.incident("al-hari-2018-06") is hari  # made once, then kept
    assert sum(type(v) is not int for v in dict.values(incidents)) == 1
    assert _everything(store) == _everything(_whole(path))


@pytest.mark.parametrize("slice_", [10_000, 2])  # refiled in one slice, and in many between read records
def test_a_fold_after_opening_by_the_spans_copies_unread_records_and_keeps_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_: int) -> None:
    monkeypatch.setattr("bot.store.spans.SLICE", slice_)
    path = _folded(tmp_path)
    before = _everything(Store(path))
    store = Store(path)
    store.acquire_write_lock()
    store.update_incident("syria-war-toll", lambda i: setattr(i, "summary", "changed"), actor="t")
    added = store.add_claim(Claim("", "deir-ezzor-2018-02", "note", "another note"), actor="t")
    store.close()  # the unread records are copied from the old file as they are, and spans saved again
    assert isinstance(store._t.incidents, FileIncidents)
    reopened = Store(path)
    assert isinstance(reopened._t.incidents, FileIncidents)
    assert reopened.incident("syria-war-toll").summary == "changed"
    assert added in reopened.claims("deir-ezzor-2018-02")
    assert _everything(reopened) == _everything(_whole(path)) == _everything(store)
    assert [i.id for i in reopened.incidents()] == [i.id for i in before[2]]
    # the records read after the fold come from the new file, at their new places
    assert {i.id: i for i in store.incidents()} == {i.id: i for i in reopened.incidents()}


def test_a_fold_while_an_admin_writes_leaves_the_spans_to_a_later_fold(tmp_path: Path) -> None:
    """Saving spans holds the interpreter lock for long passes: a fold the journal's size set off (an admin
    busy writing) does not save them; the fold on closing does."""
    path = _folded(tmp_path)
    before = spans_path(path).read_bytes()
    store = Store(path, fold_after=1, fold_idle=3600.0, fold_share=0.0)
    store.acquire_write_lock()
    store.add_claim(Claim("", "al-hari-2018-06", "note", "while busy"), actor="t")
    deadline = time.monotonic() + 60
    while store._writer.records and time.monotonic() < deadline:  # the background fold takes it
        time.sleep(0.05)
    assert not store._writer.records, "no background fold"
    assert spans_path(path).read_bytes() == before
    assert not isinstance(Store(path)._t.incidents, FileIncidents)  # the spans are of the file before
    store.close()
    reopened = Store(path)
    assert isinstance(reopened._t.incidents, FileIncidents)
    assert "while busy" in [c.value for c in reopened.claims("al-hari-2018-06")]


def test_an_empty_database_opens_by_its_spans_and_takes_changes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A database created without seed data has no incidents and no facts: its spans are still whole."""
    path = tmp_path / "facts.json"
    Store(path).close()
    with caplog.at_level(logging.INFO, logger="bot.store.spans"):
        empty = Store(path)
    assert caplog.text == ""
    assert isinstance(empty._t.incidents, FileIncidents) and empty.incidents() == []
    empty.acquire_write_lock()
    empty.import_dataset(load_dataset(SEED_FILE), actor="t")
    empty.close()
    assert _everything(Store(path)) == _everything(_whole(path))


def test_spans_of_another_file_are_not_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _folded(tmp_path)
    spans = spans_path(path).read_bytes()
    store = Store(path)
    store.acquire_write_lock()
    store.add_claim(Claim("", "al-hari-2018-06", "note", "one more"), actor="t")
    store.close()
    spans_path(path).write_bytes(spans)  # the spans of the file before this fold
    with caplog.at_level(logging.INFO, logger="bot.store.spans"):
        again = Store(path)
    assert "another file" in caplog.text
    assert not isinstance(again._t.incidents, FileIncidents)
    assert "one more" in [c.value for c in again.claims("al-hari-2018-06")]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "old format", "lists cut short", "numbers out of range"])
def test_damaged_spans_are_one_log_line_and_the_file_is_read_whole(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str) -> None:
    path = _folded(tmp_path)
    expected = _everything(_whole(path))
    saved = spans_path(path).read_bytes()
    data = orjson.loads(saved)
    if damage == "garbage":
        spans_path(path).write_bytes(b"\x00not json")
    elif damage == "truncated":
        spans_path(path).write_bytes(saved[: len(saved) // 2])
    elif damage == "old format":
        spans_path(path).write_bytes(orjson.dumps({**data, "format": FORMAT - 1}))
    elif damage == "lists cut short":
        spans_path(path).write_bytes(orjson.dumps({**data, "ids": data["ids"][:-1]}))
    else:
        facts = data["facts"]
        spans_path(path).write_bytes(orjson.dumps({**data, "facts": [data["at"][0], *facts[1:]]}))  # offsets as numbers
    with caplog.at_level(logging.INFO):
        store = Store(path)
    assert not isinstance(store._t.incidents, FileIncidents)
    assert "spans" in caplog.text
    assert _everything(store) == expected


def test_a_record_changed_in_place_with_the_same_size_and_time_is_one_clear_error_when_read(tmp_path: Path) -> None:
    path = _folded(tmp_path)
    data = path.read_bytes()
    at = data.index(b'"title":"Al-Hari airstrike"')
    _same_stat(path, data[:at] + b'"title":"Al-Hxri airstrike"' + data[at + 27:])
    store = Store(path)  # the spans still fit the file's inode, size and time
    assert isinstance(store._t.incidents, FileIncidents)
    with pytest.raises(StoreError, match="changed in place"):
        store.incident("al-hari-2018-06")  # its CRC tells, never the changed title
    assert store.incident("syria-war-toll") is not None  # the others are as the fold wrote them


def test_facts_changed_in_place_with_the_same_size_and_time_are_one_clear_error_when_read(tmp_path: Path) -> None:
    path = _folded(tmp_path)
    data = path.read_bytes()
    at = data.index(b"a later note")
    _same_stat(path, data[:at] + b"a LATER note" + data[at + 12:])
    store = Store(path)
    with pytest.raises(StoreError, match="changed in place"):
        store.claims("al-hari-2018-06")


def test_small_tables_changed_in_place_with_the_same_size_and_time_are_read_whole(tmp_path: Path) -> None:
    path = _folded(tmp_path)
    data = path.read_bytes()
    at = data.index(b'"journal":{"seq":')
    _same_stat(path, data[:at] + b'"journal":{"seq"=' + data[at + 17:])  # meta no longer JSON
    with pytest.raises(StoreError, match="not a valid database file"):  # as reading it whole says
        Store(path)


def test_a_record_damaged_behind_the_spans_stays_an_error_after_a_fold_copies_it(tmp_path: Path) -> None:
    path = _folded(tmp_path)
    data = path.read_bytes()
    at = data.index(b'"title":"Al-Hari airstrike"')
    _same_stat(path, data[:at] + b'"title":"Al-Hxri airstrike"' + data[at + 27:])
    store = Store(path)
    store.acquire_write_lock()
    store.add_claim(Claim("", "syria-war-toll", "note", "a change, so the fold writes a new file"), actor="t")
    store.close()  # copies the damaged line unread, with the CRC its first fold gave it
    with pytest.raises(StoreError, match="changed in place"):
        Store(path).incident("al-hari-2018-06")


def test_a_refile_makes_a_record_the_fold_did_not_write_from_the_file_it_is_in(tmp_path: Path) -> None:
    store = Store(_folded(tmp_path))
    incidents = store._t.incidents
    assert isinstance(incidents, FileIncidents)
    moved = incidents.refiled(incidents.file, {})  # as if the new file held none of them: never, but not a failed fold
    assert all(type(v) is not int for v in dict.values(moved))
    assert dict(moved.items()) == dict(incidents.items())


def test_the_file_a_fold_replaced_gives_up_its_spans_only_once_nobody_holds_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeing a replaced file's spans at once stalls every chat (tens of ms at 100,000 incidents), so a fold
    empties them a slice at a time; a reader in flight may still hold that file, and must read on."""
    import bot.store.spans as spans_module
    emptied: list[int] = []
    real = spans_module.drop_slowly
    monkeypatch.setattr(spans_module, "drop_slowly", lambda m: (emptied.append(len(m)), real(m)))
    monkeypatch.setattr(spans_module, "SLICE", 2)
    store = Store(_folded(tmp_path))
    store.acquire_write_lock()
    held = store._t.facts.file  # as a reader part way through a read holds it
    before, facts = dict(held.spans), held.read("al-hari-2018-06")
    store.add_claim(Claim("", "al-hari-2018-06", "note", "first"), actor="t")
    store._fold()
    assert held.spans == before and held.read("al-hari-2018-06") == facts
    replaced = len(store._t.facts.file.spans)
    store.add_claim(Claim("", "al-hari-2018-06", "note", "second"), actor="t")
    emptied.clear()
    store._fold()
    assert replaced in emptied  # nobody held the file the second fold replaced
    assert {"first", "second"} <= {str(c.value) for c in store.claims("al-hari-2018-06")}
    store.close()
