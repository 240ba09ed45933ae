"""A fake Telegram Bot API server on loopback, for the real python-telegram-bot client.

It speaks the HTTP API the client uses (``/bot<token>/<method>``, form-encoded parameters,
``{"ok": ..., "result": ...}`` answers): getMe, getUpdates (long polling), sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendChatAction, setMyCommands,
deleteWebhook. Tests push updates in (a text, a command, a sticker, a button tap) and read
what the bot sent. Like the real server it refuses HTML it cannot parse and texts over 4,096
characters, and it can answer 429 with ``retry_after`` to test flood control.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT = {"id": 4242, "is_bot": True, "first_name": "moviebot", "username": "moviebot_test_bot"}
_JSON_FIELDS = {
    "reply_markup",
    "commands",
    "chat_id",
    "message_id",
    "timeout",
    "offset",
    "limit",
    "show_alert",
    "allowed_updates",
    "reply_parameters",
    "link_preview_options",
    "drop_pending_updates",
}
_TAG_RE = re.compile(r"<(/?)([a-z]+)[^>]*>")
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "s", "code", "pre", "a", "blockquote"}
_ENTITY_RE = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


@dataclass
class Sent:
    """One call the bot made: the method and its parameters (message id when it sent one)."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    message_id: int | None = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


class FakeTelegram:
    """The server and its state; use as a context manager."""

    def __init__(self) -> None:
        self.calls: list[Sent] = []
        self.messages: dict[int, dict[str, Any]] = {}  # message_id -> message the bot sent
        self._updates: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self.flood: dict[int, int] = {}  # chat id -> retry_after for its next sendMessage
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeTelegram:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a person does ---------------------------------------------------------------

    def text(self, chat_id: int, text: str) -> None:
        message = self._incoming(chat_id, text=text)
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._push({"message": message})

    def sticker(self, chat_id: int) -> None:
        sticker = {
            "file_id": "CAACAgIAAxkBAAE",
            "file_unique_id": "AgADBAAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        self._push({"message": self._incoming(chat_id, sticker=sticker)})

    def tap(self, chat_id: int, sent: Sent, data: str) -> None:
        """Tap the button with ``data`` under a message the bot sent."""
        message = self.messages[sent.message_id or 0]
        query = {
            "id": str(next(self._ids)),
            "from": _user(chat_id),
            "chat_instance": str(chat_id),
            "message": message,
            "data": data,
        }
        self._push({"callback_query": query})

    # --- what the bot did -----------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Sent]:
        with self._cond:
            return [
                c
                for c in self.calls
                if c.method == method and (chat_id is None or c.chat_id == chat_id)
            ]

    def wait(self, predicate: Callable[[], Any], timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := predicate():
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out; calls so far: {[c.method for c in self.calls][-20:]}")

    def wait_replies(self, chat_id: int, n: int, timeout: float = 120) -> list[Sent]:
        """Wait until the bot has sent ``n`` messages to ``chat_id`` in all."""
        return self.wait(lambda: (s := self.sent(chat_id)) and len(s) >= n and s, timeout)

    # --- the server -----------------------------------------------------------------------

    def _incoming(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"},
            "from": _user(chat_id),
            **content,
        }

    def _push(self, update: dict[str, Any]) -> None:
        with self._cond:
            self._updates.append({"update_id": next(self._update_ids), **update})
            self._cond.notify_all()

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._cond:
            while True:
                pending = [u for u in self._updates if u["update_id"] >= offset]
                if pending or time.monotonic() >= deadline:
                    return pending[: int(params.get("limit") or 100)]
                self._cond.wait(max(0.0, deadline - time.monotonic()))

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        sent = Sent(method, params)
        if method in {"sendMessage", "editMessageText"} and (problem := _check_text(params)):
            return 400, {"ok": False, "error_code": 400, "description": problem}
        if method == "sendMessage" and (wait := self.flood.pop(sent.chat_id or 0, 0)):
            with self._cond:
                self.calls.append(Sent("flood", params))
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {wait}",
                "parameters": {"retry_after": wait},
            }
        with self._cond:
            self.calls.append(sent)
        return 200, {"ok": True, "result": self._result(sent)}

    def _result(self, sent: Sent) -> Any:
        if sent.method == "getMe":
            return {**BOT, "can_join_groups": True, "can_read_all_group_messages": False}
        if sent.method in {"sendMessage", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}:
            return self._message(sent)
        return True

    def _message(self, sent: Sent) -> dict[str, Any]:
        params = sent.params
        if sent.method in {"sendMessage", "sendPhoto"}:
            sent.message_id = next(self._ids)
            message: dict[str, Any] = {
                "message_id": sent.message_id,
                "date": int(time.time()),
                "chat": {"id": sent.chat_id, "type": "private"},
                "from": BOT,
            }
            if sent.method == "sendPhoto":  # a photo sent by URL: Telegram answers with sizes
                size = {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 342, "height": 513}
                message.update(photo=[size], caption=params.get("caption", ""))
            else:
                message["text"] = params.get("text", "")
        else:
            message = dict(self.messages[int(params["message_id"])])
            if "text" in params:
                message["text"] = params["text"]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        self.messages[message["message_id"]] = message
        return message

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                match = re.fullmatch(r"/bot[^/]+/(\w+)", self.path)
                length = int(self.headers.get("Content-Length") or 0)
                params = _params(self.rfile.read(length), self.headers.get("Content-Type", ""))
                if match is None:
                    status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
                else:
                    status, body = fake.answer(match[1], params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": f"user{chat_id}", "language_code": "en"}


def _params(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return dict(json.loads(raw))
    out: dict[str, Any] = {}
    for key, values in parse_qs(raw.decode(), keep_blank_values=True).items():
        value = values[0]
        out[key] = json.loads(value) if key in _JSON_FIELDS else value
    return out


def _check_text(params: dict[str, Any]) -> str:
    """What Telegram would refuse: too long, or HTML it cannot parse."""
    text = str(params.get("text", ""))
    if not text.strip():
        return "Bad Request: message text is empty"
    if len(text) > 4096:
        return "Bad Request: message is too long"
    if params.get("parse_mode") == "HTML":
        stack: list[str] = []
        for closing, tag in _TAG_RE.findall(text):
            if tag not in _ALLOWED_TAGS:
                return f"Bad Request: can't parse entities: unsupported start tag {tag!r}"
            if closing:
                if not stack or stack.pop() != tag:
                    return f"Bad Request: can't parse entities: unmatched end tag {tag!r}"
            else:
                stack.append(tag)
        if stack:
            return f"Bad Request: can't parse entities: unclosed tag {stack[-1]!r}"
        if "<" in _TAG_RE.sub("", text) or _ENTITY_RE.search(text):
            return "Bad Request: can't parse entities: stray '<' or '&'"
    return ""
