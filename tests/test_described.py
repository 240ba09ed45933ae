"""Described tastes: the request split, the concept bridge, and the engine's use of both."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.described import ConceptIndex, concept_words, read_request


def test_a_request_splits_into_wanted_and_ruled_out() -> None:
    request = read_request("I'd like a good thriller, but nothing gory. No horror please")
    assert "thriller" in request.wanted and "gory" not in request.wanted
    assert request.ruled_out == ("gory", "horror please")
    assert request.genres == ("Thriller",) and request.excluded_genres == ("Horror",)
    tired = read_request("I like sci-fi but I'm tired of aliens and spaceships")
    assert tired.ruled_out == ("aliens and spaceships",) and tired.genres == ("Sci-Fi",)
    assert read_request("nothing violent").wanted == ""
    friends = read_request("watching with friends who love horror but I hate gore")
    assert friends.ruled_out == ("gore",) and "gore" not in friends.wanted


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


def test_audiences_occasions_and_feelings_bring_their_words_and_genres() -> None:
    kids = read_request("Looking for a film my 8-year-old and I would both enjoy")
    assert kids.favoured == ("Animation", "Children") and kids.excluded_genres == ("Horror",)
    assert "family" in kids.wanted
    teen = read_request("something from before 1980 my 15-year-old would find exciting")
    assert teen.favoured == ("Action", "Adventure") and "Children" not in teen.favoured
    cry = read_request("I just want a good cry tonight")
    assert "tearjerker" in cry.wanted and cry.favoured == ("Drama",)
    assert read_request("a heist film with a twist").favoured == ()
    cosy = read_request("something cosy for a rainy evening")
    assert "heartwarming" in cosy.wanted and cosy.favoured == ("Comedy", "Romance")


def test_a_rainy_evening_is_an_occasion_not_rain(engine) -> None:  # type: ignore[no-untyped-def]
    picks = engine.recommend(text="something cosy for a rainy evening", k=5).picks
    titles = [p.movie.title for p in picks]
    assert not any("Rain" in t for t in titles), titles  # Rain Man led before the cue
    assert sum("Comedy" in p.movie.genres or "Romance" in p.movie.genres for p in picks) >= 3


def test_a_film_told_by_its_plot_is_read_whole() -> None:
    told = read_request("that film where a guy with no short-term memory tattoos clues on his body")
    assert told.find_one and told.ruled_out == () and "short-term memory" in told.wanted
    assert not read_request("a thriller, nothing gory").find_one
    assert not read_request("a movie about friendship, not too sappy").find_one  # a kind
    assert not read_request("A film where the twist changes everything").find_one


def test_the_concept_query_drops_what_every_request_says() -> None:
    assert concept_words("Looking for a film about a heist, please") == "a about a heist,"
    assert concept_words("a movie") == "a"
    assert concept_words("films") == "films"  # nothing left: keep the words
    assert concept_words("a thriller set on a train") == "a set on a train"  # genres apart


def test_a_named_film_steers_a_description_and_is_not_picked(engine) -> None:  # type: ignore[no-untyped-def]
    from recommender.engine import Taste
    from recommender.ranking import Filters

    matrix = engine.resolve("The Matrix")
    text = "something like The Matrix, mind-bending sci-fi with great action, but newer"
    seeded = engine.recommend(Taste(None, {matrix: 4.5}), text=text, filters=Filters(year_min=2003))
    assert len(seeded.picks) == 10 and seeded.basis == "profile"
    assert all(p.movie.movieId != matrix and p.movie.year >= 2003 for p in seeded.picks)
    assert not any(p.movie.title.startswith("The Matrix ") for p in seeded.picks)  # no sequels
    plain = engine.recommend(text=text, filters=Filters(year_min=2003))
    assert [p.movie.movieId for p in seeded.picks] != [p.movie.movieId for p in plain.picks]
    genres = [g for p in seeded.picks for g in p.movie.genres]
    assert genres.count("Sci-Fi") + genres.count("Action") >= 8


def test_a_film_for_a_child_is_a_family_film(engine) -> None:  # type: ignore[no-untyped-def]
    picks = engine.recommend(text="a film my 8-year-old and I would both enjoy", k=10).picks
    family = [p for p in picks if {"Children", "Animation"} & set(p.movie.genres)]
    assert len(family) >= 7 and not any("Horror" in p.movie.genres for p in picks)


def test_the_index_stage_embeds_the_concept_vocabulary(real_build) -> None:  # type: ignore[no-untyped-def]
    """So the first described request after a build does not wait for it."""
    artifacts = real_build[0].settings.artifacts_dir
    cached = list(artifacts.glob("concepts-*.npy"))
    assert len(cached) == 1 and np.load(cached[0]).shape[1] == 384
    # written by the index stage, before its payload (not later, by a first request)
    assert cached[0].stat().st_mtime <= (artifacts / "index" / "payload.pkl").stat().st_mtime


def test_a_film_for_a_child_stays_one_when_the_person_named_grown_up_films(engine) -> None:  # type: ignore[no-untyped-def]
    from recommender.engine import Taste

    taste = Taste(None, {engine.resolve("Arrival"): 4.5, engine.resolve("Her"): 4.5})
    picks = engine.recommend(taste, text="a film my 8-year-old and I would both enjoy", k=10).picks
    assert len(picks) == 10
    assert all({"Children", "Animation"} & set(p.movie.genres) for p in picks)
    assert read_request("with my 8-year-old").required == ("Animation", "Children")


def test_feedback_lifts_what_the_best_matches_audience_also_likes(engine) -> None:  # type: ignore[no-untyped-def]
    from recommender.described import FEEDBACK_CLIP

    ids = list(engine.models.matrix.item_ids)
    pixar = [ids.index(m) for m in (1, 2355, 4886, 6377)]  # Toy Story, A Bug's Life, ...
    scores = np.random.default_rng(0).normal(size=len(ids))
    scores[pixar] = 10.0
    mask = np.ones(len(ids), dtype=bool)
    lift = engine._feedback(scores, mask)
    assert lift.max() <= FEEDBACK_CLIP
    # Toy Story 2 was not among the best-scored, but their audience loves it
    toy_story_2 = lift[ids.index(3114)]
    assert toy_story_2 > 1.5 and (lift > toy_story_2).mean() < 0.02, toy_story_2


def test_a_phrase_the_request_spells_out_counts_even_when_its_embedding_is_far(
    tmp_path: Path,
) -> None:
    table = {"road trip": [0.0, 1.0], "car chase": [1.0, 0.0]}

    def encode(texts: list[str]) -> np.ndarray:
        return np.array([table[t] for t in texts], dtype=np.float32)

    movies = [["road trip"], ["road trip"], ["car chase"], ["car chase"]]
    index = ConceptIndex.build(movies, encode, tmp_path)
    query = np.array([1.0, 0.0], dtype=np.float32)  # the whole sentence sits near car chases
    plain = index.scores(query)
    spelled = index.scores(query, "a road trip with two mismatched people stuck in a car")
    assert plain[0] == 0 and plain[2] > 0
    assert spelled[0] > 0 and spelled[0] == spelled[1] and spelled[2] == plain[2]
