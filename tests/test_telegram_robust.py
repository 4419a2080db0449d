"""What keeps the bot answering when Telegram (or a self-hosted Bot API server) sends something odd:
updates the library cannot parse, malformed getUpdates answers, long flood waits for one chat, duplicated
updates, failed sends and an unreachable API at shutdown. The real python-telegram-bot Application polls
the fake Bot API server (tests/fake_bot_api.py), as in tests/test_telegram.py.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from telegram_harness import live_bot

AL_HARI = "How many died in the Al-Hari airstrike?"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "facts.json"


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
        first_failure = time.monotonic()
        api.send_text(AL_HARI, user_id=8)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=8, timeout=20)[0]["text"]
        waited = time.monotonic() - first_failure
    assert len([c for c in api.calls if c.method == "getUpdates" and c.failed]) == 3
    assert waited >= 1 + 1.5 + 2.25  # PTB's pause after a failed poll: 1 s, then 1.5 times longer each time


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
        paused_since = time.monotonic()
        api.send_text(AL_HARI, user_id=33)
        assert "<b>38</b>" in api.wait_for("sendMessage", chat_id=33, timeout=15)[0]["text"]
        assert time.monotonic() - paused_since >= 2.5  # held back with everyone, not sent into the flood
        api.wait_for("sendMessage", chat_id=31, timeout=15)
        api.wait_for("sendMessage", chat_id=32, timeout=15)
