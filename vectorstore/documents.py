"""Movie documents for the index: description with title, year and genres folded in.

The text opens with the title, year and genres ("Heat (1995). Action, crime, thriller.")
so that a query for a genre or an era finds them, then the tagline, the description (real or
composed) and TMDB keywords. Metadata carries what filters need: year, number of ratings,
mean rating, tag sentiment, and one boolean per genre (Chroma filters on scalars).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from vectorstore.store import MovieDoc


def genre_flag(genre: str) -> str:
    return "g_" + genre.replace("-", "_").replace(" ", "_")


def document_text(
    display: str, genres: list[str], tagline: str, description: str, keywords: str
) -> str:
    """'Title (Year). Genre, genre.' then, after a newline, tagline, description, keywords."""
    header = f"{display}. {', '.join(genres)}." if genres else f"{display}."
    body = []
    if tagline:
        body.append(tagline if tagline.endswith((".", "!", "?")) else f"{tagline}.")
    body.append(description)
    if keywords:
        body.append(f"Keywords: {keywords}.")
    return header + "\n" + " ".join(p for p in body if p)


def build_documents(
    movies: pd.DataFrame,
    descriptions: pd.DataFrame,
    all_genres: list[str],
    sentiment: dict[int, float] | None = None,
    limit: int | None = None,
) -> list[MovieDoc]:
    """One document per movie (the ``limit`` most-rated when given), in id order."""
    frame = movies.join(descriptions[["description", "tagline", "keywords", "source"]], how="left")
    if limit is not None:
        frame = (
            frame.sort_values("n_ratings", ascending=False, kind="stable").head(limit).sort_index()
        )
    docs = []
    for movie_id, row in frame.iterrows():
        genres = list(row["genres"])
        text = document_text(
            row["display"],
            genres,
            _text(row["tagline"]),
            _text(row["description"]),
            _text(row["keywords"]),
        )
        docs.append(
            MovieDoc(
                int(movie_id), text, _metadata(int(movie_id), row, genres, all_genres, sentiment)
            )
        )
    return docs


def _metadata(
    movie_id: int,
    row: pd.Series,
    genres: list[str],
    all_genres: list[str],
    sentiment: dict[int, float] | None,
) -> dict[str, Any]:
    year = row["year"]
    mean = row["mean_rating"]
    meta: dict[str, Any] = {
        "movieId": movie_id,
        "title": str(row["title"]),
        "year": 0 if pd.isna(year) else int(year),
        "genres": "|".join(genres),
        "n_ratings": int(row["n_ratings"]),
        "mean_rating": 0.0
        if mean is None or (isinstance(mean, float) and math.isnan(mean))
        else round(float(mean), 3),
        "described": str(row["source"]) != "composed",
    }
    if sentiment is not None:
        meta["sentiment"] = round(float(sentiment.get(movie_id, 0.0)), 4)
    for genre in all_genres:
        meta[genre_flag(genre)] = genre in genres
    return meta


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()
