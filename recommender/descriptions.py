"""Movie descriptions: join description files onto the catalogue, compose text for the rest.

Supported files (detected from their header):

- **TMDB-keyed** (``id`` or ``tmdbId`` + ``overview``): Kaggle's "TMDB 5000 Movie Dataset"
  (``tmdb_5000_movies.csv``, with ``tagline`` and JSON ``keywords``) and "Top 10000 TMDB movies"
  (``top10K-TMDB-movies.csv``). Joined through MovieLens ``links.csv``.
- **MovieLens-keyed** (``movieId`` + ``plot``/``overview``/``description``), e.g. the OMDb plots
  of ml-1m (``omdb_plots_ml1m.csv``, with ``director`` and ``actors``).
- **Fetched from TMDB** by ``python app.py enrich`` (``recommender/tmdb.py``): overviews,
  taglines, keywords, director, cast and original language, for what no file describes (a
  fresh install with no description files gets its descriptions this way).

Priority for a movie's description: TMDB overviews first (short, spoiler-light summaries
written for browsing), then MovieLens-keyed plots; within a kind, files in the order given.
Taglines, keywords, director and actors are merged from every file that has them. A movie
with no description gets a composed text from its title, year, genres, director and actors
where known, and its most frequent user tags; ``source`` says which.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recommender.errors import DataError
from recommender.tables import Column, LoadReport, read_table
from recommender.titles import display_title

TEXT_COLUMNS = ("overview", "plot", "description")
TMDB_KEYS = ("tmdbId", "tmdb_id", "id")
EXTRA_COLUMNS = ("tagline", "keywords", "director", "actors", "original_language")
COMPOSED = "composed"
FETCHED = "TMDB (python app.py enrich)"  # overviews fetched from TMDB's API
TOP_TAGS = 5


@dataclass(frozen=True)
class DescriptionFile:
    """A description file, the id it is keyed by and the columns it has."""

    path: Path
    key: str  # "tmdbId" or "movieId"
    key_column: str
    text_column: str
    extras: tuple[str, ...]

    @property
    def priority(self) -> int:
        return 0 if self.key == "tmdbId" else 1


@dataclass(frozen=True)
class Coverage:
    """How many movies have a real description and what share of ratings they carry."""

    movies: int
    described: int
    rating_share: float
    by_source: dict[str, int]

    @property
    def share(self) -> float:
        return self.described / self.movies if self.movies else 0.0


def inspect_file(path: Path) -> DescriptionFile:
    """Detect a description file's format from its header."""
    if not path.exists():
        raise DataError(path, "description file not found")
    if path.stat().st_size == 0:
        raise DataError(path, "description file is empty")
    try:
        header = list(
            pd.read_csv(path, nrows=0, encoding="utf-8", encoding_errors="replace").columns
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise DataError(path, f"is not a readable CSV ({err})", line=1) from err
    text = next((c for c in TEXT_COLUMNS if c in header), None)
    extras = tuple(c for c in EXTRA_COLUMNS if c in header)
    if text and "movieId" in header:
        return DescriptionFile(path, "movieId", "movieId", text, extras)
    tmdb = next((c for c in TMDB_KEYS if c in header), None)
    if text and tmdb:
        return DescriptionFile(path, "tmdbId", tmdb, text, extras)
    raise DataError(
        path,
        "is not a known description format: expected a movieId or TMDB id column (tmdbId, id) "
        f"and a text column ({', '.join(TEXT_COLUMNS)}); found {', '.join(header)}",
        line=1,
    )


def read_descriptions(
    spec: DescriptionFile, links: pd.DataFrame, report: LoadReport
) -> pd.DataFrame:
    """One file's rows keyed by MovieLens movieId, with text and whatever extras it has."""
    columns = [Column(spec.key_column, "int"), Column(spec.text_column, required=False)]
    columns += [Column(c, required=False) for c in spec.extras]
    frame = read_table(spec.path, columns, report)
    frame = frame.rename(columns={spec.key_column: spec.key, spec.text_column: "text"})
    if spec.key == "tmdbId":
        tmdb = links.dropna(subset=["tmdbId"]).astype({"tmdbId": "int64"})
        frame = frame.merge(tmdb[["movieId", "tmdbId"]], on="tmdbId", how="inner")
    frame = frame.drop_duplicates("movieId")
    if "keywords" in frame:
        frame["keywords"] = frame["keywords"].map(_parse_keywords)
    return frame.drop(columns=["tmdbId"], errors="ignore")


def _parse_keywords(value: str) -> str:
    """TMDB's JSON list of {"id", "name"} objects as 'a, b, c'; plain text passes through."""
    if not value or not value.lstrip().startswith("["):
        return value or ""
    try:
        return ", ".join(str(item["name"]) for item in json.loads(value) if "name" in item)
    except (ValueError, TypeError, KeyError):
        return ""


def join_descriptions(
    movies: pd.DataFrame,
    links: pd.DataFrame,
    tags: pd.DataFrame,
    files: Sequence[Path],
    report: LoadReport,
    fetched: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per movie: description, source, tagline, keywords, director, actors, original_language,
    has_description. ``fetched``: overviews ``app.py enrich`` got from TMDB (keyed by tmdbId),
    used for what no file describes."""
    specs = sorted((inspect_file(Path(p)) for p in files), key=lambda s: s.priority)
    out = pd.DataFrame({"movieId": movies["movieId"].to_numpy()}).set_index("movieId")
    out["description"], out["source"] = "", ""
    for column in EXTRA_COLUMNS:
        out[column] = ""
    for spec in specs:
        frame = read_descriptions(spec, links, report).set_index("movieId")
        frame = frame[frame.index.isin(out.index)]
        _fill(out, frame, "text", "description", source=spec.path.name)
        for column in spec.extras:
            _fill(out, frame, column, column)
    if fetched is not None and len(fetched):
        frame = _by_movie(fetched.rename(columns={"overview": "text"}), links)
        frame = frame[frame.index.isin(out.index)]
        _fill(out, frame, "text", "description", source=FETCHED)
        for column in EXTRA_COLUMNS:
            if column in frame:
                _fill(out, frame, column, column)
    out["has_description"] = out["description"] != ""
    missing = ~out["has_description"]
    out.loc[missing, "description"] = compose_texts(movies, out, tags)[missing]
    out.loc[missing, "source"] = COMPOSED
    return out.reset_index()


def _by_movie(frame: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """A tmdbId-keyed frame re-keyed by MovieLens movieId (through links.csv)."""
    tmdb = links.dropna(subset=["tmdbId"]).astype({"tmdbId": "int64"})
    merged = frame.merge(tmdb[["movieId", "tmdbId"]], on="tmdbId", how="inner")
    return merged.drop_duplicates("movieId").drop(columns=["tmdbId"]).set_index("movieId")


def _fill(
    out: pd.DataFrame, frame: pd.DataFrame, column: str, target: str, source: str = ""
) -> None:
    """Fill empty ``target`` cells of ``out`` from ``frame[column]`` (first file wins)."""
    values = frame[column].fillna("").astype(str).str.strip()
    values = values[values != ""]
    empty = out.loc[values.index, target] == ""
    ids = empty[empty].index
    out.loc[ids, target] = values.loc[ids]
    if source:
        out.loc[ids, "source"] = source


def compose_texts(movies: pd.DataFrame, extras: pd.DataFrame, tags: pd.DataFrame) -> pd.Series:
    """A description from what is known: title, year, genres, director, actors, top user tags."""
    top = top_tags(tags, TOP_TAGS)
    directors, actors = extras["director"].to_dict(), extras["actors"].to_dict()
    texts = {
        row.movieId: compose_text(
            display_title(row.title, None if pd.isna(row.year) else int(row.year)),
            list(row.genres),
            directors.get(row.movieId, ""),
            actors.get(row.movieId, ""),
            top.get(row.movieId, []),
        )
        for row in movies.itertuples(index=False)
    }
    return pd.Series(texts)


def compose_text(title: str, genres: list[str], director: str, actors: str, tags: list[str]) -> str:
    """'Heat (1995): an action and crime film. Directed by ... Starring ... Viewers ...'."""
    parts = [f"{title}: {_genre_phrase(genres)}."]
    if director:
        parts.append(f"Directed by {director}.")
    if actors:
        parts.append(f"Starring {actors}.")
    if tags:
        parts.append(f"Viewers describe it as: {', '.join(tags)}.")
    return " ".join(parts)


def _genre_phrase(genres: list[str]) -> str:
    names = [g.lower() for g in genres]
    if not names:
        return "a film"
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    article = "an" if listed[0] in "aeiou" else "a"
    return f"{article} {listed} film"


def top_tags(tags: pd.DataFrame, n: int) -> dict[int, list[str]]:
    """The ``n`` most frequent tags of each movie (case-insensitive, ties by first spelling)."""
    if tags.empty:
        return {}
    frame = tags.assign(key=tags["tag"].str.strip().str.lower())
    frame = frame[frame["key"] != ""]
    counts = (
        frame.groupby(["movieId", "key"])
        .agg(count=("tag", "size"), tag=("tag", "first"))
        .reset_index()
        .sort_values(["movieId", "count", "key"], ascending=[True, False, True])
    )
    counts = counts.groupby("movieId").head(n)
    return {int(k): list(g["tag"].str.strip()) for k, g in counts.groupby("movieId")}


def coverage(descriptions: pd.DataFrame, ratings: pd.DataFrame) -> Coverage:
    """Described movies and the share of all ratings that fall on them."""
    described_ids = descriptions.loc[descriptions["has_description"], "movieId"]
    share = float(ratings["movieId"].isin(described_ids).mean()) if len(ratings) else 0.0
    by_source = descriptions["source"].value_counts().to_dict()
    return Coverage(
        len(descriptions), len(described_ids), share, {str(k): int(v) for k, v in by_source.items()}
    )
