"""Synthetic MovieLens-shaped data: the format, the shape, the label, and structure to find."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.ease import EASEConfig, fit_ease
from recommender.errors import MovieBotError
from recommender.matrix import RatingMatrix
from recommender.metrics import ndcg_at_k, top_k
from recommender.movielens import SYNTHETIC_NOTE, dataset_label, load_movielens
from recommender.splits import holdout_split
from recommender.synth import SHAPES, synthesize

ROOT = Path(__file__).resolve().parent.parent
RATINGS = 120_000


@pytest.fixture(scope="module")
def made(ml_small: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "ml-25m-like"
    synthesize(out, "ml-25m", ml_small, ratings=RATINGS, seed=1, progress=False)
    return out


def test_the_files_are_in_ml_25m_format(made: Path) -> None:
    heads = {n: (made / n).read_text().splitlines()[:2] for n in ("ratings.csv", "movies.csv")}
    assert heads["ratings.csv"][0] == "userId,movieId,rating,timestamp"
    _user, _movie, stars, stamp = heads["ratings.csv"][1].split(",")
    assert stars in {f"{s / 2:.1f}" for s in range(1, 11)} and len(stamp) == 10
    assert heads["movies.csv"][0] == "movieId,title,genres"
    assert (made / "tags.csv").read_text().startswith("userId,movieId,tag,timestamp\n")
    assert (
        (made / "links.csv").read_text().startswith("movieId,imdbId,tmdbId\n1,,\n")
    )  # no fake ids


def test_the_shape_is_the_release_scaled(made: Path) -> None:
    shape = SHAPES["ml-25m"].scaled(RATINGS)
    ratings = pd.read_csv(made / "ratings.csv")
    assert len(ratings) == shape.ratings and ratings["userId"].nunique() == shape.users
    assert ratings["movieId"].nunique() == shape.rated_movies
    assert len(pd.read_csv(made / "movies.csv")) == shape.movies
    assert len(pd.read_csv(made / "tags.csv")) == shape.tags
    assert not ratings.duplicated(["userId", "movieId"]).any()
    assert ratings.groupby("userId").size().min() >= 20
    assert set(ratings["rating"].unique()) <= {s / 2 for s in range(1, 11)}
    assert 3.3 < ratings["rating"].mean() < 3.8  # ml-25m: 3.53
    counts = ratings.groupby("movieId").size().sort_values(ascending=False)
    assert counts.head(len(counts) // 10).sum() > 0.25 * len(ratings)  # a long tail (0.1 if flat)
    users = ratings.groupby("userId").size()
    assert users.max() > 2 * users.median()  # and of users (capped at half the movies here)
    span = SHAPES["ml-25m"]
    assert ratings["timestamp"].between(span.first, span.last).all()


def test_it_is_labelled_synthetic_everywhere(made: Path) -> None:
    assert "SYNTHETIC" in (made / "SYNTHETIC.md").read_text()
    data = load_movielens(made)
    assert data.report.notes[0] == SYNTHETIC_NOTE
    assert dataset_label(made) == "ml-25m-like (SYNTHETIC)"
    assert data.movies["title"].str.startswith("Synthetic Movie").all()


def test_collaborative_filtering_has_structure_to_find(made: Path) -> None:
    """EASE on a per-user holdout beats popularity clearly: who rates what follows taste."""
    ratings = load_movielens(made).ratings
    held = holdout_split(ratings)
    matrix = RatingMatrix.from_frame(ratings[~held], np.unique(ratings["movieId"]))
    ease = fit_ease(matrix, EASEConfig())
    popularity = np.bincount(matrix.csr.indices, minlength=matrix.n_items).astype(float)
    test = ratings[held & (ratings["rating"] >= 4).to_numpy()]
    pop, cf = [], []
    for user, rows in test.groupby("userId"):
        row = matrix.user_row(int(user))
        assert row is not None
        profile = matrix.profile(row)
        relevant = set(matrix.item_cols(rows["movieId"].to_numpy()).tolist())
        pop.append(ndcg_at_k(top_k(popularity, 10, profile.items).tolist(), relevant, 10))
        scores = ease.scores(profile.items, np.ones(len(profile)))
        cf.append(ndcg_at_k(top_k(scores, 10, profile.items).tolist(), relevant, 10))
    assert np.mean(cf) > 1.2 * np.mean(pop)


def test_a_folder_with_data_is_refused(made: Path, ml_small: Path) -> None:
    with pytest.raises(MovieBotError, match="already holds CSV files"):
        synthesize(made, "ml-25m", ml_small, ratings=RATINGS, progress=False)


def test_the_command(ml_small: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    done = subprocess.run(
        [
            sys.executable,
            "app.py",
            "-q",
            "synth",
            str(out),
            "--ratings",
            "30000",
            "--from",
            str(ml_small),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"ratings":30000' in done.stdout and (out / "synth.json").exists()
