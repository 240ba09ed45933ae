"""The description join: formats, priority, enrichment, composed texts, coverage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recommender.descriptions import compose_text, coverage, inspect_file, join_descriptions
from recommender.errors import DataError
from recommender.movielens import load_movielens
from recommender.tables import LoadReport
from tests.samples import LINKS_CSV, MOVIES_CSV, RATINGS_CSV, TAGS_CSV, write

TMDB_5000 = """budget,genres,id,keywords,overview,tagline,title
63000000,"[]",603,"[{""id"": 1, ""name"": ""simulated reality""}, {""id"": 2, ""name"": ""hacker""}]","A hacker learns the world is a simulation.",Free your mind.,The Matrix
"""
TOP_10K = """id,title,genre,original_language,overview,popularity,release_date,vote_average,vote_count
603,The Matrix,"Action,Science Fiction",en,"A different overview that must lose to the first file.",50,1999-03-30,8.2,20000
862,Toy Story,"Animation,Comedy",en,"Toys come alive when nobody is looking.",90,1995-10-30,8.0,15000
"""
PLOTS = """movieId,title,year,director,actors,plot
1,Toy Story,1995,John Lasseter,"Tom Hanks, Tim Allen","A plot that loses to TMDB."
2,The Matrix,1999,The Wachowskis,"Keanu Reeves",""
"""


@pytest.fixture
def small(tmp_path: Path):  # type: ignore[no-untyped-def]
    tags = TAGS_CSV + "3,3,Whimsical,1445714999\n4,3,paris,1445714999\n"
    folder = write(
        tmp_path / "ml",
        {
            "movies.csv": MOVIES_CSV,
            "ratings.csv": RATINGS_CSV,
            "tags.csv": tags,
            "links.csv": LINKS_CSV,
        },
    )
    files = write(
        tmp_path / "desc", {"plots.csv": PLOTS, "tmdb5000.csv": TMDB_5000, "top10k.csv": TOP_10K}
    )
    return load_movielens(folder), [
        files / "plots.csv",
        files / "tmdb5000.csv",
        files / "top10k.csv",
    ]


def _join(data, files) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return join_descriptions(data.movies, data.links, data.tags, files, LoadReport()).set_index(
        "movieId"
    )


def test_formats_are_detected_from_headers(small) -> None:  # type: ignore[no-untyped-def]
    _, (plots, tmdb, top) = small
    assert (inspect_file(plots).key, inspect_file(plots).text_column) == ("movieId", "plot")
    assert inspect_file(tmdb).key == "tmdbId" and "keywords" in inspect_file(tmdb).extras
    assert inspect_file(top).key_column == "id"


def test_tmdb_wins_over_plots_and_the_first_tmdb_file_wins(small) -> None:  # type: ignore[no-untyped-def]
    out = _join(*small)
    assert out.at[2, "description"] == "A hacker learns the world is a simulation."
    assert out.at[2, "source"] == "tmdb5000.csv"
    assert out.at[1, "description"] == "Toys come alive when nobody is looking."
    assert out.at[1, "source"] == "top10k.csv"


def test_extras_are_merged_from_every_file(small) -> None:  # type: ignore[no-untyped-def]
    out = _join(*small)
    assert out.at[2, "tagline"] == "Free your mind."
    assert out.at[2, "keywords"] == "simulated reality, hacker"
    assert out.at[2, "director"] == "The Wachowskis"
    assert out.at[1, "actors"] == "Tom Hanks, Tim Allen"


def test_movies_without_a_description_get_a_composed_text(small) -> None:  # type: ignore[no-untyped-def]
    out = _join(*small)
    assert not out.at[3, "has_description"] and out.at[3, "source"] == "composed"
    text = out.at[3, "description"]
    assert text.startswith("Amélie (2001): a comedy and romance film.")
    assert "Viewers describe it as: whimsical, paris." in text  # most frequent tag first


def test_compose_text_uses_director_and_actors() -> None:
    text = compose_text("Heat (1995)", ["Action", "Crime"], "Michael Mann", "Al Pacino", [])
    assert (
        text
        == "Heat (1995): an action and crime film. Directed by Michael Mann. Starring Al Pacino."
    )


def test_coverage_counts_movies_and_rating_share(small) -> None:  # type: ignore[no-untyped-def]
    data, files = small
    cover = coverage(_join(data, files).reset_index(), data.ratings)
    assert (cover.movies, cover.described) == (4, 2)
    assert cover.rating_share == pytest.approx(3 / 4)  # movies 1 and 2 carry 3 of 4 ratings


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, {"x.csv": "name,text\na,b\n"}) / "x.csv"
    with pytest.raises(DataError, match="not a known description format"):
        inspect_file(path)


def test_missing_and_empty_description_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="description file not found"):
        inspect_file(tmp_path / "absent.csv")
    path = write(tmp_path, {"empty.csv": ""}) / "empty.csv"
    with pytest.raises(DataError, match="description file is empty"):
        inspect_file(path)


def test_rows_with_bad_ids_are_skipped_and_counted(small, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, _ = small
    path = write(tmp_path, {"p.csv": PLOTS + "abc,X,1999,,,text\n"}) / "p.csv"
    report = LoadReport()
    join_descriptions(data.movies, data.links, data.tags, [path], report)
    assert report.skipped["p.csv: malformed row"] == 1


def test_real_coverage_reaches_74_percent(catalog) -> None:  # type: ignore[no-untyped-def]
    cover = catalog.coverage
    assert cover.movies == 9742
    assert cover.share >= 0.74
    assert cover.rating_share >= 0.95
    assert set(cover.by_source) == {
        "tmdb_5000_movies.csv",
        "top10K-TMDB-movies.csv",
        "omdb_plots_ml1m.csv",
        "composed",
    }
