"""A small fake Telegram Bot API server for end-to-end tests.

The real python-telegram-bot ``Application`` talks to it over HTTP on 127.0.0.1::

    with FakeBotApi() as api:
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        ...  # start polling
        api.send_text("/ask@incident_test_bot who", chat_type="group")
        [reply] = api.wait_for("sendMessage")

Only the standard library is used. The server runs in a background thread, so the
test's event loop (or plain sync code) can drive it freely.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import socket
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_USER_ID = 1001
DEFAULT_GROUP_CHAT_ID = -1001234567890

# Form fields PTB sends as plain strings. Every other field is JSON-encoded by PTB, so we
# json-decode it; these must stay strings even when they look like JSON (e.g. text "42").
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_query_id", "inline_message_id", "url",
        "action", "query", "title", "description", "short_description", "name", "emoji",
        "language_code", "secret_token", "ip_address", "business_connection_id",
        "message_effect_id", "document", "photo", "audio", "video", "voice", "sticker",
        "animation", "thumbnail",
    }
)  # fmt: skip

_MENTION_RE = re.compile(r"(?<!\w)@\w{5,32}")
_BAD_GATEWAY_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
    b"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


_DROP = (0, "", b"")  # _handle's answer for "close the connection without answering"


class Call(tuple):
    """One recorded API call.

    Unpacks as ``(method, params)``; ``result`` is what the fake answered (``None`` if the
    call failed), ``failed`` tells injected failures apart from delivered calls, and ``at`` is when
    the server answered it (time.monotonic()).
    """

    method: str
    params: dict[str, Any]
    result: Any
    failed: bool
    at: float

    def __new__(cls, method: str, params: dict[str, Any], result: Any, failed: bool) -> Call:
        call = super().__new__(cls, (method, params))
        call.method, call.params, call.result, call.failed = method, params, result, failed
        call.at = time.monotonic()
        return call

    def __repr__(self) -> str:
        return f"Call({self.method!r}, {self.params!r}{', failed=True' if self.failed else ''})"


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: int
    description: str | None
    match: Callable[[dict[str, Any]], bool] | None = None


class _ApiError(Exception):
    """A Bot API error answered with ``{"ok": false, ...}``."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


class _RawFile(Exception):
    """A file download: answered with the bytes themselves, not a JSON envelope."""

    def __init__(self, content: bytes) -> None:
        super().__init__("file")
        self.content = content


def _utf16_len(text: str) -> int:
    # Telegram entity offsets/lengths count UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _user(user_id: int, username: str | None = None) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"User {user_id}",
        "username": username or f"user{user_id}",
    }


def _guess_chat_type(chat_id: int | str) -> str:
    if isinstance(chat_id, str):  # "@channelusername"
        return "channel"
    return "private" if chat_id > 0 else "supergroup"


def _decode_field(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeBotApi:
    """Fake Bot API server. See the module docstring for a usage example."""

    def __init__(
        self,
        token: str = "123:TEST",
        bot_username: str = "incident_test_bot",
        latency: float = 0.0,
        inline_mode: bool = True,
    ) -> None:
        self.token = token
        self.inline_mode = inline_mode  # what getMe says: on once /setinline was done at @BotFather
        self.bot_username = bot_username
        # Artificial delay before answering each request, for benchmarks; may be changed live.
        self.latency = latency
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Incident Test Bot",
            "username": bot_username,
        }
        # One condition guards all state below and wakes long polls and wait_for() alike.
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        # The same calls by method (lower case): waiting for one reply must not rescan every poll recorded
        self._by_method: defaultdict[str, list[Call]] = defaultdict(list)
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._file_numbers = itertools.count(1)
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content) users sent
        self._chats: dict[int, dict[str, Any]] = {}
        self._bot_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._commands: dict[str, list[dict[str, Any]]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._canned: dict[str, list[Any]] = {}
        self._late: dict[str, list[float]] = {}
        self._dropped: dict[str, list[bool]] = {}
        self._hung: set[str] | None = None  # methods held unanswered while _hanging (None: all)
        self._hanging = False
        self._stopping = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (
                "getMe", "getUpdates", "sendMessage", "editMessageText", "answerCallbackQuery",
                "setMyCommands", "deleteMyCommands", "getMyCommands", "deleteWebhook",
                "setWebhook", "sendChatAction", "sendLocation", "sendDocument", "close",
                "logOut", "getFile", "answerInlineQuery",
            )
        }  # fmt: skip

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeBotApi:
        self._stopping = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        # A short poll interval keeps stop() (server.shutdown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="FakeBotApi", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        with self._cond:
            self._stopping = True  # wakes pending getUpdates long polls
            self._cond.notify_all()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()  # joins the request threads
        assert self._thread is not None
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBotApi is not running; call start() first")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """Pass as PTB ``base_url`` (the token is appended by PTB)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ incoming updates

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update; an ``update_id`` is assigned if missing. Returns it."""
        with self._cond:
            update = dict(update)
            update.setdefault("update_id", self._next_update_id)
            self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
            self._updates.append(update)
            self._cond.notify_all()
            return update["update_id"]

    def send_text(
        self,
        text: str,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        username: str | None = None,
        reply_to_bot: bool = False,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """Queue a text message from a user. Returns the update_id.

        ``chat_id`` defaults to ``user_id`` in private chats and to a fixed group id
        otherwise. Without explicit ``entities``, a leading ``/command[@bot]`` gets a
        ``bot_command`` entity and ``@username`` mentions get ``mention`` entities.
        ``reply_to_bot`` replies to the bot's latest message in that chat.
        """
        user = _user(user_id, username)
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else DEFAULT_GROUP_CHAT_ID
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"],
                    "username": user["username"]}  # fmt: skip
        else:
            chat = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type} {chat_id}"}
        with self._cond:
            self._chats[chat_id] = chat
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "from": user,
                "text": text,
            }
            if reply_to_bot:
                message["reply_to_message"] = self._latest_bot_message(chat_id)
        entities = self._auto_entities(text) if entities is None else entities
        if entities:
            message["entities"] = entities
        return self.push_update({"message": message})

    def send_document(
        self,
        content: bytes,
        file_name: str,
        mime_type: str = "text/plain",
        user_id: int = DEFAULT_USER_ID,
        caption: str | None = None,
        file_size: int | None = None,
    ) -> int:
        """Queue a document a user sends in a private chat; the bot can fetch it with getFile and
        download it from ``base_file_url``. ``file_size`` overrides the announced size. Returns the update_id."""
        user = _user(user_id)
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"], "username": user["username"]}
        with self._cond:
            number = next(self._file_numbers)
            file_id = f"USERFILE{number}"
            self._files[file_id] = (f"documents/file_{number}_{file_name}", content)
            self._chats[user_id] = chat
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "from": user,
                "document": {"file_id": file_id, "file_unique_id": f"UU{number}", "file_name": file_name,
                             "mime_type": mime_type,
                             "file_size": len(content) if file_size is None else file_size},
            }
        if caption is not None:
            message["caption"] = caption
            if caption.startswith("/"):
                command = caption.split(maxsplit=1)[0]
                message["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        return self.push_update({"message": message})

    def press_button(
        self, message: dict[str, Any], data: str, user_id: int = DEFAULT_USER_ID
    ) -> int:
        """Queue a callback_query for a bot message. Returns the update_id.

        ``message`` is a dict from ``sent()``/``wait_for()`` (or a Message dict with
        ``chat``); the callback carries the message as currently stored (after edits).
        ``data`` is not checked against the keyboard, so stale/forged presses work too.
        """
        chat_id = message["chat"]["id"] if "chat" in message else message["chat_id"]
        with self._cond:
            stored = self._bot_messages.get((chat_id, message["message_id"]))
            if stored is None:
                raise ValueError(f"bot never sent message {message['message_id']} to {chat_id}")
            callback = {
                "id": str(next(self._callback_ids)),
                "from": _user(user_id),
                "message": stored,
                "chat_instance": str(chat_id),
                "data": data,
            }
        return self.push_update({"callback_query": callback})

    def send_inline(self, query: str, user_id: int = DEFAULT_USER_ID, chat_type: str = "sender") -> int:
        """Queue an inline query, as typing ``@bot <query>`` in any chat sends. Returns the update_id;
        the bot's answer is an ``answerInlineQuery`` call whose ``inline_query_id`` is the update_id."""
        with self._cond:  # reentrant: push_update takes it again, and the id stays ours
            update_id = self._next_update_id
            inline = {"id": str(update_id), "from": _user(user_id), "query": query, "offset": "",
                      "chat_type": chat_type}
            return self.push_update({"update_id": update_id, "inline_query": inline})

    def _auto_entities(self, text: str) -> list[dict[str, Any]]:
        entities = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command)})
        for match in _MENTION_RE.finditer(text):
            entities.append(
                {
                    "type": "mention",
                    "offset": _utf16_len(text[: match.start()]),
                    "length": _utf16_len(match.group()),
                }
            )
        return entities

    def _latest_bot_message(self, chat_id: int) -> dict[str, Any]:
        for (msg_chat_id, _), msg in reversed(self._bot_messages.items()):
            if msg_chat_id == chat_id:
                return msg
        raise ValueError(f"reply_to_bot: the bot has not sent anything to chat {chat_id} yet")

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[Call]:
        """Snapshot of every call received, including injected failures (``call.failed``)."""
        with self._cond:
            return list(self._calls)

    def sent(self, method: str = "sendMessage", chat_id: int | str | None = None) -> list[dict]:
        """Params of the delivered (not failed) calls of ``method``, JSON fields decoded.

        For calls answered with a Message, ``message_id`` holds that message's id, so the
        dict can be passed to ``press_button``.
        """
        with self._cond:
            return self._matching(method, chat_id, None)

    def wait_for(
        self,
        method: str = "sendMessage",
        count: int = 1,
        chat_id: int | str | None = None,
        timeout: float = 10.0,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict]:
        """Block until ``count`` matching delivered calls exist; return all matching ones."""
        with self._cond:
            if self._cond.wait_for(
                lambda: len(self._matching(method, chat_id, predicate)) >= count, timeout
            ):
                return self._matching(method, chat_id, predicate)
            recorded = "\n".join(f"  {call!r}" for call in self._calls) or "  (none)"
        raise AssertionError(
            f"timed out after {timeout}s waiting for {count} x {method}"
            f"{f' to chat {chat_id}' if chat_id is not None else ''}"
            f"{' matching predicate' if predicate else ''}; recorded calls:\n{recorded}"
        )

    def wait_delivered(self, update_id: int, timeout: float = 10.0) -> None:
        """Block until a getUpdates call has handed the bot update ``update_id``."""
        def delivered() -> bool:
            return any(any(u.get("update_id") == update_id for u in call.result or ())
                       for call in self._by_method["getupdates"])
        with self._cond:
            if not self._cond.wait_for(delivered, timeout):
                raise AssertionError(f"timed out after {timeout}s waiting for update {update_id} to be fetched")

    def _matching(
        self,
        method: str,
        chat_id: int | str | None,
        predicate: Callable[[dict[str, Any]], bool] | None,
    ) -> list[dict]:
        return [
            call.params
            for call in self._by_method.get(method.lower(), ())
            if not call.failed
            and (chat_id is None or call.params.get("chat_id") == chat_id)
            and (predicate is None or predicate(call.params))
        ]

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
        match: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error.

        429 -> Bot API flood error with ``parameters.retry_after``; 502 -> a proxy's HTML
        "Bad Gateway" page; other statuses -> Bot API error JSON with ``description``.
        With ``match``, only calls whose decoded params satisfy it fail (e.g. a
        ``setMyCommands`` for one chat scope answered "Bad Request: chat not found").
        """
        with self._cond:
            failures = self._failures.setdefault(method.lower(), [])
            failures.extend([_Failure(status, retry_after, description, match)] * times)

    def answer_next(self, method: str, result: Any, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": true, "result": result}`` as
        given, e.g. a getUpdates result that is not a list of updates."""
        with self._cond:
            self._canned.setdefault(method.lower(), []).extend([result] * times)

    def answer_late(self, method: str, seconds: float, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method`` (they are recorded as delivered), but answer
        only after ``seconds``: a client with a shorter read timeout sees a timeout for a call that worked."""
        with self._cond:
            self._late.setdefault(method.lower(), []).extend([seconds] * times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method`` (recorded as delivered), then close the
        connection without an answer, as a proxy restarting mid-request does."""
        with self._cond:
            self._dropped.setdefault(method.lower(), []).extend([True] * times)

    def hang(self, *methods: str) -> None:
        """From now on, hold calls of ``methods`` (every method if none is given) without ever answering,
        as an unreachable server does, until ``release()`` or ``stop()``."""
        with self._cond:
            self._hung = {m.lower() for m in methods} or None
            self._hanging = True

    def release(self) -> None:
        with self._cond:
            self._hanging = False
            self._cond.notify_all()

    # ------------------------------------------------------------------ request handling

    def _handle(self, path: str, params: dict[str, Any]) -> tuple[int, str, bytes]:
        """Answer one request: returns (HTTP status, content type, body)."""
        if self.latency:
            time.sleep(self.latency)
        method = path.rsplit("/", 1)[-1].lower()
        with self._cond:
            self._cond.wait_for(
                lambda: not self._hanging
                or (self._hung is not None and method not in self._hung)
                or self._stopping
            )
            late = self._late.get(method)
            delay = late.pop(0) if late else 0.0
            dropped = self._dropped.get(method)
            drop = bool(dropped) and dropped.pop()
        try:
            result = self._dispatch(path, params)
            if delay:
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping, delay)
            if drop:
                return _DROP
        except _RawFile as raw:
            return HTTPStatus.OK, "application/octet-stream", raw.content
        except _ApiError as error:
            if error.status == HTTPStatus.BAD_GATEWAY:
                return error.status, "text/html", _BAD_GATEWAY_BODY
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                payload["parameters"] = error.parameters
            return error.status, "application/json", json.dumps(payload).encode()
        body = json.dumps({"ok": True, "result": result}).encode()
        return HTTPStatus.OK, "application/json", body

    def _dispatch(self, path: str, params: dict[str, Any]) -> Any:
        match = re.fullmatch(r"/(file/)?bot([^/]+)/(.*)", path)
        if match is None:
            raise _ApiError(404, "Not Found")
        is_file, token, method = match.groups()
        if is_file:  # PTB quotes the download URL ("123%3ATEST/documents/...")
            token, method = unquote(token), unquote(method)
        if token != self.token:
            raise _ApiError(401, "Unauthorized")
        if is_file:  # base_file_url downloads: the documents users sent (send_document)
            with self._cond:
                found = next((c for p, c in self._files.values() if p == method), None)
                self._record(Call("downloadFile", {"file_path": method}, None, failed=found is None))
            if found is None:
                raise _ApiError(404, "Not Found: file not found")
            raise _RawFile(found)
        handler = self._handlers.get(method.lower())
        if handler is None:
            raise _ApiError(404, "Not Found: method not found")
        method = handler.__name__.removeprefix("_api_")
        with self._cond:
            failures = self._failures.get(method.lower()) or []
            due = [n for n, f in enumerate(failures) if f.match is None or f.match(params)]
            failure = failures.pop(due[0]) if due else None
            if failure is not None:
                self._record(Call(method, params, None, failed=True))
            canned = self._canned.get(method.lower())
            if failure is None and canned:
                result = canned.pop(0)
                self._record(Call(method, params, result, failed=True))
                return result
        if failure is not None:
            raise self._failure_error(failure)
        try:
            result = handler(params)
        except _ApiError:
            with self._cond:
                self._record(Call(method, params, None, failed=True))
            raise
        with self._cond:
            if isinstance(result, dict) and "chat" in result:
                params.setdefault("message_id", result["message_id"])
            self._record(Call(method, params, result, failed=False))
        return result

    @staticmethod
    def _failure_error(failure: _Failure) -> _ApiError:
        if failure.status == HTTPStatus.TOO_MANY_REQUESTS:
            return _ApiError(
                429,
                failure.description or f"Too Many Requests: retry after {failure.retry_after}",
                {"retry_after": failure.retry_after},
            )
        return _ApiError(failure.status, failure.description or HTTPStatus(failure.status).phrase)

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._by_method[call.method.lower()].append(call)
        self._cond.notify_all()

    # ------------------------------------------------------------------ API methods
    # Each takes the decoded params and returns the "result" value or raises _ApiError.

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params.get("file_id")
        with self._cond:
            found = self._files.get(file_id)
        if found is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        path, content = found
        return {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_size": len(content), "file_path": path}

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": self.inline_mode,
        }

    def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        with self._cond:
            if offset < 0:  # Bot API: negative offset keeps only the last -offset updates
                del self._updates[:offset]
            elif offset:  # confirms everything below offset
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._cond.wait_for(lambda: self._updates or self._stopping, timeout)
            return self._updates[:limit]

    def _bot_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params["chat_id"]
        with self._cond:
            chat = self._chats.get(chat_id) or {"id": chat_id, "type": _guess_chat_type(chat_id)}
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "from": self.bot_user,
                **content,
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            self._bot_messages[(chat_id, message["message_id"])] = message
        return message

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("text"):
            raise _ApiError(400, "Bad Request: message text is empty")
        return self._bot_message(params, text=params["text"])

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (params.get("chat_id"), params.get("message_id"))
        with self._cond:
            old = self._bot_messages.get(key)
            if old is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            new = {**old, "text": params["text"], "edit_date": int(time.time())}
            new.pop("reply_markup", None)  # Telegram drops the keyboard unless it is resent
            if "reply_markup" in params:
                new["reply_markup"] = params["reply_markup"]
            if (new["text"], new.get("reply_markup")) == (old["text"], old.get("reply_markup")):
                raise _ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            self._bot_messages[key] = new
        return new

    def _api_sendLocation(self, params: dict[str, Any]) -> dict[str, Any]:
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        return self._bot_message(params, location=location)

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        document = params.get("document")
        if isinstance(document, dict):  # uploaded as a multipart file
            file_name, size = document["filename"], len(document["content"])
        elif isinstance(document, str):  # file_id or URL
            file_name, size = document.rsplit("/", 1)[-1], 0
        else:
            raise _ApiError(400, "Bad Request: there is no document in the request")
        with self._cond:
            file_number = next(self._file_numbers)
        content: dict[str, Any] = {
            "document": {
                "file_id": f"FILE{file_number}",
                "file_unique_id": f"U{file_number}",
                "file_name": file_name,
                "file_size": size,
            }
        }
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._bot_message(params, **content)

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code", "")], sort_keys=True)

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._commands[self._scope_key(params)] = params["commands"]
        return True

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._commands.pop(self._scope_key(params), None)
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._cond:
            return self._commands.get(self._scope_key(params), [])

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            with self._cond:
                self._updates.clear()
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        if len(params.get("results") or []) > 50:
            raise _ApiError(400, "Bad Request: too many inline query results specified")
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True


class _Server(ThreadingHTTPServer):
    # Non-daemon request threads + block_on_close make server_close() join them, so stop()
    # leaves no threads behind; close_connections() first unblocks idle keep-alive reads.
    daemon_threads = False
    block_on_close = True
    api: FakeBotApi

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-request (e.g. a cancelled long poll) is normal; stay quiet.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by the client


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    # Headers and body go out in two writes; with Nagle's algorithm on, the body then waits for the
    # client's delayed ACK (~40 ms on Linux) and every call looks that slow. Real servers avoid this.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        try:
            super().finish()
        except OSError:
            pass  # connection torn down by stop()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self._answer(url.path, {k: _decode_field(k, v) for k, v in parse_qsl(url.query)})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(urlsplit(self.path).path, self._parse_body(body))

    def _parse_body(self, body: bytes) -> dict[str, Any]:
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            return json.loads(body or b"{}")
        if content_type.startswith("multipart/form-data"):
            return dict(_parse_multipart(content_type, body))
        return {k: _decode_field(k, v) for k, v in parse_qsl(body.decode())}

    def _answer(self, path: str, params: dict[str, Any]) -> None:
        answer = self.server.api._handle(path, params)
        if answer is _DROP:
            self.close_connection = True  # hang up without a word
            return
        status, content_type, body = answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output clean


def _parse_multipart(content_type: str, body: bytes) -> Iterator[tuple[str, Any]]:
    """Yield (field, value); files become {"filename", "content", "content_type"}."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            yield name, _decode_field(name, content.decode())
        else:
            yield name, {
                "filename": filename,
                "content": content,
                "content_type": part.get_content_type(),
            }
