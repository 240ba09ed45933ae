"""Taste clusters: k-means over users, described in words a person understands.

**Representation.** Each user is two equally weighted blocks:

- *genre affinity*: for each genre g, the log-lift of g among the user's liked movies
  (rated 4 or more) versus everyone's, smoothed: ``log((l_ug + α p_g) / (l_u + α) / p_g)``.
  It makes clusters describable ("loves sci-fi, cool on romance").
- *taste factors*: the user's SVD factor vector, normalized. It separates users who like
  the same genres but different movies within them.

Both blocks are standardized, so neither dominates. **k** is chosen from a range: the elbow
of the inertia curve (the point farthest from the chord between its ends) proposes a
neighbourhood, the best silhouette within one step of it decides; both curves are kept.

**Descriptions.** Size; genre lift of the cluster's likes versus everyone's (over- and
under-liked genres); signature movies: rated by enough members, liked much more often
than by everyone (lift) and well rated inside the cluster, not merely popular.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from recommender.matrix import Profile, RatingMatrix

LIKE = 4.0
ALPHA = 5.0
NOT_TASTES = frozenset({"IMAX"})


class ClusterConfig(BaseModel):
    """The range of k to search and the seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k_min: int = Field(3, ge=2)
    k_max: int = Field(12, ge=2)
    seed: int = 0
    silhouette_sample: int = Field(5000, ge=100)
    signature_size: int = Field(5, ge=1)
    minibatch_above: int = Field(20_000, ge=100)  # users: k-means by mini-batches beyond this


@dataclass(frozen=True)
class Cluster:
    """One taste cluster, in words and numbers."""

    id: int
    name: str
    size: int
    share: float
    over: list[tuple[str, float]]  # genres liked more than by everyone, with lift
    under: list[tuple[str, float]]
    signature: list[int]  # catalogue columns

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "share": round(self.share, 3),
            "loves": [{"genre": g, "lift": round(v, 2)} for g, v in self.over],
            "cool_on": [{"genre": g, "lift": round(v, 2)} for g, v in self.under],
        }


@dataclass
class ClusterModel:
    """Learned state: scaler, centroids, labels, curves, descriptions, in-cluster popularity."""

    config: ClusterConfig
    genres: list[str]
    genre_matrix: sp.csr_matrix  # items x genres, binary
    genre_prior: np.ndarray  # everyone's like share per genre
    mean: np.ndarray
    std: np.ndarray
    factor_weight: float
    centroids: np.ndarray
    labels: np.ndarray  # per user row
    curves: dict[str, dict[int, float]]
    clusters: list[Cluster]
    popularity: np.ndarray  # (k, n_items): share of members who liked the item
    _sizes: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def k(self) -> int:
        return len(self.clusters)

    def features(self, profile: Profile, pu: np.ndarray) -> np.ndarray:
        liked = profile.items[profile.ratings >= LIKE]
        counts = np.asarray(self.genre_matrix[liked].sum(axis=0)).ravel()
        affinity = np.log(
            (counts + ALPHA * self.genre_prior) / (len(liked) + ALPHA) / self.genre_prior
        )
        norm = np.linalg.norm(pu)
        factors = pu / norm if norm > 0 else pu
        return self._scale(np.concatenate([affinity, factors]))

    def assign(self, profile: Profile, pu: np.ndarray) -> int:
        """The cluster whose centroid is nearest to this profile."""
        distances = np.linalg.norm(self.centroids - self.features(profile, pu), axis=1)
        return int(np.argmin(distances))

    def _scale(self, raw: np.ndarray) -> np.ndarray:
        scaled = (raw - self.mean) / self.std
        scaled[..., len(self.genres) :] *= self.factor_weight
        return scaled


def genre_matrix(genres_per_item: list[list[str]]) -> tuple[list[str], sp.csr_matrix]:
    names = sorted({g for genres in genres_per_item for g in genres})
    index = {g: j for j, g in enumerate(names)}
    rows = [i for i, genres in enumerate(genres_per_item) for _ in genres]
    cols = [index[g] for genres in genres_per_item for g in genres]
    matrix = sp.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(genres_per_item), len(names))
    )
    return names, matrix


def _kmeans(k: int, n: int, config: ClusterConfig) -> Any:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if n > config.minibatch_above:
        return MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=config.seed)
    return KMeans(n_clusters=k, n_init=4, random_state=config.seed)


def fit_clusters(
    matrix: RatingMatrix, pu: np.ndarray, genres_per_item: list[list[str]], config: ClusterConfig
) -> ClusterModel:
    """Features for every user, k chosen by elbow and silhouette, clusters described.

    Beyond ``minibatch_above`` users, k-means runs on mini-batches (Sculley 2010): each step
    moves the centres toward a random batch's members, so time and memory stay bounded."""
    from sklearn.metrics import silhouette_score

    names, G = genre_matrix(genres_per_item)
    likes = like_matrix(matrix)
    user_genre = (likes @ G).toarray()
    prior = np.maximum(user_genre.sum(axis=0) / max(user_genre.sum(), 1.0), 1e-6)
    raw = _raw_features(likes, user_genre, prior, pu)
    mean, std = raw.mean(axis=0), raw.std(axis=0) + 1e-9
    factor_weight = float(np.sqrt(len(names) / pu.shape[1]))  # equal total variance per block
    X = (raw - mean) / std
    X[:, len(names) :] *= factor_weight

    inertia, silhouette, fits = {}, {}, {}
    ks = range(config.k_min, min(config.k_max, matrix.n_users - 1) + 1)
    for k in ks:
        km = _kmeans(k, len(X), config).fit(X)
        fits[k] = km
        inertia[k] = float(km.inertia_)
        silhouette[k] = float(
            silhouette_score(
                X,
                km.labels_,
                sample_size=min(config.silhouette_sample, len(X)),
                random_state=config.seed,
            )
        )
    if fits:
        k = choose_k(inertia, silhouette)
        km = fits[k]
    else:  # too few users to compare clusterings: everyone is one group
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=1, n_init=1, random_state=config.seed).fit(X)
        k = 1
    labels = km.labels_.astype(np.int64)
    popularity = _cluster_popularity(likes, labels, k)
    clusters = describe(likes, labels, names, G, popularity, config.signature_size, user_genre)
    return ClusterModel(
        config,
        names,
        G.tocsr(),
        prior,
        mean,
        std,
        factor_weight,
        km.cluster_centers_,
        labels,
        {"inertia": inertia, "silhouette": silhouette},
        clusters,
        popularity,
    )


def _raw_features(
    likes: sp.csr_matrix, user_genre: np.ndarray, prior: np.ndarray, pu: np.ndarray
) -> np.ndarray:
    """Genre affinity ``log((n_ug + α·p_g) / (n_u + α) / p_g)`` beside unit-length ``pu``."""
    n_liked = np.asarray(likes.sum(axis=1)).ravel()
    affinity = np.log((user_genre + ALPHA * prior) / (n_liked[:, None] + ALPHA) / prior)
    norms = np.linalg.norm(pu, axis=1, keepdims=True)
    return np.hstack([affinity, np.divide(pu, norms, out=np.zeros_like(pu), where=norms > 0)])


def all_features(model: ClusterModel, matrix: RatingMatrix, pu: np.ndarray) -> np.ndarray:
    """The scaled clustering features of every user (rows as in ``matrix``), vectorized."""
    likes = like_matrix(matrix)
    user_genre = (likes @ model.genre_matrix).toarray()
    return model._scale(_raw_features(likes, user_genre, model.genre_prior, pu))


@dataclass(frozen=True)
class TasteMap:
    """A 2-D picture of everyone's taste: the first two principal axes of the cluster features.

    With ``X`` centred at ``c``, ``X - c = U S Vᵀ``; a profile ``x`` is drawn at ``(x - c) V₂``.
    """

    center: np.ndarray
    axes: np.ndarray  # (d, 2)
    coords: np.ndarray  # (n_users, 2)
    labels: np.ndarray
    explained: tuple[float, float]  # share of variance on each axis

    @classmethod
    def fit(cls, X: np.ndarray, labels: np.ndarray) -> TasteMap:
        center = X.mean(axis=0)
        _, s, vt = np.linalg.svd(X - center, full_matrices=False)
        axes = vt[:2].T
        share = s**2 / max(float((s**2).sum()), 1e-12)
        explained = (float(share[0]), float(share[1]) if len(share) > 1 else 0.0)
        if axes.shape[1] < 2:  # one feature: draw everyone on a line
            axes = np.hstack([axes, np.zeros((axes.shape[0], 2 - axes.shape[1]))])
        return cls(center, axes, (X - center) @ axes, labels, explained)

    def place(self, features: np.ndarray) -> tuple[float, float]:
        x, y = (features - self.center) @ self.axes
        return float(x), float(y)


def choose_k(inertia: dict[int, float], silhouette: dict[int, float]) -> int:
    """Elbow (farthest point from the chord of the inertia curve), refined by silhouette ±1."""
    ks = sorted(inertia)
    if len(ks) <= 2:
        return max(ks, key=lambda k: silhouette[k])
    x = np.array(ks, dtype=float)
    y = np.array([inertia[k] for k in ks])
    x_n = (x - x[0]) / (x[-1] - x[0])
    y_n = (y - y[-1]) / ((y[0] - y[-1]) or 1.0)
    elbow = ks[int(np.argmax(np.abs(1 - x_n - y_n)))]
    near = [k for k in ks if abs(k - elbow) <= 1]
    return max(near, key=lambda k: (silhouette[k], -k))


def like_matrix(matrix: RatingMatrix) -> sp.csr_matrix:
    """Binary users x items: rated 4 stars or more."""
    csr = matrix.csr
    # Copies: eliminate_zeros() rewrites the index arrays in place.
    likes = sp.csr_matrix(
        ((csr.data >= LIKE).astype(np.float64), csr.indices.copy(), csr.indptr.copy()),
        shape=csr.shape,
    )
    likes.eliminate_zeros()
    return likes


def _cluster_popularity(likes: sp.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    member = sp.csr_matrix(
        (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels))
    )
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    return (member @ likes).toarray() / np.maximum(sizes, 1.0)[:, None]


def describe(
    likes: sp.csr_matrix,
    labels: np.ndarray,
    names: list[str],
    G: sp.csr_matrix,
    popularity: np.ndarray,
    n_signature: int,
    user_genre: np.ndarray,
) -> list[Cluster]:
    """Size, genre lifts, signature movies and a name for each cluster."""
    n_users = len(labels)
    overall = np.asarray(likes.sum(axis=0)).ravel() / n_users
    everyone = user_genre.sum(axis=0) / max(user_genre.sum(), 1.0)
    out = []
    for c in range(popularity.shape[0]):
        members = labels == c
        size = int(members.sum())
        genre_share = user_genre[members].sum(axis=0) / max(user_genre[members].sum(), 1.0)
        lift = np.divide(genre_share, everyone, out=np.ones_like(genre_share), where=everyone > 0)
        # Genres too rare to describe anyone, and IMAX (a screen format, not a taste), are left out.
        common = (everyone >= 0.01) & np.array([n not in NOT_TASTES for n in names])
        order = np.argsort(-lift)
        over = [(names[j], float(lift[j])) for j in order if common[j] and lift[j] > 1.1][:3]
        under = [(names[j], float(lift[j])) for j in order[::-1] if common[j] and lift[j] < 0.9][:2]
        support = popularity[c] * size
        enough = support >= max(3, 0.1 * size)
        item_lift = np.divide(popularity[c], overall, out=np.zeros_like(overall), where=overall > 0)
        score = np.where(
            enough & (item_lift > 1.2), np.log(np.maximum(item_lift, 1.0)) * popularity[c], 0.0
        )
        signature = [int(i) for i in np.argsort(-score)[:n_signature] if score[i] > 0]
        out.append(Cluster(c, _name(over, under), size, size / n_users, over, under, signature))
    return out


def _name(over: list[tuple[str, float]], under: list[tuple[str, float]]) -> str:
    if not over:
        return "All-rounders" + (f", cool on {under[0][0]}" if under else "")
    loves = " & ".join(g for g, _ in over[:2])
    return f"{loves} fans" + (f", cool on {under[0][0]}" if under else "")
