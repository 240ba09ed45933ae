"""People like you: user-based nearest neighbours by mean-centred cosine.

Each user's ratings are centred on their own mean and scaled to unit length,
``x̃_u = (r_u - r̄_u) / ||r_u - r̄_u||``; the similarity of a profile x to user v is
``sim(x, v) = x̃ · x̃_v · min(n_xv, γ) / γ``, the cosine damped when they share fewer than γ
movies (significance weighting). One sparse matrix-vector product scores every user, so
nothing is ever quadratic in users. "Loved" means rated ``loved`` stars or more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.matrix import Profile, RatingMatrix

SIGNIFICANCE = 10.0
LOVED = 4.5
SHARED = 3  # "shares your taste": rated at least this many of the same movies, and agrees


@dataclass(frozen=True)
class Neighbour:
    """A similar user: row, similarity and how many movies both rated."""

    row: int
    similarity: float
    common: int


@dataclass
class UserNeighbours:
    """Learned state: centred, normalized ratings (CSC for column slices) and loves (CSR)."""

    centred: sp.csc_matrix  # users x items
    rated: sp.csc_matrix  # binary users x items
    loved: sp.csr_matrix  # binary users x items, rating >= LOVED

    def similar(
        self, profile: Profile, k: int, exclude_row: int | None = None, min_common: int = 1
    ) -> list[Neighbour]:
        """The ``k`` users most similar to ``profile`` who rated ``min_common`` of its movies."""
        if len(profile) < 2:
            return []
        x = profile.ratings - profile.ratings.mean()
        norm = np.linalg.norm(x)
        if norm == 0:
            return []
        sims = np.asarray(self.centred[:, profile.items] @ (x / norm)).ravel()
        common = np.asarray(self.rated[:, profile.items].sum(axis=1)).ravel()
        sims *= np.minimum(common, SIGNIFICANCE) / SIGNIFICANCE
        sims[common < min_common] = -np.inf
        if exclude_row is not None:
            sims[exclude_row] = -np.inf
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [Neighbour(int(r), float(sims[r]), int(common[r])) for r in top if sims[r] > 0]

    def loved_by(self, neighbours: list[Neighbour]) -> tuple[np.ndarray, np.ndarray]:
        """For every item: summed similarity and count of the neighbours who loved it."""
        if not neighbours:
            n = self.loved.shape[1]
            return np.zeros(n), np.zeros(n, dtype=np.int64)
        rows = np.array([n.row for n in neighbours])
        weights = np.array([n.similarity for n in neighbours])
        block = self.loved[rows]
        return np.asarray(block.T @ weights).ravel(), np.asarray(block.sum(axis=0)).ravel().astype(
            np.int64
        )


def fit_user_neighbours(matrix: RatingMatrix) -> UserNeighbours:
    csr = matrix.csr.astype(np.float64)
    counts = np.diff(csr.indptr)
    means = np.asarray(csr.sum(axis=1)).ravel() / np.maximum(counts, 1)
    centred = csr.copy()
    centred.data -= np.repeat(means, counts)
    norms = np.sqrt(np.asarray(centred.multiply(centred).sum(axis=1)).ravel())
    centred = sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ centred
    rated = sp.csr_matrix(
        (np.ones_like(csr.data), csr.indices.copy(), csr.indptr.copy()), shape=csr.shape
    )
    # Copies: eliminate_zeros() rewrites the index arrays in place.
    loved = sp.csr_matrix(
        ((csr.data >= LOVED).astype(np.float64), csr.indices.copy(), csr.indptr.copy()),
        shape=csr.shape,
    )
    loved.eliminate_zeros()
    return UserNeighbours(centred.tocsc(), rated.tocsc(), loved)
