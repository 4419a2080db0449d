"""Splitting an article into sentences, keeping a quotation that runs over several sentences in one piece.

A quote such as “Eighteen of the 31 trucks were destroyed. The warehouse was also badly damaged.” belongs
to the speaker named after or before it, so it stays inside the sentence that attributes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations whose full stop does not end a sentence.
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "gen", "col", "lt", "maj", "capt", "sgt", "st", "no", "vs", "u.s",
                 "u.n", "jan", "feb", "aug", "sept", "oct", "nov", "dec", "prof", "rev", "sen", "rep", "gov"}
OPENING = "“‘«"
CLOSING = "”’»"


@dataclass(frozen=True)
class Sentence:
    text: str
    paragraph: int  # 0 is the lede
    index: int  # position in the article


def split_sentences(text: str) -> list[Sentence]:
    out: list[Sentence] = []
    for p, paragraph in enumerate(x for x in re.split(r"\n\s*\n|\n", text) if x.strip()):
        for s in _split_paragraph(" ".join(paragraph.split())):
            out.append(Sentence(s, p, len(out)))
    return out


def _split_paragraph(par: str) -> list[str]:
    parts: list[str] = []
    start = 0
    depth = 0
    straight_open = False
    i = 0
    while i < len(par):
        ch = par[i]
        if ch == "“":
            depth += 1
        elif ch == "”":
            depth = max(0, depth - 1)
        elif ch == '"':
            straight_open = not straight_open
        elif ch in ".!?" and depth == 0 and not straight_open:
            end = i + 1
            while end < len(par) and par[end] in CLOSING + '"':
                end += 1
            word = re.search(r"([\w.]+)$", par[start:i])
            if end < len(par) and par[end] == " " and re.match(r" +[“\"‘A-Z0-9]", par[end:]) and not (
                    word and ch == "." and word.group(1).lower() in ABBREVIATIONS):
                parts.append(par[start:end].strip())
                start = end
                i = end
                continue
        i += 1
    if par[start:].strip():
        parts.append(par[start:].strip())
    return parts
