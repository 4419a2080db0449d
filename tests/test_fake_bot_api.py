"""The fake Bot API must work with the real python-telegram-bot library."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Callable

import pytest
from fake_bot_api import FakeBotApi
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


def _build_app(api: FakeBotApi) -> Application:
    return ApplicationBuilder().token(api.token).base_url(api.base_url).build()


async def _poll_while(app: Application, scenario: Callable[[], None]) -> None:
    """Run ``app`` with long polling while the blocking ``scenario()`` runs in a thread."""
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await asyncio.to_thread(scenario)
        finally:
            await app.updater.stop()
            await app.stop()


def test_application_echoes_text_over_long_polling(api: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    app = _build_app(api)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))

    def scenario() -> None:
        api.send_text("hello", user_id=7)
        [reply] = api.wait_for("sendMessage", chat_id=7, timeout=5)
        assert reply["text"] == "echo: hello"

    asyncio.run(_poll_while(app, scenario))
    assert api.sent("getMe")


def test_command_button_and_edit_round_trip(api: FakeBotApi) -> None:
    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ack", callback_data="ack")]])
        await update.effective_message.reply_text(f"args={context.args}", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("noted")
        text = f"{query.message.text} / {query.data} by {query.from_user.id}"
        await query.edit_message_text(text)

    app = _build_app(api)
    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(CallbackQueryHandler(on_button))

    def scenario() -> None:
        api.send_text("/ask@incident_test_bot who", chat_type="supergroup", chat_id=-100)
        [question] = api.wait_for("sendMessage", chat_id=-100, timeout=5)
        assert question["text"] == "args=['who']"
        assert question["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ack"

        api.press_button(question, "ack", user_id=5)
        [edit] = api.wait_for("editMessageText", timeout=5)
        assert edit["message_id"] == question["message_id"]
        assert edit["text"] == "args=['who'] / ack by 5"
        assert api.wait_for("answerCallbackQuery")[0]["text"] == "noted"

    asyncio.run(_poll_while(app, scenario))


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside PTB
def test_rate_limit_surfaces_as_retry_after(api: FakeBotApi) -> None:
    api.fail_next("sendMessage", status=429, retry_after=3)

    async def main() -> None:
        async with Bot(api.token, base_url=api.base_url) as bot:
            with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
                await bot.send_message(chat_id=1, text="first")
            await bot.send_message(chat_id=1, text="second")

    asyncio.run(main())
    assert [p["text"] for p in api.sent()] == ["second"]
    assert [c.params["text"] for c in api.calls if c.failed] == ["first"]


def test_bad_gateway_and_bad_request_errors(api: FakeBotApi) -> None:
    api.fail_next("sendMessage", status=502)

    async def main() -> None:
        async with Bot(api.token, base_url=api.base_url) as bot:
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(chat_id=1, text="lost")
            sent = await bot.send_message(chat_id=1, text="same")
            with pytest.raises(BadRequest, match="not modified"):
                await bot.edit_message_text("same", chat_id=1, message_id=sent.message_id)

    asyncio.run(main())


def test_bad_token_is_invalid_token(api: FakeBotApi) -> None:
    async def main() -> None:
        bot = Bot("999:WRONG", base_url=api.base_url)
        await bot.request.initialize()  # not bot.initialize(): that calls getMe itself
        try:
            with pytest.raises(InvalidToken):
                await bot.get_me()
        finally:
            await bot.request.shutdown()

    asyncio.run(main())


def test_documents_locations_and_commands(api: FakeBotApi) -> None:
    async def main() -> None:
        async with Bot(api.token, base_url=api.base_url) as bot:
            doc = await bot.send_document(
                chat_id=1, document=io.BytesIO(b"a,b\n1,2\n"), filename="report.csv", caption="42"
            )
            assert doc.document.file_name == "report.csv"
            assert doc.caption == "42"
            loc = await bot.send_location(chat_id=1, latitude=50.45, longitude=30.52)
            assert loc.location.latitude == pytest.approx(50.45)
            await bot.set_my_commands([BotCommand("ask", "Ask a question")])
            assert [c.command for c in await bot.get_my_commands()] == ["ask"]
            await bot.delete_my_commands()
            assert await bot.get_my_commands() == ()

    asyncio.run(main())
    [upload] = api.sent("sendDocument", chat_id=1)
    assert upload["document"]["content"] == b"a,b\n1,2\n"
    assert upload["caption"] == "42"  # string fields are not JSON-decoded
    assert api.sent("setMyCommands")[0]["commands"] == [
        {"command": "ask", "description": "Ask a question"}
    ]


def test_unknown_method_and_offset_confirmation(api: FakeBotApi) -> None:
    async def main() -> None:
        async with Bot(api.token, base_url=api.base_url) as bot:
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("noSuchMethod")
            first, second = api.send_text("one"), api.send_text("two")
            assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first, second]
            assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
            assert await bot.get_updates(offset=second + 1, timeout=0) == ()

    asyncio.run(main())


def test_stop_wakes_long_poll_and_leaves_no_threads() -> None:
    threads_before = set(threading.enumerate())
    api = FakeBotApi().start()

    results: list[tuple] = []

    async def long_poll() -> None:
        async with Bot(api.token, base_url=api.base_url) as bot:
            results.append(await bot.get_updates(timeout=30))

    poller = threading.Thread(target=lambda: asyncio.run(long_poll()), daemon=True)
    poller.start()
    api.wait_for("getMe", timeout=5)
    time.sleep(0.3)  # let getUpdates arrive and start waiting
    started = time.monotonic()
    api.stop()
    poller.join(timeout=5)
    assert time.monotonic() - started < 2
    assert results == [()]  # the 30 s poll was answered (empty) by stop()
    assert set(threading.enumerate()) <= threads_before
