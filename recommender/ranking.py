"""The hybrid ranker: one score from several signals, weights learned on validation data.

For a user and every candidate movie the ranker computes component scores

- ``ease``: EASE item-item score of the profile (liked +1, disliked -1)
- ``ials``: x_uᵀ y_i of the implicit-feedback factor model (what people who watched the same
  movies watch), folded in for newcomers
- ``knn``: Σ_j s_ij w_j, how similar the movie is to the profile's movies (same weights)
- ``stars``: predicted stars from the blended SVD + kNN rating model
- ``pop``: log(1 + number of ratings)
- ``quality``: Bayesian mean rating, shrunk toward the global mean by ``QUALITY_PRIOR`` ratings
- ``cluster``: share of the user's taste cluster who liked it
- ``sentiment``: tag sentiment (VADER, shrunk)
- ``text``: semantic similarity to a text query, when the request has one

standardizes each over the eligible candidates (z-scores, so weights are comparable), and
ranks by ``Σ_c w_c z_c``. Seen and rejected movies are never candidates; filters (genres,
years, minimum number of ratings) narrow the rest; a light diversity pass keeps at most one
movie per franchise in the list. ``fit_weights`` chooses w by coordinate ascent on NDCG@10
over a validation holdout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from recommender.metrics import ndcg_at_k, top_k
from recommender.titles import title_key

COMPONENTS = ("ease", "ials", "knn", "stars", "pop", "quality", "cluster", "sentiment", "text")
QUALITY_PRIOR = 10.0
DISLIKE = 2.0
WEIGHT_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 1.6, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0)


class RankerWeights(BaseModel):
    """Weights of the standardized component scores."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ease: float = 1.0
    ials: float = 0.0
    knn: float = 0.3
    stars: float = 0.3
    pop: float = 0.0
    quality: float = 0.0
    cluster: float = 0.0
    sentiment: float = 0.0
    text: float = 1.0

    def vector(self, names: Sequence[str]) -> np.ndarray:
        return np.array([getattr(self, n) for n in names])


class Filters(BaseModel):
    """What a request allows: genres (any of, or all of), excluded genres, years, ratings."""

    model_config = ConfigDict(extra="forbid")

    genres: list[str] = Field(default_factory=list)
    all_genres: bool = False  # "romantic comedy", "sci-fi horror": every genre, not any
    exclude_genres: list[str] = Field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    min_ratings: int = Field(0, ge=0)
    no_subtitles: bool = False  # only films whose original language is English

    def describe(self) -> str:
        parts = []
        if self.genres:
            parts.append("genre " + (" and " if self.all_genres else " or ").join(self.genres))
        if self.exclude_genres:
            parts.append("no " + ", ".join(self.exclude_genres))
        if self.year_min is not None or self.year_max is not None:
            parts.append(f"years {self.year_min or '…'}-{self.year_max or '…'}")
        if self.min_ratings:
            parts.append(f"at least {self.min_ratings} ratings")
        if self.no_subtitles:
            parts.append("no subtitles")
        return ", ".join(parts) or "no filters"


def profile_weights(ratings: np.ndarray) -> np.ndarray:
    """+1 for a movie the user rated above ``DISLIKE`` stars, -1 for one they disliked."""
    return np.where(ratings > DISLIKE, 1.0, -1.0)


def standardize(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """z-scores over the candidates in ``mask``; a constant component contributes nothing."""
    values = scores[mask]
    if len(values) == 0:
        return np.zeros_like(scores)
    std = values.std()
    if not np.isfinite(std) or std < 1e-12:
        return np.zeros_like(scores)
    return (scores - values.mean()) / std


def combine(
    components: dict[str, np.ndarray], weights: RankerWeights, mask: np.ndarray
) -> np.ndarray:
    """Σ_c w_c z_c over the components present; ineligible items get -inf."""
    total = np.zeros(len(mask))
    for name, scores in components.items():
        weight = getattr(weights, name)
        if weight:
            total += weight * standardize(scores, mask)
    return np.where(mask, total, -np.inf)


_SEQUEL_RE = re.compile(r"\s+(?:\d+|i{1,3}|iv|v|vi{0,3}|part \w+|chapter \w+)$")


def franchise_key(title: str) -> str:
    """'Toy Story 2' and 'Toy Story 3' -> 'toy story'; 'Star Wars: Episode V ...' -> 'star wars'."""
    head = title.split(":")[0]
    key = _SEQUEL_RE.sub("", title_key(head))
    words = key.split()
    return " ".join(words[:2]) if len(words) > 2 else key


def shortlist(scores: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` best finite scores, best first (argpartition, then a sort of just those)."""
    n = min(n, len(scores))
    part = np.argpartition(-scores, n - 1)[:n]
    order = part[np.argsort(-scores[part], kind="stable")]
    return order[np.isfinite(scores[order])]


def diverse_top(order: np.ndarray, franchises: np.ndarray, k: int) -> list[int]:
    """The first ``k`` of ``order`` keeping one movie per franchise."""
    picked: list[int] = []
    seen: set[str] = set()
    for col in order:
        key = franchises[col]
        if key in seen:
            continue
        seen.add(key)
        picked.append(int(col))
        if len(picked) == k:
            break
    return picked


@dataclass
class ValidationSet:
    """Standardized components of validation users (users x items per component) and truth."""

    names: tuple[str, ...]
    z: np.ndarray  # (n_components, n_users, n_items) float32, -inf never (masked separately)
    masks: np.ndarray  # (n_users, n_items) bool: candidates
    relevant: list[set[int]]


def evaluate_weights(data: ValidationSet, weights: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k of the weighted sum over the validation users."""
    total = np.tensordot(weights.astype(np.float32), data.z, axes=1)
    total[~data.masks] = -np.inf
    scores = []
    for u, relevant in enumerate(data.relevant):
        ranked = top_k(total[u], k).tolist()
        scores.append(ndcg_at_k(ranked, relevant, k))
    return float(np.mean(scores)) if scores else 0.0


def fit_weights(
    data: ValidationSet, start: RankerWeights, passes: int = 2, anchor: str = "ease"
) -> tuple[RankerWeights, float]:
    """Coordinate ascent over ``WEIGHT_GRID`` per component (``anchor`` fixed as the scale)."""
    w = start.vector(data.names)
    best = evaluate_weights(data, w)
    for _ in range(passes):
        for c, name in enumerate(data.names):
            if name == anchor:
                continue
            for value in WEIGHT_GRID:
                trial = w.copy()
                trial[c] = value
                score = evaluate_weights(data, trial)
                if score > best + 1e-6:
                    best, w = score, trial
    fitted = start.model_copy(update={n: float(v) for n, v in zip(data.names, w, strict=True)})
    return fitted, best
