"""Property-based tests (hypothesis) of the Telegram side: hostile text through the real update handling,
the HTML splitter, the flood gate and the admins' pacer.

Through Telegram: arbitrary text (unicode, control characters, markup, quotes left open, up to 100,000
characters) from users and admins, in private chats and groups, and forged button data, go through the
real Application polling the fake Bot API server. For every message: no exception reaches the error
handler, at most one reply goes out, and the database file changes only for an admin's write command.
"""
from __future__ import annotations

import re
from pathlib import Path

from fake_bot_api import DEFAULT_GROUP_CHAT_ID, FakeBotApi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram_harness import check_telegram_html, live_bot

from bot.settings import SEED_FILE
from bot.telegram.flood import FloodGate, Pacer, Verdict
from bot.rich import Bold, Rich
from bot.store import Store
from bot.addressing import KNOWN_COMMANDS
from bot.telegram.handlers import APOLOGY, bot_of
from bot.telegram.render import html_chunks, units

USER, ADMIN = 6001, 6002
GROUP = DEFAULT_GROUP_CHAT_ID
WRITE_COMMANDS = ("/newincident", "/addfact", "/setincident", "/delfact", "/undo")

any_char = st.characters(blacklist_categories=("Cs",))  # every code point JSON can carry
markup = st.sampled_from(["<b>", "</b>", "<i>x</i>", "<a href='javascript:x'>", "&", "&amp;", "&#0;", "<", ">",
                          '"', "“", "”", "‘", "’", "„", "'", "=", "\\", "\x00", "\x1b[31m", "\u202e", "\u200b",
                          "\r\n", "\n", "\t", " ", "/", "@", "@incident_test_bot", "#", "al-hari", "Al-Hari",
                          "how many died", "killed", "by=", 'title="', "38", "９", "🙂", "👨‍👩‍👧", "ﷺ", "İ"])
pieces = st.lists(st.one_of(markup, st.text(any_char, max_size=12)), max_size=25).map("".join)
huge = st.builds(lambda s, n: (s * (100_000 // max(len(s), 1) + 1))[:n],
                 st.text(any_char, min_size=1, max_size=8), st.integers(20_000, 100_000))
hostile_text = st.one_of(st.text(any_char, max_size=200), pieces, huge)
admin_prefix = st.sampled_from(["", "/", "/addfact ", "/addfact al-hari-2018-06 ", "/addfact al-hari-2018-06 note ",
                                "/newincident ", "/setincident al-hari-2018-06 ", "/delfact ", "/facts ", "/undo",
                                "/export ", "/whoami ", "/ask ", "/start "])


def _wire(api: FakeBotApi, chat_id: int) -> list[str]:
    """What the bot has put in a chat so far: texts and captions, and '#doc' for files."""
    out = []
    for call in api.calls:
        if call.failed or call.params.get("chat_id") != chat_id:
            continue
        if call.method in ("sendMessage", "editMessageText"):
            out.append(call.params["text"])
        elif call.method == "sendDocument":
            out.append("#doc")
    return out


_sentinels = iter(range(1, 10**9))
_MENTION = re.compile(r"(?<!\w)@incident_test_bot(?!\w)", re.IGNORECASE)


def addressed_in_group(text: str) -> bool:
    """A mention of the bot, or a command that is ours (/known, /anything@incident_test_bot)."""
    if text.startswith("/"):
        name, _, target = text.split(maxsplit=1)[0][1:].partition("@")
        return target.lower() == "incident_test_bot" if target else name.lower() in KNOWN_COMMANDS
    return bool(_MENTION.search(text))


def exchange(api: FakeBotApi, bot, db: Path, chat_id: int, send, sentinel) -> tuple[list[str], int, bool]:
    """Run `send()`, then `sentinel(token)` sending a unique unknown command to the same chat. The chat's
    updates are handled in order, so everything the bot put in the chat between the two belongs to the
    first. Returns (those messages, the replies the bot counted for it, whether the database file changed)."""
    before_wire, before_replies, before_bytes = len(_wire(api, chat_id)), bot.replies, db.read_bytes()
    token = f"zzsentinel{next(_sentinels)}"
    send()
    sentinel(token)
    api.wait_for("sendMessage", chat_id=chat_id, timeout=30, predicate=lambda m: f"/{token}." in m["text"])
    own = _wire(api, chat_id)[before_wire:]
    assert f"/{token}." in own[-1], own
    return own[:-1], bot.replies - before_replies - 1, db.read_bytes() != before_bytes


def test_hostile_messages_through_the_real_update_handling(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    Store(db, SEED_FILE).close()
    with live_bot(api, db, admins=frozenset({str(ADMIN)}), flood_limit=0, rate_limiter=False) as live:
        bot = bot_of(live.app)

        @settings(max_examples=200, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
        @given(who=st.sampled_from(["user", "admin", "group-mention", "group-plain", "group-reply"]),
               prefix=admin_prefix, text=hostile_text)
        def check(who: str, prefix: str, text: str) -> None:
            if who == "admin":
                text = (prefix + text)[:4096]  # Telegram delivers at most 4,096 characters to a bot
            user = ADMIN if who == "admin" else USER
            chat_id = GROUP if who.startswith("group") else user
            chat_type = "supergroup" if chat_id == GROUP else "private"
            body = {"group-mention": f"@incident_test_bot {text}"}.get(who, text)

            own, replies, changed = exchange(
                api, bot, db, chat_id,
                lambda: api.send_text(body, user_id=user, chat_type=chat_type, chat_id=chat_id,
                                      reply_to_bot=who == "group-reply"),
                lambda token: api.send_text(f"/{token}@incident_test_bot", user_id=user, chat_type=chat_type,
                                            chat_id=chat_id))
            assert not live.errors.records, live.errors.records[0].getMessage()
            assert APOLOGY not in own
            assert replies <= 1, own
            assert (replies == 0) == (not own), (replies, own)
            for text_sent in own:
                if text_sent != "#doc":
                    check_telegram_html(text_sent)
            if who == "group-plain" and not addressed_in_group(text):
                assert not own
            if changed:
                assert who == "admin" and text.lstrip().startswith(WRITE_COMMANDS), text[:200]

        api.send_text("/whoami", user_id=USER)  # something in the private chat for group-reply's sake
        api.send_text("/whoami@incident_test_bot", user_id=USER, chat_type="supergroup", chat_id=GROUP)
        api.wait_for("sendMessage", 2)
        check()


def test_forged_button_data_is_answered_politely(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "facts.json"
    Store(db, SEED_FILE).close()
    before = db.read_bytes()
    with live_bot(api, db, flood_limit=0, rate_limiter=False) as live:
        bot = bot_of(live.app)
        api.send_text("how many died?", user_id=USER)
        [question] = api.wait_for("sendMessage", chat_id=USER)

        @settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
        @given(data=st.one_of(st.text(any_char, max_size=64), pieces,
                              st.sampled_from(["pick:", "ask:", "ask:casualties:", "ask::", "pick:al-hari-2018-06",
                                               "ask:nonsense:al-hari-2018-06", "ask:casualties:nowhere"])))
        def check(data: str) -> None:
            answered = len(api.sent("answerCallbackQuery"))
            own, replies, changed = exchange(api, bot, db, USER, lambda: api.press_button(question, data, user_id=USER),
                                             lambda token: api.send_text(f"/{token}", user_id=USER))
            assert len(api.sent("answerCallbackQuery")) == answered + 1  # the spinner always stops
            assert len(own) == 1 and replies == 1, own  # an answer (edit or message), or "out of date"
            check_telegram_html(own[0])
            assert not changed and not live.errors.records

        check()
    assert db.read_bytes() == before


# -- pure pieces -----------------------------------------------------------------------------------------
rich_parts = st.lists(st.one_of(st.text(any_char, max_size=300), markup,
                                st.builds(Bold, st.one_of(st.text(any_char, min_size=1, max_size=300), markup))),
                      min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(paragraphs=st.lists(rich_parts, max_size=6), limit=st.integers(16, 600))
def test_html_chunks_fit_parse_and_lose_nothing(paragraphs: list, limit: int) -> None:
    body = Rich()
    for parts in paragraphs:
        body.para(*parts)
    chunks = html_chunks(body, limit)
    visible = "".join(check_telegram_html(c, limit) for c in chunks)
    assert all(units(c) <= limit for c in chunks)
    assert "".join(visible.split()) == "".join(body.plain().split())  # every non-space character, in order


def test_html_chunks_split_a_huge_paragraph_safely() -> None:
    body = Rich().para("&<>" * 3000, Bold("x" * 5000), " & ".join(["word"] * 2000))
    chunks = html_chunks(body)
    visible = [check_telegram_html(c) for c in chunks]
    assert len(chunks) >= 5
    assert "".join("".join(visible).split()) == "".join(body.plain().split())


@settings(max_examples=300, deadline=None)
@given(events=st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 3)), max_size=120),
       limit=st.integers(1, 6), window=st.floats(0.5, 5))
def test_flood_gate(events: list[tuple[str, float]], limit: int, window: float) -> None:
    now = [0.0]
    gate = FloodGate(limit, window, clock=lambda: now[0])
    allowed: dict[str, list[float]] = {}
    warned_since_allow: dict[str, int] = {}
    for user, gap in events:
        now[0] += gap
        verdict = gate.check(user)
        recent = [t for t in allowed.get(user, []) if t > now[0] - window]
        # Allowed exactly when fewer than `limit` accepted messages are in the window (per user only).
        assert (verdict is Verdict.ALLOW) == (len(recent) < limit)
        if verdict is Verdict.ALLOW:
            allowed.setdefault(user, []).append(now[0])
            warned_since_allow[user] = 0
        else:
            warned_since_allow[user] = warned_since_allow.get(user, 0) + 1
            # One warning, then silence, until the window lets the user in again.
            assert (verdict is Verdict.WARN) == (warned_since_allow[user] == 1)


@settings(max_examples=300, deadline=None)
@given(gaps=st.lists(st.floats(0, 2), max_size=80), rate=st.floats(0.5, 50), burst=st.integers(1, 10))
def test_pacer(gaps: list[float], rate: float, burst: int) -> None:
    now = [0.0]
    pacer = Pacer(rate, burst, clock=lambda: now[0])
    starts: list[float] = []
    for i, gap in enumerate(gaps):
        now[0] += gap
        delay = pacer.delay()
        assert delay >= 0
        if i < burst or (starts and now[0] - starts[-1] >= burst / rate):
            assert delay < 1e-9  # a burst, or anything after the bucket refilled, is never delayed (floats)
        starts.append(now[0] + delay)
    eps = 1e-6
    assert all(a <= b + eps for a, b in zip(starts, starts[1:]))  # in the order asked
    for i in range(len(starts)):  # never more than the burst plus what the rate allows in any stretch
        for j in range(i, len(starts)):
            assert j - i + 1 <= burst + rate * (starts[j] - starts[i]) + eps


def test_a_pacer_of_rate_0_never_delays() -> None:
    pacer = Pacer(0, 1, clock=lambda: 0.0)
    assert [pacer.delay() for _ in range(100)] == [0.0] * 100
