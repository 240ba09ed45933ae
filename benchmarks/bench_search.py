"""Description search on ml-latest-small with all three description files: quality and speed.

    python -m benchmarks.bench_search [--home DIR] [--per-query]

Builds (or reuses) every stage under --home (default: a fresh temporary folder, so the first
and second build are timed), then on the judged queries of ``judged_queries.json`` reports
hit@10 and precision@10 of ``search``, ``recommend --text``, a TF-IDF baseline and plain
embedding cosine over the same documents, and the latency of a query including its embedding.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import DESCRIPTIONS, SHARED, describe, timings
from recommender.config import Settings
from recommender.descriptions import top_tags
from recommender.engine import Engine, Taste, build

JUDGED = Path(__file__).with_name("judged_queries.json")
K = 10


def relevant_sets(engine: Engine, spec: dict[str, Any]) -> dict[str, set[int]]:
    """Every catalogue movie that each judged query accepts (see judged_queries.json)."""
    catalog = engine.catalog
    tags = top_tags(catalog.tags, 50)
    desc = catalog.descriptions
    texts = {
        int(m): " ".join(
            [
                row.title,
                *row.akas,
                str(desc.at[m, "description"]),
                str(desc.at[m, "tagline"]),
                str(desc.at[m, "keywords"]),
                " ".join(tags.get(int(m), [])),
            ]
        )
        for m, row in catalog.movies.iterrows()
    }
    out = {}
    for q in spec["queries"]:
        pattern = re.compile(q["pattern"], re.IGNORECASE)
        chosen = set()
        for movie_id, row in catalog.movies.iterrows():
            genres = set(row.genres)
            year = None if pd.isna(row.year) else int(row.year)
            if not set(q.get("all_genres", [])) <= genres:
                continue
            if q.get("any_genres") and not genres & set(q["any_genres"]):
                continue
            if "year_min" in q and (year is None or year < q["year_min"]):
                continue
            if "year_max" in q and (year is None or year > q["year_max"]):
                continue
            if pattern.search(texts[int(movie_id)]):
                chosen.add(int(movie_id))
        chosen |= {engine.resolve(t) for t in q.get("include", [])}
        chosen -= {engine.resolve(t) for t in q.get("exclude", [])}
        out[q["query"]] = chosen
    return out


def tfidf_ranker(engine: Engine) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    state = engine.semantic.state
    ids = np.array([d.movie_id for d in state.docs])
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1)
    matrix = vectorizer.fit_transform([d.text for d in state.docs])

    def rank(query: str) -> list[int]:
        scores = (matrix @ vectorizer.transform([query]).T).toarray().ravel()
        return ids[np.argsort(-scores, kind="stable")[:K]].tolist()

    return rank


def cosine_ranker(engine: Engine) -> Any:
    semantic = engine.semantic
    ids = semantic.state.item_ids

    def rank(query: str) -> list[int]:
        sims = np.where(
            semantic.state.indexed, semantic.similarities(semantic.embed(query).vector), -np.inf
        )
        return ids[np.argsort(-sims, kind="stable")[:K]].tolist()

    return rank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--per-query", action="store_true")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="moviebot-search-"))
    settings = Settings(data_dir=SHARED / "ml-latest-small", descriptions=DESCRIPTIONS, home=home)
    for run in ("first", "second"):
        started = time.perf_counter()
        ctx, summary = build(settings, progress=False)
        stages = ", ".join(f"{s.name} {s.status} {s.seconds:.1f} s" for s in summary.stages)
        print(f"{run} build: {time.perf_counter() - started:.1f} s ({stages})")
    engine = Engine.from_context(ctx)
    spec = json.loads(JUDGED.read_text())
    truth = relevant_sets(engine, spec)
    rankers = {
        "search": lambda q: [h.movie.movieId for h in engine.search(q, k=K).hits],
        "recommend --text": lambda q: [
            p.movie.movieId for p in engine.recommend(Taste(), text=q, k=K).picks
        ],
        "tf-idf (same texts)": tfidf_ranker(engine),
        "embedding cosine": cosine_ranker(engine),
    }
    sizes = [len(v) for v in truth.values()]
    print(
        f"\n{len(truth)} judged queries, {np.mean(sizes):.0f} acceptable movies per query on "
        f"average (min {min(sizes)})"
    )
    print(f"{'model':<22} {'hit@10':>7} {'precision@10':>13}")
    per_query: dict[str, dict[str, float]] = {}
    for name, rank in rankers.items():
        hits, precisions = [], []
        for query, relevant in truth.items():
            ranked = rank(query)[:K]
            found = sum(1 for m in ranked if m in relevant)
            hits.append(float(found > 0))
            precisions.append(found / K)
            per_query.setdefault(query, {})[name] = found / K
        print(f"{name:<22} {np.mean(hits):7.3f} {np.mean(precisions):13.3f}")
    if args.per_query:
        for query, scores in per_query.items():
            print(f"  {query[:45]:<45} " + "  ".join(f"{v:.1f}" for v in scores.values()))
    queries = [q["query"] for q in spec["queries"]]
    engine.search(queries[0])  # load the model and open the store
    it = iter(queries * 20)
    print()
    print(
        describe(
            "search (embed + Chroma query)", timings(lambda: engine.search(next(it), k=K), 200)
        )
    )
    it = iter(queries * 20)
    print(
        describe(
            "recommend --text", timings(lambda: engine.recommend(Taste(), text=next(it), k=K), 200)
        )
    )


if __name__ == "__main__":
    main()
