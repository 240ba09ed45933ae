"""A ranking-quality floor on real data, so a change that breaks ranking fails CI.

The hybrid is fit on a per-user 80% of the ratings of the first 300 users and must rank
their held-out liked movies well: NDCG@10 above a floor and above popularity and EASE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.evaluation import LIKE, holdout_split, hybrid_ranking
from recommender.matrix import RatingMatrix
from recommender.metrics import ndcg_at_k, top_k
from recommender.models import ModelParams, fit_models
from recommender.ranking import RankerWeights, ValidationSet, fit_weights, franchise_key
from recommender.svd import SVDConfig

NDCG_FLOOR = 0.25  # measured here: hybrid 0.293, EASE 0.273, popularity 0.155


def test_hybrid_ndcg_floor(ml_small) -> None:  # type: ignore[no-untyped-def]
    ratings = pd.read_csv(ml_small / "ratings.csv")
    ratings = ratings[ratings["userId"] <= 300].reset_index(drop=True)
    movies = pd.read_csv(ml_small / "movies.csv")
    held = holdout_split(ratings)
    matrix = RatingMatrix.from_frame(ratings[~held], movies["movieId"].to_numpy())
    genres = [[g for g in s.split("|") if g != "(no genres listed)"] for s in movies["genres"]]
    params = ModelParams().model_copy(
        update={
            "blend": ModelParams().blend.model_copy(
                update={"svd": SVDConfig(n_factors=50, n_epochs=30)}
            )
        }
    )
    models = fit_models(
        matrix,
        params,
        (0.5, 5.0),
        pd.DataFrame(columns=["userId", "movieId", "tag", "timestamp"]),
        genres,
        np.full(len(movies), np.nan),
    )
    franchises = np.array([franchise_key(t) for t in movies["title"]])
    test = ratings[held & (ratings["rating"] >= LIKE).to_numpy()]
    hybrid, ease, popular = [], [], []
    for user, group in test.groupby("userId"):
        row = matrix.user_row(int(user))
        assert row is not None
        relevant = set(matrix.item_cols(group["movieId"].to_numpy()).tolist())
        profile = matrix.profile(row)
        hybrid.append(ndcg_at_k(hybrid_ranking(models, franchises, row, profile), relevant, 10))
        ease_scores = models.ease.scores(profile.items, np.ones(len(profile)))
        ease.append(ndcg_at_k(top_k(ease_scores, 10, profile.items).tolist(), relevant, 10))
        popular.append(
            ndcg_at_k(
                top_k(models.stats.counts.astype(float), 10, profile.items).tolist(), relevant, 10
            )
        )
    assert np.mean(hybrid) > NDCG_FLOOR
    assert np.mean(hybrid) > np.mean(popular) + 0.05
    assert np.mean(hybrid) >= np.mean(ease) - 0.01


def test_weight_search_lets_one_component_dominate_the_anchor() -> None:
    """A component far better than the anchor (EASE) may outweigh it many times over.

    Synthetic: the truth is the top of ``good``; ``noise`` (the anchor) ranks at random.
    On ml-100k iALS's learned weight sat at the top of a grid that stopped at 6.
    """
    rng = np.random.default_rng(0)
    users, items = 40, 60
    good = rng.normal(size=(users, items)).astype(np.float32)
    noise = rng.normal(size=(users, items)).astype(np.float32)
    relevant = [set(np.argsort(-good[u])[:5].tolist()) for u in range(users)]
    data = ValidationSet(
        ("ease", "ials"), np.stack([noise, good]), np.ones((users, items), bool), relevant
    )
    weights, ndcg = fit_weights(data, RankerWeights(ials=0.0))
    assert weights.ials > 6.0
    assert ndcg > 0.9
