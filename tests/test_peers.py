"""The evaluation's top-N peers: one contract every peer passes on planted-structure data."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from recommender.matrix import RatingMatrix
from recommender.peer_eval import Truth, bootstrap, per_user, top_lists, tune
from recommender.peers import EASE, IALS, PEERS, SLIM, ItemKNN, Peer, RP3beta, keep_top_k

SMALL: dict[type[Peer], dict[str, Any]] = {
    ItemKNN: {"k": 10, "shrink": 5},
    RP3beta: {"alpha": 0.75, "beta": 0.3, "k": 10},
    EASE: {"lam": 10.0},
    IALS: {"factors": 4, "regularization": 1.0, "alpha": 1.0, "iterations": 10},
    SLIM: {"alpha": 0.01, "l1_ratio": 0.1},
}


def planted(seed: int = 0) -> tuple[RatingMatrix, dict[int, set[int]]]:
    """60 users in two taste groups over 40 movies (group g likes movies 20g..20g+19).

    Each user rated 60% of their group's movies and a few others; a quarter of their own
    group's rated movies are held out as what they would like next.
    """
    rng = np.random.default_rng(seed)
    rows, held = [], {}
    for user in range(60):
        group = user // 30
        own = np.arange(20 * group, 20 * group + 20)
        liked = rng.choice(own, 12, replace=False)
        other = rng.choice(np.setdiff1d(np.arange(40), own), 2, replace=False)
        held[user] = set(liked[:3].tolist())
        for movie in [*liked[3:], *other]:
            rows.append((user, int(movie), float(rng.choice([4.0, 4.5, 5.0]))))
    frame = pd.DataFrame(rows, columns=["userId", "movieId", "rating"])
    return RatingMatrix.from_frame(frame, np.arange(40)), held


@pytest.mark.parametrize("cls", PEERS, ids=lambda c: c.name)
class TestPeerContract:
    def test_scores_every_movie_for_a_batch_of_users(self, cls: type[Peer]) -> None:
        matrix, _ = planted()
        peer = cls(**SMALL[cls]).fit(matrix)
        scores = np.asarray(peer.scores(matrix, np.array([0, 5, 45])))
        assert scores.shape == (3, 40) and np.isfinite(scores).all()

    def test_finds_the_planted_taste_groups(self, cls: type[Peer]) -> None:
        matrix, held = planted()
        peer = cls(**SMALL[cls]).fit(matrix)
        truth = Truth(np.arange(60), [held[u] for u in range(60)])
        lists = top_lists(peer, matrix, truth.rows)
        own = [np.mean([m // 20 == u // 30 for m in ranked]) for u, ranked in enumerate(lists)]
        assert np.mean(own) > 0.7  # mostly their own group's (at random: 11 of 30 unseen)
        assert per_user(lists, truth)["recall@10"].mean() > 0.5
        for u, ranked in enumerate(lists):  # never a movie the user already rated
            assert not set(ranked) & set(matrix.profile(u).items.tolist())

    def test_its_grid_is_every_combination(self, cls: type[Peer]) -> None:
        grid = list(cls.candidates())
        assert len(grid) == int(np.prod([len(v) for v in cls.grid.values()]))
        assert len({tuple(sorted(g.items())) for g in grid}) == len(grid)
        assert cls(**grid[0]).describe().count(",") == len(cls.grid) - 1


def test_keep_top_k_keeps_the_k_largest_off_the_diagonal() -> None:
    W = np.array([[9.0, 1.0, 3.0, 2.0], [5.0, 9.0, 0.0, 4.0], [1.0, 2.0, 9.0, 3.0]])
    kept = keep_top_k(W, 2).toarray()
    np.testing.assert_array_equal(kept, [[0, 0, 3, 2], [5, 0, 0, 4], [0, 2, 0, 3]])


def test_tuning_picks_the_best_validation_point() -> None:
    matrix, held = planted()
    truth = Truth(np.arange(60), [held[u] for u in range(60)])

    class Noisy(ItemKNN):
        grid: ClassVar[dict[str, list[Any]]] = {"k": [1, 10], "shrink": [0]}

    params, ndcg = tune(Noisy, matrix, truth, progress=False)
    assert params == {"k": 10, "shrink": 0} and 0 < ndcg <= 1


def test_the_bootstrap_interval_covers_the_mean_and_sees_a_real_difference() -> None:
    rng = np.random.default_rng(1)
    same = rng.normal(0, 0.2, 500)
    low, high = bootstrap(same - same.mean())
    assert low < 0 < high
    low, high = bootstrap(rng.normal(0.05, 0.2, 500))
    assert 0 < low < 0.05 < high
