"""Group recommendations: one list for several people watching together.

Each member's scores over the candidates (their hybrid score when they rated films, their
described taste when they only said what they like, well-loved films otherwise) become a
*standing*: the percentile of the movie among the candidates for that member,

    s_mi = rank_m(i) / (n - 1)  in [0, 1]   (1 = the member's best candidate),

and a *utility*: the member's score standardized over the candidates (z_mi), so people known
by a hundred ratings and people known by three words weigh the same. The group's score
aggregates the utilities of a movie over the members:

- ``least_misery``: the least-happy member's utility in steps of 0.1 (⌊10 · min_m z_mi⌋ / 10),
  ties broken by the average utility;
- ``average``: mean_m z_mi (the default: see below);
- ``multiplicative``: Π_m σ(z_mi), σ the logistic function (a low utility for anyone weighs
  heavily, softer than the minimum);
- ``most_pleasure``: max_m z_mi.

Standings (percentiles) are what the members are told ("in your top 2%"); utilities are
what is aggregated, because percentiles crowd together at the top of a large catalogue.
``python app.py eval --only group`` compares them on MovieLens users grouped synthetically
(random strangers, and users alike in what they rated). On ml-latest-small the average serves
even the least-happy member at least as well as least misery does (random groups of 3: the
least-happy member's NDCG@10 0.019 against 0.010, paired interval +0.003 to +0.016; groups of
people alike: 0.050 against 0.047, interval -0.001 to +0.007), so the average is the default
and least misery stays a choice (``how``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from recommender.catalog import Movie
from recommender.results import Reasons, movie_dict

STEPS = 10  # least misery compares the least-happy member's utility in steps of 1/STEPS


class Aggregation(StrEnum):
    """How the members' standings become the group's score."""

    LEAST_MISERY = "least_misery"
    AVERAGE = "average"
    MULTIPLICATIVE = "multiplicative"
    MOST_PLEASURE = "most_pleasure"


def standings(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Percentile of each candidate's score among the candidates (0 outside ``mask``)."""
    out = np.zeros(len(scores))
    idx = np.flatnonzero(mask)
    if len(idx) < 2:
        out[idx] = 1.0
        return out
    order = np.argsort(scores[idx], kind="stable")
    ranks = np.empty(len(idx))
    ranks[order] = np.arange(len(idx))
    out[idx] = ranks / (len(idx) - 1)
    return out


def aggregate(utilities: np.ndarray, how: Aggregation) -> np.ndarray:
    """The group's score per movie from a (members x movies) array of utilities (finite)."""
    z = np.asarray(utilities, dtype=float)
    if how is Aggregation.LEAST_MISERY:
        mean = z.mean(axis=0)
        tie_break = standings(mean, np.ones(len(mean), dtype=bool))  # in [0, 1]
        return (np.floor(STEPS * z.min(axis=0)) + 0.999 * tie_break) / STEPS
    if how is Aggregation.AVERAGE:
        return z.mean(axis=0)
    if how is Aggregation.MULTIPLICATIVE:
        return np.exp(
            -np.logaddexp(0.0, -z).sum(axis=0)
        )  # the product of logistic(z), computed stably
    return z.max(axis=0)


DEFAULT_AGGREGATION = Aggregation.AVERAGE  # measured, see the module docstring


class Basis(StrEnum):
    """What a member's standing rests on."""

    RATINGS = "ratings"  # films they rated or named
    WORDS = "words"  # what they said they like
    NOTHING = "nothing yet"  # well-loved films stand in


@dataclass(frozen=True)
class MemberFit:
    """How one pick suits one member."""

    name: str
    standing: float  # percentile among the candidates for this member, 0..1
    basis: Basis
    reasons: Reasons

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "standing": round(self.standing, 3),
            "basis": self.basis.value,
            "reasons": self.reasons.as_dict(),
        }


@dataclass(frozen=True)
class GroupPick:
    """A movie for the group, its group score and how it suits each member."""

    movie: Movie
    score: float
    fits: list[MemberFit]

    @property
    def least_happy(self) -> MemberFit:
        return min(self.fits, key=lambda f: f.standing)

    def as_dict(self) -> dict[str, Any]:
        return {
            **movie_dict(self.movie),
            "score": round(self.score, 4),
            "members": [f.as_dict() for f in self.fits],
        }


@dataclass(frozen=True)
class GroupRecommendations:
    """Picks for a group, how they were aggregated, and notes worth telling them."""

    picks: list[GroupPick]
    aggregation: Aggregation
    members: list[str]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "aggregation": self.aggregation.value,
            "members": self.members,
            "notes": self.notes,
            "picks": [p.as_dict() for p in self.picks],
        }
