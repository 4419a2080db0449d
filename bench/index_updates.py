"""What an admin's write costs as one incident's facts grow: the whole /addfact (as a transport runs it) and
the index catch-up after it (Engine.refresh_index, which the Telegram handler runs right after a write).

An admin adds notes to the same incident, Al-Hari, as bench/telegram_burst.py --admin-writes does; after
0, 200, 800 and 1,700 notes, 50 more writes are timed.

    .venv/bin/python bench/index_updates.py [--incidents 10000] [--notes 200,800,1700]

The database is the seed plus --incidents synthetic incidents (bench/synth.py), imported as bench/scale.py
does, in a temporary directory; the first start builds its indexes before anything is timed.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

TARGET = "al-hari-2018-06"  # a seed incident, present at every size
TIMED = 50  # writes timed at each step


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--incidents", type=int, default=10_000, help="synthetic incidents besides the seed")
    p.add_argument("--notes", default="200,800,1700", help="comma-separated note counts to time writes after")
    args = p.parse_args(argv)
    steps = [0, *sorted(int(n) for n in args.notes.split(","))]

    from bench.scale import admin_writer
    from bench.synth import build_database
    from bot.engine import Engine
    from bot.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "facts.json"
        print(f"importing {args.incidents:,} synthetic incidents and the seed ...", file=sys.stderr, flush=True)
        build_database(db, args.incidents)
        store = Store(db)
        engine = Engine(store)
        engine.refresh_index()
        write = admin_writer(engine, store)
        rows, done = [], 0
        for step in steps:
            while done < step:  # untimed: grow the incident to the next step
                write(f'/addfact {TARGET} note "bench note {done}"')
                engine.refresh_index()
                done += 1
            whole, catch_up = [], []
            for _ in range(TIMED):
                t = time.perf_counter()
                reply = write(f'/addfact {TARGET} note "bench note {done}"')
                t2 = time.perf_counter()
                engine.refresh_index()
                whole.append(time.perf_counter() - t)
                catch_up.append(time.perf_counter() - t2)
                assert reply.startswith("Added fact"), reply
                done += 1
            rows.append((step, len(store.claims(TARGET)) - TIMED, statistics.median(whole), max(whole),
                         statistics.median(catch_up), max(catch_up)))
        store.close()
    print(f"\n{args.incidents:,} synthetic incidents plus the seed; {TIMED} writes timed after each step\n")
    print("| notes added | facts of the incident | write + catch-up p50 ms | max ms | index catch-up p50 ms | max ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for step, facts, w50, wmax, c50, cmax in rows:
        print(f"| {step:,} | {facts:,} | {w50 * 1e3:.2f} | {wmax * 1e3:.2f} | {c50 * 1e3:.2f} | {cmax * 1e3:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
