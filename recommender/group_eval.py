"""Which aggregation serves a group best, measured on MovieLens users grouped synthetically.

Protocol: the ranking holdout (per-user 20%, relevant = held-out ratings of 4 or more); the
models are fit on training ratings only. Users with a relevant held-out movie are drawn into
groups of sizes 3 and 5, ``GROUPS`` of each kind (seeded): *random* (strangers) and
*alike* (a random user and their nearest users by cosine similarity of what they rated, the
way friends who watch together tend to share a taste). For every group each member's
hybrid scores become utilities (z-scores) over the movies none of them rated, each aggregation ranks
the top 10, and every member's NDCG@10 is taken against their own held-out movies. Reported
per aggregation: the members' mean NDCG@10 (how happy the group is on average), the least
happy member's NDCG@10, and the share of groups where everyone gets at least one of their
held-out favourites; with a paired bootstrap interval (over groups) of the least-happy
member's NDCG@10 of each aggregation against least misery's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from recommender.catalog import Catalog
from recommender.groups import Aggregation, aggregate
from recommender.metrics import ndcg_at_k
from recommender.models import ModelParams, Models, fit_catalog_models
from recommender.peer_eval import bootstrap
from recommender.ranking import combine, diverse_top, franchise_key, shortlist, standardize
from recommender.splits import holdout_split

K = 10
LIKE = 4.0
SIZES = (3, 5)
GROUPS = 200


def group_holdout(
    catalog: Catalog, params: ModelParams, progress: bool = True, seed: int = 0
) -> list[dict[str, Any]]:
    """One row per (group size, aggregation)."""
    ratings = catalog.ratings
    held = holdout_split(ratings)
    models = fit_catalog_models(catalog, ratings[~held], params)
    matrix = models.matrix
    test = ratings[held & (ratings["rating"] >= LIKE).to_numpy()]
    relevant = {
        row: set(matrix.item_cols(g["movieId"].to_numpy()).tolist())
        for u, g in test.groupby("userId")
        if (row := matrix.user_row(int(u))) is not None
    }
    franchises = np.array([franchise_key(t) for t in catalog.movies.loc[matrix.item_ids, "title"]])
    rng = np.random.default_rng(seed)
    users = np.array(sorted(relevant))
    rows: list[dict[str, Any]] = []
    for kind in ("random", "alike"):
        for size in SIZES:
            groups = _groups(matrix.csr, users, size, kind, rng)
            results = {how: np.zeros((GROUPS, 3)) for how in Aggregation}
            desc = f"{kind} groups of {size}"
            for g, members in enumerate(tqdm(groups, desc=desc, disable=not progress, leave=False)):
                lists = _group_lists(models, franchises, members)
                for how, ranked in lists.items():
                    ndcg = [ndcg_at_k(ranked, relevant[int(m)], K) for m in members]
                    hit = all(relevant[int(m)] & set(ranked) for m in members)
                    results[how][g] = (np.mean(ndcg), np.min(ndcg), float(hit))
            rows += _rows(f"{kind} groups of {size}", results)
    return rows


def _groups(
    csr: Any, users: np.ndarray, size: int, kind: str, rng: np.random.Generator
) -> list[np.ndarray]:
    """``GROUPS`` groups of ``size`` users (matrix rows): strangers, or a user and the users
    most alike them (cosine over who rated what)."""
    if kind == "random":
        return [rng.choice(users, size, replace=False) for _ in range(GROUPS)]
    binary = (csr[users] > 0).astype(np.float64)
    norms = np.sqrt(np.asarray(binary.multiply(binary).sum(axis=1)).ravel())
    groups = []
    for seed_index in rng.choice(len(users), GROUPS, replace=False):
        sims = np.asarray((binary @ binary[seed_index].T).todense()).ravel()
        sims = sims / np.maximum(norms * norms[seed_index], 1e-12)
        sims[seed_index] = -np.inf
        nearest = np.argsort(-sims, kind="stable")[: size - 1]
        groups.append(users[np.concatenate([[seed_index], nearest])])
    return groups


def _group_lists(
    models: Models, franchises: np.ndarray, members: np.ndarray
) -> dict[Aggregation, list[int]]:
    """Each aggregation's top 10 for a group of known users (what the engine does)."""
    matrix = models.matrix
    profiles = [matrix.profile(int(m)) for m in members]
    mask = np.ones(matrix.n_items, dtype=bool)
    for p in profiles:
        mask[p.items] = False
    utility = np.vstack(
        [
            standardize(
                np.where(mask, combine(models.components(int(m), p), models.weights, mask), 0.0),
                mask,
            )
            for m, p in zip(members, profiles, strict=True)
        ]
    )
    out = {}
    for how in Aggregation:
        scores = np.where(mask, aggregate(utility, how), -np.inf)
        out[how] = diverse_top(shortlist(scores, 3 * K), franchises, K)
    return out


def _rows(label: str, results: dict[Aggregation, np.ndarray]) -> list[dict[str, Any]]:
    base = results[Aggregation.LEAST_MISERY]
    rows = []
    for how, values in results.items():
        row: dict[str, Any] = {
            "model": f"{label}: {how.value}",
            "mean_ndcg@10": round(float(values[:, 0].mean()), 4),
            "least_happy_ndcg@10": round(float(values[:, 1].mean()), 4),
            "everyone_hit@10": round(float(values[:, 2].mean()), 4),
            "groups": len(values),
        }
        if how is not Aggregation.LEAST_MISERY:
            low, high = bootstrap(values[:, 1] - base[:, 1])
            row["vs_least_misery_least_happy"] = [round(low, 4), round(high, 4)]
        rows.append(row)
    return rows
