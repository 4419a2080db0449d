"""The package imports run one way: knowledge at the bottom, transports at the top.

    bot.text, bot.rich            nothing of ours
    bot.actions                   nothing of ours          (button actions in the size a transport allows)
    bot.facts                     text                     (records, kinds, dates, counts, the YAML format)
    bot.store                     facts, text              (the only code that opens the database)
    bot.understanding             facts, text, store.bulk  (reading questions; never the store itself)
    bot.ingest                    facts, text, rich        (articles -> proposed facts; never the store or telegram)
    bot.replies, bot.answers      facts, rich              (what the bot says)
    bot.parties                   all of the above         (questions about parties; never the engine)
    bot.party_links               all of the above         (claims linked to parties; never the engine)
    bot.engine                    all of the above         (never admin or a transport)
    bot.admin                     store, facts, replies    (the write side; never the answering engine)
    bot.commands                  engine, admin
    bot.addressing                commands                 (which group messages are for the bot)
    bot.console, bot.telegram     commands and below; only bot.telegram imports python-telegram-bot
    intents/                      data only: no code that imports bot
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package (module prefix) -> prefixes of ours it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "bot.text": ("bot.",),
    "bot.rich": ("bot.",),
    "bot.actions": ("bot.",),
    "bot.facts": ("bot.store", "bot.understanding", "bot.engine", "bot.answers", "bot.admin", "bot.commands",
                  "bot.console", "bot.telegram", "bot.cli", "bot.replies"),
    "bot.store": ("bot.understanding", "bot.engine", "bot.answers", "bot.admin", "bot.commands", "bot.console",
                  "bot.telegram", "bot.cli", "bot.replies"),
    "bot.understanding": ("bot.store.store", "bot.engine", "bot.answers", "bot.admin", "bot.commands",
                          "bot.console", "bot.telegram", "bot.cli"),
    "bot.ingest": ("bot.store", "bot.understanding", "bot.engine", "bot.answers", "bot.admin", "bot.commands",
                   "bot.console", "bot.telegram", "bot.cli"),
    "bot.replies": ("bot.engine", "bot.admin", "bot.store", "bot.telegram", "bot.console"),
    "bot.answers": ("bot.store", "bot.engine", "bot.admin", "bot.commands", "bot.telegram", "bot.console"),
    "bot.parties": ("bot.engine", "bot.admin", "bot.commands", "bot.telegram", "bot.console", "bot.cli"),
    "bot.party_links": ("bot.engine", "bot.admin", "bot.commands", "bot.telegram", "bot.console", "bot.cli"),
    "bot.engine": ("bot.admin", "bot.commands", "bot.telegram", "bot.console", "bot.cli"),
    "bot.admin": ("bot.engine", "bot.answers", "bot.understanding", "bot.commands", "bot.telegram",
                  "bot.console", "bot.cli"),
    "bot.commands": ("bot.telegram", "bot.console", "bot.cli", "bot.addressing"),
    "bot.addressing": ("bot.telegram", "bot.console", "bot.cli"),
    "bot.console": ("bot.telegram",),
    "bot.telegram": ("bot.console", "bot.cli"),
}
TELEGRAM_ALLOWED = ("bot.telegram",)  # the only package that may import python-telegram-bot


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (late imports inside functions count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def our_modules() -> list[Path]:
    return sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "intents").rglob("*.py"))


@pytest.mark.parametrize("path", our_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path: Path) -> None:
    name = module_name(path)
    found = imports(path)
    if name.startswith("intents"):
        assert not [m for m in found if m == "bot" or m.startswith("bot.")], f"{name} must hold data, not import bot"
        return
    if not name.startswith(TELEGRAM_ALLOWED):
        assert not [m for m in found if m == "telegram" or m.startswith("telegram.")], \
            f"{name} imports python-telegram-bot; only bot.telegram may"
    for package, banned in FORBIDDEN.items():
        if name == package or name.startswith(package + "."):
            wrong = sorted(m for m in found for b in banned if m == b.rstrip(".") or m.startswith(b.rstrip(".") + ".")
                           or (b.endswith(".") and m.startswith(b)))
            assert not wrong, f"{name} imports {wrong}, against the layout (see this test's docstring)"


def test_the_rules_catch_a_wrong_import(tmp_path: Path) -> None:
    """The check itself works: an engine that imports telegram is caught."""
    fake = tmp_path / "engine.py"
    fake.write_text("from telegram import Bot\nfrom bot.admin import Admin\n")
    assert "telegram" in imports(fake) and "bot.admin" in imports(fake)


def test_every_package_is_packaged() -> None:
    """pyproject lists every package, so a non-editable install has them all."""
    text = (ROOT / "pyproject.toml").read_text()
    for init in (ROOT / "bot").rglob("__init__.py"):
        assert f'"{module_name(init)}"' in text, f"{module_name(init)} is missing from pyproject's packages"
