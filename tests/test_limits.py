"""Backpressure and thread limits: a burst is queued up to a bound, then refused with 503."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.limits import Backpressure, ServerLimits

ROOT = Path(__file__).resolve().parent.parent


def _app(release: asyncio.Event, limits: ServerLimits) -> Backpressure:
    async def slow(request: Request) -> JSONResponse:
        await release.wait()
        return JSONResponse({"ok": True})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [Route("/api/recommend", slow, methods=["POST"]), Route("/api/health", health)]
    return Backpressure(Starlette(routes=routes), limits)


def test_requests_beyond_the_queue_get_503_with_retry_after() -> None:
    async def run() -> None:
        release = asyncio.Event()
        limits = ServerLimits(workers=1, queue=2, retry_after=3)
        transport = httpx.ASGITransport(app=_app(release, limits))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            admitted = [asyncio.create_task(client.post("/api/recommend")) for _ in range(3)]
            await asyncio.sleep(0.05)  # all three are inside: one running, two waiting
            refused = await client.post("/api/recommend")
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "3"
            assert "try again in 3 seconds" in refused.json()["detail"]
            health = await client.get("/api/health")  # never held back
            assert health.status_code == 200
            release.set()
            answered = await asyncio.gather(*admitted)
            assert [r.status_code for r in answered] == [200, 200, 200]
            again = await client.post("/api/recommend")  # room again once they are done
            assert again.status_code == 200

    asyncio.run(run())


def test_numeric_libraries_loaded_before_and_after_the_limit_use_one_thread() -> None:
    """In a fresh process (the limit lasts for the process): numpy before, torch after."""
    code = (
        "import numpy as np\n"
        "from bot.limits import limit_numeric_threads, numeric_threads\n"
        "before = numeric_threads()\n"
        "limit_numeric_threads(1)\n"
        "import torch\n"
        "a = np.ones((200, 200)); assert (a @ a)[0, 0] == 200\n"
        "print(before, numeric_threads(), torch.get_num_threads())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    before, after, torch_threads = map(int, out.stdout.split())
    assert after == 1 and torch_threads == 1
    assert before >= 1


def test_thread_counts_while_torch_is_half_imported(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The health check asks while the index build may still be importing torch."""
    import types

    from bot.limits import numeric_threads

    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))  # no attributes yet
    assert numeric_threads() >= 1
