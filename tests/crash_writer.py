"""Child process for tests/test_crash.py: a long run of admin writes on one database, each acknowledged.

    python tests/crash_writer.py DB START [FOLD_AFTER]

Writes forever (until killed) and prints one line per write after the store call has returned, which is
the moment a user would see "done": "ack add <claim id> <n>", "ack del <claim id> <n>", "ack set <n>".
Every write is a different kind of change so the test can check each one: add a fact (most writes),
delete the fact added just before, edit the incident's summary. FOLD_AFTER small (1: after every write)
keeps the store folding the journal into the file in the background, so kills land inside folds too.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.facts.models import Claim  # noqa: E402
from bot.store import Store  # noqa: E402

INCIDENT = "al-hari-2018-06"


def main() -> int:
    db, n = sys.argv[1], int(sys.argv[2])
    fold_after = int(sys.argv[3]) if len(sys.argv) > 3 else 10**9
    store = Store(db, fold_after=fold_after, fold_share=0.0)  # fold_after alone sets folds off
    store.acquire_write_lock()
    print("ready", flush=True)
    last_added: str | None = None
    while True:
        n += 1
        if n % 7 == 0:
            store.update_incident(INCIDENT, lambda i, n=n: setattr(i, "summary", f"summary version {n}"), actor="crash")
            print(f"ack set {n}", flush=True)
        elif n % 4 == 0 and last_added:
            store.delete_claim(last_added, actor="crash")
            print(f"ack del {last_added} {n}", flush=True)
            last_added = None
        else:
            claim = store.add_claim(Claim("new", INCIDENT, "note", f"crash note {n}", claimant="crash test"),
                                    actor="crash")
            last_added = claim.id
            print(f"ack add {claim.id} {n}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
