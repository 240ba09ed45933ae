"""The per-user random holdout every ranking comparison uses (evaluation, tuning, peers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

HOLDOUT = 0.2


def holdout_split(ratings: pd.DataFrame, share: float = HOLDOUT, seed: int = 0) -> np.ndarray:
    """Boolean mask of held-out rows: ``share`` of each user's ratings, at random."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(ratings), dtype=bool)
    for idx in ratings.groupby("userId", sort=True).indices.values():
        n = round(share * len(idx))
        if n:
            held[rng.choice(idx, n, replace=False)] = True
    return held
