"""Slash commands, shared by every transport: who may run what, and where each one goes."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot import answers
from bot.admin import ADMIN_COMMANDS, Admin
from bot.admin.ingest import PREFIX as INGEST_ACTION
from bot.admin.ingest import Ingest
from bot.engine import Engine
from bot.replies import Reply
from bot.rich import Rich
from bot.store import Store
from bot.text import clip

USER_COMMANDS: dict[str, str] = {
    "start": "what I know, with example questions",
    "help": "what you can ask",
    "incidents": "the incidents I know",
    "ask": "ask a question, e.g. /ask how many died in Al-Hari",
    "whoami": "your user id and role",
}
COMMAND_TYPO_RATIO = 70  # "/fact" -> /facts, "/halp" -> /help; "/nonsense" suggests nothing


@dataclass(frozen=True)
class Caller:
    user: str  # Telegram user id, or "console"
    chat: str
    is_admin: bool
    name: str | None = None
    become_admin: str = "Ask an operator to add your user id (see /whoami) to BOT_ADMINS."


def split_command(text: str) -> tuple[str, str, str]:
    """'/addfact@my_bot x y' -> ('addfact', 'my_bot', 'x y'): the command, the bot it names, its arguments."""
    head, *rest = text.strip().split(maxsplit=1)  # any white space, also a newline after the command
    name, _, target = head[1:].partition("@")
    return name.lower(), target, rest[0].strip() if rest else ""


class Commands:
    def __init__(self, engine: Engine, admin: Admin) -> None:
        self.engine = engine
        self.admin = admin
        self.ingest = Ingest(admin.store)

    @classmethod
    def for_store(cls, store: Store) -> Commands:
        """The engine and admin commands over one store, as every transport uses them."""
        return cls(Engine(store), Admin(store))

    def handle(self, text: str, caller: Caller, transport: Mapping[str, str] | None = None) -> Reply:
        """Run a slash command. `transport` names the transport's own commands (the console's /asuser, ...):
        /help lists them and an unknown command may be a misspelling of one."""
        name, _, args = split_command(text)
        extra = [(f"/{c}", d) for c, d in (transport or {}).items()]
        if name in ("start", "help"):
            return Reply(answers.help_text(self.menu(caller.is_admin) + extra), "help", confidence=1.0)
        if name == "incidents":
            return self.engine.list_incidents()
        if name == "ask":
            return self.engine.answer(args, caller.chat) if args else Reply(
                Rich().para("Usage: /ask <question>, e.g. /ask how many died in Al-Hari?"))
        if name == "whoami":
            role = "an admin" if caller.is_admin else "a user (no admin rights)"
            who = f" ({caller.name})" if caller.name else ""
            return Reply(Rich().para(f"Your user id is {caller.user}{who}; you are {role}."))
        if name in ADMIN_COMMANDS:
            if not caller.is_admin:
                return Reply(Rich().para(f"/{name} needs admin rights; nothing was changed. {caller.become_admin}"))
            with self.engine.changing():
                if name == "ingest":
                    return self.ingest.start(args, caller.user, caller.chat)
                return self.admin.run(name, args, actor=caller.user)
        # The closest command this caller can use, as Errbot's unknown_command does.
        known = [c.lstrip("/") for c, _ in self.menu(caller.is_admin) + extra]
        hit = process.extractOne(name, known, scorer=fuzz.ratio, score_cutoff=COMMAND_TYPO_RATIO) if name else None
        hint = f" Did you mean /{hit[0]}?" if hit else ""
        return Reply(Rich().para(f"Unknown command /{clip(name, 40)}.{hint} Type /help to see what you can do."))

    def act(self, action: str, caller: Caller) -> Reply:
        """A button press: an article review's buttons are admin actions, every other one the engine's."""
        if action.startswith(INGEST_ACTION):
            if not caller.is_admin:
                return Reply(Rich().para(f"Reviewing articles needs admin rights; nothing was changed. "
                                         f"{caller.become_admin}"))
            with self.engine.changing():
                return self.ingest.act(action, caller.user, caller.chat)
        return self.engine.act(action, caller.chat)

    def document(self, data: bytes, name: str, caller: Caller, caption: str = "") -> Reply:
        """A file sent to the bot: an article for an admin to review."""
        if not caller.is_admin:
            return Reply(Rich().para(f"Sending articles to ingest needs admin rights; nothing was changed. "
                                     f"{caller.become_admin}"))
        return self.ingest.start_file(data, name, caller.user, caller.chat, caption)

    @staticmethod
    def slow(text: str) -> bool:
        """Whether a command may take long: admin commands write the database and rebuild what is derived
        from it (seconds on a big database), /export serialises all of it. Transports run these off the
        thread that answers questions."""
        return split_command(text)[0] in ADMIN_COMMANDS if text.startswith("/") else False

    @staticmethod
    def menu(is_admin: bool) -> list[tuple[str, str]]:
        items = [(f"/{c}", d) for c, d in USER_COMMANDS.items()]
        return items + ([(f"/{c}", d) for c, d in ADMIN_COMMANDS.items()] if is_admin else [])
