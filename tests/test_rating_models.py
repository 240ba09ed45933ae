"""Every rating model through the same contract, plus fold-in against retraining."""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.blend import BlendConfig, fit_blend
from recommender.knn import ItemKNNConfig, fit_item_knn
from recommender.matrix import Profile, RatingMatrix
from recommender.svd import SVDConfig, fit_baseline, fit_svd
from tests.model_contract import SCALE, RatingModelContract

FAST_SVD = SVDConfig(n_factors=20, n_epochs=20)


class TestSVD(RatingModelContract):
    def fit(self, matrix: RatingMatrix) -> Any:
        return fit_svd(matrix, FAST_SVD, SCALE)


class TestItemKNN(RatingModelContract):
    def fit(self, matrix: RatingMatrix) -> Any:
        return fit_item_knn(matrix, ItemKNNConfig(), SCALE)


class TestBlend(RatingModelContract):
    def fit(self, matrix: RatingMatrix) -> Any:
        return fit_blend(matrix, BlendConfig(svd=FAST_SVD), SCALE)


def test_top_n_scores_are_the_vectorized_formula(small_matrix: RatingMatrix) -> None:
    model = fit_svd(small_matrix, FAST_SVD, SCALE)
    row = 3
    scores = model.scores(model.bu[row], model.pu[row])
    cols = np.arange(small_matrix.n_items)
    np.testing.assert_allclose(scores, model.estimate(np.full(len(cols), row), cols))
    by_predict = [model.predict(row, int(c)).est for c in cols[:50]]
    np.testing.assert_allclose(scores[:50], by_predict)


def test_fold_in_matches_the_trained_user_closely(small_matrix: RatingMatrix) -> None:
    """A user folded in from their ratings predicts like the same user trained by SGD."""
    model = fit_svd(small_matrix, SVDConfig(n_factors=20, n_epochs=40, fold_in_reg=0.0), SCALE)
    gaps, correlations = [], []
    for row in range(0, small_matrix.n_users, 10):
        profile = small_matrix.profile(row)
        trained = model.scores(model.bu[row], model.pu[row])
        folded = model.scores(*model.fold_in(profile))
        gaps.append(np.mean(np.abs(trained - folded)))
        correlations.append(np.corrcoef(trained, folded)[0, 1])
    assert np.mean(gaps) < 0.15
    assert np.mean(correlations) > 0.9


def test_a_new_rating_moves_the_folded_in_prediction(small_matrix: RatingMatrix) -> None:
    model = fit_svd(small_matrix, FAST_SVD, SCALE)
    profile = small_matrix.profile(0).top(5)
    col = int(np.setdiff1d(np.arange(50), profile.items)[0])
    before = model.predict(None, col, profile).est
    after_low = model.predict(None, col, profile.with_ratings({col: 0.5})).est
    after_high = model.predict(None, col, profile.with_ratings({col: 5.0})).est
    assert after_low < before < after_high


def test_baseline_is_surprise_als(small_matrix: RatingMatrix) -> None:
    baseline = fit_baseline(small_matrix)
    rows, cols, values = small_matrix.triples()
    rmse = np.sqrt(np.mean((baseline.estimate(rows, cols) - values) ** 2))
    assert rmse < np.std(values)  # biases explain part of the variance
    assert baseline.user_bias(Profile.empty()) == 0.0
