"""Two app workers on one PostgreSQL store and one Chroma server share everything: sessions,
ratings, the description index and Telegram's webhook; a rating acknowledged by a worker
survives that worker's ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.api import SESSION_HEADER
from bot.telegram_webhook import SECRET_HEADER, secret_token
from tests.app_server import AppServer, free_port, linked_home
from tests.fake_telegram import FakeTelegram
from tests.test_cli import run

pytestmark = pytest.mark.slow

HOOK = "/telegram/hook"


class ChromaServer:
    """``chroma run`` on a free loopback port over a throwaway folder."""

    def __init__(self, path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        chroma = Path(sys.executable).with_name("chroma")
        self.proc = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("chroma run did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def cluster(
    real_env, real_build, database_url, tmp_path
) -> Iterator[tuple[AppServer, AppServer, FakeTelegram, str]]:  # type: ignore[no-untyped-def]
    """Worker A and worker B (one home of built models, the index in a Chroma server, the
    profiles in PostgreSQL) and the fake Telegram they answer through."""
    chroma = ChromaServer(tmp_path / "chroma")
    home = linked_home(real_build[0].settings.artifacts_dir, tmp_path / "home", skip=("index",))
    env = {
        **real_env,
        "MOVIEBOT_HOME": str(home),
        "MOVIEBOT_DATABASE_URL": database_url,
        "MOVIEBOT_CHROMA_URL": chroma.url,
        "MOVIEBOT_INDEX_LIMIT": "400",
    }
    built = run("build", "--only", "index", env=env, timeout=900)  # into the Chroma server
    assert built.returncode == 0, built.stderr
    with FakeTelegram() as fake:
        env |= {
            "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
            "TELEGRAM_API_BASE": fake.root,
            "MOVIEBOT_TELEGRAM_WEBHOOK": f"https://bot.example.org{HOOK}",
        }
        a = AppServer(env, home, log=tmp_path / "a.log").start()
        b = AppServer(env, home, log=tmp_path / "b.log").start()
        try:
            yield a, b, fake, database_url
        finally:
            a.stop()
            b.stop()
            chroma.stop()
    for log in ("a.log", "b.log"):
        assert "Traceback" not in (tmp_path / log).read_text()


def _session(server: AppServer) -> str:
    reply = httpx.post(f"{server.url}/api/chat", json={"message": "hi"}, timeout=120)
    reply.raise_for_status()
    return str(reply.json()["session_id"])


def _rate(server: AppServer, sid: str, movie: str, stars: float) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/rate",
        json={"movie": movie, "stars": stars},
        headers={SESSION_HEADER: sid},
        timeout=60,
    )


def _titles(server: AppServer, sid: str) -> list[str]:
    profile = httpx.get(f"{server.url}/api/profile", headers={SESSION_HEADER: sid}, timeout=60)
    profile.raise_for_status()
    return [r["movie"]["title"] for r in profile.json()["ratings"]]


def test_a_session_from_one_worker_is_served_by_the_other(cluster) -> None:  # type: ignore[no-untyped-def]
    a, b, _, _ = cluster
    sid = _session(a)
    assert _rate(a, sid, "Toy Story", 5).status_code == 200
    assert _rate(a, sid, "Finding Nemo", 4.5).status_code == 200
    assert "Toy Story" in _titles(b, sid)  # B accepts A's id and reads A's write
    mine = httpx.post(f"{b.url}/api/recommend", json={}, headers={SESSION_HEADER: sid}, timeout=60)
    fresh = httpx.post(f"{b.url}/api/recommend", json={}, timeout=60)
    assert mine.json()["basis"] == "profile" and fresh.json()["basis"] == "popular"
    hits = httpx.get(f"{b.url}/api/search", params={"q": "toys that come to life"}, timeout=60)
    assert hits.status_code == 200 and hits.json()["hits"]  # the shared Chroma server answers


def test_an_acknowledged_rating_survives_kill_9(cluster) -> None:  # type: ignore[no-untyped-def]
    a, b, _, _ = cluster
    sid = _session(b)
    assert _rate(b, sid, "Heat", 4.5).status_code == 200
    assert b.proc is not None
    os.kill(b.proc.pid, signal.SIGKILL)  # right after the acknowledgement
    b.proc.wait()
    assert "Heat" in _titles(a, sid)
    b.start(keep_port=True)
    assert "Heat" in _titles(b, sid)


def test_telegram_updates_are_answered_by_either_worker(cluster) -> None:  # type: ignore[no-untyped-def]
    a, b, fake, database_url = cluster
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT value FROM secrets WHERE name = 'web'").fetchone()
    assert row is not None
    header = {SECRET_HEADER: secret_token(row[0])}
    hook = fake.sent(method="setWebhook")[-1].params
    assert (
        hook["url"] == f"https://bot.example.org{HOOK}"
        and hook["secret_token"] == header[SECRET_HEADER]
    )

    def update(n: int, text: str) -> dict[str, object]:
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {
            "update_id": n,
            "message": {
                "message_id": n,
                "date": int(time.time()),
                "chat": {"id": 77, "type": "private"},
                "from": {"id": 77, "is_bot": False, "first_name": "Ana"},
                "text": text,
                **({"entities": entities} if text.startswith("/") else {}),
            },
        }

    forged = httpx.post(f"{a.url}{HOOK}", json=update(1, "/help"), timeout=60)
    assert forged.status_code == 403
    started = httpx.post(f"{a.url}{HOOK}", json=update(2, "/start"), headers=header, timeout=120)
    assert started.status_code == 200
    answer = httpx.post(  # the answer to A's welcome reaches B: onboarding's step is shared
        f"{b.url}{HOOK}", json=update(3, "Heat and Alien"), headers=header, timeout=120
    )
    assert answer.status_code == 200
    replies = fake.wait_replies(77, 2)
    assert "Noted: you love" in replies[1].text and "Heat" in replies[1].text
    profile = httpx.post(f"{a.url}{HOOK}", json=update(4, "/profile"), headers=header, timeout=120)
    assert profile.status_code == 200
    assert "Alien" in fake.wait_replies(77, 3)[2].text
    webhooks = fake.sent(method="setWebhook")  # each worker registered it: the same one
    assert len(webhooks) >= 2 and len({s.params["url"] for s in webhooks}) == 1
