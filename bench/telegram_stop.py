"""How long `python main.py run` takes to stop on SIGTERM when the Bot API misbehaves.

    .venv/bin/python bench/telegram_stop.py [--scenarios hung-answer failing-polls hung-start]

Each scenario starts the bot as a real process against the fake Bot API server (tests/fake_bot_api.py) and
prints the seconds from SIGTERM to exit, and the exit code:
- hung-answer: the answer's sendMessage never comes back, then every call hangs (a server gone away);
- failing-polls: every getUpdates has answered 502 for 25 s (python-telegram-bot's pause between polls
  has grown to several seconds), then every call hangs;
- hung-start: setMyCommands hangs while the bot starts with three admins (four command menus to publish).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from fake_bot_api import FakeBotApi  # noqa: E402

SCENARIOS = ("hung-answer", "failing-polls", "hung-start")


def stop_seconds(scenario: str) -> tuple[float, int | None]:
    with FakeBotApi() as api, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_BASE_URL": api.base_url,
               "BOT_ADMINS": "1,2,3" if scenario == "hung-start" else ""}
        if scenario == "hung-start":
            api.hang("setMyCommands")
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "--db", f"{tmp}/facts.json"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if scenario == "hung-start":
                api.wait_for("getMe", timeout=20)
            else:
                api.wait_for("deleteWebhook", timeout=20)
            if scenario == "failing-polls":
                api.fail_next("getUpdates", status=502, times=10_000)
                time.sleep(25)
            if scenario == "hung-answer":
                api.hang("sendMessage")
                api.wait_delivered(api.send_text("How many died in the Al-Hari airstrike?", user_id=45), timeout=30)
            if scenario != "hung-start":
                api.hang()
            time.sleep(0.5)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
            return time.monotonic() - started, proc.returncode
        finally:
            proc.kill()
            api.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    args = parser.parse_args()
    print("| scenario | stop after SIGTERM | exit code |\n|---|---:|---:|")
    for scenario in args.scenarios:
        seconds, code = stop_seconds(scenario)
        print(f"| {scenario} | {seconds:.1f} s | {code} |", flush=True)


if __name__ == "__main__":
    main()
