"""A fake TMDB API on loopback (stdlib): ``/3/movie/{id}`` with scripted misbehaviour.

Every id answers a small, real-shaped movie JSON unless ``script`` says otherwise:
``"404"``, ``"429"`` (once, with ``Retry-After: 1``), ``"500"`` (once), ``"slow"`` (once,
longer than the client's timeout), ``"garbage"`` (a 200 that is not JSON), ``"list"`` (JSON that
is not an object).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# A 2 x 3 PNG (grey): what the fake image CDN serves for every poster.
POSTER_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAIAAAA2iEnWAAAAEklEQVR4nGNgYGD4DwVQBgMDAK9uBfvmQPLu"
    "AAAAAElFTkSuQmCC"
)


def movie_json(tmdb_id: int) -> dict[str, Any]:
    return {
        "id": tmdb_id,
        "title": f"Movie {tmdb_id}",
        "poster_path": f"/poster{tmdb_id}.jpg",
        "backdrop_path": f"/backdrop{tmdb_id}.jpg",
        "runtime": 118,
        "overview": "A crew plans one last job.",
        "keywords": {"keywords": [{"id": 1, "name": "heist"}, {"id": 2, "name": "los angeles"}]},
        "credits": {
            "cast": [{"name": "Al Pacino"}, {"name": "Robert De Niro"}],
            "crew": [
                {"job": "Producer", "name": "Art Linson"},
                {"job": "Director", "name": "Michael Mann"},
            ],
        },
        "videos": {
            "results": [
                {"site": "Vimeo", "type": "Trailer", "key": "nope"},
                {"site": "YouTube", "type": "Teaser", "key": "teaser1"},
                {"site": "YouTube", "type": "Trailer", "key": "trailer1", "official": True},
            ]
        },
        "watch/providers": {
            "results": {
                "GB": {
                    "link": f"https://www.themoviedb.org/movie/{tmdb_id}/watch?locale=GB",
                    "flatrate": [{"provider_name": "Netflix"}],
                    "rent": [{"provider_name": "Apple TV"}, {"provider_name": "Rakuten TV"}],
                },
                "US": {"buy": [{"provider_name": "Vudu"}]},
            }
        },
    }


class FakeTMDB:
    """Start with ``with FakeTMDB(script) as fake:``; ``fake.url`` is the API base."""

    def __init__(self, script: dict[int, str] | None = None, slow_seconds: float = 1.5) -> None:
        self.script = dict(script or {})
        self.slow_seconds = slow_seconds
        self.requests: list[dict[str, Any]] = []
        self._served_once: set[tuple[int, str]] = set()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/3"

    @property
    def image_base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/t/p"

    def __enter__(self) -> FakeTMDB:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _once(self, tmdb_id: int, what: str) -> bool:
        with self._lock:
            first = (tmdb_id, what) not in self._served_once
            self._served_once.add((tmdb_id, what))
            return first

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        with self._lock:
            self.requests.append(
                {
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "authorization": handler.headers.get("Authorization"),
                }
            )
        if parts.path.startswith("/t/p/"):  # the image CDN
            return self._send_raw(handler, 200, POSTER_PNG, {"Content-Type": "image/png"})
        try:
            tmdb_id = int(parts.path.rsplit("/", 1)[-1])
        except ValueError:
            return self._send(handler, 404, {"status_message": "not found"})
        what = self.script.get(tmdb_id, "ok")
        if what == "404":
            return self._send(handler, 404, {"status_code": 34, "status_message": "not found"})
        if what == "429" and self._once(tmdb_id, what):
            return self._send(handler, 429, {"status_code": 25}, {"Retry-After": "1"})
        if what == "500" and self._once(tmdb_id, what):
            return self._send(handler, 500, {"status_message": "oops"})
        if what == "slow" and self._once(tmdb_id, what):
            time.sleep(self.slow_seconds)
        if what == "garbage":
            return self._send_raw(handler, 200, b"{not json at all")
        if what == "list":
            return self._send(handler, 200, [1, 2, 3])
        return self._send(handler, 200, movie_json(tmdb_id))

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        FakeTMDB._send_raw(handler, status, json.dumps(body).encode(), headers)

    @staticmethod
    def _send_raw(
        handler: BaseHTTPRequestHandler,
        status: int,
        raw: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            handler.send_response(status)
            if "Content-Type" not in (headers or {}):
                handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass
