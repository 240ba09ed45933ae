"""The engine: loads every artifact once and answers every question the product asks.

Front ends (CLI, agent tools, web, Telegram) hold one ``Engine`` and call its methods with
plain arguments; they never touch models, files or the vector store themselves.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from recommender.catalog import Catalog, Movie
from recommender.config import Settings
from recommender.errors import NotBuiltError
from recommender.pipeline import STAGES, BuildContext, StageReport, run_pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildSummary:
    """A build run: what each stage did, and what the data holds."""

    stages: list[StageReport]
    seconds: float
    catalog: Catalog

    def as_dict(self) -> dict[str, Any]:
        catalog = self.catalog
        cover = catalog.coverage
        return {
            "dataset": catalog.dataset,
            "format": catalog.report.format,
            "ratings": len(catalog.ratings),
            "users": catalog.n_users,
            "movies": len(catalog.movies),
            "tags": len(catalog.tags),
            "rating_scale": list(catalog.rating_scale),
            "rating_distribution": {f"{k:g}": v for k, v in catalog.rating_distribution().items()},
            "descriptions": {
                "described_movies": cover.described,
                "movie_share": round(cover.share, 4),
                "rating_share": round(cover.rating_share, 4),
                "by_source": cover.by_source,
            },
            "skipped": dict(catalog.report.skipped),
            "skipped_examples": catalog.report.examples,
            "notes": catalog.report.notes,
            "stages": [
                {
                    "name": s.name,
                    "status": s.status,
                    "seconds": round(s.seconds, 3),
                    "reason": s.reason,
                }
                for s in self.stages
            ],
            "seconds": round(self.seconds, 3),
        }


def build(
    settings: Settings, *, progress: bool = True, only: str | None = None, force: bool = False
) -> tuple[BuildContext, BuildSummary]:
    """Run the build pipeline; every stage is loaded when current and built otherwise."""
    started = time.perf_counter()
    ctx = BuildContext(settings, progress=progress)
    stages = run_pipeline(ctx, STAGES, only=only, force=force)
    return ctx, BuildSummary(stages, time.perf_counter() - started, ctx.payloads["data"])


class Engine:
    """Answers questions over the loaded catalogue and models."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @classmethod
    def open(cls, settings: Settings | None = None, *, progress: bool = True) -> Engine:
        """Build what is missing, load the rest, once."""
        ctx, _ = build(settings or Settings(), progress=progress)
        return cls.from_context(ctx)

    @classmethod
    def from_context(cls, ctx: BuildContext) -> Engine:
        return cls(ctx.payloads["data"])

    def movie(self, title_or_id: str | int) -> Movie:
        """A movie by id or by a title as a person types it."""
        movie_id = (
            title_or_id if isinstance(title_or_id, int) else self.catalog.resolve(title_or_id)
        )
        return self.catalog.movie(movie_id)

    def recommend(self, **_: Any) -> list[Any]:
        raise NotBuiltError(
            "Recommendations are not built yet: the recommender models come in the next release."
        )

    def search(self, query: str, k: int = 10) -> list[Any]:
        raise NotBuiltError(
            "Description search is not built yet: the vector index comes in a later release."
        )

    def evaluate(self, **_: Any) -> dict[str, Any]:
        raise NotBuiltError("Evaluation needs the recommender models, which are not built yet.")
