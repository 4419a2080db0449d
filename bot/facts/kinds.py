"""Claim kinds, in one table: how each is stored, spelt in admin commands, labelled and used by answers.

Adding a kind of claim means adding a row here (and, if answers should word it specially, a line in
bot/answers.py); the YAML format, `/addfact` and the sources list read this table. Which intents draw on a
kind is said by each intent's file (`claims:` in intents/*.yaml).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClaimKind:
    name: str  # as stored: the `kind` of a claim
    admin: tuple[str, ...]  # how /addfact spells it; for casualties, one word per measure
    label: str  # in lists of sources: "Denial (the US-led coalition): ..."
    said: str | None  # one source's statement of a claim of this kind ({value}); None: worded in answers
    aliases: dict[str, str] = field(default_factory=dict)  # other exact spellings -> admin spelling


KINDS: tuple[ClaimKind, ...] = (
    ClaimKind("casualties", ("killed", "wounded"), "Casualties", None,
              {"dead": "killed", "deaths": "killed", "died": "killed", "kill": "killed", "injured": "wounded",
               "wound": "wounded"}),
    ClaimKind("blame", ("blamed",), "Blame", None,
              {"blame": "blamed", "accused": "blamed"}),
    ClaimKind("denial", ("denied",), "Denial", "{value} denied responsibility",
              {"denial": "denied", "deny": "denied"}),
    ClaimKind("perpetrator", ("perpetrator",), "Perpetrator", "{value} carried it out"),
    ClaimKind("claim_responsibility", ("claimed",), "Claim", "{value} claimed it",
              {"claim": "claimed", "claim_responsibility": "claimed"}),
    ClaimKind("victims", ("victims",), "Victims", "The victims were {value}", {"victim": "victims"}),
    ClaimKind("note", ("note",), "Note", "{value}", {"notes": "note"}),
)

BY_NAME: dict[str, ClaimKind] = {k.name: k for k in KINDS}
CLAIM_KINDS: tuple[str, ...] = tuple(BY_NAME)
# /addfact spelling -> (stored kind, casualty measure or None)
ADMIN_KINDS: dict[str, tuple[str, str | None]] = {
    word: (k.name, word if k.name == "casualties" else None) for k in KINDS for word in k.admin}
ADMIN_ALIASES: dict[str, str] = {alias: word for k in KINDS for alias, word in k.aliases.items()}

MEASURES = ("killed", "wounded", "killed_and_wounded")
QUALIFIERS = ("exact", "at_least", "about", "nearly", "more_than", "unspecified")


def admin_name(kind: str) -> str:
    """How /facts shows a stored kind: blame -> blamed; casualties are shown by their measure instead."""
    k = BY_NAME.get(kind)
    return k.admin[0] if k and k.name != "casualties" else kind

