"""Described tastes: the request split, the concept bridge, and the engine's use of both."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.described import ConceptIndex, read_request


def test_a_request_splits_into_wanted_and_ruled_out() -> None:
    request = read_request("I'd like a good thriller, but nothing gory. No horror please")
    assert "thriller" in request.wanted and "gory" not in request.wanted
    assert request.ruled_out == ("gory", "horror please")
    assert request.genres == ("Thriller",) and request.excluded_genres == ("Horror",)
    tired = read_request("I like sci-fi but I'm tired of aliens and spaceships")
    assert tired.ruled_out == ("aliens and spaceships",) and tired.genres == ("Sci-Fi",)
    assert read_request("nothing violent").wanted == ""


def _toy(tmp_path: Path, calls: list[int]) -> ConceptIndex:
    """Three phrases in a 2-D 'embedding'; movie columns 0-3."""
    table = {"heist": [1.0, 0.0], "robbery": [0.9, 0.1], "zombie": [0.0, 1.0]}

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        vectors = np.array([table[t] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    phrases = [["heist", "robbery"], ["heist"], ["zombie", "robbery"], ["zombie"]]
    return ConceptIndex.build(phrases, encode, tmp_path)


def test_concepts_bridge_a_request_to_the_movies_that_carry_its_phrases(tmp_path: Path) -> None:
    calls: list[int] = []
    index = _toy(tmp_path, calls)
    heisty = index.scores(np.array([1.0, 0.0], dtype=np.float32))
    assert heisty[0] > heisty[1] > 0 and heisty[3] == 0  # both phrases beat one; zombies none
    assert index.scores(np.array([0.0, 1.0], dtype=np.float32))[3] > 0


def test_concept_vectors_are_cached_and_a_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    calls: list[int] = []
    _toy(tmp_path, calls)
    _toy(tmp_path, calls)
    assert calls == [3]  # the second build read the cache
    for cached in tmp_path.glob("concepts-*.npy"):
        cached.write_bytes(b"not numpy")
    _toy(tmp_path, calls)
    assert calls == [3, 3]


def test_described_tastes_respect_what_they_rule_out(engine) -> None:  # type: ignore[no-untyped-def]
    picks = engine.recommend(text="a funny comedy, no romance and nothing animated", k=10).picks
    assert len(picks) == 10
    for pick in picks:
        assert "Romance" not in pick.movie.genres and "Animation" not in pick.movie.genres, pick
    zombies = engine.recommend(text="zombie films", k=10).picks
    described = engine.catalog.descriptions
    text = " ".join(
        f"{p.movie.title} {described['description'].get(p.movie.movieId, '')} "
        f"{described['keywords'].get(p.movie.movieId, '')}"
        for p in zombies[:5]
    ).lower()
    assert text.count("zombie") >= 3
