"""The catalogue: movies, ratings, tags, links and descriptions in one clean in-memory object.

Movies are indexed by MovieLens ``movieId`` and carry display titles the way people write
them ("The Matrix (1999)"), popularity (number and mean of ratings), and their description.
Titles typed by people resolve to movies through :class:`TitleIndex`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from recommender.descriptions import Coverage, coverage
from recommender.errors import AmbiguousTitleError, UnknownTitleError
from recommender.movielens import MovieLensData
from recommender.tables import LoadReport
from recommender.titles import (
    display_title,
    match_keys,
    move_article,
    parse_movielens_title,
    split_query,
    title_key,
)

# A remake much less rated than the original does not make a title ambiguous.
DOMINANCE = 5.0
SUGGESTIONS = 3
MIN_SUGGESTION_SCORE = 70


class Movie(NamedTuple):
    """One movie as the rest of the product sees it."""

    movieId: int
    title: str
    year: int | None
    genres: tuple[str, ...]
    n_ratings: int
    mean_rating: float

    @property
    def display(self) -> str:
        return display_title(self.title, self.year)


IMDB_URL = "https://www.imdb.com/title/tt{:07d}/"
TMDB_URL = "https://www.themoviedb.org/movie/{}"


@dataclass(frozen=True)
class MovieLinks:
    """Where to read more about a movie (from MovieLens ``links.csv``; None when unknown)."""

    imdb: str | None = None
    tmdb: str | None = None
    tmdb_id: int | None = None


@dataclass
class Catalog:
    """Everything loaded from a dataset folder and its description files."""

    movies: (
        pd.DataFrame
    )  # index movieId: title, year, genres, akas, display, n_ratings, mean_rating
    ratings: pd.DataFrame  # userId, movieId, rating, timestamp
    tags: pd.DataFrame  # userId, movieId, tag, timestamp
    links: pd.DataFrame  # movieId, imdbId, tmdbId
    descriptions: pd.DataFrame  # index movieId: description, source, tagline, keywords, ...
    rating_scale: tuple[float, float]
    report: LoadReport
    dataset: str = ""
    fingerprint: str = ""
    _index: TitleIndex | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_movielens(
        cls, data: MovieLensData, descriptions: pd.DataFrame, dataset: str, fingerprint: str
    ) -> Catalog:
        """Assemble a catalogue, adding display titles and rating statistics to movies."""
        stats = data.ratings.groupby("movieId")["rating"].agg(["size", "mean"])
        movies = data.movies.set_index("movieId")
        movies["display"] = [
            display_title(t, None if pd.isna(y) else int(y))
            for t, y in zip(movies["title"], movies["year"], strict=True)
        ]
        movies["n_ratings"] = stats["size"].reindex(movies.index, fill_value=0).astype(np.int64)
        movies["mean_rating"] = stats["mean"].reindex(movies.index).astype(np.float64)
        return cls(
            movies,
            data.ratings,
            data.tags,
            data.links,
            descriptions.set_index("movieId"),
            data.rating_scale,
            data.report,
            dataset,
            fingerprint,
        )

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_index"] = None
        state.pop("coverage", None)
        state.pop("_by_id", None)
        state.pop("_links", None)
        return state

    @cached_property
    def _by_id(self) -> dict[int, Movie]:
        """Movies by id as plain tuples: per-pick lookups must not go through pandas."""
        years = self.movies["year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        means = self.movies["mean_rating"].to_numpy(dtype=float)
        return {
            int(movie_id): Movie(
                int(movie_id),
                title,
                None if np.isnan(year) else int(year),
                tuple(genres),
                int(n),
                float(mean),
            )
            for movie_id, title, year, genres, n, mean in zip(
                self.movies.index,
                self.movies["title"],
                years,
                self.movies["genres"],
                self.movies["n_ratings"],
                means,
                strict=True,
            )
        }

    @cached_property
    def _links(self) -> dict[int, MovieLinks]:
        out: dict[int, MovieLinks] = {}
        if self.links is None or self.links.empty:
            return out
        for movie_id, imdb, tmdb in zip(
            self.links["movieId"], self.links["imdbId"], self.links["tmdbId"], strict=True
        ):
            imdb_id = None if pd.isna(imdb) else int(imdb)
            tmdb_id = None if pd.isna(tmdb) else int(tmdb)
            out[int(movie_id)] = MovieLinks(
                IMDB_URL.format(imdb_id) if imdb_id else None,
                TMDB_URL.format(tmdb_id) if tmdb_id else None,
                tmdb_id,
            )
        return out

    def links_of(self, movie_id: int) -> MovieLinks:
        """IMDb and TMDB pages of a movie (empty when ``links.csv`` does not know it)."""
        return self._links.get(int(movie_id), MovieLinks())

    @property
    def n_users(self) -> int:
        return int(self.ratings["userId"].nunique())

    @cached_property
    def coverage(self) -> Coverage:
        return coverage(self.descriptions.reset_index(), self.ratings)

    def movie(self, movie_id: int) -> Movie:
        """The movie with this id (KeyError when unknown)."""
        return self._by_id[int(movie_id)]

    def display(self, movie_id: int) -> str:
        return self._by_id[int(movie_id)].display

    @property
    def titles(self) -> TitleIndex:
        if self._index is None:
            self._index = TitleIndex(self.movies)
        return self._index

    def resolve(self, text: str) -> int:
        """The movieId a person means by ``text``; typed errors with suggestions otherwise."""
        return self.titles.resolve(text)

    def rating_distribution(self) -> dict[float, int]:
        counts = self.ratings["rating"].value_counts().sort_index()
        return {float(k): int(v) for k, v in counts.items()}


class TitleIndex:
    """Resolves typed titles: exact on a normalized key (with or without year), else suggests."""

    def __init__(self, movies: pd.DataFrame) -> None:
        self._movies = movies
        self._by_key: dict[str, list[int]] = defaultdict(list)
        for movie_id, title, akas in zip(
            movies.index, movies["title"], movies["akas"], strict=True
        ):
            for name in (title, *akas):
                for key in match_keys(name):
                    if movie_id not in self._by_key[key]:
                        self._by_key[key].append(int(movie_id))
        self._by_compact: dict[str, list[int]] = defaultdict(list)
        for key, ids in self._by_key.items():
            compact = self._by_compact[_compact(key)]
            compact.extend(m for m in ids if m not in compact)
        self._keys = list(self._by_key)

    def resolve(self, text: str) -> int:
        """One movieId, or ``UnknownTitleError`` / ``AmbiguousTitleError`` with titles to offer."""
        query, year = split_query(text)
        candidates = self.ids_for_key(title_key(query))
        if year is not None and candidates:
            candidates = [m for m in candidates if self._year(m) == year]
        if not candidates:
            # "1917" or "Blade Runner 2049": what looked like a year is part of the title.
            candidates = self.ids_for_key(title_key(text))
        if not candidates:
            candidates = self._as_movielens_writes_it(text)
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            return self._pick(text, candidates)
        raise UnknownTitleError(text.strip(), self.suggest(query, year))

    def _as_movielens_writes_it(self, text: str) -> list[int]:
        """ "City of God (Cidade de Deus) (2002)", "Seven (a.k.a. Se7en) (1995)": any of the
        names in the parentheses, with the year when one is given."""
        parsed = parse_movielens_title(text)
        for name in (parsed.title, *parsed.akas):
            found = self._by_key.get(title_key(name), [])
            if parsed.year is not None:
                found = [m for m in found if self._year(m) == parsed.year]
            if found:
                return found
        return []

    def spelled(self, key: str) -> bool:
        """Is ``key`` some title's key with these very spaces (not only once they are gone)?"""
        return key in self._by_key

    def ids_for_key(self, key: str) -> list[int]:
        """Movies answering to a ``title_key``, spaces aside ("oldboy" is also "Old Boy (2003)");
        empty when none."""
        return self._by_compact.get(_compact(key), []) if key else []

    def suggest(self, query: str, year: int | None = None, limit: int = SUGGESTIONS) -> list[str]:
        """Display titles closest to ``query``, best first; same-year titles first when given."""
        key = title_key(query)
        if not key:
            return []
        matches = process.extract(
            key, self._keys, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=MIN_SUGGESTION_SCORE
        )
        ranked: list[tuple[float, int, int]] = []
        for match_key, score, _ in matches:
            if 2 * len(match_key) < len(key):
                continue  # "O" inside "joker" is no suggestion for it
            for movie_id in self._by_key[match_key]:
                bonus = 5 if year is not None and self._year(movie_id) == year else 0
                ranked.append((score + bonus, self._popularity(movie_id), movie_id))
        ranked.sort(reverse=True)
        seen: list[str] = []
        for _, _, movie_id in ranked:
            title = str(self._movies.at[movie_id, "display"])
            if title not in seen:
                seen.append(title)
        return seen[:limit]

    def _pick(self, text: str, candidates: list[int]) -> int:
        query = _compact(_exact_key(split_query(text)[0]))
        exact = [
            m for m in candidates if _compact(_exact_key(str(self._movies.at[m, "title"]))) == query
        ]
        if len(exact) == 1:  # "Arrival" means Arrival, not The Arrival
            return exact[0]
        ordered = sorted(candidates, key=self._popularity, reverse=True)
        top, runner_up = self._popularity(ordered[0]), self._popularity(ordered[1])
        same_film = len({str(self._movies.at[m, "display"]) for m in ordered}) == 1
        if same_film or top >= DOMINANCE * max(runner_up, 1):  # a duplicate entry, or a remake
            return ordered[0]
        titles = [str(self._movies.at[m, "display"]) for m in ordered]
        raise AmbiguousTitleError(text.strip(), titles)

    def _year(self, movie_id: int) -> int | None:
        year = self._movies.at[movie_id, "year"]
        return None if pd.isna(year) else int(year)

    def _popularity(self, movie_id: int) -> int:
        return int(self._movies.at[movie_id, "n_ratings"])


_JOINABLE_SPACE_RE = re.compile(r" (?!\d)|(?<!\d) ")


def _compact(key: str) -> str:
    """A key without its spaces, but between two numbers: how "Oldboy" and "Old Boy" meet
    (while "3 1" stays apart from "31")."""
    return _JOINABLE_SPACE_RE.sub("", key)


def _exact_key(text: str) -> str:
    """Like ``title_key`` but keeping a leading article."""
    return " ".join(title_key(f"x {move_article(text)}").split()[1:])
