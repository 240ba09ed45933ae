"""Shared fixtures: where the real data is, and artifacts built once per test session.

Real MovieLens data comes from ``MOVIEBOT_TEST_DATA`` (default ``../shared/data`` beside the
checkout). Without it, real-data tests skip on a developer's machine but fail in CI
(``CI=true``), so CI always exercises the real data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MOVIEBOT_TEST_DATA", ROOT.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
INDEX_LIMIT = 1000
DESCRIPTION_FILES = ("tmdb_5000_movies.csv", "top10K-TMDB-movies.csv", "omdb_plots_ml1m.csv")


def _require(path: Path) -> Path:
    if path.exists():
        return path
    message = f"real data not found at {path} (set MOVIEBOT_TEST_DATA)"
    if IN_CI:
        pytest.fail(f"{message}; CI must run the real-data tests", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure everything explicitly; developer settings must not leak in."""
    for name in list(os.environ):
        if name.startswith("MOVIEBOT_") and name != "MOVIEBOT_TEST_DATA":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def ml_small() -> Path:
    """The real ml-latest-small folder."""
    return _require(SHARED / "ml-latest-small")


@pytest.fixture(scope="session")
def description_files() -> list[Path]:
    """The three real description files, in the order the README gives them."""
    return [_require(SHARED / "descriptions" / name) for name in DESCRIPTION_FILES]


@pytest.fixture(scope="session")
def archive() -> Path:
    """The genuine GroupLens ml-latest-small.zip."""
    return _require(SHARED / "archives" / "ml-latest-small.zip")


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory, ml_small: Path, description_files):  # type: ignore[no-untyped-def]
    """Settings over the real data with a session-wide MOVIEBOT_HOME.

    Only the INDEX_LIMIT most-rated movies are embedded: the full catalogue is for benchmarks.
    """
    from recommender.config import Settings

    home = tmp_path_factory.mktemp("home")
    return Settings(
        data_dir=ml_small, descriptions=description_files, home=home, index_limit=INDEX_LIMIT
    )


@pytest.fixture(scope="session")
def real_build(real_settings):  # type: ignore[no-untyped-def]
    """The pipeline run once over the real data: (context, summary)."""
    from recommender.engine import build

    return build(real_settings, progress=False)


@pytest.fixture(scope="session")
def catalog(real_build):  # type: ignore[no-untyped-def]
    """The real catalogue, built once."""
    return real_build[1].catalog


@pytest.fixture(scope="session")
def small_ratings(ml_small: Path):  # type: ignore[no-untyped-def]
    """Real ratings of the first 120 MovieLens users: fast to fit, real in shape."""
    import pandas as pd

    ratings = pd.read_csv(ml_small / "ratings.csv")
    return ratings[ratings["userId"] <= 120].reset_index(drop=True)


@pytest.fixture(scope="session")
def small_matrix(small_ratings, ml_small: Path):  # type: ignore[no-untyped-def]
    import pandas as pd

    from recommender.matrix import RatingMatrix

    movies = pd.read_csv(ml_small / "movies.csv")
    return RatingMatrix.from_frame(small_ratings, movies["movieId"].to_numpy())


@pytest.fixture(scope="session")
def engine(real_build):  # type: ignore[no-untyped-def]
    """The engine over the real data and models, built once per test session."""
    from recommender.engine import Engine

    return Engine.from_context(real_build[0])


@pytest.fixture(scope="session")
def real_env(real_build, ml_small: Path, description_files: list[Path]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Environment for subprocesses: the real data and the MOVIEBOT_HOME this session built."""
    settings = real_build[0].settings
    return {
        "MOVIEBOT_DATA_DIR": str(ml_small),
        "MOVIEBOT_DESCRIPTIONS": os.pathsep.join(map(str, description_files)),
        "MOVIEBOT_HOME": str(settings.home),
        "MOVIEBOT_INDEX_LIMIT": str(settings.index_limit),
    }


@pytest.fixture(scope="session")
def postgres():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server on loopback for the session (CI installs Debian's package)."""
    from tests.postgres import PostgresServer

    try:
        server = PostgresServer().start()
    except FileNotFoundError as err:
        if IN_CI:
            raise
        pytest.skip(str(err))
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres, request) -> str:  # type: ignore[no-untyped-def]
    """A new, empty database on that server for one test."""
    import re

    import psycopg

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres.url.rsplit("/", 1)[0] + "/" + name
