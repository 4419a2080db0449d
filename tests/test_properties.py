"""Hostile input, property-based (hypothesis): the engine and the admin command path never raise, answer
every message exactly once, and no input changes the database unless it is a valid admin command from an
admin. (The Telegram side has its own properties in test_telegram_properties.py.)

Inputs: any unicode (astral planes, control characters, NUL, right-to-left marks), markup (<b>, &amp;),
quotes left open, straight and typographic, and strings of up to 100,000 characters.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.admin import ADMIN_COMMANDS
from bot.commands import USER_COMMANDS, Caller, Commands
from bot.settings import SEED_FILE
from bot.replies import Reply
from bot.store import Store

CANONICAL = {"casualties", "blame", "denial", "perpetrator", "location", "date", "victims", "sources", "summary",
             "list_incidents", "help", "greeting", "thanks", "out_of_scope"}
READ_ONLY_ADMIN = {"facts", "export"}
ADMIN = Caller("4242", "4242", True, "prop admin")
USER = Caller("5151", "5151", False, "prop user")

any_char = st.characters(blacklist_categories=("Cs",))  # every code point but lone surrogates
fragments = st.sampled_from([
    "<b>", "</b>", "<i>", "<a href='javascript:alert(1)'>", "&amp;", "&", "&#0;", "<", ">", '"', "'", "“", "”",
    "‘", "’", "„", "«", "»", "=", "\\", "\x00", "\x07", "\x1b[31m", "\x7f", "\u202e", "\u200f", "\u200b", "\ufeff",
    "\r\n", "\n", "\t", "  ", "/", "@bot", "#", "al-hari", "Al-Hari", "al-hari-2018-06", "Deir ez-Zor", "syria",
    "how many died", "who denied it", "killed", "wounded", "blamed", "38", "at least 100", "nearly", "several",
    "title=", 'title="', "by=", "by=“", "source=", "quote=\"", "date=2018-13-45", "aliases=\"a; b", "key=value",
    "1", "0", "-1", "99999999999999999999", "9\u0669", "١٢", "🙂", "💣", "👨‍👩‍👧", "𝔄𝔩", "\U0010ffff", "ﷺ", "İ", "ß",
    "مقتل", "دير الزور", "Дейр", "漢字",
])
pieces = st.lists(st.one_of(fragments, st.text(any_char, max_size=12)), max_size=30).map("".join)
huge = st.builds(lambda s, n: (s * (n // len(s) + 1))[:n], st.text(any_char, min_size=1, max_size=8),
                 st.integers(10_000, 100_000))
hostile = st.one_of(st.text(any_char, max_size=300), pieces, huge)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("props") / "facts.json"
    Store(path, SEED_FILE).close()
    yield path


@pytest.fixture(scope="module")
def commands(db: Path) -> Iterator[Commands]:
    store = Store(db)
    yield Commands.for_store(store)
    store.close()


def check_reply(reply: object) -> None:
    assert isinstance(reply, Reply)  # exactly one reply, never a list or None
    assert reply.text.strip() or reply.document
    assert reply.intent is None or reply.intent in CANONICAL, reply.intent
    assert 0.0 <= reply.confidence <= 1.0, reply.confidence
    assert "Traceback" not in reply.text


common = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(text=hostile, chat=st.sampled_from(["a", "b", "c"]))
@example(text="\x00" * 100_000, chat="a")
@example(text="\u202e" + "how many died in al-hari" * 4000, chat="a")
@example(text='who denied "the al-hari strike', chat="b")
@example(text="<b>38</b> &amp; <script>", chat="c")
def test_engine_answers_anything_once_and_writes_nothing(commands: Commands, db: Path, text: str, chat: str) -> None:
    before = db.read_bytes()
    check_reply(commands.engine.answer(text, chat))
    check_reply(commands.engine.act(text[:64], chat))  # forged button data
    assert db.read_bytes() == before


@common
@given(name=st.sampled_from(sorted(ADMIN_COMMANDS) + sorted(USER_COMMANDS)), args=hostile,
       bot=st.sampled_from(["", "@incident_bot"]))
@example(name="addfact", args='al-hari-2018-06 killed "at least', bot="")
@example(name="newincident", args="x title=“unclosed", bot="")
@example(name="setincident", args="al-hari-2018-06 title=" + "A" * 100_000, bot="")
def test_non_admin_never_changes_the_database(commands: Commands, db: Path, name: str, args: str, bot: str) -> None:
    before = db.read_bytes()
    check_reply(commands.handle(f"/{name}{bot} {args}", USER))
    check_reply(commands.handle("/" + args, USER))  # any command name at all
    assert db.read_bytes() == before


@common
@given(name=st.sampled_from(sorted(ADMIN_COMMANDS)), args=hostile)
@example(name="addfact", args='al-hari-2018-06 killed "at least')
@example(name="addfact", args="al-hari-2018-06 note \x00")
@example(name="newincident", args='prop-x title="<b>unclosed')
@example(name="delfact", args="99999999999999999999")
@example(name="setincident", args="al-hari-2018-06 date=2018-02-30")
@example(name="undo", args="\u202e")
@example(name="addfact", args='al-hari-2018-06 note "a valid fact, so a change happens"')
@example(name="undo", args="")
def test_admin_commands_survive_anything_and_change_at_most_one_thing(commands: Commands, db: Path, name: str,
                                                                     args: str) -> None:
    store = commands.admin.store
    before, audit_before = db.read_bytes(), len(store.audit())
    check_reply(commands.handle(f"/{name} {args}", ADMIN))
    if name in READ_ONLY_ADMIN:
        assert db.read_bytes() == before
    elif db.read_bytes() != before:
        # A change is one valid command's one write, with its audit entry by this admin.
        entries = store.audit()
        assert len(entries) == audit_before + 1
        assert entries[-1]["actor"] == ADMIN.user
        assert Store(db).version >= 1  # and the file still opens


@common
@given(text=hostile)
@example(text="=" * 100_000)  # once quadratic in the argument parser: 20 s, blocking the bot
@example(text="x=" * 50_000)
@example(text='"x" x ' * 20_000)  # once cubic in finding where quotes close: minutes, blocking the bot
def test_malformed_admin_input_changes_nothing(commands: Commands, db: Path, text: str) -> None:
    """Arguments that cannot be a valid command (no incident id first, or an unknown one) are refused whole."""
    before = db.read_bytes()
    for name in ("addfact", "setincident"):
        check_reply(commands.handle(f"/{name} no-such-incident-{len(text)} {text}", ADMIN))
    check_reply(commands.handle(f"/delfact no-such-fact {text}", ADMIN))
    assert db.read_bytes() == before
