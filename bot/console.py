"""The console transport: one line in, one reply out; a friendly REPL, or JSON lines with --json.

Plays a user or an admin (--admin, /asadmin, /asuser), as Errbot's text backend does. Input is read
as bytes so a non-UTF-8 line gets an answer instead of a crash.
"""
from __future__ import annotations

import json
import sys
from typing import BinaryIO, TextIO

from bot.commands import Caller, Commands
from bot.replies import Reply
from bot.rich import Rich

BANNER = ("incident-bot console. Ask about the incidents I know, e.g. “How many died in the Al-Hari airstrike?”\n"
          "Type /help for commands, Ctrl-D to quit.")
CONSOLE_USER = "console"


class Console:
    def __init__(self, commands: Commands, admin: bool = False, json_mode: bool = False,
                 out: TextIO = sys.stdout) -> None:
        self.commands = commands
        self.admin = admin
        self.json_mode = json_mode
        self.out = out

    def handle(self, line: str) -> Reply:
        text = line.strip()
        if text in ("/asadmin", "/asuser"):
            self.admin = text == "/asadmin"
            return Reply(Rich().para(f"You are now {'an admin' if self.admin else 'a user'}."))
        if text.startswith("/"):
            return self.commands.handle(text, Caller(CONSOLE_USER, CONSOLE_USER, self.admin, become_admin=(
                "Type /asadmin (or start the console with --admin) to act as an admin.")))
        return self.commands.engine.answer(text, CONSOLE_USER)

    def run(self, lines: BinaryIO) -> int:
        interactive = not self.json_mode and sys.stdin.isatty()
        if not self.json_mode:
            self._write(BANNER + "\n")
        while True:
            if interactive:
                self._write("> ")
            raw = lines.readline()
            if not raw:
                break
            reply = self.handle(raw.decode("utf-8", errors="replace"))
            self._print(reply)
        if interactive:
            self._write("\n")
        return 0

    def _print(self, reply: Reply) -> None:
        # A document (/export) goes to stdout itself: the console has nowhere else to put a file.
        text = reply.document[1].decode("utf-8") if reply.document else reply.text
        if self.json_mode:
            self._write(json.dumps({**reply.to_json(), "text": text}, ensure_ascii=False) + "\n")
        else:
            self._write(text.rstrip("\n") + "\n\n")

    def _write(self, s: str) -> None:
        self.out.write(s)
        self.out.flush()
