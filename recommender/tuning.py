"""Hyperparameter search (``python app.py tune``), stored for ``build`` to use.

- SVD: scikit-surprise's ``GridSearchCV`` (3-fold, RMSE) over a small grid.
- EASE: λ by NDCG@10 on a per-user 20% holdout (relevant = held-out ratings of 4+).

The chosen parameters, their scores and the dataset they were chosen on are written to
``MOVIEBOT_HOME/artifacts/tuned-params.json``; the models stage uses them when the dataset
matches (its fingerprint then changes, so the next build refits).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from recommender.catalog import Catalog
from recommender.ease import EASEConfig, fit_ease
from recommender.evaluation import holdout_split
from recommender.matrix import RatingMatrix
from recommender.metrics import ndcg_at_k, top_k
from recommender.models import ModelParams
from recommender.svd import SVDConfig

log = logging.getLogger(__name__)

SVD_GRID: dict[str, list[Any]] = {
    "n_factors": [50, 100, 150],
    "n_epochs": [30, 50],
    "lr_all": [0.005, 0.01],
    "reg_all": [0.05, 0.08, 0.1],
}
EASE_GRID = [100.0, 200.0, 400.0, 800.0]


def tune(catalog: Catalog, dataset_key: str, out: Path, quick: bool = False) -> dict[str, Any]:
    """Search, store and return the chosen parameters with their scores."""
    started = time.perf_counter()
    grid = {k: v[:2] if quick else v for k, v in SVD_GRID.items()}
    svd, svd_rmse = tune_svd(catalog, grid)
    lam, ease_ndcg = tune_ease(catalog, EASE_GRID[1:3] if quick else EASE_GRID)
    defaults = ModelParams()
    params = defaults.model_copy(
        update={
            "blend": defaults.blend.model_copy(update={"svd": svd}),
            "ease": defaults.ease.model_copy(update={"lam": lam}),
        }
    )
    result = {
        "dataset": dataset_key,
        "params": params.model_dump(mode="json"),
        "scores": {"svd_rmse_3fold": round(svd_rmse, 4), "ease_ndcg@10": round(ease_ndcg, 4)},
        "grid": {"svd": grid, "ease_lam": EASE_GRID},
        "seconds": round(time.perf_counter() - started, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result


def tune_svd(catalog: Catalog, grid: dict[str, list[Any]]) -> tuple[SVDConfig, float]:
    from surprise import SVD, Dataset, Reader
    from surprise.model_selection import GridSearchCV

    frame = catalog.ratings[["userId", "movieId", "rating"]]
    data = Dataset.load_from_df(frame, Reader(rating_scale=catalog.rating_scale))
    search = GridSearchCV(SVD, {**grid, "random_state": [0]}, measures=["rmse"], cv=3, n_jobs=1)
    search.fit(data)
    best = search.best_params["rmse"]
    log.info("SVD grid search: best %s (RMSE %.4f)", best, search.best_score["rmse"])
    return SVDConfig(**{k: best[k] for k in grid}), float(search.best_score["rmse"])


def tune_ease(catalog: Catalog, grid: list[float]) -> tuple[float, float]:
    ratings = catalog.ratings
    held = holdout_split(ratings, seed=1)  # a different split from the evaluation's
    matrix = RatingMatrix.from_frame(ratings[~held], catalog.movies.index.to_numpy())
    test = ratings[held & (ratings["rating"] >= 4.0).to_numpy()]
    relevant = {
        matrix.user_row(int(u)): set(matrix.item_cols(g["movieId"].to_numpy()).tolist())
        for u, g in test.groupby("userId")
    }
    best = (grid[0], -1.0)
    for lam in grid:
        model = fit_ease(matrix, EASEConfig(lam=lam))
        scores = []
        for row, rel in relevant.items():
            if row is None:
                continue
            profile = matrix.profile(row)
            ranked = top_k(
                model.scores(profile.items, np.ones(len(profile))), 10, profile.items
            ).tolist()
            scores.append(ndcg_at_k(ranked, rel, 10))
        ndcg = float(np.mean(scores))
        log.info("EASE lambda %g: NDCG@10 %.4f", lam, ndcg)
        if ndcg > best[1]:
            best = (lam, ndcg)
    return best
