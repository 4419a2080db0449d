"""The fact store on real TinyDB files: seeding, atomic writes, corrupt files, audit and undo."""
from __future__ import annotations

import gc
import io
import json
import os
import time
from pathlib import Path

import pytest

from bot.facts.dataset import DatasetError, parse_dataset_text
from bot.facts.models import Claim
from bot.settings import SEED_FILE
from bot.store import Store, StoreError, factfile, open_store, tables
from bot.store import store as store_module
from bot.store.factfile import FactFile
from bot.store.tables import NotInLayout, Tables


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "facts.json", SEED_FILE)
    yield s
    s.close()


def test_missing_file_is_created_and_seeded_with_attributed_claims(store: Store) -> None:
    assert store.path.exists()
    hari = store.incident("al-hari-2018-06")
    assert hari is not None and "Hari" in hari.place.aliases
    figures = {c.claimant: c.count for c in store.claims(hari.id) if c.kind == "casualties"}
    assert figures["the Syrian Observatory for Human Rights"].killed == 38
    assert figures["Syrian state media"].qualifier == "unspecified" and figures["Syrian state media"].best is None
    assert {c.kind for c in store.claims(hari.id)} >= {"blame", "denial", "victims", "note"}
    assert {i.id for i in store.incidents()} == {"al-hari-2018-06", "gov-positions-2018-05", "deir-ezzor-2018-02",
                                                  "syria-war-toll", "dashisha-2018-06"}


def test_reopening_reads_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    first = open_store(path, SEED_FILE)
    added = first.add_claim(Claim("", "al-hari-2018-06", "note", "a test note", claimant="tester"), actor="t")
    first.close()
    again = open_store(path, SEED_FILE)
    assert again.claim(added.id).value == "a test note"
    again.close()


def test_a_change_appends_one_journal_line_and_closing_folds_it_into_the_file(store: Store) -> None:
    before, inode_before = store.path.read_bytes(), os.stat(store.path).st_ino
    added = store.add_claim(Claim("", "al-hari-2018-06", "note", "x"), actor="t")
    assert store.path.read_bytes() == before  # the change costs one line, not a rewrite
    lines = store.journal.read_bytes().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert {op[0] for op in record["ops"]} >= {"claims", "audit"}  # the change and its audit entry together
    store.close()
    assert not store.journal.exists()
    assert os.stat(store.path).st_ino != inode_before  # folded by a rename, not an in-place rewrite
    assert [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert json.loads(store.path.read_text())["claims"][added.id]["value"] == "x"


def test_corrupt_file_gives_one_clear_error_and_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_bytes(b'{"incidents": {"1": {"id": "x"')
    before = path.read_bytes()
    with pytest.raises(StoreError) as err:
        open_store(path, SEED_FILE)
    message = str(err.value)
    assert str(path) in message and "\n" not in message and "not a valid database" in message
    assert path.read_bytes() == before


def test_wrong_layout_is_refused_without_touching_it(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text('["not", "a", "database"]')
    with pytest.raises(StoreError, match="not an incident-bot database"):
        open_store(path, SEED_FILE)
    assert path.read_text() == '["not", "a", "database"]'


def test_undo_restores_the_previous_state_and_ids_are_never_reused(store: Store) -> None:
    before = store.dataset().to_yaml()
    added = store.add_claim(Claim("", "al-hari-2018-06", "note", "oops"), actor="alice")
    store.undo("alice")
    assert store.dataset().to_yaml() == before
    again = store.add_claim(Claim("", "al-hari-2018-06", "note", "second"), actor="alice")
    assert again.id != added.id
    actions = [e["action"] for e in store.audit("alice")]
    assert actions == ["add_claim", "undo", "add_claim"]


def test_undo_only_reverts_the_callers_own_change(store: Store) -> None:
    mine = store.add_claim(Claim("", "al-hari-2018-06", "note", "alice's"), actor="alice")
    theirs = store.add_claim(Claim("", "al-hari-2018-06", "note", "bob's"), actor="bob")
    store.undo("alice")
    assert store.claim(mine.id) is None and store.claim(theirs.id) is not None
    assert store.undo("alice") is None  # nothing left to undo


def test_failed_change_leaves_data_and_file_untouched(store: Store) -> None:
    before = store.path.read_bytes()
    with pytest.raises(StoreError, match="no incident"):
        store.add_claim(Claim("", "no-such-incident", "note", "x"), actor="t")
    assert store.path.read_bytes() == before
    assert store.claims("no-such-incident") == []


ARTICLE = """\
sources:
  - {id: reuters-2018-07-06, publisher: Reuters, published: "2018-07-06"}
  - {id: afp-2018-06-19, publisher: AFP}
incidents:
  - id: mayadin-2018-07
    title: Al-Mayadin airstrike
    date: {value: "2018-07", precision: month}
    place: {name: Al-Mayadin}
    claims:
      - {kind: casualties, value: {killed: 23, qualifier: at_least, text: at least 23}, claimant: SOHR,
         source: reuters-2018-07-06}
      - {kind: blame, value: the Russian air force, claimant: SOHR, source: reuters-2018-07-06}
parties:
  - {id: russian-air-force, name: the Russian air force}
  - {id: syrian-observatory, name: SOHR}  # known: kept as it is
"""


def test_batch_lands_as_one_change_and_one_undo_reverts_all_of_it(store: Store) -> None:
    from bot.facts.dataset import parse_dataset_text
    before = store.dataset().to_yaml()
    batch = parse_dataset_text(ARTICLE)
    # A fact on an incident already in the store rides in the same batch.
    batch.claims.append(Claim("new", "al-hari-2018-06", "note", "a later report", source="reuters-2018-07-06"))
    summary = store.add_batch(batch, actor="alice")
    assert summary.incidents == ["mayadin-2018-07"] and summary.sources == ["reuters-2018-07-06"]
    assert summary.parties == ["russian-air-force"]
    assert store.party("syrian-observatory").name != "SOHR"
    assert len(summary.claims) == 3 and [c.value for c in store.claims("al-hari-2018-06")][-1] == "a later report"
    assert {c.id for c in store.claims("mayadin-2018-07")} == set(summary.claims[:2])
    assert store.source("reuters-2018-07-06").publisher == "Reuters"
    assert [e["action"] for e in store.audit("alice")] == ["add_batch"]
    store.add_claim(Claim("", "al-hari-2018-06", "note", "bob's"), actor="bob")  # another admin's change stays

    entry = store.undo("alice")
    assert entry is not None and entry["undid"] == "add_batch"
    assert store.incident("mayadin-2018-07") is None and store.source("reuters-2018-07-06") is None
    assert store.party("russian-air-force") is None
    assert all(store.claim(c) is None for c in summary.claims)
    store.undo("bob")
    assert store.dataset().to_yaml() == before
    reopened = Store(store.path)
    assert reopened.dataset().to_yaml() == before
    reopened.close()


def test_batch_with_an_unknown_incident_or_source_changes_nothing(store: Store) -> None:
    from bot.facts.dataset import parse_dataset_text
    before = store.path.read_bytes()
    batch = parse_dataset_text(ARTICLE)
    batch.claims.append(Claim("new", "no-such-incident", "note", "x"))
    with pytest.raises(StoreError, match="no-such-incident"):
        store.add_batch(batch, actor="alice")
    batch = parse_dataset_text(ARTICLE)
    batch.incidents[0].id = "al-hari-2018-06"
    with pytest.raises(StoreError, match="already exists"):
        store.add_batch(batch, actor="alice")
    assert store.path.read_bytes() == before and store.audit("alice") == []


def test_undo_of_a_batch_is_refused_while_its_incidents_have_later_facts(store: Store) -> None:
    from bot.facts.dataset import parse_dataset_text
    store.add_batch(parse_dataset_text(ARTICLE), actor="alice")
    store.add_claim(Claim("", "mayadin-2018-07", "note", "bob's"), actor="bob")
    with pytest.raises(StoreError, match="facts added since"):
        store.undo("alice")
    assert store.incident("mayadin-2018-07") is not None


def test_parties_are_seeded_from_the_article_and_survive_export_and_import(store: Store, tmp_path: Path) -> None:
    head = store.party("rami-abdel-rahman")
    assert head is not None and head.type == "person" and head.member_of == "syrian-observatory"
    assert head.descriptions[0].text == "head of the Syrian Observatory for Human Rights"
    assert head.descriptions[0].source == "afp-2018-06-19"
    assert store.party("syrian-observatory").based_in == "Britain"
    exported = parse_dataset_text(store.dataset().to_yaml())
    assert [p.to_dict() for p in exported.parties] == [p.to_dict() for p in store.parties()]
    copy = open_store(tmp_path / "copy.json", None)
    copy.import_dataset(exported, actor="t")
    assert copy.party("brett-mcgurk").role == store.party("brett-mcgurk").role
    with pytest.raises(StoreError, match="party id"):
        copy.import_dataset(parse_dataset_text("parties: [{id: afp, name: AFP}]"), actor="t")
    copy.close()


def test_a_party_needs_a_name_and_a_known_type() -> None:
    with pytest.raises(DatasetError, match=r"parties\[0\]: needs a name"):
        parse_dataset_text("parties: [{id: x}]")
    with pytest.raises(DatasetError, match="type must be one of person, organisation"):
        parse_dataset_text("parties: [{id: x, name: X, type: robot}]")


# -- the journal's crash windows, set up on purpose (tests/test_crash.py kills at random moments) ----------
def test_a_torn_last_journal_line_is_dropped_with_one_log_line(tmp_path: Path, caplog) -> None:
    path = tmp_path / "facts.json"
    store = open_store(path, SEED_FILE)
    kept = store.add_claim(Claim("", "al-hari-2018-06", "note", "acknowledged"), actor="t")
    journal = store.journal.read_bytes()
    store._writer.close()  # as if killed: no fold on the way out
    store.journal.write_bytes(journal + journal[: len(journal) // 2])  # the next append, cut short
    with caplog.at_level("WARNING"):
        reader = Store(path)
    assert reader.claim(kept.id).value == "acknowledged"
    assert [r.message for r in caplog.records if "torn" in r.message] != []
    assert len(caplog.records) == 1
    os.close(store._lock_fd)  # the killed writer's lock goes with it
    caplog.clear()
    writer = Store(path)
    assert len(caplog.records) == 1  # the writer says it once too, and its start-up fold cuts the torn bytes
    writer.add_claim(Claim("", "al-hari-2018-06", "note", "after the crash"), actor="t")  # not after the torn bytes
    writer.close()
    again = Store(path)
    assert {str(c.value) for c in again.claims("al-hari-2018-06")} >= {"acknowledged", "after the crash"}
    assert not again.journal.exists()


def test_a_crash_between_the_folded_file_and_the_journal_rewrite_replays_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    store = open_store(path, SEED_FILE)
    store.add_claim(Claim("", "al-hari-2018-06", "note", "once"), actor="t")
    store.update_incident("al-hari-2018-06", lambda i: setattr(i, "summary", "edited"), actor="t")
    journal = store.journal.read_bytes()
    store.close()  # folds: the file holds both changes, the journal is gone
    store.journal.write_bytes(journal)  # ... as if killed before the journal was emptied
    again = Store(path)
    assert [c.value for c in again.claims("al-hari-2018-06")].count("once") == 1
    assert again.incident("al-hari-2018-06").summary == "edited"
    again.acquire_write_lock()  # the start-up fold empties the journal
    assert not again.journal.exists()
    again.close()


def test_export_sees_changes_still_in_the_journal(tmp_path: Path) -> None:
    import subprocess
    import sys
    path = tmp_path / "facts.json"
    store = open_store(path, SEED_FILE)
    store.add_claim(Claim("", "al-hari-2018-06", "note", "not folded yet"), actor="t")
    exported = subprocess.run([sys.executable, "main.py", "export", "--db", str(path)], capture_output=True,
                              text=True, cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert exported.returncode == 0 and "not folded yet" in exported.stdout
    assert store.journal.exists()  # the running writer still holds it; export read it, did not fold it
    store.close()


def _records(t: Tables) -> tuple:
    return (t.sources, t.parties, t.incidents, t.facts, t.id_at, t.key_of, t.citations, t.audit, t.counters, t.seq)


def _streamed(path: Path) -> Tables:
    with open(path, "rb") as f:
        return Tables.from_lines(f, FactFile(os.open(path, os.O_RDONLY)))


def test_a_folded_file_is_read_a_batch_of_lines_at_a_time_with_the_same_records_as_a_whole_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "facts.json"
    first = open_store(path, SEED_FILE)
    for n in range(7):  # more documents than a batch holds, so batches meet inside a table
        first.add_claim(Claim("", "al-hari-2018-06", "note", f"note {n}", claimant="tester"), actor="t")
    first.close()
    lines = path.read_bytes().splitlines(keepends=True)
    assert lines[0] == b'{"sources":{\n' and lines[-1].startswith(b'},"meta":')
    assert json.loads(path.read_text())["meta"]["journal"]["seq"] == 8  # one JSON document: the seed, 7 changes
    monkeypatch.setattr(tables, "CHUNK", 3)
    streamed = _streamed(path)  # raises NotInLayout if it is not
    whole = Tables.from_raw(json.loads(path.read_text()))
    assert _records(streamed) == _records(whole)
    assert [c.id for c in streamed.facts.get("al-hari-2018-06")] == [c.id for c in whole.facts.get("al-hari-2018-06")]
    assert not streamed.facts.held and whole.facts.held  # read from the file when asked for, not at open


@pytest.mark.parametrize("edit", [
    lambda b: b.replace(b"\n", b""),  # one line, as a fold before this layout (or TinyDB) wrote it
    lambda b: json.dumps(json.loads(b), indent=1).encode(),  # pretty-printed by hand
    lambda b: b.replace(b'},"parties":{', b'},\n"parties":{', 1),  # a table's closing line edited
])
def test_a_file_in_another_layout_is_parsed_whole_to_the_same_records(tmp_path: Path, edit) -> None:  # noqa: ANN001
    path, edited = tmp_path / "facts.json", tmp_path / "edited.json"
    open_store(path, SEED_FILE).close()
    edited.write_bytes(edit(path.read_bytes()))
    with pytest.raises(NotInLayout):
        _streamed(edited)
    assert _records(Store(edited)._t) == _records(Store(path)._t)


@pytest.mark.parametrize("damage, problem", [
    (lambda b: b.replace(b'}\n},"parties"', b'},\n},"parties"', 1), "not a valid database file"),  # comma before }
    (lambda b: b.replace(b'"2":{', b'"2":{,', 1), "not a valid database file"),
    (lambda b: b[:len(b) // 2], "not a valid database file"),  # cut short
    (lambda b: b.replace(b'"quote":"Thirty', b'"quote":Thirty', 1), "not a valid database file"),  # inside a fact
    (lambda b: b.replace(b'"incident":"al-hari-2018-06"', b'"incident":"nowhere"', 1), "which the file does not hold"),
])
def test_a_damaged_file_in_the_layout_gets_the_same_one_line_error(tmp_path: Path, damage, problem: str) -> None:  # noqa: ANN001
    path = tmp_path / "facts.json"
    open_store(path, SEED_FILE).close()
    damaged = damage(path.read_bytes())
    path.write_bytes(damaged)
    with pytest.raises(StoreError, match=problem):
        Store(path)
    assert path.read_bytes() == damaged


def test_a_folded_files_facts_are_read_when_asked_for_and_a_fold_switches_to_the_file_it_wrote(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    open_store(path, SEED_FILE).close()
    store = Store(path)
    assert not store._t.facts.held  # nothing parsed at open
    before = {i.id: store.claims(i.id) for i in store.incidents()}
    added = store.add_claim(Claim("", "al-hari-2018-06", "note", "a later note"), actor="t")
    assert set(store._t.facts.held) == {"al-hari-2018-06"}  # the changed incident only, until a fold
    store.close()
    assert not store._t.facts.held  # read from the new file now
    after = {i.id: store.claims(i.id) for i in store.incidents()}
    assert after == {**before, "al-hari-2018-06": [*before["al-hari-2018-06"], added]}
    again = Store(path)
    assert {i.id: again.claims(i.id) for i in again.incidents()} == after


def test_a_fold_copies_unchanged_facts_in_blocks_byte_for_byte_as_one_incident_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "facts.json"
    open_store(path, SEED_FILE).close()
    store = Store(path)
    # A change in the middle of the table: the copied facts before and after it make two runs of blocks.
    store.add_claim(Claim("", "deir-ezzor-2018-02", "note", "a later note"), actor="t")
    written = {}
    for size in (1, 300, 1 << 20):  # one incident a block (as before blocks), blocks of a few, all at once
        monkeypatch.setattr(factfile, "COPY_BYTES", size)
        snapshot, out = store._t.snapshot(), io.BytesIO()
        snapshot.write(out)
        written[size] = (out.getvalue(), snapshot.spans)
    assert written[1] == written[300] == written[1 << 20]
    copy = tmp_path / "copy.json"
    copy.write_bytes(written[300][0])
    assert _records(_streamed(copy)) == _records(Tables.from_raw(json.loads(copy.read_text())))
    store.close()


def test_a_busy_writer_folds_once_its_journal_is_a_share_of_the_file(tmp_path: Path) -> None:
    """A fold rewrites the whole file, so a big file folds after more changes: the journal must hold both
    fold_after changes and fold_share of the file's size before the background fold starts."""
    store = Store(tmp_path / "facts.json", SEED_FILE, fold_after=1, fold_idle=3600.0, fold_share=0.25)
    store.acquire_write_lock()
    share = store.file.stat().st_size / 4

    def journaled() -> bytes:
        return store.journal.read_bytes() if store.journal.exists() else b""
    store.add_claim(Claim("", "al-hari-2018-06", "note", "note 0"), actor="t")
    notes = 1
    while len(journaled()) < share:
        time.sleep(0.2)  # time enough for a fold set off by mistake
        assert journaled().count(b"\n") == notes, "folded before the share"
        store.add_claim(Claim("", "al-hari-2018-06", "note", f"note {notes}"), actor="t")
        notes += 1
    assert notes > 5
    deadline = time.monotonic() + 60
    while store.journal.exists() and time.monotonic() < deadline:  # the background fold empties it
        time.sleep(0.05)
    assert not store.journal.exists(), "no background fold at the share"
    assert f"note {notes - 1}".encode() in store.file.read_bytes()
    store.close()


def test_a_change_made_while_a_fold_writes_is_kept_in_memory_and_in_the_journal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "facts.json"
    store = open_store(path, SEED_FILE)
    write = store_module.write_atomically
    late: list[Claim] = []

    def change_then_write(target: Path, body) -> None:  # noqa: ANN001 - the snapshot's writer
        late.append(store.add_claim(Claim("", "al-hari-2018-06", "note", "while folding"), actor="t"))
        write(target, body)
    monkeypatch.setattr(store_module, "write_atomically", change_then_write)
    store.add_claim(Claim("", "al-hari-2018-06", "note", "before the fold"), actor="t")
    store.close()  # the fold's snapshot is taken before the change
    assert b"before the fold" in path.read_bytes() and b"while folding" not in path.read_bytes()
    assert store.journal.exists()
    assert late[0] in store.claims("al-hari-2018-06")
    assert "while folding" in [c.value for c in Store(path).claims("al-hari-2018-06")]  # replayed


def test_a_file_rewritten_in_place_under_a_running_bot_is_one_clear_error_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    open_store(path, SEED_FILE).close()
    store = Store(path)
    store.acquire_write_lock()  # a running bot: a writer reloads a file changed before it took the lock
    path.write_bytes(b" " * 7 + path.read_bytes())  # the same file, every fact moved (a fold renames a new one)
    with pytest.raises(StoreError, match="changed in place"):
        store.claims("al-hari-2018-06")
    with pytest.raises(StoreError, match="changed in place"):  # refused before it is journaled
        store.add_claim(Claim("", "syria-war-toll", "note", "never written"), actor="t")
    assert not store.journal.exists() or not store.journal.read_bytes()
    store.close()
    assert "never written" not in str(Store(path).dataset())


def test_changes_are_told_while_a_fold_holds_the_stores_lock(tmp_path: Path) -> None:
    """Every answer asks for the changes since its index; a fold holds the store's lock while it takes its
    snapshot and refiles the records (half a second at 100,000 incidents), and answers must not wait."""
    import threading

    store = Store(tmp_path / "facts.json", SEED_FILE)
    store.acquire_write_lock()
    before = store.version
    store.add_claim(Claim("", "al-hari-2018-06", "note", "a note"), actor="t")
    told: list[tuple[int, set[str] | None]] = []
    with store._mutex:  # as a fold holds it
        asker = threading.Thread(target=lambda: told.append(store.changes_since(before)), daemon=True)
        asker.start()
        asker.join(timeout=30)
    assert told == [(before + 1, {"al-hari-2018-06"})]
    store.close()


def test_young_collections_are_rare_once_a_database_is_open(store: Store) -> None:
    """After a build the collector's young collections wait for 5,000 new objects (bot/store/bulk.py), not
    CPython's 700: at 700 one ran mid-question every twenty questions or so, walking that question's big sets."""
    ran: list[dict] = []
    gc.collect()  # counting from an empty young generation

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            ran.append(info)

    gc.callbacks.append(note)
    try:
        kept = [[n] for n in range(3000)]  # four young collections at 700
    finally:
        gc.callbacks.remove(note)
    assert len(kept) == 3000 and ran == []
