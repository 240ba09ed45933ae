"""What the engine answers: small typed results that carry their reasons as data.

Wording belongs to the agent and the front ends; these hold facts (predicted stars, the
cluster, neighbours who loved a movie, tag sentiment, which liked movie it resembles) and
``as_dict`` turns each into plain JSON-able data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from recommender.catalog import Movie
from recommender.sentiment import MovieSentiment


def movie_dict(movie: Movie) -> dict[str, Any]:
    return {
        "movieId": movie.movieId,
        "title": movie.title,
        "year": movie.year,
        "display": movie.display,
        "genres": list(movie.genres),
    }


@dataclass(frozen=True)
class Reasons:
    """Why a movie was picked for someone."""

    predicted_stars: float
    because_you_liked: list[str] = field(default_factory=list)
    cluster: dict[str, Any] | None = None  # id, name, liked_by (share of the cluster)
    neighbours_loved: int = 0  # of your nearest neighbours, how many rated it 4.5+
    watched_alike: bool = False  # iALS: people whose viewing history is like yours watch it
    sentiment: MovieSentiment | None = None
    text_similarity: float | None = None
    n_ratings: int = 0
    mean_rating: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "predicted_stars": round(self.predicted_stars, 1),
            "n_ratings": self.n_ratings,
        }
        if self.mean_rating is not None:
            out["mean_rating"] = round(self.mean_rating, 2)
        if self.because_you_liked:
            out["because_you_liked"] = self.because_you_liked
        if self.cluster:
            out["cluster"] = self.cluster
        if self.neighbours_loved:
            out["neighbours_loved"] = self.neighbours_loved
        if self.watched_alike:
            out["watched_alike"] = True
        if self.sentiment is not None and self.sentiment.n_tags:
            out["sentiment"] = self.sentiment.as_dict()
        if self.text_similarity is not None:
            out["text_similarity"] = round(self.text_similarity, 3)
        return out


@dataclass(frozen=True)
class Pick:
    """One recommended movie, its score and its reasons."""

    movie: Movie
    score: float
    reasons: Reasons

    @property
    def display(self) -> str:
        return self.movie.display

    def as_dict(self) -> dict[str, Any]:
        return {
            **movie_dict(self.movie),
            "score": round(self.score, 4),
            "reasons": self.reasons.as_dict(),
        }


@dataclass(frozen=True)
class Recommendations:
    """Picks, on what basis they were made, and notes worth telling the person."""

    picks: list[Pick]
    basis: str  # "known user", "profile", "text", "popular", "steered" (only dislikes so far)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "notes": self.notes,
            "picks": [p.as_dict() for p in self.picks],
        }


@dataclass(frozen=True)
class PredictedRating:
    """Predicted stars of one movie for one person."""

    movie: Movie
    stars: float
    already_rated: float | None
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            **movie_dict(self.movie),
            "predicted_stars": round(self.stars, 2),
            "already_rated": self.already_rated,
            "details": self.details,
        }


@dataclass(frozen=True)
class SimilarMovie:
    """A movie people who liked another one also liked."""

    movie: Movie
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        return {**movie_dict(self.movie), "score": round(self.similarity, 4)}


@dataclass(frozen=True)
class ClusterInfo:
    """A taste cluster and its signature movies."""

    cluster: dict[str, Any]
    signature: list[Movie]
    yours: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.cluster,
            "yours": self.yours,
            "signature": [m.display for m in self.signature],
        }


@dataclass(frozen=True)
class PeopleLikeYou:
    """Nearest MovieLens users and the movies they loved that you have not seen."""

    neighbours: list[dict[str, Any]]  # userId, similarity, common
    loved: list[tuple[Movie, int]]  # movie, how many of them loved it

    def as_dict(self) -> dict[str, Any]:
        return {
            "neighbours": self.neighbours,
            "loved": [{**movie_dict(m), "loved_by": n} for m, n in self.loved],
        }


@dataclass(frozen=True)
class SearchHit:
    """A movie whose description matched, how well, and the sentence that matched best."""

    movie: Movie
    similarity: float
    snippet: str

    @property
    def display(self) -> str:
        return self.movie.display

    def as_dict(self) -> dict[str, Any]:
        return {
            **movie_dict(self.movie),
            "score": round(self.similarity, 4),
            "similarity": round(self.similarity, 4),
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class SearchResults:
    """Hits, best first, and notes (a shortened query, a filter that emptied the list)."""

    query: str
    hits: list[SearchHit]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "notes": self.notes, "hits": [h.as_dict() for h in self.hits]}


@dataclass(frozen=True)
class SentimentInfo:
    """Tag sentiment of one movie."""

    movie: Movie
    sentiment: MovieSentiment

    def as_dict(self) -> dict[str, Any]:
        return {**movie_dict(self.movie), **self.sentiment.as_dict()}


@dataclass(frozen=True)
class MovieDetails:
    """What is known about one movie: its description, credits, tags and how it is rated."""

    movie: Movie
    description: str | None  # None when only a composed stub is known
    tagline: str | None
    director: str | None
    actors: str | None
    top_tags: list[str]
    sentiment: MovieSentiment

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            **movie_dict(self.movie),
            "n_ratings": self.movie.n_ratings,
            "tag_sentiment": self.sentiment.as_dict(),
        }
        if self.movie.n_ratings:
            out["mean_rating"] = round(self.movie.mean_rating, 2)
        for name in ("description", "tagline", "director", "actors"):
            if value := getattr(self, name):
                out[name] = value
        if self.top_tags:
            out["top_tags"] = self.top_tags
        return out


@dataclass(frozen=True)
class TastePlacement:
    """Everyone on the 2-D taste map, and where this person stands."""

    points: pd.DataFrame  # x, y, cluster (name), userId
    you: tuple[float, float]
    cluster: str
    placed: bool  # False until there is enough to place (a known user, or 3+ ratings)
    explained: tuple[float, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "you": {"x": round(self.you[0], 4), "y": round(self.you[1], 4)},
            "cluster": self.cluster,
            "placed": self.placed,
            "explained_variance": [round(v, 4) for v in self.explained],
            "users": len(self.points),
        }
