"""Soak: many distinct chat messages through POST /api/chat, with the server's memory over time.

    python -m benchmarks.bench_soak [--home DIR] [--messages 20000] [--clients 4]
                                    [--per-session 40] [--every 1000]

Runs the real ``python app.py web`` (offline mode) on a free loopback port and sends
--messages chat messages, every one different (catalogue titles, stars, moods, years, typos and
noise words mixed by a seeded generator), from --clients clients at once; each client starts a
new API session every --per-session messages. The server's resident memory (VmRSS of its
process) is printed at the start, every --every messages and at the end, with errors and the
turn rate, so growth without a plateau shows as a rising column.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd

from benchmarks.common import DESCRIPTIONS, SHARED
from bot.api import SESSION_HEADER
from recommender.config import Settings
from recommender.engine import build
from tests.app_server import AppServer, linked_home

TEMPLATES = [
    "I loved {title}, what should I watch next?",
    "rate {title} {stars} stars",
    "something like {title} but {mood}",
    "{title} {stars}/5, {other} {stars2}/5",
    "a {mood} movie from the {decade}s please",
    "hated {title}. anything {mood}?",
    "tell me about {title}",
    "{noise} {mood} {noise2}",
    "my fav is {title_lower} lol {noise}",
    "any {mood} {genre} films after {year}?",
]
MOODS = ["funny", "dark", "cosy", "slow", "weird", "tense", "romantic", "sad", "smart", "loud"]
GENRES = ["comedy", "horror", "drama", "sci-fi", "thriller", "animation", "western", "war"]


def catalogue_titles(movies_csv: Path) -> list[str]:
    """The titles of a MovieLens movies.csv, without their years."""
    movies = pd.read_csv(movies_csv)
    return list(movies["title"].str.replace(r"\s*\(\d{4}\)\s*$", "", regex=True))


def messages(n: int, titles: list[str], seed: int = 7) -> Iterator[str]:
    """``n`` different messages (duplicates are skipped), reproducible for one seed."""
    rng, seen = random.Random(seed), set[str]()
    letters = "abcdefghijklmnopqrstuvwxyz"
    while len(seen) < n:
        fields = {
            "title": rng.choice(titles),
            "other": rng.choice(titles),
            "stars": rng.choice([1, 2, 2.5, 3, 3.5, 4, 4.5, 5]),
            "stars2": rng.randint(1, 5),
            "mood": rng.choice(MOODS),
            "genre": rng.choice(GENRES),
            "decade": rng.choice(range(1930, 2030, 10)),
            "year": rng.randint(1920, 2020),
            "noise": "".join(rng.choice(letters) for _ in range(rng.randint(3, 9))),
            "noise2": str(rng.randint(0, 10**6)),
        }
        fields["title_lower"] = str(fields["title"]).lower()
        text = rng.choice(TEMPLATES).format(**fields)
        if text not in seen:
            seen.add(text)
            yield text


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc (Linux)."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def soak(server: AppServer, n: int, clients: int, per_session: int, every: int) -> None:
    assert server.proc is not None
    pid = server.proc.pid
    titles = catalogue_titles(SHARED / "ml-latest-small" / "movies.csv")
    todo = iter(list(messages(n, titles)))
    lock = threading.Lock()
    done, errors, latencies = [0], list[str](), list[float]()
    began = time.monotonic()
    print(f"{'messages':>9} {'RSS MB':>8} {'turns/s':>8} {'errors':>7}")
    print(f"{0:>9} {rss_mb(pid):>8.0f} {'':>8} {0:>7}")

    def report() -> None:
        rate = done[0] / (time.monotonic() - began)
        print(f"{done[0]:>9} {rss_mb(pid):>8.0f} {rate:>8.1f} {len(errors):>7}", flush=True)

    def worker() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            sent, sid = per_session, ""
            while True:
                with lock:
                    message = next(todo, None)
                if message is None:
                    return
                if sent >= per_session:
                    sid, sent = http.get("/api/profile").headers[SESSION_HEADER], 0
                t0 = time.perf_counter()
                try:
                    response = http.post(
                        "/api/chat", json={"message": message}, headers={SESSION_HEADER: sid}
                    )
                    response.raise_for_status()
                    if not response.json()["reply"]:
                        raise ValueError(f"empty reply to {message!r}")
                except Exception as err:
                    with lock:
                        errors.append(f"{type(err).__name__}: {err}")
                sent += 1
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    done[0] += 1
                    if done[0] % every == 0:
                        report()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if done[0] % every:
        report()
    print(f"median turn {statistics.median(latencies) * 1000:.0f} ms; errors {len(errors)}")
    for err in errors[:5]:
        print("  error:", err)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, help="built artifacts to use (built if missing)")
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--per-session", type=int, default=40)
    parser.add_argument("--every", type=int, default=1000)
    args = parser.parse_args()
    built = args.home or Path(tempfile.mkdtemp(prefix="moviebot-bench-soak-"))
    data = SHARED / "ml-latest-small"
    build(Settings(data_dir=data, descriptions=DESCRIPTIONS, home=built), progress=True)
    home = linked_home(built / "artifacts", Path(tempfile.mkdtemp(prefix="moviebot-soak-")))
    env = {
        "MOVIEBOT_DATA_DIR": str(data),
        "MOVIEBOT_DESCRIPTIONS": os.pathsep.join(map(str, DESCRIPTIONS)),
    }
    server = AppServer(env, home).start()
    try:
        server.wait_warm()
        soak(server, args.messages, args.clients, args.per_session, args.every)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
