"""Top-N peers a practitioner tries first, for the evaluation's side-by-side table.

Every peer learns from the training users x items matrix and scores a batch of its users'
rows over the whole catalogue. X is binary (1 = rated) unless a peer says otherwise.

- **ItemKNN** (cosine with shrinkage h over binary or starred columns, the k nearest items
  kept per item):
  s_ij = x_iᵀx_j / (|x_i| |x_j| + h);   score(u, j) = Σ_i∈u s_ij
- **RP3beta** (Paudel et al. 2017), a random walk user → item → user → item, popularity
  penalized: with P_ui the row-normalized X and P_iu the row-normalized Xᵀ,
  W = (P_iu^α · P_ui^α) ⊙ pop_j^-β, the k largest per row kept;  score(u, ·) = x_u W
  (the walk over every rating, or over ratings of 4 stars or more only)
- **EASE** (Steck 2019), closed form: ``recommender.ease`` with a tuned λ.
- **iALS** (Hu, Koren & Volinsky 2008) by ``implicit``: ``recommender.ials``, stars as
  confidence, tuned factors, λ and α.
- **SLIM ElasticNet** (Ning & Karypis 2011): per item j,
  min_w ½|x_j - X w|² + a·ρ|w|₁ + ½a(1-ρ)|w|²  with w ≥ 0 and w_j = 0, by scikit-learn's
  coordinate descent; the k largest weights per item kept; score(u, ·) = x_u W.

Each is tuned on a validation split carved from the training data only (see
``recommender.evaluation``), then refit on all of it and scored once.
"""

from __future__ import annotations

import itertools
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from recommender.ease import EASEConfig, fit_ease
from recommender.ials import IALSConfig, fit_ials
from recommender.matrix import RatingMatrix

CHUNK = 512  # rows per dense block when keeping the top k of an items x items product


def binary(csr: sp.csr_matrix) -> sp.csr_matrix:
    out = csr.copy().astype(np.float32)
    out.data[:] = 1.0
    return out


def keep_top_k(W: np.ndarray, k: int) -> sp.csr_matrix:
    """Each row's ``k`` largest positive entries (the diagonal dropped), as CSR float32."""
    n = W.shape[0]
    rows, cols, vals = [], [], []
    for start in range(0, n, CHUNK):
        block = np.array(W[start : start + CHUNK], dtype=np.float32)
        idx = np.arange(block.shape[0])
        block[idx, start + idx] = 0.0
        kk = min(k, block.shape[1])
        top = np.argpartition(-block, kk - 1, axis=1)[:, :kk]
        value = np.take_along_axis(block, top, axis=1)
        keep = value > 0
        rows.append(np.repeat(start + idx, kk)[keep.ravel()])
        cols.append(top[keep])
        vals.append(value[keep])
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=W.shape
    )


class Peer(ABC):
    """A top-N model: ``fit`` on a training matrix, then ``scores`` for some of its rows."""

    name: ClassVar[str]
    grid: ClassVar[dict[str, list[Any]]]  # validation search space

    def __init__(self, **params: Any) -> None:
        self.params = params

    @abstractmethod
    def fit(self, matrix: RatingMatrix) -> Peer: ...

    @abstractmethod
    def scores(self, matrix: RatingMatrix, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_items) scores; higher is better."""

    @classmethod
    def candidates(cls) -> Iterator[dict[str, Any]]:
        """Every parameter combination of ``grid``."""
        for values in itertools.product(*cls.grid.values()):
            yield dict(zip(cls.grid, values, strict=True))

    def describe(self) -> str:
        return ", ".join(
            f"{k} {v:g}" if isinstance(v, int | float) else f"{k} {v}"
            for k, v in self.params.items()
        )


class ItemPeer(Peer):
    """An item x item weight matrix W: score(u, ·) = x_u W."""

    W: sp.csr_matrix

    def scores(self, matrix: RatingMatrix, rows: np.ndarray) -> np.ndarray:
        return np.asarray((binary(matrix.csr[rows]) @ self.W).todense())


class ItemKNN(ItemPeer):
    name = "ItemKNN cosine"
    grid: ClassVar[dict[str, list[Any]]] = {
        "k": [50, 100, 200, 400],
        "shrink": [0, 10, 50, 100],
        "values": ["binary", "stars"],
    }

    def fit(self, matrix: RatingMatrix) -> ItemKNN:
        X = binary(matrix.csr) if self.params.get("values", "binary") == "binary" else matrix.csr
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=0)).ravel())
        sims = (X.T @ X).toarray()
        sims /= np.outer(norms, norms) + self.params["shrink"] + 1e-9
        self.W = keep_top_k(sims, self.params["k"]).T.tocsr()  # s_ij symmetric: top k per item
        return self


class RP3beta(ItemPeer):
    name = "RP3beta"
    grid: ClassVar[dict[str, list[Any]]] = {
        "alpha": [0.5, 0.75, 1.0],
        "beta": [0.2, 0.35, 0.45, 0.6],
        "k": [200, 1000],
        "min_stars": [0.0, 4.0],  # 4: the walk goes through liked movies only
    }

    def fit(self, matrix: RatingMatrix) -> RP3beta:
        X = binary(matrix.csr)
        X.data[matrix.csr.data < self.params.get("min_stars", 0.0)] = 0.0
        X.eliminate_zeros()
        alpha, beta = self.params["alpha"], self.params["beta"]
        user_deg = np.asarray(X.sum(axis=1)).ravel()
        item_deg = np.asarray(X.sum(axis=0)).ravel()
        P_ui = sp.diags(1.0 / np.maximum(user_deg, 1)) @ X
        P_iu = sp.diags(1.0 / np.maximum(item_deg, 1)) @ X.T
        P_ui.data **= alpha
        P_iu = P_iu.tocsr()
        P_iu.data **= alpha
        W = (P_iu @ P_ui).toarray()
        W *= np.power(np.maximum(item_deg, 1), -beta)[None, :]
        self.W = keep_top_k(W, self.params["k"])
        return self


class EASE(ItemPeer):
    name = "EASE"
    grid: ClassVar[dict[str, list[Any]]] = {"lam": [100.0, 200.0, 400.0, 600.0, 1000.0, 2000.0]}

    def fit(self, matrix: RatingMatrix) -> EASE:
        self.model = fit_ease(matrix, EASEConfig(lam=self.params["lam"]))
        return self

    def scores(self, matrix: RatingMatrix, rows: np.ndarray) -> np.ndarray:
        X = binary(matrix.csr[rows])[:, self.model.cols]
        out = np.zeros((len(rows), matrix.n_items), dtype=np.float32)
        out[:, self.model.cols] = X @ self.model.B
        return out


class IALS(Peer):
    name = "iALS (implicit)"
    grid: ClassVar[dict[str, list[Any]]] = {
        "factors": [64, 128],
        "regularization": [10.0, 30.0, 100.0],
        "alpha": [1.0, 3.0],
    }

    def fit(self, matrix: RatingMatrix) -> IALS:
        self.model = fit_ials(matrix, IALSConfig(**self.params))
        return self

    def scores(self, matrix: RatingMatrix, rows: np.ndarray) -> np.ndarray:
        return self.model.user_factors[rows] @ self.model.item_factors.T


class SLIM(ItemPeer):
    name = "SLIM ElasticNet"
    grid: ClassVar[dict[str, list[Any]]] = {"alpha": [0.1, 0.03], "l1_ratio": [0.01, 0.05, 0.1]}
    MIN_COUNT = 3  # items with fewer ratings are neither explained nor explaining
    K = 200

    def fit(self, matrix: RatingMatrix) -> SLIM:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import ElasticNet

        counts = matrix.item_counts()
        items = np.flatnonzero(counts >= self.MIN_COUNT)
        X = binary(matrix.csr)[:, items].tocsc()
        model = ElasticNet(
            alpha=self.params["alpha"],
            l1_ratio=self.params["l1_ratio"],
            positive=True,
            fit_intercept=False,
            copy_X=False,
            precompute=False,
            selection="random",
            max_iter=100,
            tol=1e-4,
            random_state=0,
        )
        rows, cols, vals = [], [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for j in range(len(items)):
                start, end = X.indptr[j], X.indptr[j + 1]
                y = X[:, j].toarray().ravel()
                saved = X.data[start:end].copy()
                X.data[start:end] = 0.0  # w_j = 0: an item may not explain itself
                model.fit(X, y)
                X.data[start:end] = saved
                w = model.sparse_coef_.tocoo()
                if w.nnz > self.K:
                    top = np.argpartition(-w.data, self.K - 1)[: self.K]
                    w = sp.coo_matrix((w.data[top], (w.row[top], w.col[top])), shape=w.shape)
                rows.append(items[w.col])
                cols.append(np.full(w.nnz, items[j]))
                vals.append(w.data)
        n = matrix.n_items
        self.W = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n, n),
            dtype=np.float32,
        )
        return self


PEERS: tuple[type[Peer], ...] = (IALS, SLIM, EASE, RP3beta, ItemKNN)
