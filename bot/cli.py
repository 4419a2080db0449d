"""Command line: console, ask, run (Telegram), eval, export, import, ingest."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.settings import ConfigError, Settings
from bot.store import Store, StoreError, open_store


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="incident-bot", description="Answers questions about conflict incidents "
                                "reported in the news, saying who claims what.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db_help = "database file (default: $INCIDENT_BOT_DB or data/facts.json; created and seeded if missing)"

    c = sub.add_parser("console", help="chat with the bot in this terminal (reads stdin until EOF)")
    c.add_argument("--db", help=db_help)
    c.add_argument("--admin", action="store_true", help="start with admin rights")
    c.add_argument("--json", action="store_true", help="one JSON object per input line")

    a = sub.add_parser("ask", help="answer one question and exit")
    a.add_argument("question", nargs="+")
    a.add_argument("--db", help=db_help)
    a.add_argument("--json", action="store_true", help="print the answer as JSON")

    r = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    r.add_argument("--db", help=db_help)
    r.add_argument("--config", help="YAML settings file (the environment wins)")
    r.add_argument("--webhook-url", help="serve a webhook at this public URL instead of polling")
    r.add_argument("--listen", default="127.0.0.1", help="webhook listen address (default 127.0.0.1)")
    r.add_argument("--port", type=int, default=8443, help="webhook listen port (default 8443)")
    r.add_argument("--secret-token", help="webhook secret token Telegram must send back")

    e = sub.add_parser("eval", help="score intent matching on a question file (dev-questions format)")
    e.add_argument("file", help="YAML question file, e.g. tests/questions.yaml; each case runs on fresh seed data")

    x = sub.add_parser("export", help="write the whole database as YAML (stdout if no FILE)")
    x.add_argument("file", nargs="?")
    x.add_argument("--db", help=db_help)

    i = sub.add_parser("import", help="load a YAML file (validated whole before anything is written)")
    i.add_argument("file")
    i.add_argument("--db", help=db_help)
    i.add_argument("--replace", action="store_true", help="replace the database instead of adding to it")

    g = sub.add_parser("ingest", help="propose facts from an article (text or HTML file, or URL) as a review "
                       "file for `import`; writes nothing to the database")
    g.add_argument("source", help="a .txt or .html file, or an http(s) URL")
    g.add_argument("--db", help="database whose known incidents, facts and parties are not proposed again "
                   "(default as for the other commands; read only)")
    g.add_argument("--out", help="write the review file here instead of stdout")
    g.add_argument("--date", help="the report's date, YYYY-MM-DD, when the article does not give it")
    g.add_argument("--dateline", help='outlet and place when the article does not give them: "AFP, BEIRUT" '
                   'or "BEIRUT (AFP)"')
    g.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a URL (default 10)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load(getattr(args, "db", None), getattr(args, "config", None))
        return COMMANDS[args.command](args, settings)
    except (StoreError, ConfigError) as e:
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _store(settings: Settings) -> Store:
    return open_store(settings.db, settings.seed)


def _commands(store: Store):  # -> Commands; imported late so `ask` stays quick to start
    from bot.commands import Commands
    return Commands.for_store(store)


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import Console
    store = _store(settings)
    if args.admin:
        store.acquire_write_lock()  # fail now, not at the first edit, if a bot already holds the database
    try:
        return Console(_commands(store), admin=args.admin, json_mode=args.json).run(sys.stdin.buffer)
    finally:
        store.close()


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    reply = _commands(_store(settings)).engine.answer(" ".join(args.question))
    print(json.dumps(reply.to_json(), ensure_ascii=False) if args.json else reply.text)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.telegram.app import run
    return run(settings, args)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluate import evaluate
    return evaluate(Path(args.file), settings)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    text = _store(settings).dataset().to_yaml()
    if args.file:
        Path(args.file).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.facts.dataset import DatasetError, load_dataset
    try:
        data = load_dataset(args.file)
    except DatasetError as e:
        raise StoreError(f"{e}; nothing was imported") from None
    store = _store(settings)
    try:
        incidents, claims = store.import_dataset(data, actor="import", replace=args.replace)
    finally:
        store.close()
    print(f"imported {incidents} incidents and {claims} facts into {settings.db}")
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.facts.dataset import DatasetError, load_dataset
    from bot.ingest.review import IngestError, ingest, options, read, review_yaml, summary
    try:
        article = read(args.source, options(args.date, args.dateline), timeout=args.timeout)
        if Path(settings.db).exists():
            known = open_store(settings.db, None).dataset()  # read only: ingest writes nothing
        else:
            try:
                known = load_dataset(settings.seed)  # what a new database would hold, without creating it
            except DatasetError as e:
                raise StoreError(str(e)) from None
        proposal = ingest(article, known)
    except IngestError as e:
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2
    text = review_yaml(proposal, known, args.source)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(summary(proposal), file=sys.stderr)
    return 0


COMMANDS = {"console": cmd_console, "ask": cmd_ask, "run": cmd_run, "eval": cmd_eval,
            "export": cmd_export, "import": cmd_import, "ingest": cmd_ingest}
