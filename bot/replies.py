"""What every part of the bot hands a transport: a Reply with its text, buttons and choices.

Both sides produce them (the answering engine, the admin commands), and every transport renders them,
so they live apart from both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.rich import Rich


@dataclass(frozen=True)
class Choice:
    id: str
    title: str


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # opaque to transports; handed back to Engine.act


@dataclass
class Reply:
    body: Rich
    intent: str | None = None
    incident: str | None = None
    confidence: float = 0.0
    choices: list[Choice] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    location: tuple[float, float] | None = None
    document: tuple[str, bytes] | None = None  # (file name, content), e.g. /export

    @property
    def text(self) -> str:
        return self.body.plain()

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "intent": self.intent, "incident": self.incident,
                "confidence": round(self.confidence, 3),
                "choices": [{"id": c.id, "title": c.title} for c in self.choices]}
