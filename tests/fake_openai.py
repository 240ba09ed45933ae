"""A scripted OpenAI-compatible chat server on loopback, for driving the real client in tests.

It speaks ``POST /v1/chat/completions`` (plain JSON and server-sent-event streams, tool calls
included) and ``GET /v1/models``. A test gives a script: a function from (request body, index
of the request) to a :class:`Say` (text), :class:`Call` (tool calls), :class:`Fail` (an HTTP
error), :class:`Garbage` (a 200 with a broken body) or :class:`Stall` (no answer in time).
Every request body is kept in ``requests`` for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Say:
    text: str


@dataclass
class Call:
    calls: list[tuple[str, dict[str, Any] | str]]  # a str is sent as written (broken JSON)
    said: str = ""  # words streamed before the call ("Let me check...")


@dataclass
class Fail:
    status: int = 500
    message: str = "internal error"


@dataclass
class Garbage:
    body: bytes = b"<html>502 Bad Gateway</html>"


@dataclass
class Stall:
    seconds: float = 5.0


Script = Callable[[dict[str, Any], int], Any]


@dataclass
class FakeOpenAI:
    script: Script
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                answer = fake.script(body, len(fake.requests) - 1)
                if isinstance(answer, Stall):
                    time.sleep(answer.seconds)
                    return
                if isinstance(answer, Fail):
                    self._json(answer.status, {"error": {"message": answer.message}})
                    return
                if isinstance(answer, Garbage):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                    return
                if body.get("stream"):
                    self._stream(answer)
                else:
                    self._json(200, _completion(answer))

            def _json(self, status: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, answer: Say | Call) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in _chunks(answer):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def tool_results(self, index: int = -1) -> list[dict[str, Any]]:
        """Tool messages the client sent in a request (JSON-decoded contents)."""
        messages = self.requests[index]["messages"]
        return [json.loads(m["content"]) for m in messages if m["role"] == "tool"]


def _completion(answer: Say | Call) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if isinstance(answer, Say):
        message["content"] = answer.text
        finish = "stop"
    else:
        message["content"] = answer.said or None
        message["tool_calls"] = _tool_calls(answer)
        finish = "tool_calls"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _tool_calls(answer: Call) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {
                "name": name,
                "arguments": args if isinstance(args, str) else json.dumps(args),
            },
        }
        for i, (name, args) in enumerate(answer.calls)
    ]


def _chunks(answer: Say | Call) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    out = [chunk({"role": "assistant", "content": ""})]
    if isinstance(answer, Say):
        words = answer.text.split(" ")
        out += [
            chunk({"content": w + (" " if i < len(words) - 1 else "")}) for i, w in enumerate(words)
        ]
        out.append(chunk({}, "stop"))
    else:
        if answer.said:
            out.append(chunk({"content": answer.said + "\n"}))
        for i, call in enumerate(_tool_calls(answer)):
            out.append(chunk({"tool_calls": [{"index": i, **call}]}))
        out.append(chunk({}, "tool_calls"))
    return out
