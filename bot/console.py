"""The console transport: one line in, one reply out; a friendly REPL, or JSON lines with --json.

Plays any user in a private chat or a group, as Errbot's text backend does (/asuser, /asadmin, /ingroup,
/inprivate), so per-user /undo, per-chat context and the group addressing rules (bot/addressing.py, the same
rule Telegram uses) can be tried without a chat service. Buttons show as numbered options, as Rasa shows
them on channels without buttons: typing the number presses one. Input is read as bytes so a non-UTF-8
line gets an answer instead of a crash.
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from bot.addressing import addressed
from bot.answers import APOLOGY
from bot.commands import Caller, Commands, split_command
from bot.replies import Button, Reply
from bot.rich import Rich
from bot.text import clip, is_number

log = logging.getLogger(__name__)

BANNER = ("incident-bot console. Ask about the incidents I know, e.g. “How many died in the Al-Hari airstrike?”\n"
          "Type /help for commands, Ctrl-D to quit.")
CONSOLE_USER = "console"
BOT_NAME = "incident_bot"  # the console bot's @name, for mentions and /ask@incident_bot in a group
DEFAULT_ROOM = "room"
CONSOLE_COMMANDS: dict[str, str] = {
    "asuser": "play a user without admin rights: /asuser alice (no name: the console user)",
    "asadmin": "play an admin: /asadmin alice (no name: the console user)",
    "ingroup": f"talk in a group with the bot: /ingroup [name] (it answers only when addressed as @{BOT_NAME})",
    "inprivate": "talk to the bot in a private chat",
}
BECOME_ADMIN = "Type /asadmin (or start the console with --admin) to act as an admin."
SILENT = (f"(no reply: in a group I answer only when mentioned as @{BOT_NAME}, or addressed by one of my "
          "commands)")


@dataclass
class Seat:
    """Who the console is playing, and where: a user (maybe an admin) in a private chat or a group."""
    user: str = CONSOLE_USER
    admin: bool = False
    room: str | None = None  # a group's name; None is the private chat

    @property
    def chat(self) -> str:
        # A private chat is the user's own (as in Telegram, where its id is the user's id); a group is shared.
        return f"#{self.room}" if self.room else self.user

    def caller(self) -> Caller:
        return Caller(self.user, self.chat, self.admin, become_admin=BECOME_ADMIN)

    def describe(self) -> str:
        who = f"{self.user}, {'an admin' if self.admin else 'a user (no admin rights)'}"
        where = (f"in the group #{self.room} (I answer there only when mentioned as @{BOT_NAME} or addressed "
                 f"by command)" if self.room else "in a private chat with me")
        return f"You are now {who}, {where}."


@dataclass
class Console:
    commands: Commands
    admin: bool = False
    json_mode: bool = False
    out: TextIO = field(default=sys.stdout)
    seat: Seat = field(init=False)
    _buttons: dict[str, list[Button]] = field(default_factory=dict, init=False)  # chat -> its last buttons

    def __post_init__(self) -> None:
        self.seat = Seat(admin=self.admin)

    def handle(self, line: str) -> Reply | None:
        """The reply to one line, or None when the bot stays silent (a group message not meant for it)."""
        text = line.strip()
        if text.startswith("/"):
            command, _, args = split_command(text)
            if command in CONSOLE_COMMANDS:
                return self._play(command, args)
        pressed = self._button(text)
        if pressed is not None:
            reply = self.commands.act(pressed.action, self.seat.caller())
        else:
            question = addressed(text, BOT_NAME) if self.seat.room else text
            if question is None:
                return None
            if question.startswith("/"):
                reply = self.commands.handle(question, self.seat.caller(), transport=CONSOLE_COMMANDS)
            else:
                reply = self.commands.engine.answer(question, self.seat.chat)
        self._buttons[self.seat.chat] = reply.buttons
        return reply

    def _play(self, command: str, args: str) -> Reply:
        """/asuser, /asadmin, /ingroup, /inprivate: change who the console plays, or where."""
        name = clip(args.split()[0].lstrip("@#"), 40) if args.split() else ""
        if command in ("asuser", "asadmin"):
            self.seat.user, self.seat.admin = name or CONSOLE_USER, command == "asadmin"
        else:
            self.seat.room = (name or DEFAULT_ROOM) if command == "ingroup" else None
        return Reply(Rich().para(self.seat.describe()))

    def _button(self, text: str) -> Button | None:
        """The button a number presses: one of the last reply's in this chat (anyone in a group may press)."""
        number = text.rstrip(".)")
        buttons = self._buttons.get(self.seat.chat, [])
        if is_number(number) and 1 <= int(number) <= len(buttons):
            return buttons[int(number) - 1]
        return None

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
            try:
                reply = self.handle(raw.decode("utf-8", errors="replace"))
            except Exception:  # noqa: BLE001 - a bug answering one line must not end the session: logged, said
                log.exception("answering %r failed", clip(raw.decode("utf-8", errors="replace").strip()))
                reply = Reply(Rich().para(APOLOGY))
            self._print(reply)
        if interactive:
            self._write("\n")
        return 0

    def _print(self, reply: Reply | None) -> None:
        if reply is None:  # still one line per input line in --json: an empty text is the bot saying nothing
            self._write(json.dumps({**Reply(Rich()).to_json(), "buttons": []}) + "\n" if self.json_mode
                        else SILENT + "\n\n")
            return
        # A document (/export) goes to stdout itself: the console has nowhere else to put a file.
        text = reply.document[1].decode("utf-8") if reply.document else reply.text
        labels = [b.label for b in reply.buttons]
        if self.json_mode:
            self._write(json.dumps({**reply.to_json(), "text": text, "buttons": labels}, ensure_ascii=False) + "\n")
            return
        # A choice is numbered in its text already; other buttons are listed for their numbers.
        options = "" if reply.choices or not labels else (
            "\n" + "  ".join(f"[{n}] {label}" for n, label in enumerate(labels, 1)) + "  (type a number)")
        self._write(text.rstrip("\n") + options + "\n\n")

    def _write(self, s: str) -> None:
        self.out.write(s)
        self.out.flush()
