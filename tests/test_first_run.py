"""A first start: the app serves before the description index is in, and says so."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.app_server import AppServer, linked_home

pytestmark = pytest.mark.slow

INDEXED = 1500  # movies the index embeds here: long enough to be caught while it builds


def _chat(server: AppServer, message: str) -> str:
    reply = httpx.post(server.url + "/api/chat", json={"message": message}, timeout=120)
    reply.raise_for_status()
    body = reply.json()
    return str(body["reply"]) + "\n" + "\n".join(body["notes"])


def test_the_app_answers_while_the_index_builds_behind(real_env, real_build, tmp_path) -> None:  # type: ignore[no-untyped-def]
    artifacts = real_build[0].settings.artifacts_dir
    home = linked_home(artifacts, tmp_path / "home", skip=("index",))  # data, models built
    env = {**real_env, "MOVIEBOT_INDEX_LIMIT": str(INDEXED)}
    server = AppServer(env, home).start(wait_index=False)
    try:
        health = httpx.get(server.url + "/api/health").json()
        assert health["index"]["state"] in {"waiting", "running"}, health
        meanwhile = _chat(server, "a heist film with a clever twist")
        assert "still indexing the movie descriptions" in meanwhile
        assert "1. " in meanwhile  # well-loved picks while it builds
        assert "Sorry" not in meanwhile
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            index = httpx.get(server.url + "/api/health").json()["index"]
            if index["state"] in {"ready", "failed"}:
                break
            time.sleep(0.5)
        assert index["state"] == "ready" and index["percent"] == 100, index
        after = _chat(server, "a heist film with a clever twist")
        assert "still indexing" not in after and "1. " in after
    finally:
        server.stop()
    log = (home / "server.log").read_text()
    assert "Traceback" not in log
