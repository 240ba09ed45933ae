"""Engine latency: top-10 for known users, fold-in, cold-start top-10.

    python -m benchmarks.bench_engine [--home DIR] [--n 200] [--data-dir DIR --no-index]

Builds (or reuses) the artifacts under --home (default: a temporary folder, so the models
stage time is measured too), then prints how long loading took and the medians and 99th
percentiles once loaded. ``--data-dir`` serves another dataset (the synthetic 25M one of
``bench_scale``: ``--home WORK/home-25000095 --no-index``, the models without the index).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import DESCRIPTIONS, ROOT, SHARED, describe, timings, write_result
from recommender.config import Settings
from recommender.engine import Engine, Taste, build
from recommender.errors import MovieBotError
from recommender.matrix import Profile

FIVE = ["Amélie", "Spirited Away", "The Matrix", "Toy Story", "Pulp Fiction"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=SHARED / "ml-latest-small")
    parser.add_argument("--no-index", action="store_true", help="data and models only")
    parser.add_argument("--save", metavar="NAME", help="write benchmarks/results/NAME.json")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="moviebot-bench-"))
    descriptions = DESCRIPTIONS if args.data_dir == SHARED / "ml-latest-small" else []
    settings = Settings(data_dir=args.data_dir, descriptions=descriptions, home=home)
    started = time.perf_counter()
    ctx, summary = build(settings, progress=False, only="models" if args.no_index else None)
    for stage in summary.stages:
        print(f"stage {stage.name:<8} {stage.status:<11} {stage.seconds:8.2f} s")
    engine = Engine.from_context(ctx)
    loaded = time.perf_counter() - started
    print(f"loaded (build or load, then the engine) in {loaded:.1f} s")
    lines: list[str] = []
    models = engine.models
    rng = np.random.default_rng(0)
    users = rng.choice(models.matrix.user_ids, args.n)
    it = iter(np.resize(users, args.n * 2))
    engine.recommend(Taste(user_id=int(users[0])))  # warm caches (transposed kNN matrix)
    lines.append(
        describe(
            "top-10 known user (with reasons)",
            timings(lambda: engine.recommend(Taste(user_id=int(next(it)))), args.n),
        )
    )
    try:
        taste = engine.taste(likes=FIVE)
    except MovieBotError:  # a synthetic catalogue: its five most-rated movies instead
        top = models.matrix.item_ids[np.argsort(-models.stats.counts)[:5]]
        taste = Taste(ratings={int(m): 4.5 for m in top})
    cols = models.matrix.item_cols(np.array(list(taste.ratings)))
    profile = Profile.from_pairs(dict(zip(cols.tolist(), taste.ratings.values(), strict=True)))
    lines.append(
        describe(
            "fold-in of a 5-title profile",
            timings(lambda: models.blend.svd.fold_in(profile), args.n),
        )
    )
    lines.append(
        describe(
            "top-10 from 5 titles (with reasons)", timings(lambda: engine.recommend(taste), args.n)
        )
    )
    some = 2571 if 2571 in set(models.matrix.item_ids.tolist()) else int(models.matrix.item_ids[0])
    lines.append(
        describe("predict one title", timings(lambda: engine.predict(taste, some), args.n))
    )
    print("\n".join(lines))
    if args.save:
        save(args.save, summary, loaded, lines)


def save(name: str, summary: Any, loaded: float, lines: list[str]) -> None:
    """The figures as JSON beside the command, machine and date."""
    write_result(
        ROOT / "benchmarks" / "results" / f"{name}.json",
        "engine latency once loaded",
        "bench_engine",
        dataset=summary.catalog.dataset,
        ratings=len(summary.catalog.ratings),
        load_seconds=round(loaded, 1),
        latency=lines,
    )


if __name__ == "__main__":
    main()
