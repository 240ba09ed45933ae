"""Ratings as a sparse user x item matrix over the whole catalogue, and user profiles.

Every model indexes items by the same columns (the catalogue's movies in id order, rated or
not), so score vectors from different models line up and can be blended with plain numpy.
A :class:`Profile` is what any user is to the models: item columns and ratings. A MovieLens
user's profile comes from the matrix; a newcomer's from what they said in chat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass(frozen=True)
class Profile:
    """A user's ratings: item columns and stars (a "like" is a high rating, a "not for me" low)."""

    items: np.ndarray  # int64 column indices, unique
    ratings: np.ndarray  # float64 stars, same length

    @classmethod
    def empty(cls) -> Profile:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))

    @classmethod
    def from_pairs(cls, pairs: dict[int, float]) -> Profile:
        items = np.fromiter(pairs.keys(), dtype=np.int64, count=len(pairs))
        ratings = np.fromiter(pairs.values(), dtype=np.float64, count=len(pairs))
        order = np.argsort(items)
        return cls(items[order], ratings[order])

    def __len__(self) -> int:
        return len(self.items)

    def with_ratings(self, extra: dict[int, float]) -> Profile:
        """This profile with ``extra`` ratings added or replacing earlier ones."""
        merged = dict(zip(self.items.tolist(), self.ratings.tolist(), strict=True))
        merged.update(extra)
        return Profile.from_pairs(merged)

    def top(self, n: int) -> Profile:
        """The ``n`` highest-rated items (ties keep column order)."""
        keep = np.sort(np.argsort(-self.ratings, kind="stable")[:n])
        return Profile(self.items[keep], self.ratings[keep])


@dataclass
class RatingMatrix:
    """Users x items ratings (CSR, float32) with the id <-> index maps."""

    user_ids: np.ndarray  # row -> userId (sorted)
    item_ids: np.ndarray  # column -> movieId (sorted)
    csr: sp.csr_matrix

    @classmethod
    def from_frame(cls, ratings: pd.DataFrame, item_ids: np.ndarray) -> RatingMatrix:
        """Build from (userId, movieId, rating) rows; ``item_ids`` fixes the columns."""
        item_ids = np.sort(np.asarray(item_ids, dtype=np.int64))
        user_ids, rows = np.unique(ratings["userId"].to_numpy(dtype=np.int64), return_inverse=True)
        cols = np.searchsorted(item_ids, ratings["movieId"].to_numpy(dtype=np.int64))
        values = ratings["rating"].to_numpy(dtype=np.float32)
        shape = (len(user_ids), len(item_ids))
        csr = sp.csr_matrix((values, (rows, cols)), shape=shape, dtype=np.float32)
        csr.sort_indices()
        return cls(user_ids, item_ids, csr)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_row(self, user_id: int) -> int | None:
        row = int(np.searchsorted(self.user_ids, user_id))
        return row if row < len(self.user_ids) and self.user_ids[row] == user_id else None

    def item_col(self, movie_id: int) -> int | None:
        col = int(np.searchsorted(self.item_ids, movie_id))
        return col if col < len(self.item_ids) and self.item_ids[col] == movie_id else None

    def item_cols(self, movie_ids: np.ndarray) -> np.ndarray:
        """Columns of ids known to be in the catalogue."""
        return np.searchsorted(self.item_ids, np.asarray(movie_ids, dtype=np.int64))

    def profile(self, row: int) -> Profile:
        start, end = self.csr.indptr[row], self.csr.indptr[row + 1]
        return Profile(
            self.csr.indices[start:end].astype(np.int64),
            self.csr.data[start:end].astype(np.float64),
        )

    def sample_users(self, max_ratings: int, seed: int) -> RatingMatrix:
        """Users drawn at random until about ``max_ratings`` ratings, the others' rows left
        empty (same shape, so columns and rows still line up); the matrix itself when it
        holds no more than that."""
        if self.csr.nnz <= max_ratings:
            return self
        order = np.random.default_rng(seed).permutation(self.n_users)
        counts = np.diff(self.csr.indptr)[order]
        chosen = order[: int(np.searchsorted(np.cumsum(counts), max_ratings)) + 1]
        keep = np.zeros(self.n_users)
        keep[chosen] = 1.0
        csr = sp.csr_matrix(sp.diags(keep) @ self.csr, dtype=np.float32)
        csr.eliminate_zeros()
        csr.sort_indices()
        return RatingMatrix(self.user_ids, self.item_ids, csr)

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, ratings) of every stored rating."""
        coo = self.csr.tocoo()
        return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)

    @property
    def mu(self) -> float:
        return float(self.csr.data.mean()) if self.csr.nnz else 0.0

    def item_counts(self) -> np.ndarray:
        return np.diff(self.csr.tocsc().indptr).astype(np.int64)
