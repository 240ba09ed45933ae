"""``python app.py enrich`` over the whole catalogue against the fake TMDB server, interrupted.

    python -m benchmarks.bench_enrich [--home DIR] [--rate 50] [--interrupt-after 60]

Starts ``tests/fake_tmdb.py`` on loopback (some ids answer 404, some 429 with
``Retry-After: 1`` once, some 500 once), runs the real CLI with ``--rate``, kills it
(SIGINT, as Ctrl-C) after ``--interrupt-after`` seconds, runs it again to the end, then a third
time, which must fetch nothing. Prints each run's report and time, and how many requests
the server saw.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import DESCRIPTIONS, ROOT, SHARED
from tests.fake_tmdb import FakeTMDB


def _run(env: dict[str, str], rate: float, stop_after: float | None) -> tuple[str, float]:
    command = [sys.executable, str(ROOT / "app.py"), "enrich", "--rate", str(rate), "--json"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out, _ = proc.communicate(timeout=stop_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate()
        return f"interrupted (exit {proc.returncode})", time.perf_counter() - started
    return out.decode().strip(), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a built MOVIEBOT_HOME (default: a new one)")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--interrupt-after", type=float, default=60.0)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="moviebot-enrich-"))
    script = {i: "404" for i in range(11, 20_000, 97)}
    script.update({i: "429" for i in range(13, 20_000, 101)})
    script.update({i: "500" for i in range(17, 20_000, 103)})
    with FakeTMDB(script) as fake:
        env = {
            **os.environ,
            "MOVIEBOT_HOME": str(home),
            "MOVIEBOT_DATA_DIR": str(SHARED / "ml-latest-small"),
            "MOVIEBOT_DESCRIPTIONS": os.pathsep.join(str(p) for p in DESCRIPTIONS),
            "TMDB_API_KEY": "benchmark",
            "TMDB_API_BASE": fake.url,
            "MOVIEBOT_REGION": "GB",
        }
        for name, stop in (("first", args.interrupt_after), ("resumed", None), ("again", None)):
            report, seconds = _run(env, args.rate, stop)
            print(f"{name:<8} {seconds:7.1f} s  requests so far {len(fake.requests):6d}  {report}")
    counts = json.loads(report).get("cache") if report.startswith("{") else None
    print(f"cache: {counts}")


if __name__ == "__main__":
    main()
