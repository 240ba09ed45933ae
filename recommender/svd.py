"""Matrix factorization (scikit-surprise's SVD) and the baseline it rests on.

The rating of user u for item i is estimated as

    r̂_ui = mu + b_u + b_i + q_iᵀ p_u

with the global mean ``mu``, user and item biases ``bu``, ``bi`` and factors ``pu``, ``qi``
learned by surprise's SGD. Learned state is copied out of surprise into plain numpy arrays
aligned with the catalogue's columns, so top-N for a user is one matrix-vector product.

**Fold-in** (instant cold start): for a profile of rated items I_u with the item side fixed,
(b_u, p_u) solve the regularized least squares

    min  Σ_{i∈I_u} (r_ui - mu - b_i - b_u - q_iᵀ p_u)² + λ_u (b_u² + ||p_u||²)

in closed form, ``w = (XᵀX + λ_u I)⁻¹ Xᵀy`` with ``X = [1, q_i]`` and ``y = r - mu - b_i``.
surprise regularizes once per rating, so retraining corresponds to ``λ_u = reg_all · |I_u|``;
``fold_in_reg`` adds a floor that keeps a two-title profile from overfitting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from recommender.matrix import Profile, RatingMatrix


class Prediction(NamedTuple):
    """An estimate, as surprise names it: raw ids, true rating (if known), estimate, details."""

    uid: int | None
    iid: int | None
    r_ui: float | None
    est: float
    details: dict[str, Any]


class SVDConfig(BaseModel):
    """Hyperparameters (surprise's names); ``python app.py tune`` chooses them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_factors: int = Field(100, ge=1, le=1000)
    n_epochs: int = Field(50, ge=1, le=500)
    lr_all: float = Field(0.005, gt=0, le=1)
    reg_all: float = Field(0.08, ge=0, le=10)
    fold_in_reg: float = Field(1.0, ge=0, le=100)
    random_state: int = 0


@dataclass
class SVDModel:
    """Learned state: biases and factors aligned with the rating matrix's rows and columns."""

    config: SVDConfig
    mu: float
    bu: np.ndarray  # (n_users,)
    bi: np.ndarray  # (n_items,)
    pu: np.ndarray  # (n_users, f)
    qi: np.ndarray  # (n_items, f)
    scale: tuple[float, float]

    def estimate(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """r̂ for (row, col) pairs of known users, clipped to the rating scale."""
        raw = (
            self.mu
            + self.bu[rows]
            + self.bi[cols]
            + np.einsum("ij,ij->i", self.pu[rows], self.qi[cols])
        )
        return np.clip(raw, *self.scale)

    def user_vector(
        self, row: int | None, profile: Profile | None = None
    ) -> tuple[float, np.ndarray]:
        """(b_u, p_u): learned for a known user without new ratings, folded in otherwise."""
        if row is not None and profile is None:
            return float(self.bu[row]), self.pu[row]
        return self.fold_in(profile if profile is not None else Profile.empty())

    def fold_in(self, profile: Profile) -> tuple[float, np.ndarray]:
        """Closed-form (b_u, p_u) for a profile, item side fixed (see module docstring)."""
        n_factors = self.qi.shape[1]
        if len(profile) == 0:
            return 0.0, np.zeros(n_factors)
        X = np.hstack([np.ones((len(profile), 1)), self.qi[profile.items]])
        y = profile.ratings - self.mu - self.bi[profile.items]
        lam = self.config.reg_all * len(profile) + self.config.fold_in_reg
        w = np.linalg.solve(X.T @ X + lam * np.eye(n_factors + 1), X.T @ y)
        return float(w[0]), w[1:]

    def scores(self, bu: float, pu: np.ndarray) -> np.ndarray:
        """Predicted stars for every item: mu + b_u + b_i + Q p_u (one BLAS call)."""
        return np.clip(self.mu + bu + self.bi + self.qi @ pu, *self.scale)

    def predict(
        self, row: int | None, col: int | None, profile: Profile | None = None
    ) -> Prediction:
        """One estimate; an unknown user or item falls back to the biases that are known."""
        details: dict[str, Any] = {"was_impossible": False}
        bu, pu = self.user_vector(row, profile)
        if col is None:
            details = {"was_impossible": True, "reason": "unknown item"}
            est = self.mu + bu
        else:
            est = self.mu + bu + self.bi[col] + float(self.qi[col] @ pu)
        if row is None and (profile is None or len(profile) == 0):
            details = {"was_impossible": True, "reason": "unknown user"}
        return Prediction(row, col, None, float(np.clip(est, *self.scale)), details)


def fit_svd(matrix: RatingMatrix, config: SVDConfig, scale: tuple[float, float]) -> SVDModel:
    """Fit surprise's SVD on the matrix and copy its state into column-aligned arrays."""
    from surprise import SVD, Dataset, Reader

    rows, cols, values = matrix.triples()
    frame = pd.DataFrame({"u": rows, "i": cols, "r": values})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=scale)).build_full_trainset()
    algo = SVD(
        n_factors=config.n_factors,
        n_epochs=config.n_epochs,
        lr_all=config.lr_all,
        reg_all=config.reg_all,
        random_state=config.random_state,
    )
    algo.fit(trainset)
    user_rows = np.array([trainset.to_raw_uid(u) for u in range(trainset.n_users)], dtype=np.int64)
    item_cols = np.array([trainset.to_raw_iid(i) for i in range(trainset.n_items)], dtype=np.int64)
    bu = np.zeros(matrix.n_users)
    bi = np.zeros(matrix.n_items)
    pu = np.zeros((matrix.n_users, config.n_factors))
    qi = np.zeros((matrix.n_items, config.n_factors))
    bu[user_rows], pu[user_rows] = algo.bu, algo.pu
    bi[item_cols], qi[item_cols] = algo.bi, algo.qi
    return SVDModel(config, float(trainset.global_mean), bu, bi, pu, qi, scale)


@dataclass(frozen=True)
class Baseline:
    """b_ui = mu + b_u + b_i by alternating least squares (surprise's BaselineOnly, ALS)."""

    mu: float
    bu: np.ndarray
    bi: np.ndarray

    def estimate(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.mu + self.bu[rows] + self.bi[cols]

    def user_bias(self, profile: Profile, reg_u: float = 15.0) -> float:
        """b_u of a profile given the item biases: Σ(r - mu - b_i) / (reg_u + |I_u|)."""
        if len(profile) == 0:
            return 0.0
        residual = profile.ratings - self.mu - self.bi[profile.items]
        return float(residual.sum() / (reg_u + len(profile)))


def fit_baseline(
    matrix: RatingMatrix, reg_u: float = 15.0, reg_i: float = 10.0, n_epochs: int = 10
) -> Baseline:
    """b_u = Σ_i (r - mu - b_i)/(reg_u + |I_u|); b_i = Σ_u (r - mu - b_u)/(reg_i + |U_i|)."""
    rows, cols, values = matrix.triples()
    mu = float(values.mean())
    n_u = np.bincount(rows, minlength=matrix.n_users)
    n_i = np.bincount(cols, minlength=matrix.n_items)
    bu, bi = np.zeros(matrix.n_users), np.zeros(matrix.n_items)
    for _ in range(n_epochs):
        bu = np.bincount(rows, values - mu - bi[cols], matrix.n_users) / (reg_u + n_u)
        bi = np.bincount(cols, values - mu - bu[rows], matrix.n_items) / (reg_i + n_i)
    return Baseline(mu, bu, bi)
