"""Side-by-side evaluation on the same folds: rating accuracy, top-10 ranking, cold start.

- **Rating prediction**: k-fold CV (surprise's ``KFold(folds, shuffle=True, random_state=0)``)
  RMSE and MAE of scikit-surprise's SVD (defaults), SVDpp, KNNBaseline (item-based,
  pearson_baseline), BaselineOnly, and this project's tuned SVD and SVD+kNN blend. The
  peers' results are cached by dataset fingerprint, folds and surprise version.
- **Ranking**: per user, 20% of ratings held out at random (seed 0); relevant = held-out
  ratings of 4 stars or more; candidates = every movie the user did not rate in training.
  Precision, recall, NDCG@10 and catalogue coverage of popularity, SVD top-N (by predicted
  rating), EASE and the hybrid ranker.
- **Cold start**: 20% of users with at least ``MIN_COLD_RATINGS`` ratings (seed 0) are removed
  from training. Each is given by their 5 favourite titles (highest rated, earliest first);
  relevant = their other ratings of 4 or more. The hybrid folded in from those 5 titles is
  compared with popularity, with EASE folded in from the same 5 titles (binary matrix of every
  training rating, the best λ of 100/300/1000), with the same titles given as ``--like`` (each
  at ``LIKED`` stars), and with the same users *trained warm*: the models retrained with those
  5 ratings in the training data (retraining instead of fold-in, the same information).
  Recall is reported both over |relevant| and over min(10, |relevant|).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from recommender.blend import fit_blend
from recommender.catalog import Catalog
from recommender.ease import EASEConfig, EASEModel, fit_ease
from recommender.engine import LIKED
from recommender.group_eval import group_holdout
from recommender.matrix import Profile, RatingMatrix
from recommender.metrics import (
    capped_recall_at_k,
    coverage,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    top_k,
)
from recommender.models import RANKED, ModelParams, Models, fit_catalog_models
from recommender.peer_eval import cache_file, peer_rows
from recommender.peers import PEERS as TOP_N_PEERS
from recommender.peers import Peer
from recommender.ranking import combine, diverse_top, franchise_key, shortlist
from recommender.splits import holdout_split
from recommender.svd import fit_svd

log = logging.getLogger(__name__)

K = 10

LIKE = 4.0
COLD_SHARE = 0.2
COLD_GIVEN = 5
MIN_COLD_RATINGS = 15
PEERS = ("surprise.SVD", "surprise.SVDpp", "surprise.KNNBaseline", "surprise.BaselineOnly")
SLOW_PEERS = ("surprise.SVDpp",)
SLOW_TOP_N = ("SLIM ElasticNet",)


def _peer(name: str) -> Any:
    from surprise import SVD, BaselineOnly, KNNBaseline, SVDpp

    return {
        "surprise.SVD": lambda: SVD(random_state=0),
        "surprise.SVDpp": lambda: SVDpp(random_state=0),
        "surprise.KNNBaseline": lambda: KNNBaseline(
            sim_options={"name": "pearson_baseline", "user_based": False}, verbose=False
        ),
        "surprise.BaselineOnly": lambda: BaselineOnly(verbose=False),
    }[name]()


def evaluate(
    catalog: Catalog,
    params: ModelParams,
    cache: Path,
    folds: int = 5,
    skip_slow: bool = False,
    progress: bool = True,
    parts: tuple[str, ...] = ("rating", "ranking", "cold_start"),
    peers: tuple[type[Peer], ...] = TOP_N_PEERS,
) -> dict[str, Any]:
    """The whole evaluation as one JSON-able object."""
    started = time.perf_counter()
    out: dict[str, Any] = {"dataset": catalog.dataset, "folds": folds, "k": K}
    if "rating" in parts:
        out["rating"] = rating_cv(catalog, params, cache, folds, skip_slow, progress)
    if "ranking" in parts:
        out["ranking"] = ranking_holdout(catalog, params, progress, cache, skip_slow, peers)
    if "cold_start" in parts:
        out["cold_start"] = cold_start(catalog, params, progress)
    if "group" in parts:
        out["group"] = group_holdout(catalog, params, progress)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


# --- rating prediction --------------------------------------------------------------------


def rating_cv(
    catalog: Catalog, params: ModelParams, cache: Path, folds: int, skip_slow: bool, progress: bool
) -> list[dict[str, Any]]:
    from surprise import Dataset, Reader
    from surprise.model_selection import KFold

    frame = catalog.ratings[["userId", "movieId", "rating"]]
    data = Dataset.load_from_df(frame, Reader(rating_scale=catalog.rating_scale))
    splits = list(KFold(n_splits=folds, shuffle=True, random_state=0).split(data))
    cached = _read_cache(cache)
    key_base = f"{catalog.fingerprint}|folds={folds}|surprise={metadata.version('scikit-surprise')}"
    results = []
    peers = [p for p in PEERS if not (skip_slow and p in SLOW_PEERS)]
    missing = [p for p in peers if f"{key_base}|{p}" not in cached]
    if missing:
        for name, summary in _cv_peers_parallel(
            missing, frame, catalog.rating_scale, folds, progress
        ).items():
            cached[f"{key_base}|{name}"] = summary
        _write_cache(cache, cached)
    results += [{"model": name, **cached[f"{key_base}|{name}"]} for name in peers]
    item_ids = catalog.movies.index.to_numpy()
    ours: list[tuple[str, Callable[[RatingMatrix], Any]]] = [
        (
            "moviebot.SVD",
            lambda m: _SVDPredictor(fit_svd(m, params.blend.svd, catalog.rating_scale)),
        ),
        (
            "moviebot.Blend",
            lambda m: _BlendPredictor(fit_blend(m, params.blend, catalog.rating_scale)),
        ),
    ]
    for name, fit in tqdm(ours, desc="moviebot models", disable=not progress, leave=False):
        results.append({"model": name, **_cv_ours(fit, splits, item_ids)})
    return results


def _cv_peers_parallel(
    names: list[str], frame: pd.DataFrame, scale: tuple[float, float], folds: int, progress: bool
) -> dict[str, dict[str, float]]:
    """Every (peer, fold) on a pool of processes, one per core; same folds as everyone."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    tasks = [(name, fold) for name in names for fold in range(folds)]
    per_fold: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    with ProcessPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        futures = {
            pool.submit(_peer_fold, name, fold, frame, scale, folds): name for name, fold in tasks
        }
        for future in tqdm(
            as_completed(futures),
            total=len(futures),
            desc="surprise peers",
            disable=not progress,
            leave=False,
        ):
            per_fold[futures[future]].append(future.result())
    return {
        name: _summary(*map(list, zip(*values, strict=True))) for name, values in per_fold.items()
    }


def _peer_fold(
    name: str, fold: int, frame: pd.DataFrame, scale: tuple[float, float], folds: int
) -> tuple[float, float, float]:
    """RMSE, MAE and fit seconds of one peer on one fold (runs in a worker process)."""
    from surprise import Dataset, Reader, accuracy
    from surprise.model_selection import KFold

    data = Dataset.load_from_df(frame, Reader(rating_scale=scale))
    trainset, testset = list(KFold(n_splits=folds, shuffle=True, random_state=0).split(data))[fold]
    algo = _peer(name)
    started = time.perf_counter()
    algo.fit(trainset)
    seconds = time.perf_counter() - started
    predictions = algo.test(testset)
    return (
        accuracy.rmse(predictions, verbose=False),
        accuracy.mae(predictions, verbose=False),
        seconds,
    )


def _cv_ours(
    fit: Callable[[RatingMatrix], Any], splits: list[Any], item_ids: np.ndarray
) -> dict[str, float]:
    rmse, mae, seconds = [], [], []
    for trainset, testset in splits:
        train = pd.DataFrame(
            [
                (trainset.to_raw_uid(u), trainset.to_raw_iid(i), r)
                for u, i, r in trainset.all_ratings()
            ],
            columns=["userId", "movieId", "rating"],
        )
        matrix = RatingMatrix.from_frame(train, item_ids)
        started = time.perf_counter()
        predictor = fit(matrix)
        seconds.append(time.perf_counter() - started)
        test = np.array(testset, dtype=object)
        users = test[:, 0].astype(np.int64)
        cols = matrix.item_cols(test[:, 1].astype(np.int64))
        truth = test[:, 2].astype(np.float64)
        est = predictor.estimate(matrix, users, cols)
        rmse.append(float(np.sqrt(np.mean((est - truth) ** 2))))
        mae.append(float(np.mean(np.abs(est - truth))))
    return _summary(rmse, mae, seconds)


class _SVDPredictor:
    def __init__(self, model: Any) -> None:
        self.model = model

    def estimate(self, matrix: RatingMatrix, users: np.ndarray, cols: np.ndarray) -> np.ndarray:
        rows = np.searchsorted(matrix.user_ids, users)
        known = (rows < matrix.n_users) & (
            matrix.user_ids[np.minimum(rows, matrix.n_users - 1)] == users
        )
        est = np.clip(self.model.mu + self.model.bi[cols], *self.model.scale)
        est[known] = self.model.estimate(rows[known], cols[known])
        return est


class _BlendPredictor(_SVDPredictor):
    def estimate(self, matrix: RatingMatrix, users: np.ndarray, cols: np.ndarray) -> np.ndarray:
        from recommender.blend import estimate_pairs

        svd = self.model.svd
        rows = np.searchsorted(matrix.user_ids, users)
        known = (rows < matrix.n_users) & (
            matrix.user_ids[np.minimum(rows, matrix.n_users - 1)] == users
        )
        est = np.clip(svd.mu + svd.bi[cols], *svd.scale)
        est[known] = estimate_pairs(self.model, matrix, rows[known], cols[known])
        return est


def _summary(rmse: list[float], mae: list[float], seconds: list[float]) -> dict[str, float]:
    return {
        "rmse": round(float(np.mean(rmse)), 4),
        "mae": round(float(np.mean(mae)), 4),
        "fit_seconds": round(float(np.mean(seconds)), 2),
    }


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


# --- ranking ------------------------------------------------------------------------------


def hybrid_ranking(
    models: Models, franchises: np.ndarray, row: int | None, profile: Profile
) -> list[int]:
    """The engine's ranking for a profile (same components, weights and diversity)."""
    mask = np.ones(models.matrix.n_items, dtype=bool)
    mask[profile.items] = False
    scores = combine(models.components(row, profile), models.weights, mask)
    return diverse_top(shortlist(scores, 100), franchises, K)


def ranking_holdout(
    catalog: Catalog,
    params: ModelParams,
    progress: bool,
    cache: Path | None = None,
    skip_slow: bool = False,
    peers: tuple[type[Peer], ...] = TOP_N_PEERS,
) -> list[dict[str, Any]]:
    """Our rankers, the hybrid without each component, then the tuned peers (with ``cache``)."""
    ratings = catalog.ratings
    held = holdout_split(ratings)
    models = fit_catalog_models(catalog, ratings[~held], params)
    matrix = models.matrix
    franchises = np.array([franchise_key(t) for t in catalog.movies.loc[matrix.item_ids, "title"]])
    test = ratings[held & (ratings["rating"] >= LIKE).to_numpy()]
    relevant = {
        int(u): set(matrix.item_cols(g["movieId"].to_numpy()).tolist())
        for u, g in test.groupby("userId")
    }
    popularity = models.stats.counts.astype(np.float64)
    svd = models.blend.svd
    rankers: dict[str, Callable[[int, Profile], list[int]]] = {
        "popularity": lambda r, p: top_k(popularity, K, p.items).tolist(),
        "moviebot.SVD top-N": lambda r, p: top_k(
            svd.scores(svd.bu[r], svd.pu[r]), K, p.items
        ).tolist(),
        "ease": lambda r, p: top_k(
            models.ease.scores(p.items, np.ones(len(p))), K, p.items
        ).tolist(),
        "ials": lambda r, p: top_k(models.ials.scores(r, p), K, p.items).tolist(),
        "moviebot.hybrid": lambda r, p: hybrid_ranking(models, franchises, r, p),
    }
    for name in _ablated(models):
        without = replace(models, weights=models.weights.model_copy(update={name: 0.0}))
        rankers[f"  hybrid without {name}"] = partial(hybrid_ranking, without, franchises)
    out = []
    hybrid_ndcg: dict[int, float] = {}
    for name, rank in tqdm(rankers.items(), desc="ranking", disable=not progress, leave=False):
        lists: list[list[int]] = []
        scores: dict[str, list[float]] = {"precision@10": [], "recall@10": [], "ndcg@10": []}
        for user, rel in relevant.items():
            row = matrix.user_row(user)
            if row is None:
                continue
            ranked = rank(row, matrix.profile(row))
            lists.append(ranked)
            scores["precision@10"].append(precision_at_k(ranked, rel, K))
            scores["recall@10"].append(recall_at_k(ranked, rel, K))
            scores["ndcg@10"].append(ndcg_at_k(ranked, rel, K))
            if name == "moviebot.hybrid":
                hybrid_ndcg[row] = scores["ndcg@10"][-1]
        out.append(
            {
                "model": name,
                **{m: round(float(np.mean(v)), 4) for m, v in scores.items()},
                "coverage": round(coverage(lists, matrix.n_items, K), 4),
                "users": len(lists),
            }
        )
    if cache is not None:
        skip = SLOW_TOP_N if skip_slow else ()
        out += _peers(catalog, ratings, held, hybrid_ndcg, cache, progress, peers, skip)
    return out


def _ablated(models: Models) -> list[str]:
    """The components the hybrid gives weight to (text aside: no query here)."""
    return [n for n in RANKED if getattr(models.weights, n)]


def _peers(
    catalog: Catalog,
    ratings: pd.DataFrame,
    held: np.ndarray,
    hybrid_ndcg: dict[int, float],
    cache: Path,
    progress: bool,
    peers: tuple[type[Peer], ...],
    skip: tuple[str, ...],
) -> list[dict[str, Any]]:
    path = cache_file(cache)
    cached = _read_cache(path)
    rows = peer_rows(
        ratings[~held],
        ratings[held],
        catalog.movies.index.to_numpy(),
        hybrid_ndcg,
        cached,
        catalog.fingerprint,
        progress,
        peers,
        skip,
    )
    _write_cache(path, cached)
    return rows


# --- cold start ---------------------------------------------------------------------------


def cold_users(ratings: pd.DataFrame, seed: int = 0) -> np.ndarray:
    counts = ratings.groupby("userId").size()
    eligible = counts[counts >= MIN_COLD_RATINGS].index.to_numpy()
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(eligible, round(COLD_SHARE * len(eligible)), replace=False))


def favourites(user_ratings: pd.DataFrame, n: int = COLD_GIVEN) -> pd.DataFrame:
    """The ``n`` highest-rated movies, earliest rated first among ties."""
    return user_ratings.sort_values(
        ["rating", "timestamp", "movieId"], ascending=[False, True, True]
    ).head(n)


def cold_start(catalog: Catalog, params: ModelParams, progress: bool) -> list[dict[str, Any]]:
    ratings = catalog.ratings
    users = cold_users(ratings)
    is_cold = ratings["userId"].isin(users).to_numpy()
    given = pd.concat([favourites(g) for _, g in ratings[is_cold].groupby("userId")])
    given_keys = set(zip(given["userId"], given["movieId"], strict=True))
    others = ratings[
        is_cold
        & ~np.array(
            [k in given_keys for k in zip(ratings["userId"], ratings["movieId"], strict=True)]
        )
    ]
    relevant_frame = others[others["rating"] >= LIKE]

    cold_models = fit_catalog_models(catalog, ratings[~is_cold], params)
    warm_models = fit_catalog_models(catalog, pd.concat([ratings[~is_cold], given]), params)
    matrix = cold_models.matrix
    franchises = np.array([franchise_key(t) for t in catalog.movies.loc[matrix.item_ids, "title"]])
    popularity = cold_models.stats.counts.astype(np.float64)
    eases = {lam: _binary_ease(matrix, lam) for lam in COLD_EASE_LAMBDAS}
    results: dict[str, dict[str, list[float]]] = {}
    for user, group in tqdm(
        relevant_frame.groupby("userId"), desc="cold start", disable=not progress, leave=False
    ):
        rel = set(matrix.item_cols(group["movieId"].to_numpy()).tolist())
        mine = given[given["userId"] == user]
        cols = matrix.item_cols(mine["movieId"].to_numpy())
        profile = Profile.from_pairs(
            dict(zip(cols.tolist(), mine["rating"].astype(float).tolist(), strict=True))
        )
        likes = Profile.from_pairs(dict.fromkeys(cols.tolist(), LIKED))
        warm_row = warm_models.matrix.user_row(int(user))
        assert warm_row is not None  # trained warm: the user is in the matrix
        lists = {
            "popularity": top_k(popularity, K, profile.items).tolist(),
            **{
                f"EASE λ={lam:g}": top_k(ease.scores(cols, np.ones(len(cols))), K, cols).tolist()
                for lam, ease in eases.items()
            },
            "iALS folded in (5 titles with their stars)": top_k(
                cold_models.ials.scores(None, profile), K, profile.items
            ).tolist(),
            COLD_STARS: hybrid_ranking(cold_models, franchises, None, profile),
            COLD_LIKES: hybrid_ranking(cold_models, franchises, None, likes),
            "moviebot.hybrid (warm, retrained)": hybrid_ranking(
                warm_models, franchises, warm_row, warm_models.matrix.profile(warm_row)
            ),
        }
        for name, ranked in lists.items():
            scores: dict[str, list[float]] = results.setdefault(name, {m: [] for m in COLD_METRICS})
            for metric, fn in COLD_METRICS.items():
                scores[metric].append(fn(ranked, rel, K))
    return _cold_rows(results)


COLD_STARS = "moviebot.hybrid (cold, 5 titles with their stars)"
COLD_LIKES = "moviebot.hybrid (cold, 5 titles as --like)"
COLD_EASE_LAMBDAS = (100.0, 300.0, 1000.0)
COLD_METRICS: dict[str, Callable[[list[int], set[int], int], float]] = {
    "recall@10": recall_at_k,
    "capped_recall@10": capped_recall_at_k,
    "ndcg@10": ndcg_at_k,
}


def _binary_ease(matrix: RatingMatrix, lam: float) -> EASEModel:
    """EASE over every rated movie (no item cap), as a peer would fit it."""
    return fit_ease(matrix, EASEConfig(lam=lam, min_count=1, max_items=matrix.n_items))


def _cold_rows(results: dict[str, dict[str, list[float]]]) -> list[dict[str, Any]]:
    """One row per model; of the EASE runs only the best λ (by capped recall) is kept."""
    means = {
        name: {m: round(float(np.mean(v)), 4) for m, v in scores.items()}
        for name, scores in results.items()
    }
    eases = [name for name in means if name.startswith("EASE λ=")]
    best = max(eases, key=lambda n: means[n]["capped_recall@10"])
    rows = []
    for name, scores in means.items():
        if name in eases and name != best:
            continue
        label = f"{best} (best of 100/300/1000), same 5 titles" if name == best else name
        rows.append({"model": label, **scores, "users": len(results[name]["recall@10"])})
    return rows


# --- report -------------------------------------------------------------------------------


def markdown_report(result: dict[str, Any]) -> str:
    """The evaluation as Markdown tables."""
    lines = [f"# Evaluation on {result['dataset']}", ""]
    sections = [
        (
            "rating",
            f"Rating prediction ({result['folds']}-fold CV)",
            ["rmse", "mae", "fit_seconds"],
        ),
        (
            "ranking",
            "Top-10 ranking (per-user 20% holdout; peers tuned on a validation split of training)",
            ["precision@10", "recall@10", "ndcg@10", "coverage", "vs_hybrid_ndcg@10", "params"],
        ),
        (
            "cold_start",
            "Cold start (5 favourite titles)",
            ["recall@10", "capped_recall@10", "ndcg@10"],
        ),
        (
            "group",
            "Group night (held-out users in random and alike groups; recommender/group_eval.py)",
            [
                "mean_ndcg@10",
                "least_happy_ndcg@10",
                "everyone_hit@10",
                "vs_least_misery_least_happy",
            ],
        ),
    ]
    for key, title, columns in sections:
        if key not in result:
            continue
        lines += [
            f"## {title}",
            "",
            "| model | " + " | ".join(columns) + " |",
            "| --- | " + " | ".join("---:" for _ in columns) + " |",
        ]
        lines += [
            "| " + row["model"] + " | " + " | ".join(_cell(row, c) for c in columns) + " |"
            for row in result[key]
        ]
        lines.append("")
    lines.append(f"Total time: {result['seconds']} s")
    return "\n".join(lines)


def _cell(row: dict[str, Any], column: str) -> str:
    value = row.get(column, row.get("skipped", "") if column == "params" else "")
    if isinstance(value, list):  # a bootstrap interval
        return f"[{value[0]:+.4f}, {value[1]:+.4f}]"
    return f"{value}"
