"""Taste clusters: the choice of k, stable descriptions, assignment of newcomers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.clusters import ClusterConfig, choose_k, fit_clusters
from recommender.matrix import RatingMatrix
from recommender.svd import SVDConfig, fit_svd


def _genres(ml_small) -> list[list[str]]:  # type: ignore[no-untyped-def]
    movies = pd.read_csv(ml_small / "movies.csv")
    return [[g for g in s.split("|") if g != "(no genres listed)"] for s in movies["genres"]]


def test_choose_k_takes_the_elbow_refined_by_silhouette() -> None:
    inertia = {2: 100.0, 3: 60.0, 4: 30.0, 5: 27.0, 6: 25.0, 7: 24.0}
    silhouette = {2: 0.1, 3: 0.3, 4: 0.2, 5: 0.25, 6: 0.1, 7: 0.1}
    assert choose_k(inertia, silhouette) == 3  # elbow at 4, best silhouette within one step


def test_cluster_descriptions_are_stable(small_matrix: RatingMatrix, ml_small) -> None:  # type: ignore[no-untyped-def]
    svd = fit_svd(small_matrix, SVDConfig(n_factors=20, n_epochs=20), (0.5, 5.0))
    config = ClusterConfig(k_min=3, k_max=6)
    first = fit_clusters(small_matrix, svd.pu, _genres(ml_small), config)
    second = fit_clusters(small_matrix, svd.pu, _genres(ml_small), config)
    assert [c.name for c in first.clusters] == [c.name for c in second.clusters]
    assert [c.signature for c in first.clusters] == [c.signature for c in second.clusters]
    assert np.array_equal(first.labels, second.labels)
    assert sum(c.size for c in first.clusters) == small_matrix.n_users
    assert set(first.curves["inertia"]) == set(range(3, 7))
    for cluster in first.clusters:
        assert cluster.name and all(lift > 1 for _, lift in cluster.over)
        assert all(lift < 1 for _, lift in cluster.under)


def test_a_known_user_is_assigned_to_their_own_cluster(
    small_matrix: RatingMatrix, ml_small
) -> None:  # type: ignore[no-untyped-def]
    svd = fit_svd(small_matrix, SVDConfig(n_factors=20, n_epochs=20), (0.5, 5.0))
    model = fit_clusters(small_matrix, svd.pu, _genres(ml_small), ClusterConfig(k_min=3, k_max=5))
    agree = [
        model.assign(small_matrix.profile(r), svd.pu[r]) == model.labels[r]
        for r in range(small_matrix.n_users)
    ]
    assert np.mean(agree) > 0.9


def test_mini_batch_k_means_takes_over_for_many_users(small_matrix: RatingMatrix, ml_small) -> None:  # type: ignore[no-untyped-def]
    svd = fit_svd(small_matrix, SVDConfig(n_factors=20, n_epochs=20), (0.5, 5.0))
    full = fit_clusters(small_matrix, svd.pu, _genres(ml_small), ClusterConfig(k_min=3, k_max=5))
    batched = fit_clusters(
        small_matrix,
        svd.pu,
        _genres(ml_small),
        ClusterConfig(k_min=3, k_max=5, minibatch_above=100),  # 120 users: mini-batches
    )
    assert sum(c.size for c in batched.clusters) == small_matrix.n_users
    assert all(c.name for c in batched.clusters)
    agree = [
        batched.assign(small_matrix.profile(r), svd.pu[r]) == batched.labels[r]
        for r in range(small_matrix.n_users)
    ]
    assert np.mean(agree) > 0.9
    # close to the full k-means: within 10% of its inertia at the same k
    for k, inertia in batched.curves["inertia"].items():
        assert inertia < 1.1 * full.curves["inertia"][k]


def test_sampling_users_keeps_the_shape_and_bounds_the_ratings(small_matrix: RatingMatrix) -> None:
    assert small_matrix.sample_users(10**9, seed=0) is small_matrix
    half = small_matrix.csr.nnz // 2
    sample = small_matrix.sample_users(half, seed=0)
    assert sample.csr.shape == small_matrix.csr.shape
    assert half <= sample.csr.nnz < half + np.diff(small_matrix.csr.indptr).max()
    kept = np.flatnonzero(np.diff(sample.csr.indptr))
    for row in kept[:20]:  # a drawn user keeps every rating, the others none
        np.testing.assert_array_equal(sample.profile(row).items, small_matrix.profile(row).items)
    again = small_matrix.sample_users(half, seed=0)
    assert (again.csr != sample.csr).nnz == 0
