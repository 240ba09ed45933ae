"""Two app workers sharing PostgreSQL and a Chroma server (deploy/run-local.sh): concurrent
clients across both, and kill -9 of a worker right after it acknowledged a rating.

    python -m benchmarks.bench_workers --home DIR [--clients 20] [--seconds 60] [--cycles 20]

``--home`` is a MOVIEBOT_HOME with the data and models built (ml-latest-small unless
MOVIEBOT_DATA_DIR says otherwise); the cluster puts its index into its own Chroma server.

1. Clients: each has its own session, started on one worker, and for ``--seconds`` rates
   movies of its own (a rating on one worker, its profile read back on the other), with a
   recommendation now and then. An error is any answer but 200; cross-talk is a profile that
   is not exactly the ratings this client was acknowledged (another's rating, or one lost).
2. Kill cycles: a new session rates a movie on worker W; as soon as the acknowledgement
   arrives W is killed with SIGKILL; the other worker must show the rating; W is restarted.

Results go to ``benchmarks/results/workers.json`` with the command, machine and date.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import write_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "workers.json"
SCRIPT = ROOT / "deploy" / "run-local.sh"
HEADER = "X-Session-Id"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    env: dict[str, str]
    state: Path
    ports: list[int]

    def url(self, worker: int) -> str:
        return f"http://127.0.0.1:{self.ports[worker]}"

    def pid(self, worker: int) -> int:
        return int((self.state / "pids" / f"worker-{worker + 1}").read_text())

    def run(self, *args: str) -> None:
        subprocess.run([str(SCRIPT), *args], env=self.env, check=True, capture_output=True)


@dataclass
class Tally:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    crosstalk: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def client(number: int, cluster: Cluster, movies: list[int], until: float, tally: Tally) -> None:
    """One person: their own session and movies, alternating workers."""
    rng = random.Random(number)
    with httpx.Client(timeout=60) as http:
        first = http.post(f"{cluster.url(number % 2)}/api/chat", json={"message": "hi there"})
        if first.status_code != 200:
            tally.error(f"client {number}: chat {first.status_code}")
            return
        sid, given, turn = first.json()["session_id"], {}, 0
        while time.monotonic() < until:
            here, there = cluster.url(turn % 2), cluster.url((turn + 1) % 2)
            movie, stars = rng.choice(movies), rng.choice([1.0, 2.5, 3.5, 4.0, 4.5, 5.0])
            try:
                rated = http.post(
                    f"{here}/api/rate", json={"movie": movie, "stars": stars}, headers={HEADER: sid}
                )
                if rated.status_code != 200:
                    tally.error(f"client {number}: rate {rated.status_code}")
                    continue
                given[movie] = stars
                profile = http.get(f"{there}/api/profile", headers={HEADER: sid})
                if profile.status_code != 200:
                    tally.error(f"client {number}: profile {profile.status_code}")
                    continue
                seen = {r["movie"]["movieId"]: r["stars"] for r in profile.json()["ratings"]}
                if seen != given:
                    with tally.lock:
                        tally.crosstalk.append(f"client {number}: {seen} != {given}")
                if turn % 5 == 4:
                    picks = http.post(f"{there}/api/recommend", json={}, headers={HEADER: sid})
                    if picks.status_code != 200:
                        tally.error(f"client {number}: recommend {picks.status_code}")
            except httpx.HTTPError as err:
                tally.error(f"client {number}: {type(err).__name__}")
            with tally.lock:
                tally.requests += 3 if turn % 5 == 4 else 2
            turn += 1


def concurrency(
    cluster: Cluster, clients: int, seconds: float, movies: list[int]
) -> dict[str, Any]:
    tally, until = Tally(), time.monotonic() + seconds
    share = max(len(movies) // clients, 5)
    threads = [
        threading.Thread(
            target=client, args=(i, cluster, movies[i * share : (i + 1) * share], until, tally)
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / seconds, 1),
        "errors": len(tally.errors),
        "crosstalk": len(tally.crosstalk),
        "examples": (tally.errors + tally.crosstalk)[:5],
    }


def kill_cycles(cluster: Cluster, cycles: int, movies: list[int]) -> dict[str, Any]:
    lost, restarts = [], []
    with httpx.Client(timeout=120) as http:
        for cycle in range(cycles):
            worker, other = cycle % 2, (cycle + 1) % 2
            started = http.post(f"{cluster.url(worker)}/api/chat", json={"message": "hello"})
            sid, movie = started.json()["session_id"], movies[cycle % len(movies)]
            rated = http.post(
                f"{cluster.url(worker)}/api/rate",
                json={"movie": movie, "stars": 4.5},
                headers={HEADER: sid},
            )
            os.kill(cluster.pid(worker), signal.SIGKILL)  # right after the acknowledgement
            assert rated.status_code == 200, rated.text
            profile = http.get(f"{cluster.url(other)}/api/profile", headers={HEADER: sid})
            if movie not in {r["movie"]["movieId"] for r in profile.json()["ratings"]}:
                lost.append(f"cycle {cycle}: movie {movie}")
            began = time.monotonic()
            cluster.run("worker", str(worker + 1))
            restarts.append(time.monotonic() - began)
            print(f"  cycle {cycle + 1}/{cycles}: lost so far {len(lost)}", flush=True)
    return {
        "cycles": cycles,
        "lost": len(lost),
        "examples": lost[:5],
        "restart_seconds_median": round(sorted(restarts)[len(restarts) // 2], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--index-limit", type=int, default=2000)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="moviebot-bench-cluster-"))
    state.chmod(0o755)
    ports = [free_port() for _ in range(4)]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
        "MOVIEBOT_HOME": str(args.home),
        "MOVIEBOT_INDEX_LIMIT": str(args.index_limit),
        "MOVIEBOT_CLUSTER": str(state),
        "PG_PORT": str(ports[0]),
        "CHROMA_PORT": str(ports[1]),
        "WORKER_PORTS": f"{ports[2]} {ports[3]}",
        "PYTHON": sys.executable,
    }
    cluster = Cluster(env, state, ports[2:])
    print("starting PostgreSQL, Chroma and two workers (deploy/run-local.sh start 2)", flush=True)
    cluster.run("start", "2")
    try:
        movies = httpx.post(f"{cluster.url(0)}/api/recommend", json={"k": 50}, timeout=60).json()
        pool = [p["movieId"] for p in movies["picks"]] * 4
        together = concurrency(cluster, args.clients, args.seconds, pool)
        print(f"clients: {json.dumps(together)}", flush=True)
        crashes = kill_cycles(cluster, args.cycles, pool)
        print(f"kill -9 cycles: {json.dumps(crashes)}", flush=True)
    finally:
        cluster.run("stop")
        shutil.rmtree(state, ignore_errors=True)
    save({"concurrent_clients": together, "kill_cycles": crashes, "index_limit": args.index_limit})


def save(result: dict[str, Any]) -> None:
    write_result(
        RESULTS, "two app workers on PostgreSQL and a Chroma server", "bench_workers", **result
    )


if __name__ == "__main__":
    main()
