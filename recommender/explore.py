"""The first charts a data scientist draws of a ratings dataset, as small tidy frames.

Everything is computed once from the loaded catalogue and models (vectorized; a few hundred ms
even at 25M ratings) and handed to front ends, which only draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from recommender.catalog import Catalog
from recommender.clusters import NOT_TASTES, like_matrix
from recommender.models import Models

ACTIVITY_BINS = (1, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10**9)
SENTIMENT_BIN = 0.05


@dataclass(frozen=True)
class DataOverview:
    """Tidy frames, one per chart, plus headline counts."""

    counts: dict[str, int | float | str]
    rating_distribution: pd.DataFrame  # stars, ratings, share
    genre_popularity: pd.DataFrame  # genre, movies, ratings, mean_rating
    ratings_over_time: pd.DataFrame  # year, ratings, mean_rating, users
    activity: pd.DataFrame  # ratings (bucket label), users, movies with that many ratings
    cluster_sizes: pd.DataFrame  # cluster, users, share
    cluster_lifts: pd.DataFrame  # cluster, genre, lift (liked share / everyone's)
    tag_sentiment: pd.DataFrame  # score (bin centre, as a label), movies
    most_positive: pd.DataFrame  # movie, score, tags, top tags
    most_negative: pd.DataFrame


def overview(catalog: Catalog, models: Models) -> DataOverview:
    ratings = catalog.ratings
    return DataOverview(
        _counts(catalog),
        _rating_distribution(ratings),
        _genre_popularity(catalog),
        _over_time(ratings),
        _activity(ratings),
        _cluster_sizes(models),
        _cluster_lifts(models),
        _sentiment_histogram(models),
        _sentiment_extremes(catalog, models, positive=True),
        _sentiment_extremes(catalog, models, positive=False),
    )


def _counts(catalog: Catalog) -> dict[str, int | float | str]:
    ratings = catalog.ratings
    n_users, n_movies = catalog.n_users, len(catalog.movies)
    years = pd.to_datetime(ratings["timestamp"], unit="s").dt.year
    return {
        "dataset": catalog.dataset,
        "ratings": len(ratings),
        "users": n_users,
        "movies": n_movies,
        "tags": len(catalog.tags),
        "density": len(ratings) / max(n_users * n_movies, 1),
        "mean_rating": round(float(ratings["rating"].mean()), 3),
        "first_year": int(years.min()),
        "last_year": int(years.max()),
    }


def _rating_distribution(ratings: pd.DataFrame) -> pd.DataFrame:
    counts = ratings["rating"].value_counts().sort_index()
    return pd.DataFrame(
        {
            "stars": [f"{s:g}" for s in counts.index],
            "ratings": counts.to_numpy(),
            "share": (counts / counts.sum()).round(4).to_numpy(),
        }
    )


def _genre_popularity(catalog: Catalog) -> pd.DataFrame:
    movies = catalog.movies[["genres", "n_ratings", "mean_rating"]].explode("genres")
    movies = movies[movies["genres"].notna() & ~movies["genres"].isin(NOT_TASTES)]
    weighted = movies["mean_rating"].fillna(0) * movies["n_ratings"]
    frame = (
        movies.assign(weighted=weighted)
        .groupby("genres")
        .agg(movies=("n_ratings", "size"), ratings=("n_ratings", "sum"), w=("weighted", "sum"))
    )
    frame["mean_rating"] = (frame["w"] / frame["ratings"].clip(lower=1)).round(3)
    frame = frame.drop(columns="w").sort_values("ratings", ascending=False)
    return frame.rename_axis("genre").reset_index()


def _over_time(ratings: pd.DataFrame) -> pd.DataFrame:
    year = pd.to_datetime(ratings["timestamp"], unit="s").dt.year.rename("year")
    frame = ratings.groupby(year).agg(
        ratings=("rating", "size"), mean_rating=("rating", "mean"), users=("userId", "nunique")
    )
    frame["mean_rating"] = frame["mean_rating"].round(3)
    frame = frame.reset_index()
    frame["year"] = frame["year"].astype(str)  # a label, not a quantity (no "2,016" ticks)
    return frame


def _activity(ratings: pd.DataFrame) -> pd.DataFrame:
    """How many users (and movies) have how many ratings: the long tail, bucket by bucket."""
    edges = np.array(ACTIVITY_BINS)
    labels = [f"{lo}-{hi - 1}" if hi < 10**9 else f"{lo}+" for lo, hi in pairwise(edges)]

    def spread(counts: pd.Series) -> np.ndarray:
        return np.bincount(np.digitize(counts, edges) - 1, minlength=len(labels))[: len(labels)]

    return pd.DataFrame(
        {
            "ratings": labels,
            "users": spread(ratings.groupby("userId").size()),
            "movies": spread(ratings.groupby("movieId").size()),
        }
    )


def _cluster_sizes(models: Models) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cluster": [c.name for c in models.clusters.clusters],
            "users": [c.size for c in models.clusters.clusters],
            "share": [round(c.share, 4) for c in models.clusters.clusters],
        }
    )


def _cluster_lifts(models: Models) -> pd.DataFrame:
    """Per cluster and genre: the cluster's share of likes in the genre over everyone's."""
    clusters = models.clusters
    user_genre = (like_matrix(models.matrix) @ clusters.genre_matrix).toarray()
    k = clusters.k
    member = np.zeros((k, len(clusters.labels)))
    member[clusters.labels, np.arange(len(clusters.labels))] = 1.0
    per_cluster = member @ user_genre
    share = per_cluster / np.maximum(per_cluster.sum(axis=1, keepdims=True), 1.0)
    everyone = user_genre.sum(axis=0) / max(user_genre.sum(), 1.0)
    lift = np.divide(share, everyone, out=np.ones_like(share), where=everyone > 0)
    keep = [j for j, g in enumerate(clusters.genres) if everyone[j] >= 0.01 and g not in NOT_TASTES]
    names = [c.name for c in clusters.clusters]
    return pd.DataFrame(
        {
            "cluster": np.repeat(names, len(keep)),
            "genre": np.tile([clusters.genres[j] for j in keep], k),
            "lift": lift[:, keep].round(3).ravel(),
        }
    )


def _sentiment_histogram(models: Models) -> pd.DataFrame:
    """Tagged movies per sentiment bin (labels are bin centres), empty tails trimmed."""
    sentiment = models.sentiment
    scores = sentiment.scores[sentiment.counts > 0]
    edges = np.round(np.arange(-1.0, 1.0 + SENTIMENT_BIN / 2, SENTIMENT_BIN), 3)
    counts, _ = np.histogram(scores, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    used = np.flatnonzero(counts)
    keep = slice(used.min(), used.max() + 1) if len(used) else slice(0, 0)
    return pd.DataFrame({"score": [f"{c:+.3f}" for c in centres[keep]], "movies": counts[keep]})


def _sentiment_extremes(
    catalog: Catalog, models: Models, *, positive: bool, n: int = 8
) -> pd.DataFrame:
    sentiment = models.sentiment
    tagged = np.flatnonzero(sentiment.counts >= 3)
    order = tagged[np.argsort(-sentiment.scores[tagged] if positive else sentiment.scores[tagged])]
    words = sentiment.positive if positive else sentiment.negative
    rows = [
        {
            "movie": catalog.display(int(models.matrix.item_ids[c])),
            "score": round(float(sentiment.scores[c]), 3),
            "tags": int(sentiment.counts[c]),
            "words": ", ".join(words.get(int(c), ())[:4]),
        }
        for c in order[:n]
    ]
    return pd.DataFrame(rows, columns=["movie", "score", "tags", "words"])
