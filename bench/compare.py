"""Per-question latency of this checkout against another one (an older commit), through the machine's noise.

    git worktree add /tmp/before <commit>
    python bench/compare.py /tmp/before                        # 10,000 incidents, 7 rounds (about a minute)
    python bench/compare.py /tmp/before --size 100000 --rounds 3   # about 4 minutes

On a shared machine the same code's p99 moves by half from one run of bench/scale.py to the next (other jobs,
the host), so one run per checkout compares the machine as much as the code. This imports one database as
bench/scale.py does, gives each checkout a copy with the indexes that checkout builds, then asks bench/scale.py's
question mix (3 passes, fresh chats each pass) in a fresh process per checkout, the two alternating, `--rounds`
times. Each question's time is its least over the rounds (what the code costs when the machine let it run);
the p99s and the first pass's total are taken over those, and each round's own first-pass p99 is shown too.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from scale import PASSES, ROOT, _p99  # the same mix, passes and p99 as bench/scale.py (it puts ROOT on sys.path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("other", nargs="?", help="the other checkout (a directory holding bot/)")
    p.add_argument("--size", type=int, default=10_000, help="synthetic incidents")
    p.add_argument("--rounds", type=int, default=7, help="fresh processes per checkout")
    p.add_argument("--seed", type=int, default=2018)
    p.add_argument("--questions", type=int, default=240)
    p.add_argument("--child", choices=["first", "measure"], help=argparse.SUPPRESS)
    p.add_argument("--code", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        sys.path.insert(0, args.code)  # that checkout's bot, ahead of this one's (importing scale put ROOT first)
        return child_first(Path(args.db)) if args.child == "first" else child_measure(Path(args.db))
    if not args.other or not (Path(args.other) / "bot").is_dir():
        p.error("give the other checkout: a directory holding bot/ (git worktree add /tmp/before <commit>)")
    sides = {"this": ROOT, "other": Path(args.other).resolve()}
    with tempfile.TemporaryDirectory(prefix="incident-bot-compare-") as tmp:
        made = Path(tmp) / "import" / "bench.json"
        made.parent.mkdir()
        _run([sys.executable, str(ROOT / "bench" / "scale.py"), "--phase", "import", "--size", str(args.size),
              "--db", str(made), "--seed", str(args.seed), "--questions", str(args.questions)])
        dbs = {}
        for name, code in sides.items():
            db = dbs[name] = Path(tmp) / name / "bench.json"
            db.parent.mkdir()
            for f in made.parent.iterdir():
                if not f.name.endswith(".lock"):
                    shutil.copy(f, db.parent / f.name)
            _child("first", code, db)  # builds and saves the indexes as that checkout does
        times: dict[str, list[list[float]]] = {name: [] for name in sides}
        for n in range(args.rounds):
            for name, code in sides.items():
                times[name].append(json.loads(_child("measure", code, dbs[name])))
            print(f"  round {n + 1} of {args.rounds}", file=sys.stderr, flush=True)
    print(report(times, sides, args))
    return 0


def report(times: dict[str, list[list[float]]], sides: dict[str, Path], args: argparse.Namespace) -> str:
    lines = [f"{args.size:,} incidents, question mix of {args.questions} asked {PASSES} times, {args.rounds} rounds "
             "(each question's least time over the rounds)", "",
             "| checkout | p99 first pass | p99 all passes | first pass total | each round's first-pass p99 |",
             "|---|---:|---:|---:|---|"]
    for name, runs in times.items():
        least = [min(r[i] for r in runs) for i in range(len(runs[0]))]
        first = len(least) // PASSES
        rounds = " ".join(f"{1000 * _p99(sorted(r[:first])):.2f}" for r in runs)
        lines.append(f"| {name} ({sides[name]}) | {1000 * _p99(sorted(least[:first])):.2f} ms | "
                     f"{1000 * _p99(sorted(least)):.2f} ms | {1000 * sum(least[:first]):.0f} ms | {rounds} |")
    return "\n".join(lines)


def _child(phase: str, code: Path, db: Path) -> str:
    return _run([sys.executable, str(Path(__file__).resolve()), "--child", phase, "--code", str(code), "--db", str(db)])


def _run(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd[1:4])} failed:\n{out.stderr}")
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


# -- in a checkout's own process -----------------------------------------------------------------------------
def child_first(db: Path) -> int:
    from bot.engine import Engine
    from bot.store import Store

    Engine(Store(db)).answer("how many died in the al-hari airstrike?", "warm-up").text  # noqa: B018 - rendered
    return 0


def child_measure(db: Path) -> int:
    import time

    from bot.engine import Engine
    from bot.store import Store
    from bot.understanding.context import Contexts

    mix = json.loads(Path(f"{db}.questions.json").read_text())
    engine = Engine(Store(db))
    _ = engine.answer("how many died in the al-hari airstrike?", "warm-up").text
    samples = []
    for _pass in range(PASSES):
        engine.contexts = Contexts()  # follow-ups behave the same on every pass
        for q in mix:
            t = time.perf_counter()
            _ = engine.answer(q["text"], q["chat"]).text  # the rendering is part of the answer
            samples.append(time.perf_counter() - t)
    print(json.dumps(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
