"""Loaders for the MovieLens releases people actually have, into one normalized shape.

Formats (detected from the files in the folder):

- ``csv``: ml-latest-small, ml-latest, ml-20m, ml-25m, ml-32m (``ratings.csv``, ``movies.csv``,
  optional ``tags.csv``, ``links.csv``); UTF-8; ratings 0.5-5 in half stars.
- ``dat``: ml-1m and ml-10m (``ratings.dat``, ``movies.dat``, optional ``tags.dat``),
  ``::``-separated, Latin-1; ml-1m rates 1-5, ml-10m 0.5-5.
- ``100k``: ml-100k (``u.data`` tab-separated, ``u.item`` pipe-separated Latin-1 with 19 genre
  flags); ratings 1-5.

Every loader returns a :class:`MovieLensData`: ratings (userId, movieId, rating, timestamp),
movies (movieId, title, year, genres, akas), tags (userId, movieId, tag, timestamp) and links
(movieId, imdbId, tmdbId). Rows that break the rules are dropped and counted in its report:
malformed rows, ratings outside the scale, duplicate (user, movie) pairs (the latest is kept),
ratings and tags of unknown movies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.errors import DataError
from recommender.tables import Column, LoadReport, read_table
from recommender.titles import parse_movielens_title

ML100K_GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
_GENRE_ALIASES = {"Children's": "Children", "unknown": "", "(no genres listed)": ""}

RATING_COLUMNS = [
    Column("userId", "int"),
    Column("movieId", "int"),
    Column("rating", "float"),
    Column("timestamp", "int", required=False),
]
TAG_COLUMNS = [
    Column("userId", "int"),
    Column("movieId", "int"),
    Column("tag"),
    Column("timestamp", "int", required=False),
]


@dataclass
class MovieLensData:
    """One MovieLens release, normalized, with what loading skipped."""

    ratings: pd.DataFrame
    movies: pd.DataFrame
    tags: pd.DataFrame
    links: pd.DataFrame
    rating_scale: tuple[float, float]
    report: LoadReport


def detect_format(folder: Path) -> str:
    """'csv', 'dat' or '100k' from the files present; a clear error otherwise."""
    if not folder.is_dir():
        raise DataError(folder, "is not a folder (expected a MovieLens dataset folder)")
    if (folder / "ratings.csv").exists() or (folder / "movies.csv").exists():
        return "csv"
    if (folder / "ratings.dat").exists() or (folder / "movies.dat").exists():
        return "dat"
    if (folder / "u.data").exists():
        return "100k"
    raise DataError(
        folder,
        "holds no MovieLens files (expected ratings.csv + movies.csv, ratings.dat + movies.dat, "
        "or u.data + u.item)",
    )


SYNTHETIC_NOTE = (
    "SYNTHETIC data, made by `python app.py synth` (see SYNTHETIC.md in the folder): "
    "no row is a real person's rating."
)


def is_synthetic(folder: Path) -> bool:
    """Whether a dataset folder was written by ``python app.py synth``."""
    return (Path(folder) / "synth.json").exists()


def dataset_label(folder: Path) -> str:
    """The dataset's name as the product shows it: synthetic data says so."""
    folder = Path(folder)
    return f"{folder.name} (SYNTHETIC)" if is_synthetic(folder) else folder.name


def load_movielens(folder: Path) -> MovieLensData:
    """Load any supported MovieLens folder."""
    folder = Path(folder)
    loader = {"csv": _load_csv, "dat": _load_dat, "100k": _load_100k}[detect_format(folder)]
    data = loader(folder)
    if is_synthetic(folder):
        data.report.notes.insert(0, SYNTHETIC_NOTE)
    return data


def _load_csv(folder: Path) -> MovieLensData:
    report = LoadReport(format="csv")
    movies = read_table(
        folder / "movies.csv",
        [Column("movieId", "int"), Column("title"), Column("genres", required=False)],
        report,
    )
    ratings = read_table(folder / "ratings.csv", RATING_COLUMNS, report)
    tags = _optional(folder / "tags.csv", lambda p: read_table(p, TAG_COLUMNS, report), report)
    links = _optional(folder / "links.csv", lambda p: _read_links(p, report), report)
    names = {"movies": "movies.csv", "ratings": "ratings.csv", "tags": "tags.csv"}
    return _finish(folder, report, names, movies, ratings, tags, links, scale=(0.5, 5.0))


def _load_dat(folder: Path) -> MovieLensData:
    report = LoadReport(format="dat")

    def dat(name: str, columns: list[Column]) -> pd.DataFrame:
        return read_table(
            folder / name, columns, report, sep="::", header=False, encoding="latin-1"
        )

    movies = dat(
        "movies.dat", [Column("movieId", "int"), Column("title"), Column("genres", required=False)]
    )
    ratings = dat("ratings.dat", RATING_COLUMNS)
    has_tags = (folder / "tags.dat").exists()  # ml-10m has tags, ml-1m never does
    tags = dat("tags.dat", TAG_COLUMNS) if has_tags else None
    # ml-10m (with tags) rates in half stars from 0.5; ml-1m in whole stars from 1.
    scale = (0.5, 5.0) if has_tags else (1.0, 5.0)
    names = {"movies": "movies.dat", "ratings": "ratings.dat", "tags": "tags.dat"}
    return _finish(folder, report, names, movies, ratings, tags, _empty_links(), scale=scale)


def _load_100k(folder: Path) -> MovieLensData:
    report = LoadReport(format="100k")
    genres = _read_100k_genres(folder / "u.genre")
    item_columns = [
        Column("movieId", "int"),
        Column("title"),
        Column("release", required=False),
        Column("video", required=False),
        Column("url", required=False),
    ]
    item_columns += [Column(f"g{i}", "int", required=False) for i in range(len(genres))]
    items = read_table(
        folder / "u.item", item_columns, report, sep="|", header=False, encoding="latin-1"
    )
    flags = items[[f"g{i}" for i in range(len(genres))]].fillna(0).to_numpy(dtype=bool)
    items["genres"] = [
        "|".join(g for g, on in zip(genres, row, strict=True) if on) for row in flags
    ]
    ratings = read_table(folder / "u.data", RATING_COLUMNS, report, sep="\t", header=False)
    names = {"movies": "u.item", "ratings": "u.data", "tags": "tags"}
    return _finish(
        folder,
        report,
        names,
        items[["movieId", "title", "genres"]],
        ratings,
        _empty_tags(),
        _empty_links(),
        scale=(1.0, 5.0),
    )


def _read_100k_genres(path: Path) -> tuple[str, ...]:
    if not path.exists():
        return ML100K_GENRES
    lines = [line.split("|")[0] for line in path.read_text(encoding="latin-1").splitlines()]
    return tuple(name for name in lines if name) or ML100K_GENRES


def _read_links(path: Path, report: LoadReport) -> pd.DataFrame:
    columns = [
        Column("movieId", "int"),
        Column("imdbId", "int", required=False),
        Column("tmdbId", "int", required=False),
    ]
    links = read_table(path, columns, report)
    for name in ("imdbId", "tmdbId"):
        links[name] = pd.to_numeric(links[name], errors="coerce").astype("Int64")
    return links.drop_duplicates("movieId")


def _optional(path: Path, read, report: LoadReport) -> pd.DataFrame | None:  # type: ignore[no-untyped-def]
    if not path.exists():
        report.notes.append(f"{path.name} not found; continuing without it")
        return None
    return read(path)


def _finish(
    folder: Path,
    report: LoadReport,
    names: dict[str, str],
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    tags: pd.DataFrame | None,
    links: pd.DataFrame | None,
    scale: tuple[float, float],
) -> MovieLensData:
    movies = _clean_movies(movies, names["movies"], report)
    known = movies["movieId"].to_numpy()
    ratings = _clean_ratings(ratings, known, scale, names["ratings"], report)
    tags = _clean_tags(tags if tags is not None else _empty_tags(), known, names["tags"], report)
    links = links if links is not None else _empty_links()
    links = links[links["movieId"].isin(known)].reset_index(drop=True)
    if ratings.empty:
        raise DataError(folder, "has no usable ratings")
    return MovieLensData(ratings, movies, tags, links, scale, report)


def _clean_movies(movies: pd.DataFrame, source: str, report: LoadReport) -> pd.DataFrame:
    duplicated = movies["movieId"].duplicated()
    report.skip(source, "duplicate movieId", int(duplicated.sum()))
    movies = movies[~duplicated]
    parsed = [parse_movielens_title(t) for t in movies["title"]]
    return pd.DataFrame(
        {
            "movieId": movies["movieId"].to_numpy(dtype=np.int64),
            "title": [p.title for p in parsed],
            "year": pd.array([p.year for p in parsed], dtype="Int64"),
            "genres": [_split_genres(g) for g in movies["genres"]],
            "akas": [list(p.akas) for p in parsed],
        }
    )


def _split_genres(text: str) -> list[str]:
    names = (_GENRE_ALIASES.get(g.strip(), g.strip()) for g in str(text).split("|"))
    return [g for g in names if g]


def _clean_ratings(
    ratings: pd.DataFrame,
    known: np.ndarray,
    scale: tuple[float, float],
    source: str,
    report: LoadReport,
) -> pd.DataFrame:
    ratings = ratings.assign(timestamp=ratings["timestamp"].fillna(0))
    low, high = scale
    outside = ~ratings["rating"].between(low, high)
    report.skip(source, f"rating outside {low:g}-{high:g}", int(outside.sum()))
    unknown = ~ratings["movieId"].isin(known)
    report.skip(source, "unknown movieId", int((unknown & ~outside).sum()))
    ratings = ratings[~outside & ~unknown]
    ratings = ratings.sort_values("timestamp", kind="stable")
    duplicated = ratings.duplicated(["userId", "movieId"], keep="last")
    report.skip(source, "duplicate (user, movie); kept the latest", int(duplicated.sum()))
    ratings = ratings[~duplicated].sort_values(["userId", "movieId"])
    return pd.DataFrame(
        {
            "userId": ratings["userId"].to_numpy(dtype=np.int64),
            "movieId": ratings["movieId"].to_numpy(dtype=np.int64),
            "rating": ratings["rating"].to_numpy(dtype=np.float32),
            "timestamp": ratings["timestamp"].to_numpy(dtype=np.int64),
        }
    )


def _clean_tags(
    tags: pd.DataFrame, known: np.ndarray, source: str, report: LoadReport
) -> pd.DataFrame:
    unknown = ~tags["movieId"].isin(known)
    report.skip(source, "unknown movieId", int(unknown.sum()))
    tags = tags[~unknown]
    return pd.DataFrame(
        {
            "userId": tags["userId"].to_numpy(dtype=np.int64),
            "movieId": tags["movieId"].to_numpy(dtype=np.int64),
            "tag": tags["tag"].astype(str).to_numpy(),
            "timestamp": tags["timestamp"].fillna(0).to_numpy(dtype=np.int64),
        }
    )


def _empty_tags() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "userId": pd.Series(dtype=np.int64),
            "movieId": pd.Series(dtype=np.int64),
            "tag": pd.Series(dtype=str),
            "timestamp": pd.Series(dtype=np.int64),
        }
    )


def _empty_links() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "movieId": pd.Series(dtype=np.int64),
            "imdbId": pd.Series(dtype="Int64"),
            "tmdbId": pd.Series(dtype="Int64"),
        }
    )
