"""Build timings on ml-latest-small with the three description files.

    python -m benchmarks.bench_build [--repeat 3]

Prints the median of a cold build (every stage from scratch, fresh MOVIEBOT_HOME) and of a
warm one (everything up to date), per stage.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path

from benchmarks.common import DESCRIPTIONS, SHARED
from recommender.config import Settings
from recommender.engine import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as home:
            settings = Settings(
                data_dir=SHARED / "ml-latest-small", descriptions=DESCRIPTIONS, home=Path(home)
            )
            for phase in ("cold", "warm"):
                _, summary = build(settings, progress=False)
                results[f"{phase} total"].append(summary.seconds)
                for stage in summary.stages:
                    results[f"{phase} {stage.name}"].append(stage.seconds)
    for name, seconds in results.items():
        print(f"{name:<20} median {statistics.median(seconds):8.2f} s   (n={len(seconds)})")


if __name__ == "__main__":
    main()
