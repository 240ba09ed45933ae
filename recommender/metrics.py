"""Top-N ranking metrics at a cutoff k, as used in the evaluation.

For a ranked list L (best first) and a relevant set R:

    precision@k = |L[:k] ∩ R| / k
    recall@k    = |L[:k] ∩ R| / |R|
    capped recall@k = |L[:k] ∩ R| / min(k, |R|)   (1.0 is reachable whatever |R|)
    NDCG@k      = DCG@k / IDCG@k,  DCG@k = Σ_{i≤k, L_i∈R} 1 / log2(i + 1)
                  IDCG@k = Σ_{i≤min(k,|R|)} 1 / log2(i + 1)
    coverage    = |∪_users L_u[:k]| / |catalogue|
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def precision_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    return sum(1 for item in ranked[:k] if item in relevant) / k


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    if not relevant:
        return 0.0
    return sum(1 for item in ranked[:k] if item in relevant) / len(relevant)


def capped_recall_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    if not relevant:
        return 0.0
    return sum(1 for item in ranked[:k] if item in relevant) / min(k, len(relevant))


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    idcg = sum(1.0 / np.log2(i + 2) for i in range(min(k, len(relevant))))
    return float(dcg / idcg)


def coverage(lists: Iterable[Sequence[int]], n_items: int, k: int) -> float:
    shown: set[int] = set()
    for ranked in lists:
        shown.update(ranked[:k])
    return len(shown) / n_items if n_items else 0.0


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the k highest scores, best first, never one of ``exclude``."""
    scores = scores.astype(np.float64, copy=True)
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]
    ranked = part[np.argsort(-scores[part], kind="stable")]
    return ranked[np.isfinite(scores[ranked])]
