"""How the build grows with the data: each stage's time and the peak memory, at several sizes.

    python -m benchmarks.bench_scale --sizes 1M 5M 25M --work /big/disk [--stages models]

For each size it writes synthetic ml-25m-shaped data scaled to that many ratings (``app.py
synth``, reused when already there), then runs ``app.py build --only STAGE`` on it in a fresh
home, in a child process whose peak resident memory is read from ``wait4``. It prints a table
and writes ``benchmarks/results/scale-<stage>.json`` with the command, machine and date. The
data is synthetic (see ``recommender/synth.py``): the figures are for time and memory, not for
model quality.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import write_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def parse_size(text: str) -> int:
    """'1M' -> 1_000_000, '250k' -> 250_000, '25000095' as is."""
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of a child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return time.perf_counter() - started, int(usage.ru_maxrss), out


def measure(size: int, work: Path, real: Path, stage: str) -> dict[str, Any]:
    data, home = work / f"synth-{size}", work / f"home-{size}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEBOT_")}
    app = [sys.executable, "app.py", "-q"]
    if not (data / "synth.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        run([*app, "synth", str(data), "--ratings", str(size), "--from", str(real)], env)
    shutil.rmtree(home, ignore_errors=True)
    cmd = [*app, "--data-dir", str(data), "--home", str(home), "build", "--only", stage, "--json"]
    seconds, peak_kib, out = run(cmd, env)
    summary = json.loads(out)
    return {
        "ratings": summary["ratings"],
        "users": summary["users"],
        "movies": summary["movies"],
        "stages_seconds": {s["name"]: s["seconds"] for s in summary["stages"]},
        "wall_seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_kib / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "5M", "25M"])
    parser.add_argument("--work", type=Path, required=True, help="where data and homes go")
    parser.add_argument("--stages", default="models", choices=["data", "models", "index"])
    parser.add_argument(
        "--from", dest="real", type=Path, default=ROOT.parent / "shared/data/ml-latest-small"
    )
    args = parser.parse_args()
    rows = []
    head = ("ratings", "users", "movies", "stages (s)", "wall s", "peak MiB")
    print(f"{head[0]:>12} {head[1]:>9} {head[2]:>8} {head[3]:<34} {head[4]:>8} {head[5]:>9}")
    for size in [parse_size(s) for s in args.sizes]:
        row = measure(size, args.work, args.real, args.stages)
        stages = ", ".join(f"{k} {v:.1f}" for k, v in row["stages_seconds"].items())
        print(
            f"{row['ratings']:>12,} {row['users']:>9,} {row['movies']:>8,} {stages:<34} "
            f"{row['wall_seconds']:>8.1f} {row['peak_rss_mib']:>9,}",
            flush=True,
        )
        rows.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale-{args.stages}.json"
    measured = {row["ratings"] for row in rows}
    earlier = json.loads(path.read_text())["rows"] if path.exists() else []
    rows = sorted(
        [r for r in earlier if r["ratings"] not in measured] + rows, key=lambda r: r["ratings"]
    )  # sizes measured in separate runs stay in one table
    write_result(
        path,
        f"build --only {args.stages} on synthetic ml-25m-shaped data",
        "bench_scale",
        rows=rows,
    )


if __name__ == "__main__":
    main()
