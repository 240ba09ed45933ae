"""Synthetic MovieLens-shaped data, for scale work where the real releases cannot be fetched.

``python app.py synth --like ml-25m OUT_DIR`` writes ``ratings.csv``, ``movies.csv``,
``tags.csv`` and ``links.csv`` in the exact ml-25m CSV format with that release's shape, and
``SYNTHETIC.md`` + ``synth.json`` saying what they are. The data is **synthetic**: no row is a
real person's rating, and the loader labels any folder holding ``synth.json`` as synthetic.

The generative model, so that collaborative filtering has real structure to find:

- movies: genres and years drawn from a real catalogue (rows of its ``movies.csv``, with
  replacement); popularity p_i log-normal, σ 2.6 (a long tail); k-dimensional factors
  v_i = mean_g∈genres(i) G_g + 0.5 ε (genre vectors G shared, so genre predicts taste);
- users: a taste group g(u) of ``GROUPS`` with centroid c_g, factors x_u = c_g(u) + 0.6 ε;
  activity n_u = 20 + a long-tailed share of the rest (every user rated at least 20, as in
  MovieLens);
- which movies a user rates: drawn without repeats from softmax_i(log p_i + β c_g(u)·v_i / √k)
  (exposure follows popularity and the group's taste; Gumbel top-k finishes the most active
  users' draws exactly);
- the stars: r_ui = c + b_u + b_i + 0.6 x_u·v_i / √k + ε (ε ~ N(0, 0.8)), c set so the mean is
  ml-25m's 3.53 at any scale, rounded to half stars
  for users who use them and to whole stars for the others, clipped to 0.5-5;
- timestamps: each user active over a window inside the release's span, later years likelier;
- tags: about as many as the release has, by its number of taggers, on movies they rated,
  words drawn from the real catalogue's tags of movies sharing a genre.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from tqdm import tqdm

from recommender.errors import MovieBotError
from recommender.movielens import load_movielens

GROUPS = 64
FACTORS = 16
BETA = 1.5  # how strongly taste steers which movies a user rates
HALF_STAR_USERS = 0.55  # share of users who rate in half stars
MEAN_STARS = 3.53  # ml-25m's mean rating
MIN_RATINGS = 20
CHUNK = 1_000_000  # rows written at a time


class Shape(BaseModel):
    """The size of a release, as its README states it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    users: int = Field(gt=0)
    movies: int = Field(gt=0)  # rows of movies.csv
    rated_movies: int = Field(gt=0)  # movies with at least one rating
    ratings: int = Field(gt=0)
    tags: int = Field(ge=0)
    taggers: int = Field(ge=0)
    first: int  # first and last timestamp (Unix seconds)
    last: int

    def scaled(self, ratings: int) -> Shape:
        """The same release at ``ratings`` ratings: users in proportion, movies a little
        slower (smaller releases have fewer movies per user, as ml-1m has against ml-25m)."""
        f = ratings / self.ratings
        users = max(50, round(self.users * f))
        rated = max(100, min(round(self.rated_movies * f**0.85), (users * MIN_RATINGS) // 2))
        rated = max(rated, -(-3 * ratings // users))  # room for the most active users
        return self.model_copy(
            update={
                "users": users,
                "movies": max(rated, round(self.movies * f**0.85)),
                "rated_movies": rated,
                "ratings": max(ratings, users * MIN_RATINGS),
                "tags": round(self.tags * f),
                "taggers": max(1, round(self.taggers * f)) if self.tags else 0,
            }
        )


SHAPES = {
    # MovieLens 25M (README of ml-25m, 2019-11-21)
    "ml-25m": Shape(
        users=162_541,
        movies=62_423,
        rated_movies=59_047,
        ratings=25_000_095,
        tags=1_093_360,
        taggers=15_045,
        first=789_652_009,
        last=1_574_327_703,
    ),
}


class SynthReport(BaseModel):
    """What a run wrote."""

    like: str
    folder: str
    users: int
    movies: int
    rated_movies: int
    ratings: int
    tags: int
    seed: int
    seconds: float


def synthesize(
    out: Path,
    like: str = "ml-25m",
    real: Path | None = None,
    ratings: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> SynthReport:
    """Write a synthetic dataset shaped like ``like`` (scaled to ``ratings`` if given) to
    ``out``; ``real``: a real MovieLens folder whose genres, years and tags are sampled."""
    if like not in SHAPES:
        raise MovieBotError(f"I can make data like {', '.join(SHAPES)}, not {like!r}.")
    if real is None:
        raise MovieBotError("Give a real MovieLens folder to draw genres, years and tags from.")
    shape = SHAPES[like] if ratings is None else SHAPES[like].scaled(ratings)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.glob("*.csv")):
        raise MovieBotError(f"{out} already holds CSV files; choose an empty folder.")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    source = load_movielens(real)
    steps = tqdm(total=5, desc="synth", unit="step", disable=not progress)
    with _step(steps, "movies"):
        movies, factors, popularity = _movies(shape, source.movies, rng)
    with _step(steps, "who rates what"):
        taste = _Taste.draw(shape.users, rng)
        users, items = _pairs(shape, factors, popularity, taste, rng, progress)
    with _step(steps, "stars and times"):
        stars = _stars(shape, users, items, factors, taste, popularity, rng)
        stamps = _times(shape, users, rng)
    with _step(steps, "tags"):
        tags = _tags(shape, users, items, stamps, movies, source, rng)
    with _step(steps, "writing"):
        _write(out, movies, users, items, stars, stamps, tags, progress)
    steps.close()
    report = SynthReport(
        like=like,
        folder=str(out),
        users=int(users.max()) + 1,
        movies=len(movies),
        rated_movies=len(np.unique(items)),
        ratings=len(users),
        tags=len(tags),
        seed=seed,
        seconds=round(time.perf_counter() - started, 1),
    )
    _label(out, report, shape, real)
    return report


@contextmanager
def _step(bar: tqdm, name: str) -> Iterator[None]:
    bar.set_postfix_str(name)
    yield
    bar.update()


def _movies(
    shape: Shape, real: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """movies.csv rows, each movie's factors and popularity (zero for the unrated ones)."""
    pick = rng.integers(0, len(real), shape.movies)
    genres = [tuple(g) for g in real["genres"].to_numpy()[pick]]
    years = real["year"].to_numpy(dtype=float, na_value=np.nan)[pick]
    names = sorted({g for gs in genres for g in gs})
    genre_vectors = dict(zip(names, rng.normal(size=(len(names), FACTORS)), strict=True))
    factors = np.stack(
        [
            np.mean([genre_vectors[g] for g in gs], axis=0) if gs else np.zeros(FACTORS)
            for gs in genres
        ]
    )
    factors += 0.5 * rng.normal(size=factors.shape)
    popularity = np.exp(rng.normal(0.0, 2.6, shape.movies))
    popularity[rng.permutation(shape.movies)[shape.rated_movies :]] = 0.0
    ids = np.arange(1, shape.movies + 1)
    titles = [
        f"Synthetic Movie {i}" + (f" ({int(y)})" if np.isfinite(y) else "")
        for i, y in zip(ids, years, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "movieId": ids,
            "title": titles,
            "genres": ["|".join(gs) if gs else "(no genres listed)" for gs in genres],
        }
    )
    return frame, factors, popularity


def _activity(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """Ratings per user: at least 20, a long tail, summing exactly to ``shape.ratings``."""
    extra = shape.ratings - MIN_RATINGS * shape.users
    weights = rng.lognormal(0.0, 1.3, shape.users)
    counts = MIN_RATINGS + np.floor(extra * weights / weights.sum()).astype(np.int64)
    cap = shape.rated_movies // 2
    counts = np.minimum(counts, cap)
    if cap * shape.users < shape.ratings:
        raise MovieBotError("Too few movies for that many ratings per user; ask for more ratings.")
    short = shape.ratings - int(counts.sum())
    while short > 0:  # hand out the remainder to users below the cap
        room = np.flatnonzero(counts < cap)
        take = rng.choice(room, min(short, len(room)), replace=False)
        counts[take] += 1
        short -= len(take)
    return counts


class _Taste:
    """Users' taste groups, the groups' centroids and each user's factors."""

    def __init__(self, groups: np.ndarray, centroids: np.ndarray, factors: np.ndarray) -> None:
        self.groups, self.centroids, self.factors = groups, centroids, factors

    @classmethod
    def draw(cls, n_users: int, rng: np.random.Generator) -> _Taste:
        groups = rng.integers(0, GROUPS, n_users)
        centroids = rng.normal(size=(GROUPS, FACTORS))
        return cls(groups, centroids, centroids[groups] + 0.6 * rng.normal(size=(n_users, FACTORS)))


def _pairs(
    shape: Shape,
    factors: np.ndarray,
    popularity: np.ndarray,
    taste: _Taste,
    rng: np.random.Generator,
    progress: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """(user, item) pairs, no repeats, each user rating exactly their activity."""
    counts = _activity(shape, rng)
    groups, centroids = taste.groups, taste.centroids
    rated = np.flatnonzero(popularity > 0)
    log_pop = np.log(popularity[rated])
    users_out, items_out = [], []
    for g in tqdm(range(GROUPS), desc="groups", disable=not progress, leave=False):
        members = np.flatnonzero(groups == g)
        if not len(members):
            continue
        logits = log_pop + BETA * factors[rated] @ centroids[g] / np.sqrt(FACTORS)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        u, i = _draw_without_repeats(members, counts[members], rated, p, rng)
        users_out.append(u)
        items_out.append(i)
    users = np.concatenate(users_out)
    items = _cover(np.concatenate(items_out), rated, rng)
    order = np.lexsort((items, users))
    return users[order].astype(np.int32), items[order].astype(np.int32)


def _cover(items: np.ndarray, rated: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Give every movie meant to be rated at least one rating: a few ratings of movies rated
    three times or more move to the ones no one drew (no user can hold them already)."""
    counts = np.bincount(items, minlength=int(rated.max()) + 1)
    missing = rated[counts[rated] == 0]
    if not len(missing):
        return items
    donors = np.flatnonzero(counts[items] >= 3)
    take = rng.choice(donors, len(missing), replace=False)
    items = items.copy()
    items[take] = missing
    return items


def _draw_without_repeats(
    members: np.ndarray,
    counts: np.ndarray,
    candidates: np.ndarray,
    p: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Each member draws ``count`` distinct movies with probabilities ``p``: one oversampled
    draw with the repeats dropped serves most; whoever is still short (the most active, in a
    steep popularity curve) gets the rest exactly by Gumbel top-k over the movies they lack."""
    n = len(candidates)
    draws = np.repeat(members, np.ceil(counts * 1.3).astype(np.int64) + 2)
    picked = rng.choice(n, len(draws), p=p)
    _, first = np.unique(draws.astype(np.int64) * n + picked, return_index=True)
    u, i = draws[first], picked[first]
    shuffle = rng.permutation(len(u))  # keep a random subset per user, not the lowest ids
    u, i = u[shuffle], i[shuffle]
    order = np.argsort(u, kind="stable")
    u, i = u[order], i[order]
    starts = np.searchsorted(u, members)
    ends = np.searchsorted(u, members, side="right")
    keep = np.zeros(len(u), dtype=bool)
    extra_u, extra_i = [], []
    log_p = np.log(np.maximum(p, 1e-300))
    for user, s, e, want in zip(members, starts, ends, counts, strict=True):
        k = min(e - s, int(want))
        keep[s : s + k] = True
        if k < want:
            scores = log_p + rng.gumbel(size=n)
            scores[i[s : s + k]] = -np.inf
            more = np.argpartition(-scores, int(want) - k - 1)[: int(want) - k]
            extra_u.append(np.full(len(more), user))
            extra_i.append(more)
    users = np.concatenate([u[keep], *extra_u])
    items = np.concatenate([i[keep], *extra_i])
    return users, candidates[items]


def _stars(
    shape: Shape,
    users: np.ndarray,
    items: np.ndarray,
    factors: np.ndarray,
    taste: _Taste,
    popularity: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """r = c + b_u + b_i + 0.6 x_u·v_i/√k + ε, rounded as each user rounds, clipped (ml-25m's
    mean, 3.53; the spread comes out at about 1.05 against its 1.06)."""
    user_factors = taste.factors
    user_bias = rng.normal(0.0, 0.45, shape.users)
    log_pop = np.log(np.where(popularity > 0, popularity, 1.0))
    item_bias = rng.normal(0.0, 0.45, len(popularity)) + 0.12 * (log_pop - log_pop.mean())
    halves = rng.random(shape.users) < HALF_STAR_USERS

    def raw(u: np.ndarray, i: np.ndarray) -> np.ndarray:
        taste = np.einsum("nk,nk->n", user_factors[u], factors[i]) / np.sqrt(FACTORS)
        return user_bias[u] + item_bias[i] + 0.6 * taste + rng.normal(0.0, 0.8, len(u))

    # Taste steers exposure, so the pairs drawn lean to liked movies, more so in a larger
    # catalogue: the offset is set on a sample so the mean is MEAN_STARS at any scale.
    def stars(u: np.ndarray, value: np.ndarray) -> np.ndarray:
        rounded = np.where(halves[u], np.round(value * 2) / 2, np.round(value))
        return np.clip(rounded, np.where(halves[u], 0.5, 1.0), 5.0)

    sample = rng.choice(len(users), min(len(users), 200_000), replace=False)
    su, values = users[sample], raw(users[sample], items[sample])
    offset = MEAN_STARS - float(values.mean())
    offset += MEAN_STARS - float(stars(su, values + offset).mean())  # rounding and clipping
    out = np.empty(len(users), dtype=np.float32)
    for start in range(0, len(users), CHUNK):
        u, i = users[start : start + CHUNK], items[start : start + CHUNK]
        out[start : start + CHUNK] = stars(u, offset + raw(u, i))
    return out


def _times(shape: Shape, users: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each user active over a window of the release's span (later years likelier)."""
    span = shape.last - shape.first
    start = shape.first + (span * rng.beta(2.0, 1.2, shape.users)).astype(np.int64)
    length = np.minimum(rng.lognormal(np.log(86400 * 30), 2.0, shape.users), span).astype(np.int64)
    end = np.minimum(start + length, shape.last)
    start = np.minimum(start, end - 1)
    offset = rng.random(len(users))
    return start[users] + (offset * (end - start)[users]).astype(np.int64)


def _tags(
    shape: Shape,
    users: np.ndarray,
    items: np.ndarray,
    stamps: np.ndarray,
    movies: pd.DataFrame,
    source: Any,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Tags by ``shape.taggers`` users on movies they rated, in words the real catalogue's
    taggers used for movies of the same genre."""
    columns = ["userId", "movieId", "tag", "timestamp"]
    real_tags = source.tags.merge(source.movies[["movieId", "genres"]], on="movieId")
    if not shape.tags or real_tags.empty:
        return pd.DataFrame(columns=columns)
    pools: dict[str, list[str]] = {}
    for tag, genres in zip(real_tags["tag"], real_tags["genres"], strict=True):
        for genre in genres or ("",):
            pools.setdefault(genre, []).append(str(tag))
    everything = [t for pool in pools.values() for t in pool]
    starts = np.searchsorted(users, np.arange(shape.users))
    ends = np.searchsorted(users, np.arange(shape.users), side="right")
    activity = (ends - starts).astype(float)
    taggers = rng.choice(shape.users, shape.taggers, replace=False, p=activity / activity.sum())
    weights = rng.lognormal(0.0, 1.5, len(taggers))
    per = rng.multinomial(shape.tags, weights / weights.sum())
    rows = np.concatenate(
        [
            starts[u] + rng.integers(0, ends[u] - starts[u], n)
            for u, n in zip(taggers, per, strict=True)
            if n
        ]
    )
    genre_lists = movies["genres"].str.split("|").to_numpy()
    words = []
    pick = rng.random((len(rows), 2))
    for item, (a, b) in zip(items[rows], pick, strict=True):
        genres = genre_lists[item]
        pool = pools.get(genres[int(a * len(genres))], everything)
        words.append(pool[int(b * len(pool))])
    return pd.DataFrame(
        {
            "userId": users[rows] + 1,
            "movieId": items[rows] + 1,
            "tag": words,
            "timestamp": stamps[rows] + rng.integers(0, 3600, len(rows)),
        }
    ).sort_values(["userId", "movieId"], kind="stable")


def _write(
    out: Path,
    movies: pd.DataFrame,
    users: np.ndarray,
    items: np.ndarray,
    stars: np.ndarray,
    stamps: np.ndarray,
    tags: pd.DataFrame,
    progress: bool,
) -> None:
    """The four files in ml-25m's CSV format (header, ``5.0``-style stars, Unix seconds)."""
    movies.to_csv(out / "movies.csv", index=False)
    pd.DataFrame({"movieId": movies["movieId"], "imdbId": "", "tmdbId": ""}).to_csv(
        out / "links.csv", index=False
    )  # no real ids: these movies do not exist
    tags.to_csv(out / "tags.csv", index=False)
    with open(out / "ratings.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write("userId,movieId,rating,timestamp\n")
        for start in tqdm(
            range(0, len(users), CHUNK), desc="ratings.csv", disable=not progress, leave=False
        ):
            end = start + CHUNK
            pd.DataFrame(
                {
                    "userId": users[start:end] + 1,
                    "movieId": items[start:end] + 1,
                    "rating": stars[start:end],
                    "timestamp": stamps[start:end],
                }
            ).to_csv(fh, header=False, index=False, float_format="%.1f")


def _label(out: Path, report: SynthReport, shape: Shape, real: Path) -> None:
    meta: dict[str, Any] = {
        "synthetic": True,
        "generator": "moviebot synth (recommender/synth.py)",
        "like": report.like,
        "shape": shape.model_dump(),
        "drawn_from": real.name,
        "report": report.model_dump(),
    }
    (out / "synth.json").write_text(json.dumps(meta, indent=2))
    (out / "SYNTHETIC.md").write_text(
        f"# SYNTHETIC data, not MovieLens\n\nGenerated by `python app.py synth --like "
        f"{report.like}` (seed {report.seed}) in the {report.like} CSV format and shape: "
        f"{report.users:,} users, {report.movies:,} movies ({report.rated_movies:,} rated), "
        f"{report.ratings:,} ratings, {report.tags:,} tags. No row is a real person's rating; "
        f"genres, years and tag words are drawn from {real.name}. See recommender/synth.py "
        "for the generative model.\n"
    )
