"""Per-chat memory: the incident and question last discussed, and a pending "which incident?" choice."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

MAX_RECENT = 3


@dataclass(frozen=True)
class Pending:
    """A question waiting for the user to pick one of `options` (incident ids)."""
    intent: str
    options: tuple[str, ...]
    wounded: bool = False  # the question asked about the wounded


@dataclass
class ChatContext:
    incident: str | None = None
    intent: str | None = None
    wounded: bool = False  # the last casualties question asked about the wounded
    pending: Pending | None = None
    party: str | None = None  # the person last asked about, for "what did he say?"
    listed: tuple[str, ...] = ()  # the incidents of the last list, for "and who denied them?"
    recent: tuple[str, ...] = ()  # the last incidents answered about, for "which was worse?"

    def answered(self, incident: str) -> None:
        self.incident = incident
        self.recent = (*[i for i in self.recent if i != incident][-(MAX_RECENT - 1):], incident)


@dataclass
class Contexts:
    """Contexts by chat id, forgetting the least recently active chats beyond `limit`."""
    limit: int = 10_000
    _chats: OrderedDict[str, ChatContext] = field(default_factory=OrderedDict)

    def get(self, chat: str) -> ChatContext:
        ctx = self._chats.pop(chat, None) or ChatContext()
        self._chats[chat] = ctx
        while len(self._chats) > self.limit:
            self._chats.popitem(last=False)
        return ctx

    def forget(self, chat: str) -> None:
        self._chats.pop(chat, None)
