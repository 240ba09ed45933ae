"""The project's rating model: a linear blend of SVD and item-kNN, weights learned on a holdout.

    r̂_ui = w_0 + w_svd · r̂_ui(SVD) + w_knn · r̂_ui(kNN)

The two models err differently (global factors versus local neighbourhoods), so their blend
is more accurate than either. The weights come from least squares on a random ``holdout``
share of the training ratings, predicted by models fit on the rest; the models are then
refit on all the ratings and combined with those weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from recommender.knn import ItemKNNConfig, ItemKNNModel, fit_item_knn
from recommender.matrix import Profile, RatingMatrix
from recommender.svd import Prediction, SVDConfig, SVDModel, fit_svd


class BlendConfig(BaseModel):
    """The component models' settings and the holdout that fits the weights."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    svd: SVDConfig = SVDConfig()
    knn: ItemKNNConfig = ItemKNNConfig()
    holdout: float = Field(0.1, gt=0, lt=0.5)
    seed: int = 0
    # The weights (and the ranker's, downstream) are learned on users drawn up to this many
    # ratings: a few million pin them down, and the fits for them stay bounded at 25M.
    validation_ratings: int = Field(3_000_000, ge=1000)


@dataclass
class BlendModel:
    """Learned state: both component models and the blend weights (w_0, w_svd, w_knn)."""

    svd: SVDModel
    knn: ItemKNNModel
    weights: np.ndarray
    scale: tuple[float, float]

    def scores(self, row: int | None, profile: Profile) -> np.ndarray:
        """Blended stars for every item, for a known user (row) or a folded-in profile."""
        return self.scores_and_spread(row, profile, np.zeros(len(profile)))[0]

    def scores_and_spread(
        self, row: int | None, profile: Profile, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Blended stars, and Σ_j s_ij w_j from the same sparse pass over the neighbours."""
        bu, pu = self.svd.user_vector(row, None if row is not None else profile)
        knn, base = self.knn, self.knn.baseline
        knn_bu = base.bu[row] if row is not None else base.user_bias(profile)
        z = profile.ratings - base.mu - knn_bu - base.bi[profile.items]
        sums = knn.spread(profile.items, np.column_stack([z, np.ones(len(z)), weights]))
        knn_stars = base.mu + knn_bu + base.bi + sums[:, 0] / (sums[:, 1] + knn.config.damping)
        return self._combine(self.svd.scores(bu, pu), knn_stars), sums[:, 2]

    def predict(self, row: int | None, col: int | None, profile: Profile) -> Prediction:
        svd = self.svd.predict(row, col, None if row is not None else profile)
        if col is None:
            return svd
        est = float(self.scores(row, profile)[col])
        return Prediction(row, col, None, est, svd.details)

    def _combine(self, svd: np.ndarray, knn: np.ndarray) -> np.ndarray:
        w0, w_svd, w_knn = self.weights
        return np.clip(w0 + w_svd * svd + w_knn * np.clip(knn, *self.scale), *self.scale)


@dataclass
class BlendParts:
    """A blend fit: the split, the models fit on part of it (weighted), and the full refit."""

    fit_part: RatingMatrix
    holdout: tuple[np.ndarray, np.ndarray, np.ndarray]
    partial: BlendModel
    full: BlendModel


def fit_blend(matrix: RatingMatrix, config: BlendConfig, scale: tuple[float, float]) -> BlendModel:
    """Fit weights on a holdout, then refit both models on everything."""
    return fit_blend_parts(matrix, config, scale).full


def fit_blend_parts(
    matrix: RatingMatrix, config: BlendConfig, scale: tuple[float, float]
) -> BlendParts:
    """The full fit, keeping the validation split and partial models for other uses (over
    the users drawn for validation: everyone, unless the data has millions of ratings)."""
    sample = matrix.sample_users(config.validation_ratings, config.seed)
    fit_part, holdout = split_ratings(sample, config.holdout, config.seed)
    partial = BlendModel(
        fit_svd(fit_part, config.svd, scale),
        fit_item_knn(fit_part, config.knn, scale),
        np.array([0.0, 0.5, 0.5]),
        scale,
    )
    rows, cols, y = holdout
    features = np.column_stack(
        [np.ones(len(y)), *component_estimates(partial, fit_part, rows, cols)]
    )
    partial.weights, *_ = np.linalg.lstsq(features, y, rcond=None)
    full = BlendModel(
        fit_svd(matrix, config.svd, scale),
        fit_item_knn(matrix, config.knn, scale),
        partial.weights,
        scale,
    )
    return BlendParts(fit_part, holdout, partial, full)


def component_estimates(
    model: BlendModel, matrix: RatingMatrix, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """SVD and kNN estimates for (row, col) pairs of users in ``matrix`` (one pass per user)."""
    svd = model.svd.estimate(rows, cols)
    knn = np.empty(len(rows))
    order = np.argsort(rows, kind="stable")
    bounds = np.flatnonzero(np.diff(rows[order])) + 1
    for group in np.split(order, bounds):
        if len(group) == 0:
            continue
        row = int(rows[group[0]])
        scores = model.knn.scores(matrix.profile(row), model.knn.baseline.bu[row])
        knn[group] = scores[cols[group]]
    return svd, np.clip(knn, *model.scale)


def estimate_pairs(
    model: BlendModel, matrix: RatingMatrix, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """Blended estimates for (row, col) pairs of users in ``matrix``."""
    svd, knn = component_estimates(model, matrix, rows, cols)
    return model._combine(svd, knn)


def split_ratings(
    matrix: RatingMatrix, share: float, seed: int
) -> tuple[RatingMatrix, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A random ``share`` of ratings held out (as triples); the rest as a matrix."""
    rows, cols, values = matrix.triples()
    held = np.random.default_rng(seed).random(len(values)) < share
    keep = sp.csr_matrix(
        (values[~held], (rows[~held], cols[~held])), shape=matrix.csr.shape, dtype=np.float32
    )
    keep.sort_indices()
    return RatingMatrix(matrix.user_ids, matrix.item_ids, keep), (
        rows[held],
        cols[held],
        values[held],
    )
