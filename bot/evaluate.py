"""`main.py eval FILE`: per-intent precision and recall, a confusion table and the misses, like `rasa test nlu`.

Reads the question format of tests/questions.yaml: each case is a fresh chat on a fresh copy of the seed
data; `intent` is the expected intent, `any`/`none` what the answer text must (not) contain.
"""
from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from bot.settings import Settings
from bot.engine import Engine
from bot.replies import Reply
from bot.store import open_store
from bot.understanding.matcher import IntentMatcher
from bot.yamldata import safe_load

NONE = "(none)"


@dataclass
class Outcome:
    say: str
    expected: str | None
    got: str | None
    text_ok: bool
    why: str


def load_cases(path: Path) -> list[list[dict[str, Any]]]:
    doc = safe_load(path.read_text(encoding="utf-8")) or {}
    return [c["turns"] if "turns" in c else [c] for c in doc.get("cases") or []]


def check_text(turn: dict[str, Any], text: str) -> tuple[bool, str]:
    low = text.lower()
    missing = [g for g in turn.get("any", []) if not any(alt.lower() in low for alt in g)]
    present = [b for b in turn.get("none", []) if b.lower() in low]
    why = "; ".join([f"missing one of {g}" for g in missing] + [f"has {b!r}" for b in present])
    return not why, why


def run_cases(cases: list[list[dict[str, Any]]], seed: Path) -> list[Outcome]:
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "facts.json", seed)
        matcher = IntentMatcher.from_dir()
        for n, turns in enumerate(cases):
            engine = Engine(store, matcher)  # a fresh engine is a fresh chat
            for turn in turns:
                reply: Reply = engine.answer(str(turn["say"]), chat=f"eval-{n}")
                ok, why = check_text(turn, reply.text)
                outcomes.append(Outcome(turn["say"], turn.get("intent"), reply.intent, ok, why))
        store.close()
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    labelled = [o for o in outcomes if o.expected]
    labels = sorted({o.expected for o in labelled} | {o.got or NONE for o in labelled})
    lines = [f"{'intent':16s} {'precision':>9s} {'recall':>7s} {'f1':>6s} {'support':>7s}"]
    for label in labels:
        tp = sum(1 for o in labelled if o.expected == label and (o.got or NONE) == label)
        predicted = sum(1 for o in labelled if (o.got or NONE) == label)
        support = sum(1 for o in labelled if o.expected == label)
        p = tp / predicted if predicted else 0.0
        r = tp / support if support else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        lines.append(f"{label:16s} {p:9.2f} {r:7.2f} {f1:6.2f} {support:7d}")
    confusion = Counter((o.expected, o.got or NONE) for o in labelled if o.expected != (o.got or NONE))
    lines.append("\nconfusion (expected -> got: count)")
    lines += [f"  {e} -> {g}: {c}" for (e, g), c in confusion.most_common()] or ["  none"]
    misses = [o for o in outcomes if not o.text_ok or (o.expected and o.expected != o.got)]
    lines.append(f"\nmisses ({len(misses)})")
    for o in misses:
        reason = o.why if not o.text_ok else ""
        if o.expected and o.expected != o.got:
            reason = "; ".join(x for x in (f"intent {o.got} != {o.expected}", reason) if x)
        lines.append(f"  {o.say!r}: {reason}")
    intent_ok = sum(1 for o in labelled if o.expected == o.got)
    answers_ok = sum(1 for o in outcomes if o.text_ok and (not o.expected or o.expected == o.got))
    lines.append(f"\nintents OK: {intent_ok}/{len(labelled)}  answers OK: {answers_ok}/{len(outcomes)}")
    return "\n".join(lines)


def evaluate(path: Path, settings: Settings) -> int:
    print(report(run_cases(load_cases(path), settings.seed)))
    return 0
