"""All learned models together, fit from a rating matrix, and the scores the ranker blends.

``fit_models`` fits the rating blend (SVD + item kNN), EASE, iALS, user neighbours, taste clusters
and tag sentiment. The ranker's weights are chosen on the blend's own validation holdout:
models fit on the rest score the held-out users, and coordinate ascent on NDCG@10 picks the
weights (relevant = held-out ratings of 4 stars or more).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from tqdm import tqdm

from recommender.blend import BlendConfig, BlendModel, fit_blend_parts
from recommender.catalog import Catalog
from recommender.clusters import ClusterConfig, ClusterModel, fit_clusters
from recommender.ease import EASEConfig, EASEModel, fit_ease
from recommender.ials import IALSConfig, IALSModel, fit_ials
from recommender.matrix import Profile, RatingMatrix
from recommender.neighbours import UserNeighbours, fit_user_neighbours
from recommender.ranking import (
    QUALITY_PRIOR,
    RankerWeights,
    ValidationSet,
    fit_weights,
    profile_weights,
    standardize,
)
from recommender.sentiment import SentimentModel, fit_sentiment
from recommender.spark_als import SparkALSConfig, fit_spark_als

log = logging.getLogger(__name__)

VALIDATION_USERS = 300
RANKED = ("ease", "ials", "knn", "stars", "pop", "quality", "cluster", "sentiment")
LIKE = 4.0


class ModelParams(BaseModel):
    """Every hyperparameter of the models stage (``tune`` fills in the tuned ones)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blend: BlendConfig = BlendConfig()
    ease: EASEConfig = EASEConfig()
    ials: IALSConfig = IALSConfig()
    clusters: ClusterConfig = ClusterConfig()
    weights: RankerWeights | None = None  # None: learn on the validation holdout
    seed: int = 0
    spark: SparkALSConfig | None = None  # train the iALS component on Spark instead


def fit_factors(matrix: RatingMatrix, params: ModelParams) -> IALSModel:
    """The iALS component, from ``implicit`` here or from Spark's ALS where configured."""
    if params.spark is not None:
        return fit_spark_als(matrix, params.ials, params.spark)
    return fit_ials(matrix, params.ials)


@dataclass
class ItemStats:
    """Per catalogue column: rating count and Bayesian mean rating; plus genres and years."""

    counts: np.ndarray
    quality: np.ndarray
    genres: list[list[str]]
    years: np.ndarray  # float, nan when unknown


@dataclass
class Models:
    """Everything the engine ranks and explains with."""

    matrix: RatingMatrix
    blend: BlendModel
    ease: EASEModel
    ials: IALSModel
    neighbours: UserNeighbours
    clusters: ClusterModel
    sentiment: SentimentModel
    stats: ItemStats
    weights: RankerWeights
    validation_ndcg: float

    def components(
        self, row: int | None, profile: Profile, text: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Raw component scores for every item (see ``recommender.ranking``)."""
        return component_scores(self, row, profile, text)


def item_stats(matrix: RatingMatrix, genres: list[list[str]], years: np.ndarray) -> ItemStats:
    csc = matrix.csr.tocsc()
    counts = np.diff(csc.indptr).astype(np.int64)
    sums = np.asarray(csc.sum(axis=0)).ravel()
    mu = matrix.mu
    quality = (sums + QUALITY_PRIOR * mu) / (counts + QUALITY_PRIOR)
    return ItemStats(counts, quality, genres, years)


def component_scores(
    models: Models | _Parts, row: int | None, profile: Profile, text: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    weights = profile_weights(profile.ratings)
    stars, spread = models.blend.scores_and_spread(row, profile, weights)
    _, pu = models.blend.svd.user_vector(row, None if row is not None else profile)
    cluster = (
        models.clusters.labels[row] if row is not None else models.clusters.assign(profile, pu)
    )
    out = {
        "ease": models.ease.scores(profile.items, weights),
        "ials": models.ials.scores(row, profile),
        "knn": spread,
        "stars": stars,
        "pop": np.log1p(models.stats.counts),
        "quality": models.stats.quality,
        "cluster": models.clusters.popularity[cluster],
        "sentiment": models.sentiment.scores,
    }
    if text is not None:
        out["text"] = text
    return out


@dataclass
class _Parts:
    """The models fit on the validation split, enough to score components."""

    blend: BlendModel
    ease: EASEModel
    ials: IALSModel
    clusters: ClusterModel
    sentiment: SentimentModel
    stats: ItemStats


def fit_models(
    matrix: RatingMatrix,
    params: ModelParams,
    scale: tuple[float, float],
    tags: pd.DataFrame,
    genres: list[list[str]],
    years: np.ndarray,
    progress: bool = False,
) -> Models:
    """Fit every model; learn the ranker weights on the validation holdout unless given."""
    bar = tqdm(total=6, desc="models", unit="step", disable=not progress, leave=False)
    bar.set_postfix_str("tag sentiment")
    sentiment = fit_sentiment(tags, matrix.item_ids)
    bar.update()
    bar.set_postfix_str("SVD and kNN rating models")
    parts = fit_blend_parts(matrix, params.blend, scale)
    bar.update()
    bar.set_postfix_str("validation models and ranker weights")
    if params.weights is None:
        fit_part, holdout = parts.fit_part, parts.holdout
        val_stats = item_stats(fit_part, genres, years)
        val_clusters = fit_clusters(fit_part, parts.partial.svd.pu, genres, params.clusters)
        val = _Parts(
            parts.partial,
            fit_ease(fit_part, params.ease),
            fit_factors(fit_part, params),
            val_clusters,
            sentiment,
            val_stats,
        )
        data = validation_set(val, fit_part, holdout, params.seed)
        weights, ndcg = fit_weights(data, RankerWeights())
        log.debug("ranker weights %s (validation NDCG@10 %.4f)", weights.model_dump(), ndcg)
    else:
        weights, ndcg = params.weights, float("nan")
    bar.update()
    blend = parts.full
    bar.set_postfix_str("taste clusters")
    clusters = fit_clusters(matrix, blend.svd.pu, genres, params.clusters)
    bar.update()
    bar.set_postfix_str("EASE and iALS")
    ease, ials = fit_ease(matrix, params.ease), fit_factors(matrix, params)
    bar.update()
    bar.set_postfix_str("neighbours")
    neighbours = fit_user_neighbours(matrix)
    bar.update()
    bar.close()
    return Models(
        matrix,
        blend,
        ease,
        ials,
        neighbours,
        clusters,
        sentiment,
        item_stats(matrix, genres, years),
        weights,
        ndcg,
    )


def fit_catalog_models(
    catalog: Catalog, ratings: pd.DataFrame, params: ModelParams, progress: bool = False
) -> Models:
    """Every model fit on ``ratings`` of ``catalog`` (all of them, or a training part)."""
    matrix = RatingMatrix.from_frame(ratings, catalog.movies.index.to_numpy())
    movies = catalog.movies.loc[matrix.item_ids]
    years = movies["year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return fit_models(
        matrix,
        params,
        catalog.rating_scale,
        catalog.tags,
        list(movies["genres"]),
        years,
        progress=progress,
    )


def validation_set(
    parts: _Parts,
    matrix: RatingMatrix,
    holdout: tuple[np.ndarray, np.ndarray, np.ndarray],
    seed: int,
    names: tuple[str, ...] = RANKED,
) -> ValidationSet:
    """Standardized components for up to ``VALIDATION_USERS`` users with liked held-out movies."""
    rows, cols, values = holdout
    liked = values >= LIKE
    users = np.unique(rows[liked])
    rng = np.random.default_rng(seed)
    if len(users) > VALIDATION_USERS:
        users = np.sort(rng.choice(users, VALIDATION_USERS, replace=False))
    z = np.zeros((len(names), len(users), matrix.n_items), dtype=np.float32)
    masks = np.ones((len(users), matrix.n_items), dtype=bool)
    relevant = []
    for u, row in enumerate(users):
        profile = matrix.profile(int(row))
        masks[u, profile.items] = False
        comps = component_scores(parts, int(row), profile)
        for c, name in enumerate(names):
            z[c, u] = standardize(comps[name], masks[u])
        relevant.append(set(cols[(rows == row) & liked].tolist()))
    return ValidationSet(names, z, masks, relevant)
