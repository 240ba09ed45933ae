"""Item-based neighbourhoods: "people who liked Amélie also liked", and a kNN rating model.

Similarity is surprise's shrunk Pearson-baseline, computed on baseline residuals
``z_ui = r_ui - b_ui`` over the users U_ij who rated both items:

    ρ_ij = Σ_{u∈U_ij} z_ui z_uj / sqrt(Σ_{u∈U_ij} z_ui² · Σ_{u∈U_ij} z_uj²)
    s_ij = (|U_ij| - 1) / (|U_ij| - 1 + shrinkage) · ρ_ij

It is computed in blocks of items with sparse products and only the ``k_store`` most similar
items of each item are kept (a sparse items x items matrix with k_store entries per row), so
memory grows linearly with the catalogue, never quadratically.

The rating estimate (as surprise's KNNBaseline, over the stored neighbours of i that u rated):

    r̂_ui = b_ui + Σ_j s_ij z_uj / (Σ_j |s_ij| + λ)

with ``λ`` damping estimates that rest on little evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from recommender.matrix import Profile, RatingMatrix
from recommender.svd import Baseline, Prediction, fit_baseline


class ItemKNNConfig(BaseModel):
    """Neighbourhood size, shrinkage and damping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k_store: int = Field(200, ge=5, le=2000)
    shrinkage: float = Field(100.0, ge=0)
    min_support: int = Field(3, ge=1)
    damping: float = Field(1.0, ge=0)
    block: int = Field(512, ge=16)


@dataclass
class ItemKNNModel:
    """Learned state: the baseline and the sparse top-k similarity matrix (rows: items)."""

    config: ItemKNNConfig
    baseline: Baseline
    sims: sp.csr_matrix  # only positive similarities are kept
    scale: tuple[float, float]
    _sims_t: sp.csr_matrix | None = field(default=None, repr=False)

    def neighbours(self, col: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` most similar items of ``col`` (columns, similarities), best first."""
        start, end = self.sims.indptr[col], self.sims.indptr[col + 1]
        cols, values = self.sims.indices[start:end], self.sims.data[start:end]
        order = np.argsort(-values, kind="stable")[:n]
        return cols[order].astype(np.int64), values[order].astype(np.float64)

    def residual_sums(self, profile: Profile, bu: float) -> tuple[np.ndarray, np.ndarray]:
        """For every item i: Σ_j s_ij z_uj and Σ_j s_ij over the profile's items j."""
        z = profile.ratings - self.baseline.mu - bu - self.baseline.bi[profile.items]
        both = self.spread(profile.items, np.column_stack([z, np.ones(len(z))]))
        return both[:, 0], both[:, 1]

    def spread(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Σ_j s_ij w_j for every item i (``weights`` may hold several columns of w)."""
        if len(items) == 0:
            return np.zeros((self.sims.shape[0], *weights.shape[1:]))
        result = np.asarray(self.sims_t[items].T @ weights)
        return result.ravel() if weights.ndim == 1 else result

    @property
    def sims_t(self) -> sp.csr_matrix:
        """Sᵀ as CSR: row j lists the items that count j among their neighbours."""
        if self._sims_t is None:
            self._sims_t = self.sims.T.tocsr()
        return self._sims_t

    def scores(self, profile: Profile, bu: float) -> np.ndarray:
        """Estimated stars for every item from a profile (unclipped, for ranking and blending)."""
        num, den = self.residual_sums(profile, bu)
        return self.baseline.mu + bu + self.baseline.bi + num / (den + self.config.damping)

    def predict(self, row: int | None, col: int | None, profile: Profile) -> Prediction:
        """One estimate for a profile; unknown items fall back to the user's baseline."""
        bu = self.baseline.bu[row] if row is not None else self.baseline.user_bias(profile)
        if col is None:
            est = self.baseline.mu + bu
            return Prediction(
                row,
                col,
                None,
                float(np.clip(est, *self.scale)),
                {"was_impossible": True, "reason": "unknown item"},
            )
        est = self.scores(profile, bu)[col]
        details = {"was_impossible": row is None and len(profile) == 0}
        return Prediction(row, col, None, float(np.clip(est, *self.scale)), details)


def fit_item_knn(
    matrix: RatingMatrix, config: ItemKNNConfig, scale: tuple[float, float]
) -> ItemKNNModel:
    """Baseline, then block-wise shrunk Pearson-baseline similarities, top ``k_store`` kept."""
    baseline = fit_baseline(matrix)
    sims = item_similarities(matrix, baseline, config)
    return ItemKNNModel(config, baseline, sims, scale)


def item_similarities(
    matrix: RatingMatrix, baseline: Baseline, config: ItemKNNConfig
) -> sp.csr_matrix:
    """Top-``k_store`` shrunk Pearson-baseline neighbours of every item, block by block."""
    rows, cols, values = matrix.triples()
    n_items = matrix.n_items
    # Items with fewer ratings than min_support can have no neighbour: leave them out.
    active = np.flatnonzero(np.bincount(cols, minlength=n_items) >= config.min_support)
    local = np.full(n_items, -1)
    local[active] = np.arange(len(active))
    keep = local[cols] >= 0
    rows, cols, values = rows[keep], local[cols[keep]], values[keep]
    z = values - (baseline.mu + baseline.bu[rows] + baseline.bi[active[cols]])
    shape = (matrix.n_users, len(active))
    Z = sp.csr_matrix((z, (rows, cols)), shape=shape).tocsc()
    B = sp.csr_matrix((np.ones_like(z), (rows, cols)), shape=shape).tocsc()
    Z2 = Z.multiply(Z).tocsc()
    Zr, Br, Z2r = Z.tocsr(), B.tocsr(), Z2.tocsr()
    out_rows, out_cols, out_vals = [], [], []
    for start in range(0, len(active), config.block):
        block = slice(start, min(start + config.block, len(active)))
        zt, bt, z2t = Z[:, block].T.tocsr(), B[:, block].T.tocsr(), Z2[:, block].T.tocsr()
        support = (bt @ Br).toarray()
        num = (zt @ Zr).toarray()
        den = np.sqrt((z2t @ Br).toarray() * (bt @ Z2r).toarray())
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.where(den > 0, num / den, 0.0)
        sim = (support - 1) / (support - 1 + config.shrinkage) * rho
        sim[support < config.min_support] = 0.0
        diagonal = np.arange(block.stop - block.start)
        sim[diagonal, diagonal + start] = 0.0
        r, c, v = _top_k_positive(sim, config.k_store)
        out_rows.append(active[r + start])
        out_cols.append(active[c])
        out_vals.append(v)
    data = np.concatenate(out_vals).astype(np.float32) if out_vals else np.zeros(0, np.float32)
    index_rows = np.concatenate(out_rows) if out_rows else np.zeros(0, np.int64)
    index_cols = np.concatenate(out_cols) if out_cols else np.zeros(0, np.int64)
    result = sp.csr_matrix((data, (index_rows, index_cols)), shape=(n_items, n_items))
    result.sort_indices()
    return result


def _top_k_positive(sim: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and value of the k largest positive entries of each row."""
    k = min(k, sim.shape[1])
    top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(sim, top, axis=1)
    keep = values > 0
    rows = np.broadcast_to(np.arange(sim.shape[0])[:, None], top.shape)
    return rows[keep], top[keep], values[keep]
