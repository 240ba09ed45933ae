"""The web app, offline mode: time to serve, a chat turn through the web stack, 20 clients.

    python -m benchmarks.bench_web [--home DIR] [--starts 3] [--turns 40] [--clients 20]
                                   [--seconds 60] [--burst 200] [--workers N] [--skip-page]

Builds the artifacts under --home first if needed (not timed), then runs the real
``python app.py web`` on a free loopback port. Startup is measured from process start to the
first 200 from /api/health (and to the page, and until the embedder is warm). Chat turns go
through gradio_client to the page's own chat endpoint (the path a browser's turn takes), and
through POST /api/chat. The burst sends --burst POST /api/recommend requests at the same
instant (each a new session) and reports when the first and the last answer came. The load
test runs --clients gradio_client clients at once, each its own session, each sending the next
message as soon as the last reply ends, for --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import DESCRIPTIONS, SHARED
from bot.api import SESSION_HEADER as SESSION
from recommender.config import Settings
from recommender.engine import build
from tests.app_server import AppServer

MESSAGES = [
    "recommend me something",
    "I loved Inception and Arrival",
    "something like Heat",
    "a heist film with a twist",
    "more like that",
    "what is my taste?",
    "rate Toy Story 4 stars",
    "tell me about Alien",
    "hi",
    "something cosy for a rainy evening",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, seconds: list[float]) -> str:
    return (
        f"{name:<40} median {statistics.median(seconds) * 1000:8.1f} ms   "
        f"p95 {percentile(seconds, 0.95) * 1000:8.1f} ms   n={len(seconds)}"
    )


def startup(env: dict[str, str], home: Path, starts: int) -> AppServer:
    ready, page, warm = [], [], []
    server = AppServer(env, home)
    for i in range(starts):
        server.start()
        began = time.monotonic()
        assert httpx.get(server.url + "/", timeout=30).status_code == 200
        page.append(server.seconds_to_ready + time.monotonic() - began)
        ready.append(server.seconds_to_ready)
        warm.append(server.seconds_to_ready + server.wait_warm())
        if i < starts - 1:
            server.stop()
    print(f"startup to /api/health 200      median {statistics.median(ready):6.2f} s  {ready}")
    print(f"startup to the page 200          median {statistics.median(page):6.2f} s")
    print(f"startup until the embedder warm  median {statistics.median(warm):6.2f} s")
    return server


def chat_turns(server: AppServer, turns: int) -> None:
    from gradio_client import Client

    client = Client(server.url + "/", verbose=False)
    web, api = [], []
    with httpx.Client(base_url=server.url, timeout=60) as http:
        sid = http.get("/api/profile").headers["X-Session-Id"]
        for i in range(turns):
            message = MESSAGES[i % len(MESSAGES)]
            began = time.perf_counter()
            client.predict(message, [], api_name="/chat")
            web.append(time.perf_counter() - began)
            began = time.perf_counter()
            http.post("/api/chat", json={"message": message}, headers={"X-Session-Id": sid})
            api.append(time.perf_counter() - began)
    print(line("chat turn, page endpoint (gradio_client)", web))
    print(line("chat turn, POST /api/chat", api))


def burst(server: AppServer, n: int) -> None:
    """``n`` concurrent POST /api/recommend {"k": 10}: latencies, errors and 503s."""

    async def one(client: httpx.AsyncClient, start: asyncio.Event) -> tuple[int, float]:
        await start.wait()
        began = time.perf_counter()
        try:
            response = await client.post("/api/recommend", json={"k": 10})
        except httpx.HTTPError:
            return -1, time.perf_counter() - began
        return response.status_code, time.perf_counter() - began

    async def run() -> list[tuple[int, float]]:
        limits = httpx.Limits(max_connections=n + 10)
        async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as client:
            start = asyncio.Event()
            tasks = [asyncio.create_task(one(client, start)) for _ in range(n)]
            await asyncio.sleep(0.5)
            start.set()
            return await asyncio.gather(*tasks)

    results = asyncio.run(run())
    seconds = [t for status, t in results if status == 200]
    busy = sum(status == 503 for status, _ in results)
    errors = sum(status not in (200, 503) for status, _ in results)
    print(
        f"burst of {n} POST /api/recommend: {len(seconds)} answered, {busy} told to retry (503), "
        f"{errors} errors"
    )
    if seconds:
        print(
            f"  first {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s, "
            f"p95 {percentile(seconds, 0.95):.2f} s, last {max(seconds):.2f} s"
        )


def run_clients(
    label: str,
    clients: int,
    seconds: float,
    connect: Callable[[], Any],
    turn: Callable[[Any, str], None],
) -> None:
    """``clients`` threads, each connected once, sending turns back to back for ``seconds``.

    ``turn(client, message)`` raises when the answer is wrong; that counts as an error.
    """
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    go = threading.Barrier(clients + 1)

    def worker(n: int) -> None:
        client = connect()
        go.wait()
        end, i = time.monotonic() + seconds, n
        while time.monotonic() < end:
            began = time.perf_counter()
            try:
                turn(client, MESSAGES[i % len(MESSAGES)])
            except Exception as err:
                with lock:
                    errors.append(f"{type(err).__name__}: {err}")
            else:
                with lock:
                    latencies.append(time.perf_counter() - began)
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    go.wait()
    began = time.monotonic()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    print(
        f"{clients} {label} for {elapsed:.0f} s: {len(latencies)} turns, "
        f"{len(latencies) / elapsed:.1f} turns/s, errors {len(errors)}"
    )
    if latencies:
        print(line(f"  turn latency under load ({clients} {label})", latencies))
    for err in errors[:5]:
        print("  error:", err)


def api_load(server: AppServer, clients: int, seconds: float) -> None:
    """Each client its own API session, posting chat turns to POST /api/chat."""

    def connect() -> tuple[httpx.Client, str]:
        http = httpx.Client(base_url=server.url, timeout=60)
        return http, http.get("/api/profile").headers["X-Session-Id"]

    def turn(client: tuple[httpx.Client, str], message: str) -> None:
        http, sid = client
        response = http.post("/api/chat", json={"message": message}, headers={SESSION: sid})
        response.raise_for_status()
        assert response.json()["reply"], "no answer"

    run_clients("API clients", clients, seconds, connect, turn)


def load(server: AppServer, clients: int, seconds: float) -> None:
    """Each client a gradio_client on the page's own chat endpoint (a browser's path)."""
    from gradio_client import Client

    def turn(client: Client, message: str) -> None:
        history, _ = client.predict(message, [], api_name="/chat")
        assert any(m["role"] == "assistant" for m in history), "no answer"

    run_clients(
        "page clients", clients, seconds, lambda: Client(server.url + "/", verbose=False), turn
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--workers", type=int, help="MOVIEBOT_WORKERS for the server")
    parser.add_argument("--skip-page", action="store_true", help="no gradio_client load test")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="moviebot-bench-web-"))
    data = SHARED / "ml-latest-small"
    build(Settings(data_dir=data, descriptions=DESCRIPTIONS, home=home), progress=True)
    env = {
        "MOVIEBOT_DATA_DIR": str(data),
        "MOVIEBOT_DESCRIPTIONS": os.pathsep.join(map(str, DESCRIPTIONS)),
        **({"MOVIEBOT_WORKERS": str(args.workers)} if args.workers else {}),
    }
    server = startup(env, home, args.starts)
    try:
        chat_turns(server, args.turns)
        burst(server, args.burst)
        api_load(server, args.clients, args.seconds)
        if not args.skip_page:
            load(server, args.clients, args.seconds)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
