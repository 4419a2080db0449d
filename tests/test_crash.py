"""Crash safety: SIGKILL a process in the middle of a long run of admin writes, many times, at random
moments: while it appends to the journal, and while it folds the journal into the TinyDB file. After every
kill the file is whole JSON, the database opens, and every write that was acknowledged is in it.

The writer (tests/crash_writer.py) prints "ack ..." only after a store call has returned, as the console
or Telegram would only then say "done". The one write in flight when the kill lands may or may not be in
the file; both are fine, a half-written file is not.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import SEED_FILE
from bot.facts.dataset import Dataset
from bot.facts.models import Claim, Incident, IncidentDate, Place
from bot.store import Store

WRITER = Path(__file__).resolve().parent / "crash_writer.py"
KILLS = 15  # per phase: journal appends only, then folding after every write
PADDING = 400  # extra incidents, so each write takes long enough for kills to land inside it


def _padding(n: int) -> Dataset:
    incidents = [Incident(f"pad-{k}", f"Padding village {k} shelling", "shelling",
                          IncidentDate(f"2019-{1 + k % 12:02d}", "month"), Place(f"Padvillage {k}"))
                 for k in range(n)]
    claims = [Claim("new", i.id, "note", f"padding fact {k} of {i.id}", claimant="setup")
              for i in incidents for k in range(3)]
    return Dataset([], incidents, claims)


def _next_op(n: int, has_last_added: bool) -> str:
    """What crash_writer.py does for write number n (mirrors its schedule)."""
    if n % 7 == 0:
        return "set"
    return "del" if n % 4 == 0 and has_last_added else "add"


@pytest.mark.parametrize("fold_after", [10**9, 1], ids=["appending", "folding"])
def test_sigkill_during_admin_writes_loses_no_acknowledged_write(tmp_path: Path, fold_after: int) -> None:
    db = tmp_path / "facts.json"
    setup = Store(db, SEED_FILE)
    setup.import_dataset(_padding(PADDING), actor="setup")
    setup.close()

    rng = random.Random(20180619)
    n = 0  # number of the last write acknowledged (or skipped as in flight)
    kept: dict[str, str] = {}  # claim id -> value: acknowledged adds not deleted since
    gone: set[str] = set()  # acknowledged deletes
    summary_at_least = 0  # the summary version acknowledged last
    acks = mid_fold = 0
    for _ in range(KILLS):
        child = subprocess.Popen([sys.executable, str(WRITER), str(db), str(n), str(fold_after)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0.05, 0.5))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL

        last_added = None
        for line in child.stdout.read().splitlines():
            word, op, *rest = line.split()
            assert word == "ack", line
            acks += 1
            if op == "add":
                claim_id, n = rest[0], int(rest[1])
                kept[claim_id] = f"crash note {n}"
                last_added = claim_id
            elif op == "del":
                claim_id, n = rest[0], int(rest[1])
                kept.pop(claim_id)
                gone.add(claim_id)
                last_added = None
            else:
                n = int(rest[0])
                summary_at_least = n
        # The write after the last acknowledged one was in flight: it may or may not have landed.
        n += 1
        maybe_deleted = last_added if _next_op(n, last_added is not None) == "del" else None
        maybe_deleted_value = kept.pop(maybe_deleted) if maybe_deleted else None

        mid_fold += any(tmp_path.glob(f".{db.name}.*.tmp"))  # a fold's temporary file: killed while folding
        json.loads(db.read_bytes())  # the TinyDB file alone is always whole
        fresh = Store(db)  # must open, replaying the journal: never a half-written file
        try:
            for claim_id, value in kept.items():
                claim = fresh.claim(claim_id)
                assert claim is not None and claim.value == value, f"acknowledged fact {claim_id} lost"
            for claim_id in gone:
                assert fresh.claim(claim_id) is None, f"acknowledged delete of {claim_id} lost"
            ours = {c.id for c in fresh.claims("al-hari-2018-06") if c.claimant == "crash test"}
            unexplained = ours - set(kept) - {maybe_deleted}
            assert len(unexplained) <= 1, f"facts nobody acknowledged: {sorted(unexplained)}"
            kept.update((c, fresh.claim(c).value) for c in unexplained)  # the in-flight add landed: keep checking it
            if maybe_deleted and fresh.claim(maybe_deleted):  # the in-flight delete did not land: it stays ours
                kept[maybe_deleted] = maybe_deleted_value
            summary = fresh.incident("al-hari-2018-06").summary or ""
            if summary_at_least:
                assert summary.startswith("summary version "), summary
                assert int(summary.rsplit(" ", 1)[1]) >= summary_at_least, "acknowledged edit lost"
            assert len(fresh.incidents()) == 5 + PADDING
        finally:
            fresh.close()
    assert acks >= KILLS, "the writer hardly wrote anything; the test proves little"
    # About a quarter of the folding phase's kills land while the new file is being written (the rest in the
    # snapshot, the journal rewrite or an append); tests/test_store.py sets up each crash window on purpose.
    print(f"{acks} writes acknowledged, {mid_fold} of {KILLS} kills inside a fold's file write")
    # A killed writer may leave its temporary file behind; the next writer clears it.
    writer = Store(db)
    writer.acquire_write_lock()
    writer.close()
    assert {p.name for p in tmp_path.iterdir()} == {db.name, f"{db.name}.lock", f"{db.name}.spans"}  # folded on close


def test_the_lock_is_free_after_a_killed_writer(tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    Store(db, SEED_FILE).close()
    child = subprocess.Popen([sys.executable, str(WRITER), str(db), "0"], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    store = Store(db)
    store.acquire_write_lock()  # the OS released the dead writer's flock
    store.add_claim(Claim("new", "al-hari-2018-06", "note", "after the crash"), actor="t")
    store.close()
