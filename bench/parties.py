"""What questions about people and organisations cost as the data grows, and after each admin write.

    python bench/parties.py                    # 1,000 and 10,000 synthetic incidents (about a minute)
    python bench/parties.py --sizes 100000     # the largest size (a few minutes)
    python bench/parties.py --db DIR/bench-10000.json,DIR/bench-100000.json   # bench/scale.py's databases

For each size: synthetic incidents (bench/synth.py, whose claimants include the Syrian Observatory and state
media) plus the seed, in a fresh database, or a copy of a given database (the original is left untouched; its
copy builds its incident index at start: about a minute at 100,000). Then, timed: linking every claim to its
parties (what a start that builds the indexes does, and the first question after an import); a fixed mix of
party questions, each asked PASSES times in fresh chats; what a question naming no party pays for the check;
and WRITES admin writes as a transport makes them (`/addfact` by the Observatory, and `/setincident date=`
that moves an incident in the lists), each followed by a party question: what the first question after a write
pays to bring the links (and the engine's incident index) up to date, beside the same question asked with no
write before it. Last, the engine is closed as a transport closes it (the party links are saved beside the
database) and the database reopened: the first party question, which loads the saved links.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import admin_writer  # noqa: E402
from synth import generate  # noqa: E402

from bot.engine import Engine  # noqa: E402
from bot.party_links import link_all, names_of  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.text import clean_input, tokens  # noqa: E402
from bot.understanding.context import ChatContext  # noqa: E402

PASSES = 5
WRITES = 20  # admin writes, each followed by a party question
ASKED_AFTER_WRITE = "what did the observatory say"
QUESTIONS = ["Who is Rami Abdel Rahman?", "who is the observatory's head?", "What is Brett McGurk's job?",
             "Where is the Syrian Observatory for Human Rights based?", "What did Rami Abdel Rahman say?",
             "what did the observatory say", "What did the coalition's press office tell reporters?",
             "Which incidents did the US-led coalition deny?", "what has syrian state media blamed on the coalition?",
             "Which outlet published the report on Al-Hari?"]
NOT_ABOUT_PARTIES = ["how many died in al hari", "who denied it?", "when was the may 2018 strike"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,10000", help="synthetic databases of these many incidents (+ the seed)")
    p.add_argument("--db", help="comma-separated existing databases to measure (copies of them) instead")
    args = p.parse_args()
    print("| incidents | linking every claim | first party question after a restart | "
          "party question after a write p50 | max | the same, no write p50 | party questions p50 | max | "
          "check on other questions p50 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for source in (args.db.split(",") if args.db else [int(s) for s in args.sizes.split(",")]):
        with tempfile.TemporaryDirectory() as tmp:
            store = _open(source, Path(tmp))
            row = measure(store)
            row["restart_s"] = _first_question_after_restart(store.path)
        print(f"| {row['incidents']:,} | {row['link_s']:.2f} s | {1000 * row['restart_s']:.0f} ms | "
              f"{row['after_write_p50_ms']:.1f} ms | "
              f"{row['after_write_max_ms']:.1f} ms | {row['no_write_p50_ms']:.1f} ms | {row['p50_ms']:.2f} ms | "
              f"{row['max_ms']:.1f} ms | {row['check_p50_ms']:.3f} ms |", flush=True)
    return 0


def _open(source: int | str, tmp: Path) -> Store:
    """A fresh synthetic database of `source` incidents, or a copy of the database at `source`."""
    if isinstance(source, int):
        store = Store(tmp / "facts.json", ROOT / "data" / "incidents.yaml")
        store.import_dataset(generate(source), "bench")
        return store
    shutil.copyfile(source, tmp / "facts.json")  # the writes go to the copy
    return Store(tmp / "facts.json")


def measure(store: Store) -> dict:
    """Everything but the restart; closes the engine as a transport does (which saves the party links)."""
    engine = Engine(store)
    engine.refresh_index()  # as a transport starts; with no saved copies that fit, it links the parties too
    started = time.perf_counter()
    link_all(store, engine.parties.finder(), names_of(store.parties()))  # what that linking took
    link = time.perf_counter() - started
    times = []
    for n in range(PASSES):
        for q in QUESTIONS:
            t = time.perf_counter()
            engine.answer(q, f"chat-{n}-{q}").body.plain()
            times.append((time.perf_counter() - t) * 1000)
    checks = []
    for n in range(PASSES):
        for q in NOT_ABOUT_PARTIES:
            text = clean_input(q)
            t = time.perf_counter()
            engine.parties.answer(text, tokens(text), ChatContext())
            checks.append((time.perf_counter() - t) * 1000)
    no_write = []
    for n in range(WRITES):
        t = time.perf_counter()
        engine.answer(ASKED_AFTER_WRITE, f"no-write-{n}").body.plain()
        no_write.append((time.perf_counter() - t) * 1000)
    after_write = _after_writes(engine, store)
    engine.close()
    return {"incidents": len(store.incidents()), "link_s": link, "p50_ms": statistics.median(times),
            "max_ms": max(times), "check_p50_ms": statistics.median(checks),
            "after_write_p50_ms": statistics.median(after_write), "after_write_max_ms": max(after_write),
            "no_write_p50_ms": statistics.median(no_write)}


def _first_question_after_restart(db: Path) -> float:
    """Seconds the first party question takes on the database reopened, once the engine is ready as a
    transport makes it at start: it loads the party links saved on closing."""
    store = Store(db)
    engine = Engine(store)
    engine.refresh_index()
    started = time.perf_counter()
    engine.answer(ASKED_AFTER_WRITE, "first-chat").body.plain()
    took = time.perf_counter() - started
    store.close()
    return took


def _after_writes(engine: Engine, store: Store) -> list[float]:
    """ms of the party question asked after each of WRITES admin writes (the writes themselves untimed)."""
    write = admin_writer(engine, store)
    ids = [i.id for _, i in zip(range(WRITES), store.iter_incidents())]
    times = []
    for n in range(WRITES):
        if n % 2:  # to the top of the lists, or down among the others
            line = f"/setincident {ids[n]} date={2026 if n % 4 == 1 else 2012}-0{1 + n % 9}-01"
        else:
            line = f'/addfact {ids[n]} killed {n + 3} by="the Syrian Observatory for Human Rights"'
        reply = write(line)
        assert reply.startswith(("Added fact", "Updated")), reply
        t = time.perf_counter()
        engine.answer(ASKED_AFTER_WRITE, f"after-write-{n}").body.plain()
        times.append((time.perf_counter() - t) * 1000)
    return times


if __name__ == "__main__":
    sys.exit(main())
