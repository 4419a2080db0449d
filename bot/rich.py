"""Reply text as paragraphs of plain and bold parts, so one wording renders as plain text or Telegram HTML.

Keeping emphasis out of the strings means stored or user-supplied text can never inject markup: HTML
rendering escapes every part.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bold:
    text: str


Part = str | Bold


@dataclass
class Rich:
    paragraphs: list[list[Part]] = field(default_factory=list)

    def para(self, *parts: Part | None) -> Rich:
        kept = [p for p in parts if p]
        if kept:
            self.paragraphs.append(kept)
        return self

    def extend(self, other: Rich) -> Rich:
        self.paragraphs.extend(other.paragraphs)
        return self

    def plain(self) -> str:
        return "\n\n".join("".join(p.text if isinstance(p, Bold) else p for p in para) for para in self.paragraphs)

    def html_paragraphs(self) -> list[str]:
        return ["".join(f"<b>{html.escape(p.text, quote=False)}</b>" if isinstance(p, Bold)
                        else html.escape(p, quote=False) for p in para) for para in self.paragraphs]

    def html(self) -> str:
        return "\n\n".join(self.html_paragraphs())
