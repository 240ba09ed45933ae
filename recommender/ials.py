"""iALS (Hu, Koren & Volinsky 2008): implicit-feedback matrix factorization, by ``implicit``.

Every rating is a sign of interest p_ui = 1 held with confidence c_ui = α · r_ui (the stars);
every movie a user did not rate is p_ui = 0 with confidence 1. User and item factors minimize

    Σ_u,i c_ui (p_ui - x_uᵀ y_i)² + λ (Σ_u |x_u|² + Σ_i |y_i|²)

by alternating least squares. With the item factors Y fixed, any profile's factors are one
ridge solve, which is how a newcomer is folded in without retraining:

    x_u = (YᵀY + Σ_i∈u (c_ui - 1) y_i y_iᵀ + λI)⁻¹ Σ_i∈u c_ui y_i

and x_uᵀ y_i scores every movie. The factors say what people with a viewing history like the
user's watch, not how they rate it, which is what the rating models (SVD, kNN) miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field
from threadpoolctl import threadpool_limits

from recommender.matrix import Profile, RatingMatrix


class IALSConfig(BaseModel):
    """Factors, regularization λ, confidence scale α and the number of ALS sweeps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    factors: int = Field(64, ge=2)
    regularization: float = Field(30.0, gt=0)
    alpha: float = Field(1.0, gt=0)
    iterations: int = Field(15, ge=1)
    seed: int = 0


@dataclass(frozen=True)
class FoldIn:
    """The trainer's conventions a fold-in must follow to match what training would learn:
    confidence c = offset + α·r (implicit mode), λ alone or λ times the profile's size."""

    regularization: float
    alpha: float
    confidence_offset: float = 0.0  # implicit: 0, Spark: 1
    scaled_regularization: bool = False  # Spark's ALS-WR: λ·n_u
    implicit: bool = True  # False: the stars themselves were fit (Spark's explicit mode)


@dataclass
class IALSModel:
    """Learned state: user factors X (rows of the matrix), item factors Y, and YᵀY."""

    config: IALSConfig
    user_factors: np.ndarray  # (n_users, factors) float32
    item_factors: np.ndarray  # (n_items, factors) float32
    gram: np.ndarray  # YᵀY, float64
    rule: FoldIn | None = None  # None: the conventions of ``implicit``, the config's values

    def user_vector(self, row: int | None, profile: Profile) -> np.ndarray:
        """The learned factors of a known user, or the ridge solve for a profile."""
        if row is not None:
            return self.user_factors[row].astype(np.float64)
        return self.fold_in(profile)

    def fold_in(self, profile: Profile) -> np.ndarray:
        """x_u for a profile the model never saw (zeros for an empty one)."""
        if len(profile) == 0:
            return np.zeros(self.item_factors.shape[1])
        rule = self.rule or FoldIn(self.config.regularization, self.config.alpha)
        Y = self.item_factors[profile.items].astype(np.float64)
        r = profile.ratings.astype(np.float64)
        if rule.implicit:
            c = rule.confidence_offset + rule.alpha * r
            A, b = self.gram + (Y.T * (c - 1.0)) @ Y, Y.T @ c
        else:
            A, b = Y.T @ Y, Y.T @ r
        scale = len(profile) if rule.scaled_regularization else 1
        A[np.diag_indices_from(A)] += rule.regularization * scale
        return np.linalg.solve(A, b)

    def scores(self, row: int | None, profile: Profile) -> np.ndarray:
        """x_uᵀ y_i for every movie."""
        return self.item_factors @ self.user_vector(row, profile).astype(np.float32)


def fit_ials(matrix: RatingMatrix, config: IALSConfig) -> IALSModel:
    """ALS over the stars as confidences (``implicit``'s CPU solver, its own threads)."""
    from implicit.cpu.als import AlternatingLeastSquares

    csr = sp.csr_matrix(matrix.csr, dtype=np.float32)
    with threadpool_limits(1, "blas"):  # implicit parallelizes itself; nested BLAS threads fight
        model = AlternatingLeastSquares(
            factors=config.factors,
            regularization=config.regularization,
            alpha=config.alpha,
            iterations=config.iterations,
            random_state=config.seed,
        )
        model.fit(csr, show_progress=False)
    Y = np.ascontiguousarray(model.item_factors, dtype=np.float32)
    X = np.ascontiguousarray(model.user_factors, dtype=np.float32)
    return IALSModel(config, X, Y, Y.T.astype(np.float64) @ Y.astype(np.float64))
