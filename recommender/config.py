"""Settings from flags and environment (``MOVIEBOT_*``), validated with pydantic."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from recommender.spark_als import SparkALSConfig, SparkMode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = "ml-latest-small"


def _project_dir() -> Path:
    """The checkout when running from one, else the working directory (installed wheel)."""
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT
    return Path.cwd()


class Trainer(StrEnum):
    """Who trains the iALS component: ``implicit`` on this machine, or Spark's ALS."""

    IMPLICIT = "implicit"
    SPARK = "spark"


class Settings(BaseSettings):
    """Where data comes from and where built things go.

    ``home`` holds two folders that never mix: ``artifacts/`` (rebuildable) and
    ``userdata/`` (profiles and ratings given in chat; no rebuild ever touches it).
    """

    model_config = SettingsConfigDict(env_prefix="MOVIEBOT_", extra="forbid")

    data_dir: Path = Field(default_factory=lambda: _project_dir() / "data" / DEFAULT_DATASET)
    descriptions: Annotated[list[Path] | None, NoDecode] = None
    home: Path = Field(default_factory=lambda: _project_dir() / ".moviebot")
    download_url: str = "https://files.grouplens.org/datasets/movielens"
    chroma_url: str | None = None  # a Chroma server (http://host:port); embedded when unset
    index_limit: int | None = Field(None, ge=1)  # index only the N most-rated movies (tests)
    trainer: Trainer | None = None  # None: whichever trained the built models (implicit if none)
    spark_master: str = "local[2]"  # local[N], spark://host:7077, yarn
    spark_mode: SparkMode = SparkMode.IMPLICIT
    spark_data: str | None = None  # where the ratings go as Parquet for the executors
    spark_driver_memory: str = "6g"

    @field_validator("descriptions", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(p) for p in value.split(os.pathsep) if p.strip()]
        return value

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "artifacts"

    @property
    def chroma_dir(self) -> Path:
        return self.artifacts_dir / "chroma"

    @property
    def userdata_dir(self) -> Path:
        return self.home / "userdata"

    def spark_config(self, built: dict[str, object] | None = None) -> SparkALSConfig | None:
        """The Spark trainer's settings when it trains: asked for, or (no trainer named) the
        one ``built`` (the models' recorded Spark parameters) says trained the models."""
        if self.trainer is Trainer.IMPLICIT or (self.trainer is None and not built):
            return None
        learned = dict(built or {}) if self.trainer is None else {"mode": self.spark_mode}
        return SparkALSConfig.model_validate(
            {
                **learned,
                "master": self.spark_master,
                "data": self.spark_data,
                "driver_memory": self.spark_driver_memory,
            }
        )

    def description_files(self) -> list[Path]:
        """Explicit files, else every CSV in the project's ``data/descriptions/``."""
        if self.descriptions is not None:
            return list(self.descriptions)
        folder = _project_dir() / "data" / "descriptions"
        return sorted(folder.glob("*.csv")) if folder.is_dir() else []
