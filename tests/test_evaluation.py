"""The evaluation and tuning commands on a small real subset: schema, caching, stored params."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest

from recommender.config import Settings
from recommender.engine import build
from recommender.evaluation import evaluate, favourites, markdown_report
from recommender.models import ModelParams
from recommender.peer_eval import cache_file
from recommender.peers import SLIM, ItemKNN, Peer, RP3beta
from recommender.pipeline import TUNED_FILE, tuned_params
from recommender.svd import SVDConfig


class TinyKNN(ItemKNN):
    grid: ClassVar[dict[str, list[Any]]] = {"k": [20, 50], "shrink": [10]}


class TinyRP3(RP3beta):
    grid: ClassVar[dict[str, list[Any]]] = {"alpha": [1.0], "beta": [0.3], "k": [100]}


TINY: tuple[type[Peer], ...] = (TinyKNN, TinyRP3, SLIM)
SKIPPED = "not run (--skip-slow)"


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory, ml_small: Path) -> Settings:
    """The first 80 users of ml-latest-small as a dataset folder of its own."""
    folder = tmp_path_factory.mktemp("subset") / "ml-subset"
    folder.mkdir()
    ratings = pd.read_csv(ml_small / "ratings.csv")
    ratings[ratings["userId"] <= 80].to_csv(folder / "ratings.csv", index=False)
    for name in ("movies.csv", "tags.csv", "links.csv"):
        (folder / name).write_bytes((ml_small / name).read_bytes())
    return Settings(data_dir=folder, descriptions=[], home=folder.parent / "home")


def test_eval_json_schema_and_peer_cache(subset: Settings) -> None:
    ctx, _ = build(subset, progress=False, only="data")
    catalog = ctx.payloads["data"]
    fast = ModelParams().model_copy(
        update={
            "blend": ModelParams().blend.model_copy(
                update={"svd": SVDConfig(n_factors=20, n_epochs=15)}
            )
        }
    )
    cache = subset.artifacts_dir / "eval-cache.json"
    result = evaluate(catalog, fast, cache, folds=2, skip_slow=True, progress=False, peers=TINY)
    assert {r["model"] for r in result["rating"]} == {
        "surprise.SVD",
        "surprise.KNNBaseline",
        "surprise.BaselineOnly",
        "moviebot.SVD",
        "moviebot.Blend",
    }
    assert all({"rmse", "mae", "fit_seconds"} <= set(r) for r in result["rating"])
    ranked = {r["model"]: r for r in result["ranking"]}
    assert {"popularity", "moviebot.SVD top-N", "ease", "ials", "moviebot.hybrid"} < set(ranked)
    assert "  hybrid without ease" in ranked  # the ablation: each weighted component dropped
    assert ranked["SLIM ElasticNet"] == {"model": "SLIM ElasticNet", "skipped": SKIPPED}
    scored = [r for r in result["ranking"] if "skipped" not in r]
    assert all({"precision@10", "recall@10", "ndcg@10", "coverage"} <= set(r) for r in scored)
    knn = ranked["ItemKNN cosine"]
    assert knn["params"] in {"k 20, shrink 10", "k 50, shrink 10"}  # chosen on validation
    low, high = knn["vs_hybrid_ndcg@10"]
    assert low <= knn["ndcg@10"] - ranked["moviebot.hybrid"]["ndcg@10"] <= high
    assert all({"recall@10", "capped_recall@10", "ndcg@10"} <= set(r) for r in result["cold_start"])
    cold = [r["model"] for r in result["cold_start"]]
    assert cold[0] == "popularity" and len(cold) == 6
    assert sum(name.startswith("EASE λ=") for name in cold) == 1  # only the best λ is kept
    json.dumps(result)  # JSON-able
    assert "| moviebot.hybrid |" in markdown_report(result)
    cached = json.loads(cache.read_text())
    assert len(cached) == 3  # the three peers, keyed by dataset, folds and surprise version
    top_n = json.loads(cache_file(cache).read_text())
    assert len(top_n) == 2 and all(k.startswith(catalog.fingerprint) for k in top_n)
    again = evaluate(
        catalog, fast, cache, folds=2, skip_slow=True, progress=False, parts=("rating",)
    )
    peers = {r["model"]: r for r in again["rating"] if r["model"].startswith("surprise")}
    assert peers == {r["model"]: r for r in result["rating"] if r["model"].startswith("surprise")}


def test_favourites_are_the_highest_rated_earliest_first() -> None:
    frame = pd.DataFrame(
        {"movieId": [1, 2, 3, 4], "rating": [5.0, 4.0, 5.0, 5.0], "timestamp": [3, 1, 1, 2]}
    )
    assert favourites(frame, 3)["movieId"].tolist() == [3, 4, 1]


def test_tune_stores_parameters_that_build_then_uses(subset: Settings) -> None:
    from recommender.tuning import tune

    ctx, _ = build(subset, progress=False, only="data")
    assert tuned_params(ctx) == ModelParams()  # never tuned: defaults
    out = subset.artifacts_dir / TUNED_FILE
    result = tune(ctx.payloads["data"], ctx.fingerprints["data-content"], out, quick=True)
    assert out.exists() and result["scores"]["svd_rmse_3fold"] > 0
    ctx2, _ = build(subset, progress=False, only="data")
    chosen = tuned_params(ctx2)
    assert chosen.blend.svd.model_dump() == result["params"]["blend"]["svd"]
    assert chosen.ease.lam == result["params"]["ease"]["lam"]
    out.write_text("{not json")
    assert tuned_params(ctx2) == ModelParams()  # unreadable: defaults, never a crash
