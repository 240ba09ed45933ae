"""Tag sentiment: VADER over MovieLens user tags, shrunk toward neutral for sparse evidence.

Each distinct tag gets VADER's compound score c ∈ [-1, 1]. A movie with tags c_1..c_n gets

    score = Σ c_k / (n + m)

the mean pulled toward 0 (neutral) by ``m`` pseudo-tags, so one "masterpiece" does not
outrank forty mostly glowing tags. Tag counts and the most positive and negative tags are
kept as the reasons behind the score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PRIOR_TAGS = 3.0
SHOWN_TAGS = 3


@dataclass(frozen=True)
class MovieSentiment:
    """What people's tags say about a movie."""

    score: float
    n_tags: int
    positive: tuple[str, ...]
    negative: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 3),
            "n_tags": self.n_tags,
            "positive": list(self.positive),
            "negative": list(self.negative),
        }


@dataclass
class SentimentModel:
    """Per catalogue column: shrunk score and tag count; per movie, the tags behind them."""

    scores: np.ndarray  # (n_items,) in [-1, 1], 0 for untagged movies
    counts: np.ndarray  # (n_items,)
    positive: dict[int, tuple[str, ...]]
    negative: dict[int, tuple[str, ...]]
    tag_scores: dict[str, float]

    def of(self, col: int) -> MovieSentiment:
        return MovieSentiment(
            float(self.scores[col]),
            int(self.counts[col]),
            self.positive.get(col, ()),
            self.negative.get(col, ()),
        )


def compound_scores(tags: list[str]) -> dict[str, float]:
    """VADER's compound score of each distinct tag (case-insensitive)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return {tag: float(analyzer.polarity_scores(tag)["compound"]) for tag in sorted(set(tags))}


def fit_sentiment(
    tags: pd.DataFrame, item_ids: np.ndarray, prior: float = PRIOR_TAGS
) -> SentimentModel:
    """Score every tag, then aggregate per movie with shrinkage toward neutral."""
    n_items = len(item_ids)
    if tags.empty:
        return SentimentModel(np.zeros(n_items), np.zeros(n_items, dtype=np.int64), {}, {}, {})
    text = tags["tag"].astype(str).str.strip()
    frame = pd.DataFrame(
        {
            "col": np.searchsorted(item_ids, tags["movieId"].to_numpy()),
            "tag": text,
            "key": text.str.lower(),
        }
    )
    frame = frame[frame["key"] != ""]
    lookup = compound_scores(frame["key"].tolist())
    frame["c"] = frame["key"].map(lookup)
    cols = frame["col"].to_numpy()
    totals = np.bincount(cols, frame["c"].to_numpy(), n_items)
    counts = np.bincount(cols, minlength=n_items)
    scores = totals / (counts + prior)
    distinct = frame.drop_duplicates(["col", "key"])
    positive = _extreme(distinct[distinct["c"] > 0.05], ascending=False)
    negative = _extreme(distinct[distinct["c"] < -0.05], ascending=True)
    return SentimentModel(scores, counts.astype(np.int64), positive, negative, lookup)


def _extreme(frame: pd.DataFrame, ascending: bool) -> dict[int, tuple[str, ...]]:
    ordered = frame.sort_values(["col", "c", "key"], ascending=[True, ascending, True])
    top = ordered.groupby("col").head(SHOWN_TAGS)
    return {int(col): tuple(group["tag"]) for col, group in top.groupby("col")}
