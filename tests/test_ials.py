"""iALS (implicit feedback, by ``implicit``): the fold-in is the ALS user step, exactly."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from recommender.ials import IALSConfig, IALSModel, fit_ials
from recommender.matrix import Profile, RatingMatrix
from recommender.metrics import top_k

FAST = IALSConfig(factors=16, iterations=8)


@pytest.fixture(scope="module")
def model(small_matrix: RatingMatrix) -> IALSModel:
    return fit_ials(small_matrix, FAST)


def test_folding_in_a_training_user_gives_back_their_factors(
    model: IALSModel, small_matrix: RatingMatrix
) -> None:
    for row in range(0, small_matrix.n_users, 15):
        folded = model.fold_in(small_matrix.profile(row))
        learned = model.user_factors[row]
        assert np.corrcoef(folded, learned)[0, 1] > 0.99
        assert np.linalg.norm(folded - learned) < 0.1 * np.linalg.norm(learned)


def test_a_known_user_is_scored_with_the_learned_factors(
    model: IALSModel, small_matrix: RatingMatrix
) -> None:
    scores = model.scores(3, small_matrix.profile(3))
    np.testing.assert_allclose(scores, model.item_factors @ model.user_factors[3], rtol=1e-5)


def test_an_empty_profile_scores_nothing(model: IALSModel) -> None:
    assert not model.scores(None, Profile.empty()).any()


def test_a_new_rating_pulls_its_co_watched_movies_up(
    model: IALSModel, small_matrix: RatingMatrix
) -> None:
    base = small_matrix.profile(0).top(5)
    col = int(np.setdiff1d(np.argsort(-small_matrix.item_counts())[:20], base.items)[0])
    before = model.scores(None, base)
    after = model.scores(
        None,
        Profile.from_pairs(
            {**dict(zip(base.items.tolist(), base.ratings.tolist(), strict=True)), col: 5.0}
        ),
    )
    similar = np.argsort(-(model.item_factors @ model.item_factors[col]))[1:11]
    assert (after[similar] - before[similar]).mean() > 0


def test_ranks_held_out_likes_above_popularity(small_matrix: RatingMatrix) -> None:
    rng = np.random.default_rng(0)
    rows, cols, values = small_matrix.triples()
    held = rng.random(len(values)) < 0.2
    train = RatingMatrix(
        small_matrix.user_ids,
        small_matrix.item_ids,
        _csr(rows[~held], cols[~held], values[~held], small_matrix),
    )
    fitted = fit_ials(train, FAST)
    counts = train.item_counts().astype(float)
    hits_ials = hits_pop = 0
    for row in range(train.n_users):
        profile = train.profile(row)
        liked = set(cols[held & (rows == row) & (values >= 4)].tolist())
        hits_ials += len(liked & set(top_k(fitted.scores(row, profile), 10, profile.items)))
        hits_pop += len(liked & set(top_k(counts, 10, profile.items)))
    assert hits_ials > 1.1 * hits_pop


def test_deterministic_and_survives_pickling(model: IALSModel, small_matrix: RatingMatrix) -> None:
    again = fit_ials(small_matrix, FAST)
    np.testing.assert_allclose(again.item_factors, model.item_factors, rtol=1e-4, atol=1e-5)
    loaded = pickle.loads(pickle.dumps(model))
    profile = small_matrix.profile(7)
    np.testing.assert_array_equal(loaded.scores(None, profile), model.scores(None, profile))


def _csr(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, like: RatingMatrix):  # type: ignore[no-untyped-def]
    import scipy.sparse as sp

    return sp.csr_matrix((values, (rows, cols)), shape=like.csr.shape, dtype=np.float32)
