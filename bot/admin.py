"""Admin commands (placeholder until the admin issue lands)."""
from __future__ import annotations

from bot.engine import Reply
from bot.rich import Rich
from bot.store import Store

ADMIN_COMMANDS: dict[str, str] = {
    "newincident": "add an incident",
    "addfact": "add a fact to an incident",
    "setincident": "edit an incident's fields",
    "facts": "list an incident's facts with their ids",
    "delfact": "delete a fact",
    "undo": "undo your last change",
    "export": "the whole database as YAML",
}


class Admin:
    def __init__(self, store: Store) -> None:
        self.store = store

    def run(self, command: str, args: str, actor: str) -> Reply:
        return Reply(Rich().para(f"/{command} is not available yet."))
