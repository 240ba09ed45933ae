"""How much the server does at once: numeric-library threads, API requests, and the queue.

A burst used to stall everyone: each of the server's worker threads ran numpy, OpenBLAS and
torch, and each of those started as many threads as there are cores, so 200 requests made
hundreds of threads fight over two cores (34-53 CPU-seconds for 0.72 s of work). The server
therefore runs numeric libraries on one thread per worker, computes at most ``workers`` API
requests at once, lets ``queue`` more wait, and answers the rest at once with 503 and
Retry-After instead of letting every request slow down.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

Scope = dict[str, Any]
ASGIApp = Any


class ServerLimits(BaseSettings):
    """``MOVIEBOT_WORKERS``, ``MOVIEBOT_QUEUE``, ``MOVIEBOT_NUMERIC_THREADS``."""

    model_config = SettingsConfigDict(env_prefix="MOVIEBOT_", extra="ignore")

    workers: int = Field(2, ge=1, le=256, description="API requests computed at once")
    queue: int = Field(256, ge=0, le=100_000, description="API requests waiting beyond those")
    numeric_threads: int = Field(1, ge=1, le=256, description="BLAS/OpenMP/torch threads")
    retry_after: int = Field(2, ge=1, le=3600, description="seconds a refused client waits")


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_numeric_threads(threads: int) -> None:
    """Cap BLAS and OpenMP pools: loaded ones now (threadpoolctl), later ones (torch) at load."""
    from threadpoolctl import threadpool_limits

    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    threadpool_limits(limits=threads)  # lasts for the process, not only inside a with-block
    set_threads = getattr(sys.modules.get("torch"), "set_num_threads", None)
    if set_threads is not None:
        set_threads(threads)


def numeric_threads() -> int:
    """The most threads any loaded numeric library would use now."""
    from threadpoolctl import threadpool_info

    counts = [int(pool["num_threads"]) for pool in threadpool_info()]
    # While another thread is still importing torch (the index build loads the embedder),
    # sys.modules holds it half made, without get_num_threads yet.
    get = getattr(sys.modules.get("torch"), "get_num_threads", None)
    if get is not None:
        counts.append(int(get()))
    return max(counts, default=1)


class Backpressure:
    """ASGI middleware: at most ``workers`` /api requests run, ``queue`` wait, the rest get 503.

    The health check is never held back, so monitoring sees a busy server, not a dead one.
    """

    EXEMPT = ("/api/health",)

    def __init__(self, app: ASGIApp, limits: ServerLimits) -> None:
        self.app = app
        self.limits = limits
        self._running = asyncio.Semaphore(limits.workers)
        self._admitted = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or path in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        if self._admitted >= self.limits.workers + self.limits.queue:
            await self._refuse(send)
            return
        self._admitted += 1
        try:
            async with self._running:
                await self.app(scope, receive, send)
        finally:
            self._admitted -= 1

    async def _refuse(self, send: Any) -> None:
        log.warning("busy: %d API requests admitted; refusing one with 503", self._admitted)
        body = json.dumps(
            {
                "detail": (
                    "The server is busy right now. Please try again in "
                    f"{self.limits.retry_after} seconds."
                ),
                "suggestions": [],
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(self.limits.retry_after).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
