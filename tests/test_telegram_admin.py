"""Admins in Telegram (BOT_ADMINS): rights, command menus per chat scope, /whoami, /export, concurrency.

The real Application polls the fake Bot API server; the database is a real TinyDB file in tmp_path.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from fake_bot_api import FakeBotApi
from telegram_harness import check_telegram_html, live_bot

from bot.admin import ADMIN_COMMANDS
from bot.commands import USER_COMMANDS
from bot.settings import SEED_FILE
from bot.store import Store
from bot.telegram.handlers import bot_of

ADMIN, OTHER_ADMIN, USER = 4001, 4002, 4100
AL_HARI = "al-hari-2018-06"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    Store(path, SEED_FILE).close()  # seeded up front, so byte comparisons start from a settled file
    return path


def admins(*ids: int) -> frozenset[str]:
    return frozenset(str(i) for i in ids)


def nth_reply(api: FakeBotApi, chat_id: int, n: int) -> str:
    return api.wait_for("sendMessage", n, chat_id=chat_id)[n - 1]["text"]


def test_non_admin_writes_are_refused_and_the_file_is_unchanged(api: FakeBotApi, db: Path) -> None:
    before = db.read_bytes()
    attempts = [
        f'/addfact {AL_HARI} killed 99 by="Somebody"',
        '/newincident fake-2020 title="Fake strike" date=2020-01-01',
        f'/setincident {AL_HARI} title="Renamed"',
        "/delfact 1",
        "/undo",
        f"/facts {AL_HARI}",
        "/export",
        f"/addfact@incident_test_bot {AL_HARI} wounded 5",
    ]
    with live_bot(api, db, admins=admins(ADMIN)):
        for text in attempts:
            api.send_text(text, user_id=USER)
        replies = api.wait_for("sendMessage", len(attempts), chat_id=USER)
        api.send_text("how many died in al-hari", user_id=USER)
        assert "<b>38</b>" in nth_reply(api, USER, len(attempts) + 1)
    for text, reply in zip(attempts, replies):
        assert "needs admin rights" in reply["text"], (text, reply["text"])
        assert "\n" not in reply["text"].split(". ")[0]
    assert db.read_bytes() == before
    assert not api.sent("sendDocument")


def test_admin_changes_are_answered_at_once_to_users(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db, admins=admins(ADMIN)) as live:
        engine = bot_of(live.app).commands.engine
        api.send_text(f'/addfact {AL_HARI} wounded 12 by="Syrian Observatory for Human Rights"', user_id=ADMIN)
        assert "Added fact" in nth_reply(api, ADMIN, 1)
        assert engine.index_version == engine.store.version  # caught up already: no user's answer pays for it
        api.send_text("how many were wounded in al-hari?", user_id=USER)
        assert "12" in nth_reply(api, USER, 1)

        api.send_text('/newincident qasr-2024 title="Qasr al-Test airstrike" date=2024-02-03 place="Qasr al-Test" '
                      'country=Syria', user_id=ADMIN)
        assert "Added incident qasr-2024" in nth_reply(api, ADMIN, 2)
        api.send_text('/addfact qasr-2024 killed "at least 7" by=“Local council”', user_id=ADMIN)
        assert "Added fact" in nth_reply(api, ADMIN, 3)
        api.send_text("how many died in the Qasr al-Test airstrike?", user_id=USER)
        answer = nth_reply(api, USER, 2)
        assert "<b>At least 7</b>" in answer or "<b>at least 7</b>" in answer.lower()
        assert "Local council" in answer

        api.send_text("/addfact qasr-2024 killed lots", user_id=ADMIN)  # malformed: one line, no change
        error = nth_reply(api, ADMIN, 4)
        check_telegram_html(error)
        assert "Added" not in error
    facts = Store(db, SEED_FILE).claims("qasr-2024")
    assert len(facts) == 1 and facts[0].claimant == "Local council"


def test_whoami_tells_id_and_role(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db, admins=admins(ADMIN)):
        api.send_text("/whoami", user_id=ADMIN)
        api.send_text("/whoami", user_id=USER)
        mine, theirs = nth_reply(api, ADMIN, 1), nth_reply(api, USER, 1)
    assert str(ADMIN) in mine and "an admin" in mine
    assert str(USER) in theirs and "no admin rights" in theirs


def test_admin_command_menu_only_in_admin_chats(api: FakeBotApi, db: Path) -> None:
    # Real Telegram answers "chat not found" for an admin who never opened a chat with the bot.
    api.fail_next("setMyCommands", status=400, description="Bad Request: chat not found",
                  match=lambda p: (p.get("scope") or {}).get("chat_id") == OTHER_ADMIN)
    with live_bot(api, db, admins=frozenset({str(ADMIN), str(OTHER_ADMIN), "not-a-number"})) as bot:
        api.send_text("/help", user_id=ADMIN)
        assert "/addfact" in nth_reply(api, ADMIN, 1)
        api.send_text("/help", user_id=USER)
        assert "/addfact" not in nth_reply(api, USER, 1)
    menus = {json.dumps(c.params.get("scope"), sort_keys=True): [x["command"] for x in c.params["commands"]]
             for c in api.calls if c.method == "setMyCommands" and not c.failed}
    assert menus[json.dumps({"type": "default"})] == list(USER_COMMANDS)
    assert menus[json.dumps({"chat_id": ADMIN, "type": "chat"}, sort_keys=True)] == [*USER_COMMANDS, *ADMIN_COMMANDS]
    assert len(menus) == 2  # no menu for the failed admin, the bad id, or anyone else
    assert not bot.errors.records  # logged as warnings: the bot starts anyway


def test_no_chat_waits_for_an_admin_write_and_the_admins_chat_keeps_its_order(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db, admins=admins(ADMIN)) as live:
        writers = bot_of(live.app).commands.engine.store._mutex  # the store's writer lock: held here, it
        writers.acquire()  # stands in for a write that takes a long time (a big database, a slow disk)
        try:
            api.send_text(f'/addfact {AL_HARI} note "written while others ask"', user_id=ADMIN)
            api.send_text(f"/facts {AL_HARI}", user_id=ADMIN)  # must wait for the /addfact before it
            [typing] = api.wait_for("sendChatAction", chat_id=ADMIN)  # a slow answer shows the indicator
            assert typing["action"] == "typing"
            api.send_text("how many died in the al-hari strike?", user_id=USER)
            assert "<b>38</b>" in nth_reply(api, USER, 1)  # answered while the write is still held
            assert not api.sent("sendMessage", chat_id=ADMIN)
        finally:
            writers.release()
        added, facts = api.wait_for("sendMessage", 2, chat_id=ADMIN)
    assert added["text"].startswith("Added fact #")
    assert "written while others ask" in facts["text"]  # in order: the list came after the write
    assert not api.sent("sendChatAction", chat_id=USER)  # a quick answer costs no typing call


def test_export_is_sent_as_a_yaml_document(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db, admins=admins(ADMIN)):
        api.send_text("/export", user_id=ADMIN)
        [doc] = api.wait_for("sendDocument", chat_id=ADMIN)
    upload = doc["document"]
    assert upload["filename"].endswith((".yaml", ".yml"))
    assert upload["content"].decode("utf-8") == Store(db, SEED_FILE).dataset().to_yaml()  # the whole database
    data = yaml.safe_load(upload["content"])
    assert AL_HARI in [i["id"] for i in data["incidents"]]


def test_a_pasted_batch_of_admin_writes_is_paced_and_other_chats_are_answered_meanwhile(
        api: FakeBotApi, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.telegram.handlers.ADMIN_BURST", 2)
    with live_bot(api, db, admins=admins(ADMIN), admin_write_rate=4.0):
        started = time.monotonic()
        for n in range(6):
            api.send_text(f'/addfact {AL_HARI} note "pasted {n}"', user_id=ADMIN)
        api.send_text("Who denied the Al-Hari airstrike?", user_id=USER)
        assert "denied" in nth_reply(api, USER, 1)
        answered_user = time.monotonic()
        assert len(api.sent(chat_id=ADMIN)) < 6  # the user did not wait for the admin's batch
        replies = [r["text"] for r in api.wait_for("sendMessage", 6, chat_id=ADMIN, timeout=30)]
        elapsed = time.monotonic() - started
    assert all("Added fact" in r for r in replies), replies
    assert elapsed >= (6 - 2) / 4.0 > answered_user - started  # two at once, then four spaced by 1/4 s
    notes = [c.value for c in Store(db, SEED_FILE).claims(AL_HARI) if c.kind == "note"]
    assert [v for v in notes if v.startswith("pasted")] == [f"pasted {n}" for n in range(6)]  # none lost, in order


def test_fifty_concurrent_addfacts_from_ten_admins_all_land(api: FakeBotApi, db: Path) -> None:
    team = [5001 + n for n in range(10)]
    before = len(Store(db, SEED_FILE).claims(AL_HARI))
    with live_bot(api, db, admins=admins(*team)):
        for round_ in range(5):
            for admin in team:  # ten chats at once, five commands each, interleaved
                api.send_text(f'/addfact {AL_HARI} note "burst {admin}-{round_}" by="Admin {admin}"', user_id=admin)
        started = time.monotonic()
        replies = api.wait_for("sendMessage", 50, timeout=60)
        elapsed = time.monotonic() - started
    assert all("Added fact" in r["text"] for r in replies), [r["text"] for r in replies if "Added" not in r["text"]]
    store = Store(db, SEED_FILE)
    notes = {c.value for c in store.claims(AL_HARI) if c.kind == "note"}
    expected = {f"burst {a}-{r}" for a in team for r in range(5)}
    assert expected <= notes
    assert len(store.claims(AL_HARI)) == before + 50
    assert len([e for e in store.audit() if e["action"] == "add_claim"]) == 50
    assert len({c.id for c in store.claims(AL_HARI)}) == before + 50  # no id handed out twice
    assert elapsed < 30
