"""Shared helpers for benchmark scripts: real data paths and a median timer."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MOVIEBOT_TEST_DATA", ROOT.parent / "shared" / "data"))
DESCRIPTIONS = [
    SHARED / "descriptions" / name
    for name in ("tmdb_5000_movies.csv", "top10K-TMDB-movies.csv", "omdb_plots_ml1m.csv")
]


def timings(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def describe(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{name:<34} median {statistics.median(ordered) * 1000:9.2f} ms   "
        f"p99 {p99 * 1000:9.2f} ms   n={len(ordered)}"
    )


def write_result(path: Path, benchmark: str, module: str, **fields: Any) -> None:
    """A result file: what was measured, the command, commit, date and machine, then ``fields``."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    result = {
        "benchmark": benchmark,
        "command": f"python -m benchmarks.{module} " + " ".join(sys.argv[1:]),
        "commit": commit,
        "date": date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}",
        **fields,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
