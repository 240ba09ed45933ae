"""EASE (Steck 2019): a closed-form item-item model for top-N ranking.

With X the binary users x items interaction matrix and G = XᵀX + λI, the weights

    B = I - P · diag(1 / diag(P)),   P = G⁻¹     (so diag(B) = 0)

score item i for a user with interaction vector x as (xB)_i. Any profile can be scored at
once, so a newcomer's five titles rank the catalogue with no retraining. B is dense over the
items it covers; to keep memory bounded as catalogues grow it covers at most ``max_items``
items (the most rated ones with at least ``min_count`` ratings), the long tail that never
reaches a top-10 anyway scores 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from recommender.matrix import RatingMatrix


class EASEConfig(BaseModel):
    """Regularization and the item cap."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lam: float = Field(400.0, gt=0)
    min_count: int = Field(3, ge=1)
    max_items: int = Field(6000, ge=10)


@dataclass
class EASEModel:
    """Learned state: the covered columns and their weight matrix B (float32)."""

    config: EASEConfig
    cols: np.ndarray  # catalogue columns covered, sorted
    B: np.ndarray  # (len(cols), len(cols))
    n_items: int

    def scores(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(xB) over the catalogue for interactions ``items`` with ``weights`` (1 = seen/liked)."""
        out = np.zeros(self.n_items)
        local = np.searchsorted(self.cols, items)
        inside = (local < len(self.cols)) & (
            self.cols[np.minimum(local, len(self.cols) - 1)] == items
        )
        if inside.any():
            out[self.cols] = weights[inside].astype(np.float32) @ self.B[local[inside]]
        return out


def fit_ease(matrix: RatingMatrix, config: EASEConfig) -> EASEModel:
    """Closed-form EASE over the ``max_items`` most-rated items with ``min_count`` ratings."""
    counts = matrix.item_counts()
    eligible = np.flatnonzero(counts >= config.min_count)
    if len(eligible) > config.max_items:
        eligible = np.sort(
            eligible[np.argsort(-counts[eligible], kind="stable")[: config.max_items]]
        )
    X = matrix.csr[:, eligible]
    X = sp.csr_matrix((np.ones_like(X.data), X.indices, X.indptr), shape=X.shape)
    G = (X.T @ X).toarray().astype(np.float64)
    G[np.diag_indices_from(G)] += config.lam
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    B[np.diag_indices_from(B)] = 0.0
    return EASEModel(config, eligible.astype(np.int64), B.astype(np.float32), matrix.n_items)
