"""Burst benchmark: 1,000 questions from 100 users through the fake Bot API server.

Measures replies per second for incident-bot (bot/telegram/app.py, the same Application and life cycle as
`python main.py run`) and for a bare python-telegram-bot echo bot (PTB's own example: one MessageHandler,
library defaults), side by side on the same fake server, with PTB's AIORateLimiter on (Telegram's real
ceiling, about 30 messages/s overall) and off. Every question must get exactly one reply.

    .venv/bin/python bench/telegram_burst.py [--users 100] [--per-user 10] [--latency 0] [--no-limiter-runs]
    .venv/bin/python bench/telegram_burst.py --admin-writes [--incidents 100000] [--rate 20]

Each bot runs in its own process (`python main.py run`, and PTB's echo example with run_polling), the fake
server in this one. All questions are queued at once; the clock runs from the first one queued to the
last reply delivered. "Reply wait" is per question, from queueing to its reply (under a burst it is
mostly waiting in line). --latency adds a delay to every API call, as a real network would; the bare echo
bot handles one update at a time, so its rate is then bounded by 1/latency.

--admin-writes asks whether other chats wait for an admin: incident-bot alone, on a database of
--incidents synthetic incidents (bench/synth.py, imported as bench/scale.py does) plus the seed, the users
asking at a steady --rate (questions/s, below capacity, so a wait is the bot's delay rather than a queue),
once with nobody writing and once with an admin sending /addfact after /addfact, each as soon as the last
one is answered. It reports the users' reply waits both ways, how long the admin's writes took (the bot
paces admins: ADMIN_WRITE_RATE in the environment sets the pace, 0 lifts it) and how many background folds
the bot logged during the run.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import psutil  # noqa: E402
from fake_bot_api import Call, FakeBotApi  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.settings import Settings  # noqa: E402


QUESTIONS = [
    "How many died in the Al-Hari airstrike?",
    "who was blamed?",
    "who denied it?",
    "what happened in Deir Ezzor in February 2018?",
    "how many were killed there",
    "where was the al-hari strike",
    "when was it?",
    "what about Dashisha?",
    "list incidents",
    "thanks!",
]


class TimedFakeBotApi(FakeBotApi):
    """The fake server, also noting when each call was recorded and counting replies per chat as they come:
    waiting on a count costs the server nothing, where `sent()` rescans every message sent so far under the
    lock that every request takes (thousands, 50 times a second, in a run with an admin writing)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.times: list[float] = []
        self.replies: dict[int, int] = defaultdict(int)  # chat id -> messages sent to it

    def _record(self, call: Call) -> None:  # called holding _cond; super() notifies the waiters
        self.times.append(time.monotonic())
        if call.method == "sendMessage" and not call.failed:
            self.replies[call.params["chat_id"]] += 1
        super()._record(call)

    def wait_replies(self, done: Callable[[dict[int, int]], bool], timeout: float) -> bool:
        """Block until done(replies per chat) holds; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: done(self.replies), timeout)


def serve_echo_bot() -> int:
    """The bare echo bot, as PTB's examples write it (run in its own process by the benchmark)."""
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    builder = Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(os.environ["TELEGRAM_BASE_URL"])
    if os.environ.get("RATE_LIMITER") == "1":
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.run_polling(timeout=1)
    return 0


ADMIN_ID = 9_999  # the admin of --admin-writes, a user id none of the askers has
WRITE_TARGET = "al-hari-2018-06"  # a seed incident, present at every --incidents size
START_TIMEOUT = 300  # seconds for a bot to start: loading 100,000 incidents takes a while


def start_bot(kind: str, api: FakeBotApi, tmp: Path, limiter: bool) -> subprocess.Popen:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_BASE_URL": api.base_url,
           "RATE_LIMITER": "1" if limiter else "0", "BOT_ADMINS": str(ADMIN_ID)}
    if kind == "incident-bot":
        cmd = [sys.executable, str(ROOT / "main.py"), "run", "--db", str(tmp / "facts.json")]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-echo"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


class AdminWriter(threading.Thread):
    """An admin sending /addfact after /addfact, each as soon as the last one is answered."""

    def __init__(self, api: FakeBotApi) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.stop = threading.Event()
        self.took: list[float] = []

    def run(self) -> None:
        while not self.stop.is_set():
            t = time.monotonic()
            self.api.send_text(f'/addfact {WRITE_TARGET} note "bench write {len(self.took)}"', user_id=ADMIN_ID)
            n = len(self.took)
            if not self.api.wait_replies(lambda replies: replies[ADMIN_ID] > n, START_TIMEOUT):
                return  # no answer to the admin: the run's own check reports what is missing
            self.took.append(time.monotonic() - t)


def burst(kind: str, limiter: bool, users: int, per_user: int, latency: float, rate: float = 0.0,
          db: Path | None = None, writes: bool = False) -> dict:
    """Ask users x per_user questions: all at once, or `rate` a second; on a copy of `db` if given, with
    an admin writing throughout if `writes`."""
    with tempfile.TemporaryDirectory() as tmp, TimedFakeBotApi(latency=latency) as api:
        if db is not None:
            shutil.copy(db, Path(tmp) / "facts.json")
        proc = start_bot(kind, api, Path(tmp), limiter)
        writer = AdminWriter(api)
        try:
            api.wait_for("deleteWebhook", timeout=START_TIMEOUT)  # polling starts right after
            cpu_before = _cpu_seconds(proc.pid)
            if writes:
                writer.start()
                while not writer.took:  # the first write is under way when it is answered; wait for one
                    time.sleep(0.02)
            total = users * per_user
            queued: dict[int, list[float]] = defaultdict(list)
            started = time.monotonic()
            for k in range(per_user):  # round-robin, as a crowd would send them
                for u in range(users):
                    user_id = 10_000 + u
                    if rate:
                        time.sleep(max(0.0, started + (k * users + u) / rate - time.monotonic()))
                    queued[user_id].append(time.monotonic())
                    api.send_text(QUESTIONS[k % len(QUESTIONS)], user_id=user_id)

            def answered(replies: dict[int, int]) -> int:
                return sum(n for chat, n in replies.items() if chat != ADMIN_ID)
            if not api.wait_replies(lambda replies: answered(replies) >= total, total / 10 + START_TIMEOUT):
                raise SystemExit(f"{kind}: only {answered(api.replies)} of {total} replies arrived")
            writer.stop.set()
            if writes:
                writer.join(START_TIMEOUT)  # until its last write is answered: nothing left running
            cpu = _cpu_seconds(proc.pid) - cpu_before
            time.sleep(0.5)  # anything extra would show up now
            replies: dict[int, list[float]] = defaultdict(list)
            for call, t in zip(api.calls, api.times):
                if call.method == "sendMessage" and not call.failed and call.params["chat_id"] != ADMIN_ID:
                    replies[call.params["chat_id"]].append(t)
        finally:
            writer.stop.set()
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=START_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
    if proc.returncode != 0:
        raise SystemExit(f"{kind} exited with {proc.returncode}: {err}")
    counts = {u: len(replies.get(u, [])) for u in queued}
    assert all(n == per_user for n in counts.values()), \
        f"{kind}: not exactly one reply per question: {sorted(set(counts.values()))} replies per user"
    assert sum(len(r) for r in replies.values()) == total, f"{kind}: replies to strangers"
    elapsed = max(t for r in replies.values() for t in r) - started
    waits = sorted(r - q for u in queued for q, r in zip(queued[u], replies[u]))
    took = sorted(writer.took)
    return {"bot": kind, "limiter": "on" if limiter else "off", "questions": total, "seconds": elapsed,
            "rate": total / elapsed, "p50": statistics.median(waits), "p99": waits[int(len(waits) * 0.99) - 1],
            "writes": len(took), "write_p50": statistics.median(took) if took else 0.0, "cpu_ms": 1000 * cpu / total,
            "folds": err.count("background fold:")}  # the bot logs each (INFO, to stderr)


def _cpu_seconds(pid: int) -> float:
    """CPU time a bot's process has used: unlike replies/s, hardly changed by other work on the machine."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--per-user", type=int, default=10)
    p.add_argument("--latency", type=float, nargs="+", default=[0.0],
                   help="fake server delay per API call, seconds (several values: one set of runs each)")
    p.add_argument("--no-limiter-runs", action="store_true", help="skip the (slow, ~35 s each) limiter-on runs")
    p.add_argument("--repeat", type=int, default=1,
                   help="run each bot this many times, alternately, and keep each one's fastest run (on a "
                        "machine shared with other work, the run least slowed by it)")
    p.add_argument("--admin-writes", action="store_true",
                   help="incident-bot only: users' reply waits with and without an admin writing throughout")
    p.add_argument("--incidents", type=int, default=0, help="with --admin-writes: synthetic incidents in the database")
    p.add_argument("--rate", type=float, default=20.0, help="with --admin-writes: questions per second")
    p.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve_echo:
        return serve_echo_bot()
    if args.admin_writes:
        return admin_writes(args)
    runs = [(latency, kind, lim) for latency in args.latency
            for lim in ((False,) if args.no_limiter_runs else (False, True))
            for kind in ("incident-bot", "PTB echo bot")]
    best: dict[tuple[float, str, bool], dict] = {}
    for _ in range(args.repeat):
        for latency, kind, limiter in runs:
            print(f"running {kind}, rate limiter {'on' if limiter else 'off'}, API latency {latency * 1000:g} ms ...",
                  file=sys.stderr, flush=True)
            row = burst(kind, limiter, args.users, args.per_user, latency) | {"latency": latency}
            if row["rate"] > best.get((latency, kind, limiter), {"rate": 0.0})["rate"]:
                best[latency, kind, limiter] = row
    rows = [best[run] for run in runs]
    print(f"\n{args.users * args.per_user} questions from {args.users} users, all queued at once"
          + (f"; each bot's fastest of {args.repeat} runs" if args.repeat > 1 else ""))
    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs\n")
    header = (f"| {'bot':<14} | API latency | limiter | replies/s | total s | reply wait p50 s | reply wait p99 s "
              "| bot CPU ms/reply |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in rows:
        print(f"| {r['bot']:<14} | {r['latency'] * 1000:>8g} ms | {r['limiter']:<7} | {r['rate']:>9.1f} | "
              f"{r['seconds']:>7.2f} | {r['p50']:>16.2f} | {r['p99']:>16.2f} | {r['cpu_ms']:>16.2f} |")
    print("\nEvery question got exactly one reply in every run.")
    return 0


def admin_writes(args: argparse.Namespace) -> int:
    from bench.synth import build_database

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "facts.json"
        print(f"building a database of {args.incidents:,} synthetic incidents and the seed ...", file=sys.stderr,
              flush=True)
        build_database(db, args.incidents)
        rows = []
        for writes in (False, True):
            print(f"running incident-bot, {'an admin writing' if writes else 'no writes'} ...", file=sys.stderr,
                  flush=True)
            rows.append(burst("incident-bot", False, args.users, args.per_user, args.latency[0], args.rate, db,
                              writes) | {"writing": writes})
    pace = float(os.environ.get("ADMIN_WRITE_RATE") or Settings.model_fields["admin_write_rate"].default)
    print(f"\n{args.users * args.per_user} questions from {args.users} users at {args.rate:g}/s, "
          f"{args.incidents:,} synthetic incidents plus the seed, API latency {args.latency[0] * 1000:g} ms, "
          f"rate limiter off, admin commands paced at {pace:g}/s (ADMIN_WRITE_RATE; 0: not paced)")
    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs\n")
    header = "| admin            | reply wait p50 s | reply wait p99 s | admin writes | write p50 s | folds |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in rows:
        admin = "/addfact nonstop" if r["writing"] else "idle"
        print(f"| {admin:<16} | {r['p50']:>16.3f} | {r['p99']:>16.3f} | {r['writes']:>12} | "
              f"{r['write_p50']:>11.2f} | {r['folds']:>5} |")
    print("\nEvery question got exactly one reply in every run.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
