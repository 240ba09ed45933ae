"""The iALS component, however it is trained (``implicit`` here, Spark's ALS in local mode):
the fold-in is the ALS user step of that trainer, exactly, and the factors rank real likes."""

from __future__ import annotations

import pickle
import shutil
from typing import Any

import numpy as np
import pytest

from recommender.ials import IALSConfig, IALSModel, fit_ials
from recommender.matrix import Profile, RatingMatrix
from recommender.metrics import top_k
from tests.conftest import IN_CI

FAST = IALSConfig(factors=16, iterations=8)


class FactorContract:
    """Mix into a test class that defines ``fit(self, matrix) -> IALSModel``."""

    implicit = True  # scores are interest (not stars): co-watched movies rise, likes rank

    def fit(self, matrix: RatingMatrix) -> IALSModel:  # pragma: no cover - abstract
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def model(cls, small_matrix: RatingMatrix) -> IALSModel:
        return cls().fit(small_matrix)

    def test_folding_in_a_training_user_gives_back_their_factors(
        self, model: IALSModel, small_matrix: RatingMatrix
    ) -> None:
        for row in range(0, small_matrix.n_users, 15):
            folded = model.fold_in(small_matrix.profile(row))
            learned = model.user_factors[row]
            assert np.corrcoef(folded, learned)[0, 1] > 0.99
            assert np.linalg.norm(folded - learned) < 0.1 * np.linalg.norm(learned)

    def test_a_known_user_is_scored_with_the_learned_factors(
        self, model: IALSModel, small_matrix: RatingMatrix
    ) -> None:
        scores = model.scores(3, small_matrix.profile(3))
        np.testing.assert_allclose(scores, model.item_factors @ model.user_factors[3], rtol=1e-5)

    def test_an_empty_profile_scores_nothing(self, model: IALSModel) -> None:
        assert not model.scores(None, Profile.empty()).any()

    def test_a_new_rating_pulls_its_co_watched_movies_up(
        self, model: IALSModel, small_matrix: RatingMatrix
    ) -> None:
        if not self.implicit:
            pytest.skip("explicit factors predict stars, not what is watched together")
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

    def test_ranks_held_out_likes_above_popularity(self, small_matrix: RatingMatrix) -> None:
        if not self.implicit:
            pytest.skip("explicit factors predict stars, not what is watched together")
        rng = np.random.default_rng(0)
        rows, cols, values = small_matrix.triples()
        held = rng.random(len(values)) < 0.2
        train = RatingMatrix(
            small_matrix.user_ids,
            small_matrix.item_ids,
            _csr(rows[~held], cols[~held], values[~held], small_matrix),
        )
        fitted = self.fit(train)
        counts = train.item_counts().astype(float)
        hits_ials = hits_pop = 0
        for row in range(train.n_users):
            profile = train.profile(row)
            liked = set(cols[held & (rows == row) & (values >= 4)].tolist())
            hits_ials += len(liked & set(top_k(fitted.scores(row, profile), 10, profile.items)))
            hits_pop += len(liked & set(top_k(counts, 10, profile.items)))
        assert hits_ials > 1.1 * hits_pop

    def test_deterministic_and_survives_pickling(
        self, model: IALSModel, small_matrix: RatingMatrix
    ) -> None:
        again = self.fit(small_matrix)
        np.testing.assert_allclose(again.item_factors, model.item_factors, rtol=1e-3, atol=1e-4)
        loaded = pickle.loads(pickle.dumps(model))
        profile = small_matrix.profile(7)
        np.testing.assert_array_equal(loaded.scores(None, profile), model.scores(None, profile))


class TestImplicitLibrary(FactorContract):
    def fit(self, matrix: RatingMatrix) -> IALSModel:
        return fit_ials(matrix, FAST)


needs_java = pytest.mark.skipif(
    shutil.which("java") is None and not IN_CI,
    reason="Spark needs Java 17 (apt-get install openjdk-17-jre-headless)",
)


@pytest.mark.slow
@needs_java
class TestSparkImplicit(FactorContract):
    """Spark's ALS in local mode (Java 17 and pyspark, as CI has them)."""

    def fit(self, matrix: RatingMatrix) -> IALSModel:
        from recommender.spark_als import SparkALSConfig, fit_spark_als

        return fit_spark_als(matrix, FAST, SparkALSConfig(driver_memory="1g"))


@pytest.mark.slow
@needs_java
class TestSparkExplicit(FactorContract):
    implicit = False

    def fit(self, matrix: RatingMatrix) -> IALSModel:
        from recommender.spark_als import SparkALSConfig, SparkMode, fit_spark_als

        return fit_spark_als(
            matrix, FAST, SparkALSConfig(mode=SparkMode.EXPLICIT, driver_memory="1g")
        )

    def test_the_factors_predict_the_stars(
        self, model: IALSModel, small_matrix: RatingMatrix
    ) -> None:
        rows, cols, values = small_matrix.triples()
        predicted = np.einsum("ij,ij->i", model.user_factors[rows], model.item_factors[cols])
        assert np.sqrt(np.mean((predicted - values) ** 2)) < 0.9


def _csr(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, like: RatingMatrix) -> Any:
    import scipy.sparse as sp

    return sp.csr_matrix((values, (rows, cols)), shape=like.csr.shape, dtype=np.float32)
