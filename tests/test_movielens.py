"""Every MovieLens format, on small files written here, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.movielens import detect_format, load_movielens
from tests.samples import LINKS_CSV, MOVIES_CSV, RATINGS_CSV, TAGS_CSV, write


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    return write(
        tmp_path / "ml-latest-small",
        {
            "movies.csv": MOVIES_CSV,
            "ratings.csv": RATINGS_CSV,
            "tags.csv": TAGS_CSV,
            "links.csv": LINKS_CSV,
        },
    )


def test_csv_format_normalizes_everything(csv_folder: Path) -> None:
    data = load_movielens(csv_folder)
    assert data.report.format == "csv"
    assert list(data.ratings.columns) == ["userId", "movieId", "rating", "timestamp"]
    assert len(data.ratings) == 4 and data.rating_scale == (0.5, 5.0)
    movies = data.movies.set_index("movieId")
    assert movies.at[2, "title"] == "The Matrix" and movies.at[2, "year"] == 1999
    assert movies.at[2, "genres"] == ["Action", "Sci-Fi", "Thriller"]
    assert movies.at[3, "title"] == "Amélie" and movies.at[3, "akas"] == [
        "Fabuleux destin d'Amélie Poulain"
    ]
    assert movies.at[4, "genres"] == [] and movies.at[4, "year"] is not None
    assert list(data.tags["tag"]) == ["mind-bending", "whimsical"]
    links = data.links.set_index("movieId")
    assert links.at[2, "imdbId"] == 133093 and links.at[2, "tmdbId"] == 603
    assert links["tmdbId"].isna().sum() == 1
    assert data.report.total_skipped == 0


def test_csv_without_optional_tags_and_links(tmp_path: Path) -> None:
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": RATINGS_CSV})
    data = load_movielens(folder)
    assert data.tags.empty and data.links.empty
    assert any("tags.csv not found" in note for note in data.report.notes)


def test_ml1m_dat_format_latin1(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "ml-1m",
        {
            "movies.dat": "1::Toy Story (1995)::Animation|Children's|Comedy\n"
            "2::Misérables, Les (1995)::Drama|Musical\n",
            "ratings.dat": "1::1::5::978300760\n1::2::3::978302109\n6::2::4::978301968\n",
            "users.dat": "1::F::1::10::48067\n",
        },
        encoding="latin-1",
    )
    data = load_movielens(folder)
    assert data.report.format == "dat" and data.rating_scale == (1.0, 5.0)
    movies = data.movies.set_index("movieId")
    assert movies.at[2, "title"] == "Les Misérables"
    assert movies.at[1, "genres"] == ["Animation", "Children", "Comedy"]
    assert data.ratings["rating"].tolist() == [5.0, 3.0, 4.0]
    assert data.report.notes == []  # Latin-1 is what this format is supposed to be


def test_ml10m_dat_format_with_tags_rates_half_stars(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "ml-10M100K",
        {
            "movies.dat": "1::Toy Story (1995)::Adventure|Animation\n",
            "ratings.dat": "1::1::4.5::838985046\n",
            "tags.dat": "15::1::pixar::1215184630\n",
        },
    )
    data = load_movielens(folder)
    assert data.rating_scale == (0.5, 5.0)
    assert data.ratings["rating"].tolist() == [4.5]
    assert data.tags["tag"].tolist() == ["pixar"]


def test_ml100k_format(tmp_path: Path) -> None:
    flags = ["0"] * 19
    flags[3] = flags[4] = flags[5] = "1"  # Animation, Children's, Comedy
    item = "|".join(["1", "Toy Story (1995)", "01-Jan-1995", "", "http://us.imdb.com/x", *flags])
    genres = "\n".join(
        f"{name}|{i}"
        for i, name in enumerate(
            [
                "unknown",
                "Action",
                "Adventure",
                "Animation",
                "Children's",
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
            ]
        )
    )
    folder = write(
        tmp_path / "ml-100k",
        {
            "u.item": item + "\n",
            "u.genre": genres + "\n",
            "u.data": "196\t1\t3\t881250949\n186\t1\t5\t891717742\n",
        },
        encoding="latin-1",
    )
    data = load_movielens(folder)
    assert data.report.format == "100k" and data.rating_scale == (1.0, 5.0)
    assert data.movies.iloc[0]["genres"] == ["Animation", "Children", "Comedy"]
    assert sorted(data.ratings["userId"]) == [186, 196]


def test_detect_format_rejects_a_folder_without_movielens_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="holds no MovieLens files"):
        detect_format(tmp_path)
    with pytest.raises(DataError, match="is not a folder"):
        detect_format(tmp_path / "absent")


# --- bad input --------------------------------------------------------------------------


def test_missing_required_file_names_it(tmp_path: Path) -> None:
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV})
    with pytest.raises(DataError, match=r"ratings\.csv: file not found"):
        load_movielens(folder)


def test_empty_file_names_it(tmp_path: Path) -> None:
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": ""})
    with pytest.raises(DataError, match=r"ratings\.csv: file is empty"):
        load_movielens(folder)


def test_header_only_file_names_it(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "ml",
        {"movies.csv": MOVIES_CSV, "ratings.csv": "userId,movieId,rating,timestamp\n"},
    )
    with pytest.raises(DataError, match="no data rows"):
        load_movielens(folder)


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": "userId,movieId,stars\n1,1,4\n"}
    )
    with pytest.raises(DataError, match=r"ratings\.csv, line 1: missing column\(s\) rating"):
        load_movielens(folder)


def test_malformed_rows_are_skipped_and_reported_with_line_numbers(tmp_path: Path) -> None:
    ratings = RATINGS_CSV + "3,1,four,964982703\n3,2,4.0,964982703,extra\n3,3,4.0,964982703\n"
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": ratings})
    data = load_movielens(folder)
    assert data.report.skipped["ratings.csv: malformed row"] == 2
    assert "ratings.csv line 6: malformed row" in data.report.examples
    assert "ratings.csv line 7: malformed row" in data.report.examples
    assert len(data.ratings) == 5  # the four good rows and the last one


def test_mostly_malformed_file_is_an_error_naming_the_first_bad_line(tmp_path: Path) -> None:
    ratings = "userId,movieId,rating,timestamp\n1,1,4.0,1\nx,y,z,w\na,b,c,d\n"
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": ratings})
    with pytest.raises(DataError, match=r"ratings\.csv, line 3: 2 of 3 rows are malformed"):
        load_movielens(folder)


def test_ratings_outside_the_scale_are_skipped_and_counted(tmp_path: Path) -> None:
    ratings = RATINGS_CSV + "3,1,7.0,964982703\n3,2,0.0,964982703\n3,3,-1,964982703\n"
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": ratings})
    data = load_movielens(folder)
    assert data.report.skipped["ratings.csv: rating outside 0.5-5"] == 3
    assert data.ratings["rating"].between(0.5, 5.0).all()


def test_duplicate_user_movie_pairs_keep_the_latest(tmp_path: Path) -> None:
    ratings = RATINGS_CSV + "1,1,2.0,999999999\n1,1,3.0,900000000\n"
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": ratings})
    data = load_movielens(folder)
    assert data.report.skipped["ratings.csv: duplicate (user, movie); kept the latest"] == 2
    row = data.ratings[(data.ratings.userId == 1) & (data.ratings.movieId == 1)]
    assert row["rating"].tolist() == [2.0]


def test_ratings_of_unknown_movies_are_skipped(tmp_path: Path) -> None:
    ratings = RATINGS_CSV + "3,999,4.0,964982703\n"
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": ratings})
    data = load_movielens(folder)
    assert data.report.skipped["ratings.csv: unknown movieId"] == 1


def test_wrong_encoding_is_read_as_latin1_with_a_note_naming_the_line(tmp_path: Path) -> None:
    folder = write(tmp_path / "ml", {"ratings.csv": RATINGS_CSV})
    (folder / "movies.csv").write_bytes(MOVIES_CSV.encode("latin-1"))
    data = load_movielens(folder)
    assert data.movies.set_index("movieId").at[3, "title"] == "Amélie"
    assert any(
        "movies.csv is not valid utf-8 (first bad byte on line 4)" in n for n in data.report.notes
    )


def test_blank_lines_are_ignored(tmp_path: Path) -> None:
    folder = write(tmp_path / "ml", {"movies.csv": MOVIES_CSV, "ratings.csv": RATINGS_CSV + "\n\n"})
    data = load_movielens(folder)
    assert len(data.ratings) == 4 and data.report.total_skipped == 0
