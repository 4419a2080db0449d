"""/ingest in Telegram: an admin sends an article (text, a URL or a document) and reviews the proposals
with buttons; the accepted batch is one audited change that one /undo removes.

The real python-telegram-bot Application polls the fake Bot API server (which serves getFile and file
downloads for documents); the database is a real TinyDB file; nothing is mocked.
"""
from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from telegram_harness import check_telegram_html, live_bot

from bot.settings import SEED_FILE
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
REUTERS = (ROOT / "data/articles/2019-07-03-reuters-tripoli.txt").read_text()
ADMIN, USER = 5001, 5100


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    Store(path, SEED_FILE).close()
    return path


def admins() -> frozenset[str]:
    return frozenset({str(ADMIN)})


def buttons(message: dict) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", [])
            for b in row}


def replies(api: FakeBotApi, chat: int, n: int) -> list[dict]:
    """The first n messages sent to the chat, each with its visible text checked as Telegram HTML."""
    sent = api.wait_for("sendMessage", n, chat_id=chat)
    return [{**m, "text": check_telegram_html(m["text"])} for m in sent]


def stored(db: Path) -> Store:
    return Store(db)


def test_review_one_by_one_then_one_undo(api: FakeBotApi, db: Path) -> None:
    with live_bot(api, db, admins=admins()):
        api.send_text("/ingest " + REUTERS, user_id=ADMIN)
        overview = replies(api, ADMIN, 1)[-1]
        text = overview["text"]
        assert "16 proposed facts from Reuters, 3 July 2019" in text and "1. casualties" in text
        assert stored(db).incident("tajoura-2019-07") is None  # nothing written before acceptance
        api.press_button(overview, buttons(overview)["Review one by one"], user_id=ADMIN)
        item = replies(api, ADMIN, 2)[-1]
        assert "Proposal 1 of 16" in item["text"] and "at least 44" in item["text"]
        api.press_button(item, buttons(item)["Accept"], user_id=ADMIN)
        item = replies(api, ADMIN, 3)[-1]
        assert "Proposal 2 of 16" in item["text"]
        api.press_button(item, buttons(item)["Skip"], user_id=ADMIN)
        item = replies(api, ADMIN, 4)[-1]
        api.press_button(item, buttons(item)["Accept the rest"], user_id=ADMIN)
        done = replies(api, ADMIN, 5)[-1]["text"]
        assert "Added 15 facts from Reuters, 3 July 2019" in done and "Skipped 1" in done
        store = stored(db)
        claims = store.claims("tajoura-2019-07")
        assert {c.source for c in claims} == {"reuters-2019-07-03"} and store.source("reuters-2019-07-03")
        assert not any(c.value.get("text") == "more than 130" for c in claims if c.kind == "casualties")
        assert store.audit(str(ADMIN))[-1]["action"] == "add_batch"
        api.send_text("/undo", user_id=ADMIN)
        assert "Undone: your batch of 3 incidents" in replies(api, ADMIN, 6)[-1]["text"]
        assert stored(db).incident("tajoura-2019-07") is None and not stored(db).source("reuters-2019-07-03")


def test_accept_all_from_a_document_and_discard(api: FakeBotApi, db: Path) -> None:
    html = ("<html><head><title>Strike</title></head><body><nav>Home | World</nav><article>"
            + "".join(f"<p>{p}</p>" for p in REUTERS.split("\n\n")[1:]) + "</article></body></html>")
    with live_bot(api, db, admins=admins()):
        api.send_document(html.encode(), "tajoura.html", "text/html", user_id=ADMIN)
        assert "gives no date" in replies(api, ADMIN, 1)[-1]["text"]
        api.send_document(html.encode(), "tajoura.html", "text/html", user_id=ADMIN,
                          caption="/ingest date 2019-07-03 Reuters, TRIPOLI")
        overview = replies(api, ADMIN, 2)[-1]
        assert "16 proposed facts from Reuters, 3 July 2019" in overview["text"]
        assert any(c.method == "getFile" for c in api.calls) and any(c.method == "downloadFile" for c in api.calls)
        api.press_button(overview, buttons(overview)["Accept all 16"], user_id=ADMIN)
        assert "Added 16 facts" in replies(api, ADMIN, 3)[-1]["text"]
        api.press_button(overview, buttons(overview)["Discard"], user_id=ADMIN)  # stale: already finished
        assert "finished or discarded" in replies(api, ADMIN, 4)[-1]["text"]
        api.send_text("how many died in tajoura?", user_id=USER)
        assert "44" in replies(api, USER, 1)[-1]["text"]


def test_a_second_ingest_asks_what_to_do(api: FakeBotApi, db: Path) -> None:
    before = db.read_bytes()
    with live_bot(api, db, admins=admins()):
        api.send_text("/ingest " + REUTERS, user_id=ADMIN)
        replies(api, ADMIN, 1)
        api.send_text("/ingest " + (ROOT / "data/articles/2016-09-20-bbc-beirut.txt").read_text(), user_id=ADMIN)
        question = replies(api, ADMIN, 2)[-1]
        assert "still reviewing Reuters, 3 July 2019" in question["text"]
        api.press_button(question, buttons(question)["Drop it, review the new one"], user_id=ADMIN)
        overview = replies(api, ADMIN, 3)[-1]
        assert "from BBC, 20 September 2016" in overview["text"]
        api.press_button(overview, buttons(overview)["Discard"], user_id=ADMIN)
        assert "nothing was written" in replies(api, ADMIN, 4)[-1]["text"]
    assert db.read_bytes() == before


def test_a_long_proposal_list_is_split_into_valid_messages(api: FakeBotApi, db: Path) -> None:
    long_article = "date 2019-07-03 Reuters, TRIPOLI\n\n" + "\n\n".join(
        f"An air strike hit the town of Place{chr(65 + n // 26)}{chr(65 + n % 26)} on {day}, killing {n + 3} "
        f"people, the United Nations said." for n, day in enumerate(["Monday", "Tuesday"] * 40))
    with live_bot(api, db, admins=admins()):
        api.send_text("/ingest " + long_article, user_id=ADMIN)
        time.sleep(1.5)
        sent = api.sent("sendMessage", chat_id=ADMIN)
        assert len(sent) >= 2
        for message in sent:
            check_telegram_html(message["text"])
        assert "Accept all" in str(sent[-1].get("reply_markup"))


def test_non_admins_are_refused_and_nothing_is_written(api: FakeBotApi, db: Path) -> None:
    before = db.read_bytes()
    with live_bot(api, db, admins=admins()):
        api.send_text("/ingest " + REUTERS, user_id=USER)
        api.send_document(REUTERS.encode(), "tajoura.txt", user_id=USER)
        api.send_text("/ingest " + REUTERS, user_id=ADMIN)
        overview = replies(api, ADMIN, 1)[-1]
        api.press_button(overview, buttons(overview)["Accept all 16"], user_id=USER)  # as if in a group
        got = [m["text"] for m in replies(api, USER, 2)] + [replies(api, ADMIN, 2)[-1]["text"]]
    assert all("needs admin rights" in t and "nothing was changed" in t for t in got), got
    assert not any(c.method == "downloadFile" for c in api.calls)
    assert db.read_bytes() == before


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        time.sleep(3)
        try:
            self.send_response(200)
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/article"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("kind", ["binary", "empty", "huge", "timeout"])
def test_bad_input_is_one_clear_line(api: FakeBotApi, db: Path, kind: str, slow_site: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    before = db.read_bytes()
    monkeypatch.setattr("bot.ingest.review.TIMEOUT_S", 1.0)
    expected = {"binary": "binary file", "empty": "no article text", "huge": "MB", "timeout": "did not answer"}[kind]
    with live_bot(api, db, admins=admins()):
        if kind == "binary":
            api.send_document(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "photo.txt", user_id=ADMIN)
        elif kind == "empty":
            api.send_document(b"", "empty.txt", user_id=ADMIN)
        elif kind == "huge":
            api.send_document(b"x" * 100, "huge.txt", user_id=ADMIN, file_size=5_000_000)
        else:
            api.send_text(f"/ingest {slow_site}", user_id=ADMIN)
        [reply] = replies(api, ADMIN, 1)
    assert expected in reply["text"] and "nothing was changed" in reply["text"]
    assert "\n" not in reply["text"] and not buttons(reply)
    assert db.read_bytes() == before
    if kind == "huge":
        assert not any(c.method == "downloadFile" for c in api.calls)
