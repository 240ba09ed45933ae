"""The checks every rating model must pass (a mixin, as LensKit does it).

A test class mixes this in and implements ``fit(matrix)``; it then gets: fit, predictions on
the rating scale and close to the truth on training data, an unknown user, an unknown item,
a save/load round trip, and determinism for a fixed seed.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

from recommender.matrix import Profile, RatingMatrix

SCALE = (0.5, 5.0)


class RatingModelContract:
    """Mix into a test class that defines ``fit(self, matrix) -> model``."""

    def fit(self, matrix: RatingMatrix) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, small_matrix: RatingMatrix) -> Any:
        return cls().fit(small_matrix)

    def _some_pairs(self, matrix: RatingMatrix, n: int = 200) -> list[tuple[int, int, float]]:
        rows, cols, values = matrix.triples()
        pick = np.random.default_rng(0).choice(len(values), n, replace=False)
        return [(int(rows[i]), int(cols[i]), float(values[i])) for i in pick]

    def test_predictions_are_on_the_scale_and_fit_the_training_data(
        self, fitted: Any, small_matrix: RatingMatrix
    ) -> None:
        errors = []
        for row, col, truth in self._some_pairs(small_matrix):
            prediction = fitted.predict(row, col, small_matrix.profile(row))
            assert SCALE[0] <= prediction.est <= SCALE[1]
            assert not prediction.details["was_impossible"]
            errors.append(prediction.est - truth)
        assert float(np.sqrt(np.mean(np.square(errors)))) < 0.9

    def test_unknown_user_gets_an_estimate_flagged_impossible(self, fitted: Any) -> None:
        prediction = fitted.predict(None, 0, Profile.empty())
        assert SCALE[0] <= prediction.est <= SCALE[1]
        assert prediction.details["was_impossible"]

    def test_unknown_item_gets_the_users_baseline(
        self, fitted: Any, small_matrix: RatingMatrix
    ) -> None:
        prediction = fitted.predict(0, None, small_matrix.profile(0))
        assert SCALE[0] <= prediction.est <= SCALE[1]
        assert prediction.details == {"was_impossible": True, "reason": "unknown item"}

    def test_save_load_round_trip(self, fitted: Any, small_matrix: RatingMatrix) -> None:
        loaded = pickle.loads(pickle.dumps(fitted))
        for row, col, _ in self._some_pairs(small_matrix, 20):
            profile = small_matrix.profile(row)
            assert loaded.predict(row, col, profile).est == pytest.approx(
                fitted.predict(row, col, profile).est
            )

    def test_deterministic_with_a_seed(self, fitted: Any, small_matrix: RatingMatrix) -> None:
        again = self.fit(small_matrix)
        for row, col, _ in self._some_pairs(small_matrix, 20):
            profile = small_matrix.profile(row)
            assert again.predict(row, col, profile).est == pytest.approx(
                fitted.predict(row, col, profile).est
            )
