"""``python app.py web`` in a subprocess on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def linked_home(artifacts: Path, home: Path, skip: tuple[str, ...] = ()) -> Path:
    """A MOVIEBOT_HOME using already built artifacts and its own, new user data.

    Built stages are linked; the Chroma folder is not (two processes must not share one live
    store): the app restores its own from the index artifact, without re-embedding.
    ``skip``: stages left out, to be built by the app (``("index",)``: a first start).
    """
    target = home / "artifacts"
    target.mkdir(parents=True, exist_ok=True)
    for item in artifacts.iterdir():
        if item.name in {"chroma", *skip} or (target / item.name).exists():
            continue
        if item.is_dir():
            (target / item.name).symlink_to(item)
        else:
            shutil.copy2(item, target / item.name)
    return home


def _ours(health: httpx.Response) -> bool:
    """Whether a health answer is this app's (a fake server may answer any path with 200)."""
    if health.status_code != 200:
        return False
    body = health.json()
    return isinstance(body, dict) and body.get("status") == "ok" and "index" in body


def _indexing(health: dict[str, object]) -> bool:
    index = health.get("index")
    return isinstance(index, dict) and index.get("state") in {"waiting", "running"}


class AppServer:
    """The real app, offline mode (no LLM variables), answering on 127.0.0.1."""

    def __init__(self, env: dict[str, str], home: Path, log: Path | None = None) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MOVIEBOT_"))},
            **env,
            "MOVIEBOT_HOME": str(home),
            "PYTHONUNBUFFERED": "1",
        }
        self.log = log or home / "server.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.seconds_to_ready = float("nan")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(
        self, timeout: float = 240, keep_port: bool = False, wait_index: bool = True
    ) -> AppServer:
        """Start the app; ready once its health answers (and, with ``wait_index``, once the
        description index it loads or builds in the background is in).

        The port is free when picked but another test's server may take it before the app
        binds it (the app loads for seconds first): then the app exits and starts again on
        a new port, and an answer from that other server is never taken for the app's."""
        for _ in range(3):
            if not (keep_port and self.port):
                self.port = free_port()
            if self._launch(timeout, wait_index):
                return self
            keep_port = False
        raise RuntimeError(f"the app found no free port: {self.log.read_text()[-3000:]}")

    def _launch(self, timeout: float, wait_index: bool) -> bool:
        """Whether the app came up on ``self.port`` (False: the port was taken)."""
        started = time.monotonic()
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "app.py"), "-q", "web", "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=ROOT,
            )
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                tail = self.log.read_text()[-3000:]
                if "address already in use" in tail.lower():
                    return False
                raise RuntimeError(f"the app exited: {tail}")
            try:
                health = httpx.get(f"{self.url}/api/health", timeout=2)
                if _ours(health) and not (wait_index and _indexing(health.json())):
                    self.seconds_to_ready = time.monotonic() - started
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the app did not answer within {timeout} s: {self.log.read_text()}")

    def wait_warm(self, timeout: float = 240) -> float:
        """Seconds until the health check says the slow parts are loaded."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if httpx.get(f"{self.url}/api/health", timeout=5).json().get("warmed_up"):
                return time.monotonic() - started
            time.sleep(0.2)
        raise RuntimeError("the app did not warm up")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
