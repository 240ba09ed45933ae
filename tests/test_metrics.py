"""Ranking metrics against examples computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.metrics import (
    capped_recall_at_k,
    coverage,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    top_k,
)


def test_precision_and_recall_by_hand() -> None:
    ranked, relevant = [5, 3, 9, 1], {3, 1, 7}
    assert precision_at_k(ranked, relevant, 4) == pytest.approx(2 / 4)
    assert recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)
    assert precision_at_k(ranked, relevant, 2) == pytest.approx(1 / 2)
    assert recall_at_k(ranked, set(), 4) == 0.0


def test_capped_recall_divides_by_what_fits_in_the_list() -> None:
    relevant = set(range(100, 130))  # 30 relevant, only 10 fit in a top-10
    ranked = [100, 101, 102, 1, 2, 3, 4, 5, 6, 7]
    assert recall_at_k(ranked, relevant, 10) == pytest.approx(3 / 30)
    assert capped_recall_at_k(ranked, relevant, 10) == pytest.approx(3 / 10)
    assert capped_recall_at_k([5, 3, 9, 1], {3, 1, 7}, 4) == pytest.approx(2 / 3)
    assert capped_recall_at_k(ranked, set(), 10) == 0.0


def test_ndcg_by_hand() -> None:
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal for 3 relevant at k=4: ranks 1..3
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k([5, 3, 9, 1], {3, 1, 7}, 4) == pytest.approx(dcg / idcg)
    assert ndcg_at_k([3, 1, 7], {3, 1, 7}, 3) == pytest.approx(1.0)
    assert ndcg_at_k([4, 5, 6], {3}, 3) == 0.0


def test_coverage_by_hand() -> None:
    assert coverage([[1, 2, 3], [3, 4, 5]], n_items=10, k=2) == pytest.approx(4 / 10)


def test_top_k_excludes_and_orders() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.7, 0.3])
    assert top_k(scores, 3).tolist() == [1, 3, 2]
    assert top_k(scores, 3, exclude=np.array([1])).tolist() == [3, 2, 4]
