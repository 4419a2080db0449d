"""The Telegram bot end to end: the real python-telegram-bot Application polling the fake Bot API server.

Every test uses a real TinyDB file in tmp_path (seeded from data/incidents.yaml) and the same life cycle
as `python main.py run` (bot.telegram.app.running); the last tests run `python main.py run` itself.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fake_bot_api import DEFAULT_GROUP_CHAT_ID, FakeBotApi
from telegram_harness import check_telegram_html, live_bot

from bot.settings import SEED_FILE
from bot.facts.models import Incident, IncidentDate, Place
from bot.store import Store
from bot.telegram.app import Webhook, file_base_url
from bot.telegram.handlers import APOLOGY, slow_down_text

ROOT = Path(__file__).resolve().parent.parent
AL_HARI = "How many died in the Al-Hari airstrike?"
GROUP = DEFAULT_GROUP_CHAT_ID


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "facts.json"


def texts(api: FakeBotApi, chat_id: int | None = None) -> list[str]:
    return [m["text"] for m in api.sent("sendMessage", chat_id=chat_id)]


def buttons(message: dict) -> list[dict]:
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def add_incident(db: Path, incident: Incident) -> None:
    store = Store(db, SEED_FILE)
    try:
        store.add_incident(incident, actor="test")
    finally:
        store.close()


# -- conversation --------------------------------------------------------------------------------------
def test_private_question_answered_with_the_figure_in_bold_and_follow_up_buttons(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.send_text(AL_HARI, user_id=7)
        [reply] = api.wait_for("sendMessage", chat_id=7)
        assert reply["parse_mode"] == "HTML"
        assert reply["text"].startswith("<b>38</b> ")
        assert "Syrian Observatory for Human Rights" in check_telegram_html(reply["text"])
        assert not api.sent("sendChatAction", chat_id=7)  # answered at once: no typing indicator first
        follow_ups = {b["text"]: b["callback_data"] for b in buttons(reply)}
        assert follow_ups["Who was blamed?"] == "ask:blame:al-hari-2018-06"

        api.press_button(reply, follow_ups["Who was blamed?"], user_id=7)
        blamed = api.wait_for("sendMessage", 2, chat_id=7)[1]
        assert "blamed <b>the US-led coalition</b>" in blamed["text"]
        assert api.sent("answerCallbackQuery")

        api.send_text("who denied it?", user_id=7)  # per-chat context: still Al-Hari
        denied = api.wait_for("sendMessage", 3, chat_id=7)[2]
        assert "denied" in denied["text"] and "coalition" in denied["text"]


def test_group_answers_only_when_addressed(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.send_text(AL_HARI, chat_type="supergroup")  # not addressed: silence
        api.send_text("/ask@some_other_bot " + AL_HARI, chat_type="supergroup")  # another bot's command
        api.send_text("@incident_test_bot " + AL_HARI, chat_type="supergroup", user_id=11)
        [mentioned] = api.wait_for("sendMessage", chat_id=GROUP)
        assert "<b>38</b>" in mentioned["text"]
        assert mentioned["reply_parameters"]["message_id"]  # quotes the question in a group

        api.send_text("/ask@incident_test_bot who was blamed for the al-hari strike",
                      chat_type="supergroup", user_id=12)
        assert "blamed" in api.wait_for("sendMessage", 2, chat_id=GROUP)[1]["text"]

        api.send_text("who denied it?", chat_type="supergroup", user_id=13, reply_to_bot=True)
        assert "denied" in api.wait_for("sendMessage", 3, chat_id=GROUP)[2]["text"]

        api.send_text("just chatting among ourselves", chat_type="supergroup", user_id=14)
        api.send_text("/roll 2d6", chat_type="supergroup", user_id=14)  # a command for some other bot
        api.send_text("/whoami@Incident_Test_Bot", chat_type="supergroup", user_id=15)  # case-insensitive
        replies = api.wait_for("sendMessage", 4, chat_id=GROUP)
    # Updates of one chat are handled in order, so anything owed to an earlier message came before.
    assert len(replies) == 4 and "15" in replies[3]["text"]
    assert len(api.sent("sendMessage")) == 4


def test_choice_buttons_answer_the_pending_question(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.send_text("how many died?", user_id=21)
        [question] = api.wait_for("sendMessage", chat_id=21)
        assert "Which incident do you mean?" in question["text"]
        choices = {b["text"]: b["callback_data"] for b in buttons(question)}
        assert choices["Al-Hari airstrike"] == "pick:al-hari-2018-06"
        assert len(question["reply_markup"]["inline_keyboard"][0]) == 1  # one incident per row

        api.press_button(question, choices["Al-Hari airstrike"], user_id=21)
        [edited] = api.wait_for("editMessageText")
        assert edited["message_id"] == question["message_id"]
        assert edited["text"].startswith("<b>38</b> ")
        assert api.wait_for("answerCallbackQuery")

        # The same (now stale) button, and forged data: a polite answer, never an exception.
        api.press_button(question, choices["Al-Hari airstrike"], user_id=21)
        api.press_button(question, "pick:../../etc/passwd", user_id=21)
        api.press_button(question, "\x00" * 64, user_id=21)
        stale = api.wait_for("sendMessage", 4, chat_id=21)[1:]
        assert all("out of date" in m["text"] for m in stale)
        assert len(api.wait_for("answerCallbackQuery", 4)) == 4
    assert not [c for c in api.calls if c.method == "sendMessage" and APOLOGY in c.params["text"]]


def test_typed_choice_and_start_help_incidents(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.send_text("/start", user_id=31)
        [start] = api.wait_for("sendMessage", chat_id=31)
        assert "/incidents" in start["text"] and "/addfact" not in start["text"]
        api.send_text("/incidents", user_id=31)
        listing = api.wait_for("sendMessage", 2, chat_id=31)[1]
        assert "Al-Hari airstrike" in listing["text"]
        assert "ask:summary:al-hari-2018-06" in [b["callback_data"] for b in buttons(listing)]
        api.send_text("how many died?", user_id=31)
        api.wait_for("sendMessage", 3, chat_id=31)
        api.send_text("1", user_id=31)  # typing the number answers the pending question too
        assert "<b>38</b>" in api.wait_for("sendMessage", 4, chat_id=31)[3]["text"]


def test_user_and_stored_text_is_escaped(api: FakeBotApi, db: Path) -> None:
    add_incident(db, Incident(id="tom-jerry-2020", title="<b>Tom & Jerry</b> strike", type="airstrike",
                              date=IncidentDate("2020-01-02", "day"), place=Place(name="Kafr <i>Zeta</i>"),
                              aliases=["Tom and Jerry strike"],
                              summary="Reported as <script>alert(1)</script> & nothing more."))
    with live_bot(api, db):
        api.send_text("what happened in the Tom and Jerry strike?", user_id=41)
        [summary] = api.wait_for("sendMessage", chat_id=41)
        visible = check_telegram_html(summary["text"])
        assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in summary["text"]
        assert "<script>alert(1)</script> & nothing more." in visible

        api.send_text("/zz<b>&</b>", user_id=41)  # echoed back by the unknown-command answer
        unknown = api.wait_for("sendMessage", 2, chat_id=41)[1]["text"]
        assert "/zz&lt;b&gt;&amp;&lt;/b&gt;" in unknown
        check_telegram_html(unknown)

        api.send_text("How many died in the <b>Zork & Co</b> raid?", user_id=41)
        no_record = api.wait_for("sendMessage", 3, chat_id=41)[2]["text"]
        assert "I have no record of" in check_telegram_html(no_record)

        api.send_text("/whoami", user_id=42, username="<i>eve</i>&co")
        [whoami] = api.wait_for("sendMessage", chat_id=42)
        assert "&lt;i&gt;eve&lt;/i&gt;&amp;co" in whoami["text"]
        check_telegram_html(whoami["text"])


def test_long_answer_is_split_at_paragraphs_and_safely_inside_one(api: FakeBotApi, db: Path) -> None:
    sentence = "Witnesses & officials described <the> attack in detail; accounts differ. "
    summary = "\n".join(sentence * 12 for _ in range(10))  # one ~8,800-character paragraph
    add_incident(db, Incident(id="long-2021", title="Longtown shelling", type="shelling",
                              date=IncidentDate("2021-03", "month"), place=Place(name="Longtown"),
                              summary=summary))
    with live_bot(api, db):
        api.send_text("what happened in Longtown?", user_id=51)
        time.sleep(0.5)
        parts = api.wait_for("sendMessage", 3, chat_id=51)
    assert len(parts) == 3
    visible = [check_telegram_html(p["text"]) for p in parts]  # each <= 4096, well-formed, escaped
    joined = " ".join(visible)
    assert joined.split() == f"Longtown shelling (March 2021) {summary}".split()
    assert all("reply_markup" not in p for p in parts[:-1])  # buttons under the last part only
    assert buttons(parts[-1])


def test_where_answer_also_sends_a_location(api: FakeBotApi, db: Path) -> None:
    add_incident(db, Incident(id="geo-2019", title="Geoville airstrike", type="airstrike",
                              date=IncidentDate("2019-05-04", "day"),
                              place=Place(name="Geoville", country="Syria", lat=35.33, lon=40.14)))
    with live_bot(api, db):
        api.send_text("where was the Geoville airstrike?", user_id=61)
        [where] = api.wait_for("sendMessage", chat_id=61)
        assert "Geoville" in where["text"]
        [loc] = api.wait_for("sendLocation", chat_id=61)
        assert (loc["latitude"], loc["longitude"]) == (35.33, 40.14)
        api.send_text("where was the Al-Hari strike?", user_id=62)  # no coordinates stored: no pin
        api.wait_for("sendMessage", chat_id=62)
    assert len(api.sent("sendLocation")) == 1


# -- failures ------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")  # raised inside PTB on every 429
def test_429_retry_after_is_retried_and_delivered(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        api.fail_next("sendMessage", status=429, retry_after=1)
        started = time.monotonic()
        api.send_text(AL_HARI, user_id=71)
        [reply] = api.wait_for("sendMessage", chat_id=71)
        assert time.monotonic() - started >= 1.0  # waited as told
        assert "<b>38</b>" in reply["text"]
    failed = [c for c in api.calls if c.method == "sendMessage" and c.failed]
    assert len(failed) == 1 and len(api.sent("sendMessage")) == 1


def test_502_on_a_send_is_survived(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db) as bot:
        api.fail_next("sendMessage", status=502)  # one bad gateway: retried once, delivered
        api.send_text(AL_HARI, user_id=81)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=81)[0]["text"]

        api.fail_next("sendMessage", status=502, times=2)  # the retry fails too: apologise
        api.send_text("who was blamed?", user_id=81)
        assert api.wait_for("sendMessage", 2, chat_id=81)[1]["text"] == APOLOGY

        api.fail_next("getUpdates", status=502)  # polling survives a bad gateway as well
        api.send_text("who denied it?", user_id=81)
        assert "denied" in api.wait_for("sendMessage", 3, chat_id=81, timeout=15)[2]["text"]
        assert len(bot.errors.records) == 1  # the twice-failed send, logged once


# -- flood limit ---------------------------------------------------------------------------------------
def test_flood_limit_default_20_in_10_seconds(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db):
        for n in range(25):
            api.send_text(f"hello {n}", user_id=91)
        api.send_text("hello", user_id=92)  # someone else, meanwhile
        api.wait_for("sendMessage", chat_id=92)
        replies = api.wait_for("sendMessage", 21, chat_id=91)
        time.sleep(0.3)
        replies = texts(api, 91)
    assert len(replies) == 21
    assert replies[20] == slow_down_text(20, 10)
    assert replies.count(slow_down_text(20, 10)) == 1


def test_flood_limit_configurable_and_lifted_after_the_window(api: FakeBotApi, db: Path) -> None:
    warning = slow_down_text(3, 1.5)
    with live_bot(api, db, flood_limit=3, flood_window=1.5, admins=frozenset({"94"})):
        for n in range(6):
            api.send_text(f"hi {n}", user_id=93)
        for n in range(6):
            api.send_text(f"/whoami {n}", user_id=94)  # an admin: not limited
        api.wait_for("sendMessage", 4, chat_id=93)
        api.wait_for("sendMessage", 6, chat_id=94)
        time.sleep(1.6)
        api.send_text(AL_HARI, user_id=93)
        api.wait_for("sendMessage", 5, chat_id=93)
        replies = texts(api, 93)
    assert replies[3] == warning and replies.count(warning) == 1 and len(replies) == 5
    assert "<b>38</b>" in replies[4]
    assert warning not in texts(api, 94)


# -- webhook -------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, payload: dict, secret: str | None) -> int:
    request = urllib.request.Request(url, json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if secret is not None:
        request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except urllib.error.URLError:  # not listening (yet)
        return 0


def test_webhook_mode_answers_a_posted_update(api: FakeBotApi, db: Path) -> None:
    port = _free_port()
    hook = Webhook("https://bot.example.org/tg/hook", listen="127.0.0.1", port=port, secret_token="s3cret")
    update = {"update_id": 500, "message": {
        "message_id": 9, "date": int(time.time()), "text": AL_HARI,
        "chat": {"id": 777, "type": "private", "first_name": "W"},
        "from": {"id": 777, "is_bot": False, "first_name": "W"}}}
    with live_bot(api, db, webhook=hook):
        [registered] = api.sent("setWebhook")
        assert registered["url"] == hook.url and registered["secret_token"] == "s3cret"
        local = f"http://127.0.0.1:{port}/tg/hook"
        assert _post(local, {**update, "update_id": 499}, secret="wrong") == 403
        assert _post(local, update, secret="s3cret") == 200
        [reply] = api.wait_for("sendMessage", chat_id=777)
        assert "<b>38</b>" in reply["text"]
        time.sleep(0.2)
    assert len(api.sent("sendMessage")) == 1
    assert not api.sent("getUpdates")


# -- the real process ----------------------------------------------------------------------------------
def _run_bot(db: Path, env: dict[str, str], *extra: str) -> subprocess.Popen:
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BASE_URL", "BOT_ADMINS", "INCIDENT_BOT_DB")}
    full_env.update(env)
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "--db", str(db), *extra],
                            cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_main_py_run_answers_then_stops_on_a_signal_with_exit_0(api: FakeBotApi, db: Path, stop: int) -> None:
    proc = _run_bot(db, {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_BASE_URL": api.base_url})
    try:
        api.wait_for("deleteWebhook", timeout=20)  # polling starts right after (getUpdates is recorded on return)
        api.send_text(AL_HARI, user_id=101)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=101)[0]["text"]
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_main_py_run_webhook_mode_with_a_config_file(api: FakeBotApi, db: Path, tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(f"token: '{api.token}'\nbase_url: http://127.0.0.1:1/overridden-by-env/bot\n"
                      "admins: [4242]\n", encoding="utf-8")
    port = _free_port()
    proc = _run_bot(db, {"TELEGRAM_BASE_URL": api.base_url}, "--config", str(config),
                    "--webhook-url", "https://bot.example.org/incident-hook", "--port", str(port),
                    "--secret-token", "t0ken")
    update = {"update_id": 7, "message": {
        "message_id": 1, "date": int(time.time()), "text": "/whoami",
        "chat": {"id": 4242, "type": "private", "first_name": "A"},
        "from": {"id": 4242, "is_bot": False, "first_name": "A"}}}
    try:
        [hook] = api.wait_for("setWebhook", timeout=20)
        assert hook["url"] == "https://bot.example.org/incident-hook" and hook["secret_token"] == "t0ken"
        deadline = time.monotonic() + 10
        while _post(f"http://127.0.0.1:{port}/incident-hook", update, "t0ken") != 200:
            assert time.monotonic() < deadline, "webhook server never came up"
            time.sleep(0.1)
        [reply] = api.wait_for("sendMessage", chat_id=4242)
        assert "you are an admin" in reply["text"]  # admins from the config file
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert not api.sent("getUpdates")


@pytest.mark.parametrize("case", ["missing", "blank", "rejected", "unreachable"])
def test_token_problems_give_one_line_and_exit_2(api: FakeBotApi, db: Path, case: str) -> None:
    env = {"missing": {}, "blank": {"TELEGRAM_BOT_TOKEN": "  "},
           "rejected": {"TELEGRAM_BOT_TOKEN": "999:WRONG", "TELEGRAM_BASE_URL": api.base_url},
           "unreachable": {"TELEGRAM_BOT_TOKEN": api.token,
                           "TELEGRAM_BASE_URL": f"http://127.0.0.1:{_free_port()}/bot"}}[case]
    proc = _run_bot(db, env)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, err
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("incident-bot: ") and "Traceback" not in err
    assert "WRONG" not in err  # never echo a token
    assert {"missing": "TELEGRAM_BOT_TOKEN", "blank": "TELEGRAM_BOT_TOKEN", "rejected": "rejected",
            "unreachable": "cannot reach"}[case] in err


def test_second_bot_on_the_same_database_is_refused(api: FakeBotApi, db: Path) -> None:
    holder = Store(db, SEED_FILE)
    holder.acquire_write_lock()
    try:
        proc = _run_bot(db, {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_BASE_URL": api.base_url})
        _, err = proc.communicate(timeout=30)
    finally:
        holder.close()
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1 and "in use" in err, err
    assert not api.calls  # refused before talking to Telegram


def test_file_base_url_follows_the_base_url() -> None:
    assert file_base_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_base_url("https://api.example.org/bot{token}/test") == "https://api.example.org/file/bot{token}/test"
    assert file_base_url("http://localhost:8081/") is None
