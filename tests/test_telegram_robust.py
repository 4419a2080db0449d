"""What keeps the bot answering when Telegram (or a self-hosted Bot API server) sends something odd:
updates the library cannot parse, malformed getUpdates answers, long flood waits for one chat, duplicated
updates, failed sends and an unreachable API at shutdown. The real python-telegram-bot Application polls
the fake Bot API server (tests/fake_bot_api.py), as in tests/test_telegram.py.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from telegram_harness import check_telegram_html, live_bot

from bot.actions import compact, digest
from bot.engine import Engine
from bot.facts.models import Claim, Incident, IncidentDate, Place
from bot.settings import SEED_FILE
from bot.store import Store
from bot.telegram.handlers import APOLOGY

ROOT = Path(__file__).resolve().parent.parent
AL_HARI = "How many died in the Al-Hari airstrike?"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "facts.json"


def texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [m["text"] for m in api.sent("sendMessage", chat_id=chat_id)]


def _buttons(message: dict) -> list[dict]:
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def _message(chat_id: int, **fields: object) -> dict:
    return {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private", "first_name": "U"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "U"}, **fields}


def _poll(**changes: object) -> dict:
    poll = {"id": "p1", "question": "Where?", "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
            "type": "regular", "allows_multiple_answers": False, "allows_revoting": False, "members_only": False,
            "options": [{"text": "here", "voter_count": 0, "persistent_id": "o1"}]}
    poll.update(changes)
    return poll


# -- updates python-telegram-bot cannot parse -----------------------------------------------------------
def test_unparsable_updates_are_skipped_once_and_the_bot_keeps_answering(
        api: FakeBotApi, db: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="incident_bot.telegram")
    bad = [
        # poll options without persistent_id, as an older self-hosted Bot API server sends them
        {"message": _message(7, poll=_poll(options=[{"text": "here", "voter_count": 0}]))},
        {"message": _message(7, poll={k: v for k, v in _poll().items() if k != "allows_revoting"})},
        {"message": _message(7, date="yesterday", text="hello")},
    ]
    with live_bot(api, db):
        ids = [api.push_update(u) for u in bad]
        api.send_text(AL_HARI, user_id=7)
        [reply] = api.wait_for("sendMessage", chat_id=7)
        assert "<b>38</b>" in reply["text"]
        time.sleep(1.5)  # a few more polls: each bad update must stay skipped, not come back
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipped update")]
    for update_id in ids:
        assert sum(m.startswith(f"skipped update {update_id}:") for m in skipped) == 1, skipped
    assert len(skipped) == 3
    offsets = [p.get("offset") or 0 for p in api.sent("getUpdates")]
    assert max(offsets) > max(ids)  # confirmed, so Telegram stops sending them
    polls = len([c for c in api.calls if c.method == "getUpdates"])
    assert polls < 20  # long polls, not a tight loop over the same bad batch


def test_a_malformed_get_updates_answer_is_retried_with_a_growing_pause(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.answer_next("getUpdates", {"not": "a list"}, times=3)
        _wait_until(lambda: any(c.method == "getUpdates" and c.failed for c in api.calls))
        api.send_text(AL_HARI, user_id=8)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=8, timeout=20)[0]["text"]
    failed = [c for c in api.calls if c.method == "getUpdates" and c.failed]
    reply = next(c for c in api.calls if c.method == "sendMessage" and str(c.params.get("chat_id")) == "8")
    assert len(failed) == 3
    # PTB's pause after a failed poll: 1 s, then 1.5 times longer each time (timed by the server).
    assert reply.at - failed[0].at >= 1 + 1.5 + 2.25


def _wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# -- flood waits ----------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")  # raised inside PTB on every 429
def test_one_chats_long_flood_wait_does_not_hold_up_other_chats(api: FakeBotApi, db: Path) -> None:
    api.fail_next("sendMessage", status=429, retry_after=12, match=lambda p: p.get("chat_id") == 21)
    with live_bot(api, db):
        api.send_text(AL_HARI, user_id=21)
        _wait_until(lambda: any(c.method == "sendMessage" and c.failed for c in api.calls))
        waiting_since = time.monotonic()
        api.send_text(AL_HARI, user_id=22)  # another user, while chat 21 waits out its 12 s
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=22, timeout=8)[0]["text"]
        assert not api.sent("sendMessage", chat_id=21)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=21, timeout=20)[0]["text"]
        assert time.monotonic() - waiting_since >= 12  # chat 21 itself waited as told
    assert len([c for c in api.calls if c.method == "sendMessage" and c.failed]) == 1


@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
def test_a_flood_wait_for_the_whole_bot_still_pauses_every_chat(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.fail_next("sendMessage", status=429, retry_after=3, times=2)  # two chats at once: the bot's limit
        api.send_text(AL_HARI, user_id=31)
        api.send_text(AL_HARI, user_id=32)
        _wait_until(lambda: len([c for c in api.calls if c.method == "sendMessage" and c.failed]) == 2)
        api.send_text(AL_HARI, user_id=33)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=33, timeout=15)[0]["text"]
        sends = [c for c in api.calls if c.method == "sendMessage"]
        flood = max(c.at for c in sends if c.failed)
        reply = next(c for c in sends if not c.failed and str(c.params.get("chat_id")) == "33")
        # Held back with everyone, not sent into the flood: timed by the server, so a slow test thread
        # noticing the flood late cannot shorten it.
        assert reply.at - flood >= 2.5
        api.wait_for("sendMessage", chat_id=31, timeout=15)
        api.wait_for("sendMessage", chat_id=32, timeout=15)


# -- failed and doubtful sends --------------------------------------------------------------------------
def test_the_apology_is_retried_once_when_it_fails_too(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.fail_next("sendMessage", status=502, times=3)  # the answer, its retry, the first apology
        api.send_text(AL_HARI, user_id=41)
        assert api.wait_for("sendMessage", chat_id=41)[0]["text"] == APOLOGY


def test_a_send_that_times_out_but_arrives_gets_no_apology(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db) as bot:
        api.answer_late("sendMessage", 6.5)  # past the client's 5 s read timeout, but delivered
        api.send_text(AL_HARI, user_id=42)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=42)[0]["text"]
        _wait_until(lambda: bool(bot.errors.records), timeout=15)  # the client gave up on it
        api.send_text("who was blamed?", user_id=42)  # the chat carries on
        api.wait_for("sendMessage", 2, chat_id=42, timeout=15)
    assert APOLOGY not in texts(api, 42)
    assert len(texts(api, 42)) == 2


def test_a_send_whose_connection_drops_after_it_went_out_is_not_sent_again(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db) as bot:
        api.drop_next("sendMessage")  # carried out, then the connection closes before the answer
        api.send_text(AL_HARI, user_id=46)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=46)[0]["text"]
        _wait_until(lambda: bool(bot.errors.records))
        api.send_text("who was blamed?", user_id=46)
        api.wait_for("sendMessage", 2, chat_id=46)
    first, second = texts(api, 46)  # no duplicate of the answer, and no apology under it
    assert "<b>38</b>" in first and "blamed" in second


def test_an_update_delivered_twice_is_handled_once(api: FakeBotApi, db: Path) -> None:
    admin = 43
    command = '/addfact al-hari-2018-06 wounded 12 by="Syrian Observatory for Human Rights"'
    message = _message(admin, text=command, entities=[{"type": "bot_command", "offset": 0, "length": 8}])
    store = Store(db, SEED_FILE)
    before = len(store.claims("al-hari-2018-06"))
    store.close()
    with live_bot(api, db, admins=frozenset({str(admin)})):
        api.push_update({"update_id": 900, "message": message})
        api.push_update({"update_id": 900, "message": message})
        assert "Added fact" in api.wait_for("sendMessage", chat_id=admin)[0]["text"]
        api.send_text("/whoami", user_id=admin)  # a later update: by then the repeat was dealt with
        api.wait_for("sendMessage", 2, chat_id=admin)
    assert len(texts(api, admin)) == 2
    store = Store(db, SEED_FILE)
    try:
        assert len(store.claims("al-hari-2018-06")) == before + 1
    finally:
        store.close()


def test_bidirectional_controls_in_admin_values_are_dropped(api: FakeBotApi, db: Path) -> None:
    admin = 44
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    command = f'/addfact al-hari-2018-06 blamed "\u202ethe air force\u202c" by="Local{controls} council"'
    with live_bot(api, db, admins=frozenset({str(admin)})):
        api.send_text(command, user_id=admin)
        assert "Added fact" in api.wait_for("sendMessage", chat_id=admin)[0]["text"]
        api.send_text("who was blamed for al-hari?", user_id=admin)
        answer = api.wait_for("sendMessage", 2, chat_id=admin)[1]["text"]
    assert "Local council" in answer and "the air force" in answer
    assert not set(controls) & set(answer)


# -- stopping --------------------------------------------------------------------------------------------
def test_sigterm_with_the_api_unreachable_stops_within_seconds(api: FakeBotApi, db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_ADMINS", "INCIDENT_BOT_DB")}
    env.update(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_BASE_URL=api.base_url)
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "--db", str(db)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        api.wait_for("deleteWebhook", timeout=20)
        api.hang("sendMessage")  # the answer's send never comes back ...
        api.wait_delivered(api.send_text(AL_HARI, user_id=45), timeout=20)  # its quick answer's send follows
        api.hang()  # ... and then nothing does, as with a server that went away
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=5)  # python-telegram-bot's own stop took 15 s here, 40 s in use
    finally:
        proc.kill()
        api.release()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


# -- buttons for long incident ids -----------------------------------------------------------------------
LONG_ID = "zabadani-market-shelling-as-an-admin-may-name-it-with-every-detail-" + "x" * 8 + "-2024"


def _long_incidents(db: Path) -> None:
    store = Store(db, SEED_FILE)
    try:
        for n, incident_id in enumerate((LONG_ID, LONG_ID[:-5] + "-2025")):
            store.add_incident(Incident(id=incident_id, title=f"Zabadani shelling {n + 1}", type="shelling",
                                        date=IncidentDate(f"202{4 + n}-01-02", "day"), place=Place(name="Zabadani"),
                                        summary="A market was shelled."), actor="test")
            store.add_claim(Claim(id="", incident=incident_id, kind="perpetrator", value="an armed group",
                                  claimant="Local council"), actor="test")
    finally:
        store.close()


def test_every_button_works_for_an_80_character_id_and_after_a_restart(api: FakeBotApi, db: Path) -> None:
    assert len(LONG_ID) == 80
    _long_incidents(db)
    with live_bot(api, db):
        api.send_text("who carried out the Zabadani shelling?", user_id=51)
        [question] = api.wait_for("sendMessage", chat_id=51)
        picks = _buttons(question)
        assert len(picks) == 2, question  # one per incident: none dropped for its length
        api.press_button(question, picks[0]["callback_data"], user_id=51)
        [answer] = api.wait_for("editMessageText")
        assert "An armed group</b> carried it out" in answer["text"]
        follow_ups = _buttons(api.sent("editMessageText")[0])
        assert follow_ups and all(len(b["callback_data"].encode()) <= 64 for b in follow_ups)
    answered = len(api.sent("sendMessage", chat_id=51))
    with live_bot(api, db):  # a new process's worth of state: the old message's buttons still work
        for n, button in enumerate(follow_ups, 1):
            api.press_button(answer, button["callback_data"], user_id=51)
            reply = api.wait_for("sendMessage", answered + n, chat_id=51)[-1]["text"]
            assert "out of date" not in reply, (button, reply)


def test_a_digest_no_incident_has_is_an_out_of_date_button(db: Path) -> None:
    _long_incidents(db)
    store = Store(db, SEED_FILE)
    try:
        engine = Engine(store)
        assert "An armed group" in engine.act(compact(f"ask:perpetrator:{LONG_ID}", 64), chat="c").text
        for forged in ("ask:perpetrator:#AAAAAAAAAAAAAAAA", "pick:#", "ask:summary:" + digest("no-such-incident")):
            assert "out of date" in engine.act(forged, chat="c").text
    finally:
        store.close()


# -- inline mode -----------------------------------------------------------------------------------------
def test_inline_query_offers_the_attributed_answer(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        query_id = api.send_inline("how many died in al hari", user_id=61)
        [answer] = api.wait_for("answerInlineQuery")
    assert answer["inline_query_id"] == str(query_id)
    [result] = answer["results"]
    assert result["type"] == "article" and result["title"] == "Al-Hari airstrike"
    assert "\n" not in result["description"] and result["description"].startswith("38 non-Syrian fighters")
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML" and content["message_text"].startswith("<b>38</b> ")
    shown = check_telegram_html(content["message_text"])
    assert "Syrian Observatory for Human Rights" in shown and "Syrian state media" in shown  # every claim
    [[back]] = result["reply_markup"]["inline_keyboard"]
    assert back["url"] == "https://t.me/incident_test_bot"
    assert not api.sent("sendMessage")  # nothing is sent to any chat: the user picks a result to send


def test_a_vague_inline_query_offers_one_result_per_incident(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.send_inline("how many died?", user_id=62)
        [answer] = api.wait_for("answerInlineQuery")
        api.send_inline("who was blamed for al hari", user_id=62)  # no memory of the last query's incident
        api.send_inline("", user_id=62)  # "@yourbot " with nothing typed yet
        blamed, empty = api.wait_for("answerInlineQuery", 3)[1:]
    titles = [r["title"] for r in answer["results"]]
    assert "Al-Hari airstrike" in titles and "February 2018 coalition airstrikes in Deir Ezzor" in titles
    assert len(set(r["id"] for r in answer["results"])) == len(titles) > 1
    by_title = {r["title"]: r["input_message_content"]["message_text"] for r in answer["results"]}
    assert by_title["Al-Hari airstrike"].startswith("<b>38</b>")
    assert by_title["February 2018 coalition airstrikes in Deir Ezzor"].lower().startswith("<b>at least 100</b>")
    assert "US-led coalition" in blamed["results"][0]["input_message_content"]["message_text"]
    assert empty["results"] == []


def test_sigterm_while_starting_against_a_hung_api_stops_at_once(api: FakeBotApi, db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("INCIDENT_BOT_DB",)}
    env.update(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_BASE_URL=api.base_url, BOT_ADMINS="1,2,3")
    api.hang("setMyCommands")  # start-up publishes four command menus: 5 s of timeout each
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "--db", str(db)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        api.wait_for("getMe", timeout=20)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=5)
    finally:
        proc.kill()
        api.release()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "stopped while starting" in err
