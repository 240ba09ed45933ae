"""Two app workers on one PostgreSQL store and one Chroma server, as deploy/run-local.sh starts
them, share everything: sessions, ratings, the description index and Telegram's webhook; a
rating acknowledged by a worker survives that worker's ``kill -9``."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.api import SESSION_HEADER
from bot.telegram_webhook import SECRET_HEADER, secret_token
from tests.app_server import ROOT, free_port, linked_home
from tests.conftest import IN_CI
from tests.fake_telegram import FakeTelegram
from tests.postgres import binaries as pg_binaries

pytestmark = pytest.mark.slow

HOOK = "/telegram/hook"


@dataclass
class Worker:
    """One ``python app.py web`` that deploy/run-local.sh started."""

    number: int
    port: int
    state: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return int((self.state / "pids" / f"worker-{self.number}").read_text())

    def restart(self) -> None:
        local("worker", str(self.number), env=self.env)


def local(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(ROOT / "deploy" / "run-local.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def cluster(
    real_env, real_build, tmp_path_factory
) -> Iterator[tuple[Worker, Worker, FakeTelegram, str]]:  # type: ignore[no-untyped-def]
    """deploy/run-local.sh's PostgreSQL, Chroma server and two workers over one home of built
    models, answering Telegram through a fake Bot API."""
    if pg_binaries() is None and not IN_CI:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    home = linked_home(
        real_build[0].settings.artifacts_dir,
        tmp_path_factory.mktemp("workers") / "home",
        skip=("index",),
    )
    state = Path(tempfile.mkdtemp(prefix="moviebot-cluster-"))
    state.chmod(0o755)  # PostgreSQL runs as its own user under root
    ports = [free_port() for _ in range(4)]
    with FakeTelegram() as fake:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MOVIEBOT_", "OPENAI_"))},
            **real_env,
            "MOVIEBOT_HOME": str(home),
            "MOVIEBOT_INDEX_LIMIT": "400",
            "MOVIEBOT_CLUSTER": str(state),
            "PG_PORT": str(ports[0]),
            "CHROMA_PORT": str(ports[1]),
            "WORKER_PORTS": f"{ports[2]} {ports[3]}",
            "PYTHON": sys.executable,
            "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
            "TELEGRAM_API_BASE": fake.root,
            "MOVIEBOT_TELEGRAM_WEBHOOK": f"https://bot.example.org{HOOK}",
        }
        try:
            local("start", "2", env=env)
            a, b = (Worker(i, ports[1 + i], state, env) for i in (1, 2))
            yield a, b, fake, f"postgresql://moviebot@127.0.0.1:{ports[0]}/moviebot"
        finally:
            local("stop", env=env)
    for i in (1, 2):
        assert "Traceback" not in (state / "logs" / f"worker-{i}.log").read_text()
    shutil.rmtree(state, ignore_errors=True)


def _session(server: Worker) -> str:
    reply = httpx.post(f"{server.url}/api/chat", json={"message": "hi"}, timeout=120)
    reply.raise_for_status()
    return str(reply.json()["session_id"])


def _rate(server: Worker, sid: str, movie: str, stars: float) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/rate",
        json={"movie": movie, "stars": stars},
        headers={SESSION_HEADER: sid},
        timeout=60,
    )


def _titles(server: Worker, sid: str) -> list[str]:
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
    os.kill(b.pid, signal.SIGKILL)  # right after the acknowledgement
    assert "Heat" in _titles(a, sid)
    b.restart()
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
