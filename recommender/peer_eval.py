"""Tuned top-N peers beside the hybrid on the ranking holdout, with paired bootstrap intervals.

Protocol (the same for every peer): the ranking holdout's training part is split again, 20%
of each user's ratings at random (seed 1), into a fitting part and a validation part. Every
candidate of the peer's grid is fit on the fitting part and scored by NDCG@10 on the
validation part (relevant = validation ratings of 4 stars or more, candidates = every movie
not rated in the fitting part). The best candidate is refit on the whole training part and
scored once on the holdout, exactly like the hybrid. A peer's results are cached by dataset
fingerprint, the peer's grid and the library versions: a second run only fits the hybrid.

The interval is a paired bootstrap over users (2,000 resamples, 95%) of the mean per-user
difference peer minus hybrid in NDCG@10: an interval entirely below zero means the hybrid
is ahead beyond the noise of which users happened to be sampled.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from recommender.matrix import RatingMatrix
from recommender.metrics import coverage, ndcg_at_k, precision_at_k, recall_at_k
from recommender.peers import PEERS, Peer
from recommender.splits import holdout_split

log = logging.getLogger(__name__)

K = 10
LIKE = 4.0
RESAMPLES = 2000
VALIDATION_SEED = 1


@dataclass
class Truth:
    """Users to score (matrix rows) and the columns relevant to each."""

    rows: np.ndarray
    relevant: list[set[int]]

    @classmethod
    def from_frames(cls, matrix: RatingMatrix, held: pd.DataFrame) -> Truth:
        liked = held[held["rating"] >= LIKE]
        rows, relevant = [], []
        for user, group in liked.groupby("userId"):
            row = matrix.user_row(int(user))
            if row is not None:
                rows.append(row)
                relevant.append(set(matrix.item_cols(group["movieId"].to_numpy()).tolist()))
        return cls(np.array(rows, dtype=np.int64), relevant)


def top_lists(peer: Peer, matrix: RatingMatrix, rows: np.ndarray) -> list[list[int]]:
    """Each user's top K over the movies they did not rate in ``matrix``."""
    out: list[list[int]] = []
    for start in range(0, len(rows), 256):
        batch = rows[start : start + 256]
        scores = np.asarray(peer.scores(matrix, batch), dtype=np.float32)
        seen = matrix.csr[batch]
        scores[seen.nonzero()] = -np.inf
        top = np.argpartition(-scores, K - 1, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        out += np.take_along_axis(top, order, axis=1).tolist()
    return out


def per_user(lists: list[list[int]], truth: Truth) -> dict[str, np.ndarray]:
    pairs = list(zip(lists, truth.relevant, strict=True))
    return {
        "precision@10": np.array([precision_at_k(r, rel, K) for r, rel in pairs]),
        "recall@10": np.array([recall_at_k(r, rel, K) for r, rel in pairs]),
        "ndcg@10": np.array([ndcg_at_k(r, rel, K) for r, rel in pairs]),
    }


def bootstrap(diff: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95% interval of the mean of ``diff`` (paired differences) over resampled users."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diff), size=(RESAMPLES, len(diff)))
    means = diff[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def tune(
    cls: type[Peer], fit_part: RatingMatrix, validation: Truth, progress: bool
) -> tuple[dict[str, Any], float]:
    """The grid point with the best validation NDCG@10."""
    best: tuple[dict[str, Any], float] = ({}, -1.0)
    grid = list(cls.candidates())
    for params in tqdm(grid, desc=cls.name, disable=not progress, leave=False):
        peer = cls(**params).fit(fit_part)
        ndcg = float(
            per_user(top_lists(peer, fit_part, validation.rows), validation)["ndcg@10"].mean()
        )
        log.debug("%s %s: validation NDCG@10 %.4f", cls.name, params, ndcg)
        if ndcg > best[1]:
            best = (params, ndcg)
    return best


def peer_result(
    cls: type[Peer], train: pd.DataFrame, test: pd.DataFrame, items: np.ndarray, progress: bool
) -> dict[str, Any]:
    """Tune on a split of ``train``, refit on all of it, score on ``test`` (per user)."""
    held = holdout_split(train, seed=VALIDATION_SEED)
    fit_part = RatingMatrix.from_frame(train[~held], items)
    started = time.perf_counter()
    params, val_ndcg = tune(cls, fit_part, Truth.from_frames(fit_part, train[held]), progress)
    matrix = RatingMatrix.from_frame(train, items)
    truth = Truth.from_frames(matrix, test)
    peer = cls(**params).fit(matrix)
    lists = top_lists(peer, matrix, truth.rows)
    return {
        "params": peer.describe(),
        "validation_ndcg@10": round(val_ndcg, 4),
        "users": truth.rows.tolist(),
        "per_user": {m: v.tolist() for m, v in per_user(lists, truth).items()},
        "coverage": round(coverage(lists, matrix.n_items, K), 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def cache_key(fingerprint: str, cls: type[Peer]) -> str:
    versions = ",".join(
        f"{p}={metadata.version(p)}" for p in ("implicit", "scikit-learn", "numpy", "scipy")
    )
    return f"{fingerprint}|peer={cls.name}|grid={cls.grid}|{versions}|v1"


def peer_rows(
    train: pd.DataFrame,
    test: pd.DataFrame,
    items: np.ndarray,
    hybrid: dict[int, float],
    cached: dict[str, Any],
    fingerprint: str,
    progress: bool,
    peers: tuple[type[Peer], ...] = PEERS,
    skip: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """One table row per peer; ``cached`` (a dict kept on disk) is read and filled in.

    ``hybrid`` maps a matrix row to the hybrid's NDCG@10 for that user, for the interval.
    """
    rows = []
    for cls in peers:
        if cls.name in skip:
            rows.append({"model": cls.name, "skipped": "not run (--skip-slow)"})
            continue
        key = cache_key(fingerprint, cls)
        if key not in cached:
            cached[key] = peer_result(cls, train, test, items, progress)
        rows.append(_row(cls.name, cached[key], hybrid))
    return rows


def _row(name: str, result: dict[str, Any], hybrid: dict[int, float]) -> dict[str, Any]:
    scores = {m: np.array(v) for m, v in result["per_user"].items()}
    ours = np.array([hybrid[u] for u in result["users"]])
    low, high = bootstrap(scores["ndcg@10"] - ours)
    return {
        "model": name,
        "params": result["params"],
        **{m: round(float(v.mean()), 4) for m, v in scores.items()},
        "coverage": result["coverage"],
        "users": len(result["users"]),
        "vs_hybrid_ndcg@10": [round(low, 4), round(high, 4)],
        "fit_seconds": result["seconds"],
    }


def cache_file(path: Path) -> Path:
    return path.with_name("peers-" + path.name)
