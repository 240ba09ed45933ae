"""Engine latency on ml-latest-small: top-10 for known users, fold-in, cold-start top-10.

    python -m benchmarks.bench_engine [--home DIR] [--n 200]

Builds (or reuses) the artifacts under --home (default: a temporary folder, so the models
stage time is measured too), then prints medians and 99th percentiles once loaded.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import DESCRIPTIONS, SHARED, describe, timings
from recommender.config import Settings
from recommender.engine import Engine, Taste, build
from recommender.matrix import Profile

FIVE = ["Amélie", "Spirited Away", "The Matrix", "Toy Story", "Pulp Fiction"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="moviebot-bench-"))
    settings = Settings(data_dir=SHARED / "ml-latest-small", descriptions=DESCRIPTIONS, home=home)
    ctx, summary = build(settings, progress=False)
    for stage in summary.stages:
        print(f"stage {stage.name:<8} {stage.status:<11} {stage.seconds:8.2f} s")
    engine = Engine.from_context(ctx)
    models = engine.models
    rng = np.random.default_rng(0)
    users = rng.choice(models.matrix.user_ids, args.n)
    it = iter(np.resize(users, args.n * 2))
    engine.recommend(Taste(user_id=int(users[0])))  # warm caches (transposed kNN matrix)
    print(
        describe(
            "top-10 known user (with reasons)",
            timings(lambda: engine.recommend(Taste(user_id=int(next(it)))), args.n),
        )
    )
    taste = engine.taste(likes=FIVE)
    cols = models.matrix.item_cols(np.array(list(taste.ratings)))
    profile = Profile.from_pairs(dict(zip(cols.tolist(), taste.ratings.values(), strict=True)))
    print(
        describe(
            "fold-in of a 5-title profile",
            timings(lambda: models.blend.svd.fold_in(profile), args.n),
        )
    )
    print(
        describe(
            "top-10 from 5 titles (with reasons)", timings(lambda: engine.recommend(taste), args.n)
        )
    )
    print(describe("predict one title", timings(lambda: engine.predict(taste, 2571), args.n)))


if __name__ == "__main__":
    main()
