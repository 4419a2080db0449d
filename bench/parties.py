"""What questions about people and organisations cost as the data grows.

    python bench/parties.py                    # 1,000 and 10,000 incidents (about a minute)
    python bench/parties.py --sizes 100000     # the largest size (a few minutes)

For each size: synthetic incidents (bench/synth.py, whose claimants include the Syrian Observatory and
state media) plus the seed, in a fresh database; then the one-off linking of claims to parties (done on
the first question that needs it after a change), and the median and worst of a fixed mix of party
questions, each asked PASSES times in fresh chats, and what a question naming no party pays for the check.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import generate  # noqa: E402

from bot.engine import Engine  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.text import clean_input, tokens  # noqa: E402
from bot.understanding.context import ChatContext  # noqa: E402

PASSES = 5
QUESTIONS = ["Who is Rami Abdel Rahman?", "who is the observatory's head?", "What is Brett McGurk's job?",
             "Where is the Syrian Observatory for Human Rights based?", "What did Rami Abdel Rahman say?",
             "what did the observatory say", "What did the coalition's press office tell reporters?",
             "Which incidents did the US-led coalition deny?", "what has syrian state media blamed on the coalition?",
             "Which outlet published the report on Al-Hari?"]
NOT_ABOUT_PARTIES = ["how many died in al hari", "who denied it?", "when was the may 2018 strike"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,10000")
    args = p.parse_args()
    print("| incidents | link claims (one-off) | party questions p50 | max | check on other questions p50 |")
    print("|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "facts.json", ROOT / "data" / "incidents.yaml")
            store.import_dataset(generate(size), "bench")
            engine = Engine(store)
            engine.refresh_index()
            started = time.perf_counter()
            engine.parties.answer("what did the observatory say", tokens("what did the observatory say"),
                                  ChatContext())
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
            store.close()
        print(f"| {size + 5:,} | {link:.2f} s | {statistics.median(times):.2f} ms | {max(times):.1f} ms | "
              f"{statistics.median(checks):.3f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
