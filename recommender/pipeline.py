"""The build: stages that turn data files into artifacts, each cached and skipped when current.

A stage declares what it depends on, the parameters that shape its output and the libraries
its payload needs; together with the fingerprints of its dependencies these make its own
fingerprint. ``run_pipeline`` loads every current artifact and (re)builds the others, in order,
saying why (missing, stale, corrupt, forced) and how long each took.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from recommender.artifacts import ArtifactStore, FileHashes, digest, library_versions
from recommender.catalog import Catalog
from recommender.config import Settings
from recommender.descriptions import join_descriptions
from recommender.download import ensure_dataset
from recommender.errors import MovieBotError
from recommender.models import ModelParams, Models, fit_catalog_models
from recommender.movielens import dataset_label, detect_format, load_movielens

log = logging.getLogger(__name__)

DATASET_FILES = (
    "ratings.csv",
    "movies.csv",
    "tags.csv",
    "links.csv",
    "ratings.dat",
    "movies.dat",
    "tags.dat",
    "u.data",
    "u.item",
    "u.genre",
)


@dataclass
class BuildContext:
    """What stages share: settings, the artifact store, and the payloads built or loaded so far."""

    settings: Settings
    progress: bool = True
    payloads: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    forced: set[str] = field(default_factory=set)
    tracker: StageProgress | None = None  # a stage built while the app serves reports here

    def __post_init__(self) -> None:
        self.store = ArtifactStore(self.settings.artifacts_dir)
        self.hashes = FileHashes(self.settings.artifacts_dir / "file-hashes.json")


@dataclass
class StageProgress:
    """How far a stage built in the background has got (read by the page, the API, the chat)."""

    stage: str
    state: Literal["waiting", "running", "ready", "failed"] = "waiting"
    done: int = 0
    total: int = 0
    error: str = ""
    step: str = ""  # what it is doing now, in words ("embedding movies")

    @property
    def percent(self) -> int:
        if self.state == "ready":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def advance(self, done: int, total: int) -> None:
        self.state, self.done, self.total = "running", done, total

    def doing(self, step: str) -> None:
        self.state, self.step = "running", step


@dataclass(frozen=True)
class Stage:
    """A build step: ``run`` makes the payload from the context; ``params`` shape it."""

    name: str
    run: Callable[[BuildContext], Any]
    params: Callable[[BuildContext], dict[str, Any]]
    depends: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ("numpy", "pandas")
    version: int = 1  # bump when the code changes what the stage produces

    def fingerprint(self, ctx: BuildContext, params: dict[str, Any]) -> str:
        inputs = {d: ctx.fingerprints[d] for d in self.depends}
        return digest([self.name, self.version, params, inputs, library_versions(self.libraries)])


@dataclass(frozen=True)
class StageReport:
    """What happened to a stage in this run."""

    name: str
    status: str  # "up to date" | "built" | "rebuilt"
    seconds: float
    reason: str = ""


def run_pipeline(
    ctx: BuildContext,
    stages: Sequence[Stage],
    only: str | None = None,
    force: bool = False,
) -> list[StageReport]:
    """Load or build every stage (``only``: force-able target; others just made current)."""
    names = [s.name for s in stages]
    if only is not None and only not in names:
        raise MovieBotError(f"Unknown stage {only!r}; the stages are: {', '.join(names)}.")
    reports = []
    for stage in stages:
        forced = force and (only is None or only == stage.name)
        if forced:
            ctx.forced.add(stage.name)
        reports.append(_run_stage(ctx, stage, forced))
        if only == stage.name:
            break
    return reports


def _run_stage(ctx: BuildContext, stage: Stage, forced: bool) -> StageReport:
    started = time.perf_counter()
    params = stage.params(ctx)
    fingerprint = stage.fingerprint(ctx, params)
    ctx.fingerprints[stage.name] = fingerprint
    reason = "forced"
    if not forced:
        loaded = ctx.store.load(stage.name, fingerprint)
        if loaded.ok:
            ctx.payloads[stage.name] = loaded.payload
            return StageReport(stage.name, "up to date", time.perf_counter() - started)
        reason = loaded.reason
    if reason != "missing":
        log.warning("%s artifact is %s; rebuilding it", stage.name, reason)
    log.info("building %s", stage.name)
    payload = stage.run(ctx)
    seconds = time.perf_counter() - started
    ctx.store.save(
        stage.name,
        fingerprint,
        payload,
        {
            "params": params,
            "depends": {d: ctx.fingerprints[d] for d in stage.depends},
            "versions": library_versions(stage.libraries),
            "seconds": round(seconds, 3),
        },
    )
    ctx.payloads[stage.name] = payload
    status = "built" if reason == "missing" else "rebuilt"
    return StageReport(stage.name, status, seconds, "" if status == "built" else reason)


# --- the data stage -----------------------------------------------------------------------


def _data_params(ctx: BuildContext) -> dict[str, Any]:
    folder = ensure_dataset(ctx.settings.data_dir, ctx.settings.download_url, ctx.progress)
    detect_format(folder)
    files = {
        name: ctx.hashes.of(folder / name) for name in DATASET_FILES if (folder / name).exists()
    }
    descriptions = [
        ctx.hashes.of(Path(p)) if Path(p).exists() else f"missing:{p}"
        for p in ctx.settings.description_files()
    ]
    ctx.fingerprints["data-content"] = digest([files, descriptions])
    params: dict[str, Any] = {"files": files, "descriptions": descriptions}
    if (cache := _details_cache(ctx.settings)).exists():  # what `app.py enrich` fetched
        from recommender.tmdb import DetailsCache

        details = DetailsCache(cache)
        params["tmdb"] = details.state()
        details.close()
    return params


def _details_cache(settings: Settings) -> Path:
    from recommender.tmdb import DetailsCache

    return DetailsCache.file_in(settings.home)


def _build_catalog(ctx: BuildContext) -> Catalog:
    folder = ctx.settings.data_dir
    data = load_movielens(folder)
    fetched = None
    if (cache := _details_cache(ctx.settings)).exists():
        from recommender.tmdb import DetailsCache

        details = DetailsCache(cache)
        fetched = details.description_rows()
        details.close()
    descriptions = join_descriptions(
        data.movies, data.links, data.tags, ctx.settings.description_files(), data.report, fetched
    )
    return Catalog.from_movielens(
        data, descriptions, dataset=dataset_label(folder), fingerprint=ctx.fingerprints["data"]
    )


DATA = Stage("data", run=_build_catalog, params=_data_params, version=2)  # 2: original_language


# --- the models stage ---------------------------------------------------------------------

TUNED_FILE = "tuned-params.json"
MODELS_NAME = "models"


def tuned_params(ctx: BuildContext) -> ModelParams:
    """Parameters chosen by ``python app.py tune`` on this dataset; defaults otherwise."""
    path = ctx.settings.artifacts_dir / TUNED_FILE
    try:
        saved = json.loads(path.read_text())
        if saved.get("dataset") == ctx.fingerprints.get("data-content"):
            return ModelParams.model_validate(saved["params"])
        log.info("tuned parameters in %s are for other data; using defaults", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as err:
        log.warning("ignoring unreadable %s (%s); using default parameters", path, err)
    return ModelParams()


def model_params(ctx: BuildContext) -> ModelParams:
    """The tuned (or default) parameters, trained where the settings say; with no trainer
    named, by the trainer that built the models there are (so serving never retrains them)."""
    manifest = ctx.store.manifest(MODELS_NAME) or {}
    built = manifest.get("params", {}).get("spark") if isinstance(manifest, dict) else None
    spark = ctx.settings.spark_config(built if isinstance(built, dict) else None)
    return tuned_params(ctx).model_copy(update={"spark": spark})


def _models_params(ctx: BuildContext) -> dict[str, Any]:
    return model_params(ctx).model_dump(mode="json")


def _build_models(ctx: BuildContext) -> Models:
    catalog: Catalog = ctx.payloads["data"]
    return fit_catalog_models(catalog, catalog.ratings, model_params(ctx), ctx.progress)


MODELS = Stage(
    "models",
    run=_build_models,
    params=_models_params,
    depends=("data",),
    libraries=(
        "numpy",
        "pandas",
        "scipy",
        "scikit-surprise",
        "scikit-learn",
        "vaderSentiment",
        "implicit",
    ),
    version=2,  # 2: the ranker's weight grid reaches 6 (iALS wanted more than 1.2)
)


# --- the index stage ----------------------------------------------------------------------

INDEX_VERSION = 3  # bump when the document text or the index payload changes


def _index_params(ctx: BuildContext) -> dict[str, Any]:
    from vectorstore.embeddings import MAX_TOKENS, MODEL_NAME

    return {
        "model": MODEL_NAME,
        "max_tokens": MAX_TOKENS,
        "version": INDEX_VERSION,
        "limit": ctx.settings.index_limit,
        "store": ctx.settings.chroma_url or "embedded",
    }


def open_store(settings: Settings, embedder: Any) -> Any:
    from vectorstore.store import MovieStore

    if settings.chroma_url:
        return MovieStore(embedder, url=settings.chroma_url)
    return MovieStore(embedder, path=settings.chroma_dir)


def _build_index(ctx: BuildContext) -> Any:
    from recommender.described import ConceptIndex, catalogue_phrases
    from recommender.semantic import LexicalIndex, TextIndexState, fit_text_weights
    from vectorstore.documents import build_documents
    from vectorstore.embeddings import Embedder

    catalog: Catalog = ctx.payloads["data"]
    models: Models = ctx.payloads["models"]
    embedder = Embedder()
    sentiment = dict(
        zip(models.matrix.item_ids.tolist(), models.sentiment.scores.tolist(), strict=True)
    )
    docs = build_documents(
        catalog.movies,
        catalog.descriptions,
        models.clusters.genres,
        sentiment,
        limit=ctx.settings.index_limit,
    )
    tracker = ctx.tracker
    if tracker is not None:
        tracker.doing("embedding movie descriptions")
    store = open_store(ctx.settings, embedder)
    if "index" in ctx.forced:
        store.reset("a rebuild was forced")
    report = store.sync(
        docs, progress=ctx.progress, on_progress=ctx.tracker.advance if ctx.tracker else None
    )
    if report.rebuilt:
        log.warning("rebuilt the vector index: %s", report.rebuilt)
    log.info(
        "index: %d embedded, %d metadata updates, %d unchanged, %d removed",
        report.embedded,
        report.updated,
        report.unchanged,
        report.removed,
    )
    # the concept vocabulary is embedded now, not on the first described request
    if tracker is not None:
        tracker.doing("embedding keywords and tags")
    phrases = catalogue_phrases(catalog, models.matrix.item_ids)
    ConceptIndex.build(phrases, embedder.encode, ctx.settings.artifacts_dir)
    ids, stored = store.vectors()
    item_ids = models.matrix.item_ids
    vectors = np.zeros((len(item_ids), embedder.dimension), dtype=np.float32)
    cols = np.searchsorted(item_ids, ids)
    vectors[cols] = stored
    indexed = np.zeros(len(item_ids), dtype=bool)
    indexed[cols] = True
    lexical = LexicalIndex.fit(docs, item_ids)
    if tracker is not None:
        tracker.doing("fitting the text weights")
    fit = fit_text_weights(models, vectors, indexed, embedder, catalog.tags, lexical)
    return TextIndexState(
        embedder.name,
        embedder.dimension,
        item_ids,
        vectors,
        indexed,
        docs,
        fit.weights,
        fit.personal,
        lexical,
        fit.lexical_weight,
        fit.gate,
        {"sync": vars(report), "weights": fit.scores},
    )


INDEX = Stage(
    "index",
    run=_build_index,
    params=_index_params,
    depends=("data", "models"),
    libraries=("numpy", "chromadb", "sentence-transformers", "torch"),
)
STAGES: tuple[Stage, ...] = (DATA, MODELS, INDEX)
