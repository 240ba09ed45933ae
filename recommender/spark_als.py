"""Matrix factorization trained on Apache Spark MLlib's ALS: the iALS component, on a cluster.

Spark's ALS solves the same alternating least squares as ``implicit`` with two conventions of
its own, which the fold-in follows so a newcomer's factors match what Spark would learn:

- implicit mode: confidence c_ui = 1 + α · r_ui and preference p_ui = 1 for every rating;
- both modes: λ is scaled by the number of ratings of the user being solved (ALS-WR).

With the item factors Y fixed, a profile's factors are then one ridge solve:

    implicit:  x_u = (YᵀY + Σ_i∈u α r_ui y_i y_iᵀ + λ n_u I)⁻¹ Σ_i∈u (1 + α r_ui) y_i
    explicit:  x_u = (Σ_i∈u y_i y_iᵀ + λ n_u I)⁻¹ Σ_i∈u r_ui y_i

The trainer writes the ratings (matrix rows and columns, so the factors line up with the
catalogue without a join) as Parquet where every executor can read them, fits there, and
collects the factors into the :class:`~recommender.ials.IALSModel` the engine already serves.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from recommender.errors import MovieBotError
from recommender.ials import FoldIn, IALSConfig, IALSModel
from recommender.matrix import RatingMatrix

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

LOG4J = Path(__file__).with_name("spark-log4j2.properties")


class SparkMode(StrEnum):
    IMPLICIT = "implicit"  # iALS: every rating a sign of interest, the stars its confidence
    EXPLICIT = "explicit"  # the stars themselves are fit


class SparkALSConfig(BaseModel):
    """How Spark's ALS learns (factors and sweeps come from :class:`IALSConfig`) and where it
    runs. Where it runs and where the ratings are staged do not change what it learns, so they
    stay out of the build's fingerprint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: SparkMode = SparkMode.IMPLICIT
    # Spark scales λ by each user's (item's) rating count; 0.2 was best of 0.02-1 with alpha 1
    # and 3 on ml-latest-small's ranking holdout (NDCG@10 0.285; 0.1: 0.279, 0.5: 0.278)
    regularization: float = Field(0.2, gt=0)
    alpha: float = Field(1.0, gt=0)
    master: str = Field("local[2]", exclude=True)
    data: str | None = Field(None, exclude=True)  # Parquet staging URI; a temp folder if None
    driver_memory: str = Field("6g", exclude=True)


@cache
def spark_session(master: str, driver_memory: str) -> SparkSession:
    """One Spark session per process (the JVM starts once), quiet on the console."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise MovieBotError(
            "The Spark trainer needs pyspark: pip install -e '.[spark]' (and Java 17)."
        ) from err
    quiet = f"-Dlog4j2.configurationFile=file:{LOG4J}"
    work = Path(tempfile.mkdtemp(prefix="moviebot-spark-"))
    builder = (
        SparkSession.builder.master(master)
        .appName("moviebot-als")
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.extraJavaOptions", quiet)
        .config("spark.executor.extraJavaOptions", quiet)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    try:
        with _jvm_output_to(work / "spark.log"):
            session = builder.getOrCreate()
    except Exception as err:  # no Java, a master that does not answer
        raise MovieBotError(
            f"Spark did not start at {master}: {err} (its log: {work / 'spark.log'})"
        ) from err
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(work / "checkpoints"))  # ALS cuts its lineage
    return session


@contextmanager
def _jvm_output_to(log_file: Path) -> Iterator[None]:
    """Run the block with stderr in ``log_file``: the JVM it starts keeps writing there, not
    on the person's console (JVM warnings print before any log configuration applies)."""
    saved = os.dup(2)
    with open(log_file, "ab") as out:
        os.dup2(out.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def stage_ratings(matrix: RatingMatrix, where: str) -> str:
    """Write the ratings as Parquet (user row, item column, stars) at ``where``; its URI."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    coo = matrix.csr.tocoo()
    table = pa.table(
        {
            "user": coo.row.astype(np.int32),
            "item": coo.col.astype(np.int32),
            "rating": coo.data.astype(np.float32),
        }
    )
    filesystem, path = pa.fs.FileSystem.from_uri(_uri(where))
    filesystem.create_dir(path, recursive=True)
    pq.write_table(table, f"{path}/ratings.parquet", filesystem=filesystem)
    return f"{_uri(where)}/ratings.parquet"


def _uri(where: str) -> str:
    return where if "://" in where else Path(where).resolve().as_uri()


def _factors(frame: DataFrame, n: int, rank: int) -> np.ndarray:
    """Spark's (id, features) rows as a dense (n, rank) array; ids it never saw stay zero."""
    rows: Any = frame.toPandas()
    out = np.zeros((n, rank), dtype=np.float32)
    if len(rows):
        out[rows["id"].to_numpy()] = np.stack(rows["features"].to_numpy()).astype(np.float32)
    return out


def fit_spark_als(matrix: RatingMatrix, ials: IALSConfig, config: SparkALSConfig) -> IALSModel:
    """Fit ALS on Spark (``config.master``) and bring the factors home."""
    implicit = config.mode is SparkMode.IMPLICIT
    staging = config.data or tempfile.mkdtemp(prefix="moviebot-ratings-")
    try:
        with warnings.catch_warnings():  # pyspark 4.3 warns about pandas 3; it works here
            warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
            warnings.filterwarnings("ignore", "The copy keyword is deprecated")
            X, Y = _train(matrix, ials, config, stage_ratings(matrix, staging))
    finally:
        if config.data is None:
            shutil.rmtree(staging, ignore_errors=True)
    fold_in = FoldIn(
        config.regularization,
        config.alpha,
        confidence_offset=1.0 if implicit else 0.0,
        scaled_regularization=True,
        implicit=implicit,
    )
    gram = Y.T.astype(np.float64) @ Y.astype(np.float64)
    return IALSModel(ials, X, Y, gram, fold_in)


def _train(
    matrix: RatingMatrix, ials: IALSConfig, config: SparkALSConfig, ratings_uri: str
) -> tuple[np.ndarray, np.ndarray]:
    """User and item factors from Spark's ALS over the staged ratings."""
    from pyspark.ml.recommendation import ALS

    spark = spark_session(config.master, config.driver_memory)
    model = ALS(
        rank=ials.factors,
        maxIter=ials.iterations,
        regParam=config.regularization,
        alpha=config.alpha,
        implicitPrefs=config.mode is SparkMode.IMPLICIT,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        seed=ials.seed,
    ).fit(spark.read.parquet(ratings_uri))
    X = _factors(model.userFactors, matrix.n_users, ials.factors)
    Y = _factors(model.itemFactors, matrix.n_items, ials.factors)
    return X, Y


def spark_summary(config: SparkALSConfig) -> dict[str, Any]:
    """What the build report says about the trainer."""
    return {"trainer": "spark", "master": config.master, "mode": config.mode.value}
