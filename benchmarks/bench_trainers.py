"""The iALS component trained two ways, side by side: ``implicit`` here and Spark's ALS.

    python -m benchmarks.bench_trainers --data DIR [--spark-master local[2]] [--users 3000]

On the project's ranking holdout (20% of each user's ratings at random, seed 0; relevant =
held-out ratings of 4 or more; candidates = every movie the user did not rate), each trainer
fits the training part with the build's own defaults (``IALSConfig``, ``SparkALSConfig``,
implicit mode), timed, and is scored by NDCG@10 and recall@10 on up to ``--users`` users
(seed 0). Results go to ``benchmarks/results/trainers.json``, one row per dataset and trainer.
A synthetic dataset (``app.py synth``) is labelled so: its figures are for time, and NDCG on it
measures how well each trainer recovers the generator's structure, not real taste.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import write_result
from recommender.ials import IALSConfig, IALSModel, fit_ials
from recommender.matrix import RatingMatrix
from recommender.movielens import dataset_label, load_movielens
from recommender.peer_eval import K, Truth, per_user
from recommender.spark_als import SparkALSConfig, fit_spark_als, spark_session
from recommender.splits import holdout_split

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "trainers.json"


def top_lists(model: IALSModel, matrix: RatingMatrix, rows: np.ndarray) -> list[list[int]]:
    """Each user's top K unrated movies by x_uᵀ y_i."""
    out: list[list[int]] = []
    for start in range(0, len(rows), 512):
        batch = rows[start : start + 512]
        scores = model.user_factors[batch] @ model.item_factors.T
        scores[matrix.csr[batch].nonzero()] = -np.inf
        top = np.argpartition(-scores, K - 1, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        out += np.take_along_axis(top, order, axis=1).tolist()
    return out


def measure(name: str, fit: Any, train: RatingMatrix, truth: Truth) -> dict[str, Any]:
    started = time.perf_counter()
    model = fit(train)
    seconds = time.perf_counter() - started
    scores = per_user(top_lists(model, train, truth.rows), truth)
    return {
        "trainer": name,
        "fit_seconds": round(seconds, 1),
        "ndcg@10": round(float(scores["ndcg@10"].mean()), 4),
        "recall@10": round(float(scores["recall@10"].mean()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a MovieLens folder")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--driver-memory", default="12g")
    parser.add_argument("--users", type=int, default=3000, help="users scored (a sample)")
    args = parser.parse_args()

    data = load_movielens(args.data)
    ratings = data.ratings[["userId", "movieId", "rating"]]
    held = holdout_split(ratings)
    items = np.sort(data.movies["movieId"].to_numpy())
    train = RatingMatrix.from_frame(ratings[~held], items)
    truth = Truth.from_frames(train, ratings[held])
    rng = np.random.default_rng(0)
    if len(truth.rows) > args.users:
        keep = np.sort(rng.choice(len(truth.rows), args.users, replace=False))
        truth = Truth(truth.rows[keep], [truth.relevant[i] for i in keep])

    spark = SparkALSConfig(master=args.spark_master, driver_memory=args.driver_memory)
    started = time.perf_counter()
    spark_session(spark.master, spark.driver_memory)
    startup = time.perf_counter() - started
    label = dataset_label(args.data)
    print(f"{label}: {len(ratings):,} ratings, {len(truth.rows):,} users scored", flush=True)
    rows = []
    for name, fit in (
        ("implicit iALS", lambda m: fit_ials(m, IALSConfig())),
        (
            f"Spark ALS implicit ({args.spark_master})",
            lambda m: fit_spark_als(m, IALSConfig(), spark),
        ),
    ):
        row = {"dataset": label, "ratings": len(ratings), **measure(name, fit, train, truth)}
        print(
            f"  {name:<34} fit {row['fit_seconds']:>7.1f} s   NDCG@10 {row['ndcg@10']:.4f}   "
            f"recall@10 {row['recall@10']:.4f}",
            flush=True,
        )
        rows.append(row)
    rows[-1]["spark_startup_seconds"] = round(startup, 1)
    save(rows)


def save(rows: list[dict[str, Any]]) -> None:
    earlier = json.loads(RESULTS.read_text())["rows"] if RESULTS.exists() else []
    keys = {(r["dataset"], r["trainer"]) for r in rows}
    merged = [r for r in earlier if (r["dataset"], r["trainer"]) not in keys] + rows
    write_result(
        RESULTS,
        "the iALS component from implicit and from Spark's ALS (implicit mode)",
        "bench_trainers",
        protocol="per-user 20% holdout (seed 0), relevant = held-out 4+, defaults of the build",
        rows=sorted(merged, key=lambda r: (r["ratings"], r["trainer"])),
    )


if __name__ == "__main__":
    main()
