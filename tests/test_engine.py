"""The engine over the real data and models: every question, every bad input."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.engine import Engine, Taste
from recommender.errors import (
    AmbiguousTitleError,
    MovieBotError,
    RatingRangeError,
    UnknownTitleError,
    UnknownUserError,
)
from recommender.ranking import Filters, franchise_key


def _ids(result) -> list[int]:  # type: ignore[no-untyped-def]
    return [p.movie.movieId for p in result.picks]


def test_known_user_gets_unseen_picks_with_reasons(engine: Engine) -> None:
    result = engine.recommend(Taste(user_id=414), k=10)
    assert result.basis == "known user" and len(result.picks) == 10
    seen = set(engine.catalog.ratings.loc[engine.catalog.ratings.userId == 414, "movieId"])
    assert not seen & set(_ids(result))
    for pick in result.picks:
        reasons = pick.reasons.as_dict()
        assert 0.5 <= reasons["predicted_stars"] <= 5.0
        assert reasons["cluster"]["name"]
    assert any(p.reasons.because_you_liked for p in result.picks)
    assert any(p.reasons.neighbours_loved for p in result.picks)
    assert any(p.reasons.watched_alike for p in result.picks)  # the iALS component's reason
    scores = [p.score for p in result.picks]
    assert scores == sorted(scores, reverse=True)


def test_ten_picks_are_not_ten_sequels(engine: Engine) -> None:
    result = engine.recommend(
        engine.taste(
            likes=[
                "Toy Story",
                "Star Wars: Episode IV - A New Hope",
                "Harry Potter and the Sorcerer's Stone",
            ]
        ),
        k=10,
    )
    keys = [franchise_key(p.movie.title) for p in result.picks]
    assert len(keys) == len(set(keys))


def test_cold_start_from_liked_titles(engine: Engine) -> None:
    taste = engine.taste(likes=["Amélie", "Spirited Away", "The Matrix"])
    result = engine.recommend(taste, k=10)
    assert result.basis == "profile" and len(result.picks) == 10
    assert not {engine.resolve("Amélie"), engine.resolve("Spirited Away")} & set(_ids(result))
    assert any(p.reasons.because_you_liked for p in result.picks)


def test_a_rating_changes_the_very_next_recommendation(engine: Engine) -> None:
    taste = engine.taste(likes=["Toy Story", "Finding Nemo", "Shrek"])
    first = engine.recommend(taste, k=10)
    top = first.picks[0].movie.movieId
    after = engine.recommend(Taste(None, {**taste.ratings, top: 0.5}), k=10)
    assert top not in _ids(after)
    assert _ids(after) != _ids(first)


def test_a_dislike_sinks_similar_movies(engine: Engine) -> None:
    base = engine.taste(likes=["Pulp Fiction", "Fight Club", "The Matrix"])
    with_dislike = engine.taste(
        likes=["Pulp Fiction", "Fight Club", "The Matrix"], dislikes=["Toy Story"]
    )
    pixar = engine.resolve("Toy Story 2")
    before = engine.predict(base, pixar).stars
    after = engine.predict(with_dislike, pixar).stars
    assert after < before


def test_session_ratings_layer_on_a_known_user(engine: Engine) -> None:
    plain = engine.recommend(Taste(user_id=1), k=5)
    top = plain.picks[0].movie.movieId
    layered = engine.recommend(Taste(user_id=1, ratings={top: 1.0}), k=5)
    assert layered.basis == "profile" and top not in _ids(layered)
    assert engine.predict(Taste(user_id=1, ratings={top: 1.0}), top).already_rated == 1.0


def test_empty_profile_gets_popular_picks_and_says_so(engine: Engine) -> None:
    result = engine.recommend(Taste(), k=10)
    assert result.basis == "popular" and result.notes
    assert "popular" in result.notes[0]
    assert all(p.movie.n_ratings >= 50 for p in result.picks)


def test_only_dislikes_give_popular_picks_steered_away_from_them(engine: Engine) -> None:
    heat = engine.resolve("Heat")
    popular = _ids(engine.recommend(Taste(), k=10))
    steered = engine.recommend(Taste(ratings={heat: 1.0}), k=10)
    assert steered.basis == "steered" and "don't like" in steered.notes[0]
    near_heat = {m.movie.movieId for m in engine.also_liked(heat, k=30)}
    assert not near_heat & set(_ids(steered))
    assert near_heat & set(popular)  # the crime classics the plain popular list leads with
    assert all(p.reasons.predicted_stars >= 3.5 for p in steered.picks)


def test_filters_narrow_and_say_which_one_emptied(engine: Engine) -> None:
    taste = engine.taste(likes=["Toy Story"])
    result = engine.recommend(
        taste, filters=Filters(genres=["animation"], year_min=2000, year_max=2010), k=5
    )
    assert result.picks
    for pick in result.picks:
        assert "Animation" in pick.movie.genres and 2000 <= (pick.movie.year or 0) <= 2010
    empty = engine.recommend(taste, filters=Filters(genres=["Film-Noir"], year_min=2015), k=5)
    assert empty.picks == [] and "from 2015" in empty.notes[0]


def test_unknown_genre_lists_the_genres(engine: Engine) -> None:
    with pytest.raises(MovieBotError, match=r"The genres are: .*Sci-Fi"):
        engine.recommend(Taste(user_id=1), filters=Filters(genres=["spaghetti"]))
    assert engine.recommend(
        Taste(user_id=1), filters=Filters(genres=["science fiction"]), k=3
    ).picks


def test_unknown_user_gives_the_valid_range(engine: Engine) -> None:
    with pytest.raises(UnknownUserError, match="ids from 1 to 610"):
        engine.taste(user=9999)
    with pytest.raises(UnknownUserError):
        engine.recommend(Taste(user_id=0))


@pytest.mark.parametrize("stars", [11, 0, -1, 5.5, float("nan"), "lots"])
def test_ratings_outside_the_scale_are_refused_with_the_range(
    engine: Engine, stars: object
) -> None:
    with pytest.raises(RatingRangeError, match=r"from 0\.5 to 5 stars"):
        engine.check_rating(stars)  # type: ignore[arg-type]


def test_ratings_snap_to_half_stars(engine: Engine) -> None:
    assert engine.check_rating(3.7) == 3.5 and engine.check_rating("4") == 4.0  # type: ignore[arg-type]


def test_unknown_and_ambiguous_titles_are_typed_errors(engine: Engine) -> None:
    with pytest.raises(UnknownTitleError) as err:
        engine.taste(likes=["Heaat"])
    assert "Heat (1995)" in err.value.suggestions
    with pytest.raises(AmbiguousTitleError):
        engine.taste(likes=["Hamlet"])


def test_predict_explains_the_cold_case(engine: Engine) -> None:
    rated = engine.predict(Taste(user_id=1), "The Matrix")  # user 1 gave it 5 stars
    assert 0.5 <= rated.stars <= 5 and rated.already_rated == 5.0
    warm = engine.predict(Taste(user_id=1), "Amélie")
    assert 0.5 <= warm.stars <= 5 and warm.already_rated is None
    cold = engine.predict(Taste(), "The Matrix")
    assert cold.details["was_impossible"]


def test_also_liked_is_item_based(engine: Engine) -> None:
    similar = engine.also_liked("Amélie", k=10)
    assert len(similar) == 10
    assert engine.resolve("Amélie") not in [s.movie.movieId for s in similar]
    assert all(s.movie.n_ratings >= 10 for s in similar)
    sims = [s.similarity for s in similar]
    assert sims == sorted(sims, reverse=True)


def test_people_like_you(engine: Engine) -> None:
    people = engine.people_like(Taste(user_id=414), k=10)
    assert len(people.neighbours) == 10 and 414 not in [n["userId"] for n in people.neighbours]
    seen = set(engine.catalog.ratings.loc[engine.catalog.ratings.userId == 414, "movieId"])
    assert people.loved and not {m.movieId for m, _ in people.loved} & seen
    cold = engine.people_like(
        engine.taste(likes=["Toy Story", "Aladdin", "The Lion King"], dislikes=["Saw"]), k=5
    )
    assert cold.neighbours and all(n["common"] >= 3 for n in cold.neighbours)
    # Two movies in common is no shared taste (it used to show users at similarity 0.01).
    two = engine.people_like(engine.taste(likes=["Superbad", "Step Brothers"]), k=5)
    assert two.neighbours == [] and two.loved == []


def test_clusters_describe_people_in_words(engine: Engine) -> None:
    clusters = engine.clusters()
    assert 3 <= len(clusters) <= 12
    assert sum(c.cluster["size"] for c in clusters) == 610
    for info in clusters:
        assert info.cluster["name"] and info.signature
    mine = engine.cluster_of(
        engine.taste(likes=["Toy Story", "Aladdin", "The Lion King", "Beauty and the Beast"])
    )
    assert mine.yours and "Children" in mine.cluster["name"] + str(mine.cluster["loves"])
    curves = engine.models.clusters.curves
    assert set(curves) == {"inertia", "silhouette"} and len(curves["inertia"]) == len(
        curves["silhouette"]
    )


def test_tag_sentiment_ranks_praise_above_complaints(engine: Engine) -> None:
    sentiment = engine.models.sentiment
    assert sentiment.tag_scores["masterpiece"] > 0 > sentiment.tag_scores["boring"]
    info = engine.sentiment("Pulp Fiction")
    assert info.sentiment.n_tags > 0 and -1 <= info.sentiment.score <= 1
    none = engine.sentiment("Heat")
    assert none.sentiment.n_tags >= 0


def test_components_cover_every_signal(engine: Engine) -> None:
    row = engine.models.matrix.user_row(1)
    assert row is not None
    components = engine.models.components(row, engine.models.matrix.profile(row))
    assert set(components) == {
        "ease",
        "ials",
        "knn",
        "stars",
        "pop",
        "quality",
        "cluster",
        "sentiment",
    }
    assert all(
        len(v) == engine.models.matrix.n_items and np.isfinite(v).all() for v in components.values()
    )


def test_weights_were_learned_on_validation_data(engine: Engine) -> None:
    assert 0 < engine.models.validation_ndcg < 1
    assert engine.models.weights.ease == 1.0


def test_a_newcomers_picks_carry_the_viewing_history_reason(engine: Engine) -> None:
    taste = engine.taste(
        ratings={"Toy Story (1995)": 5, "Finding Nemo (2003)": 5, "Up (2009)": 4.5}
    )
    result = engine.recommend(taste, k=10)
    assert engine.models.weights.ials > 0
    assert any(p.reasons.watched_alike for p in result.picks)
    flat = [p.reasons.as_dict() for p in result.picks if p.reasons.watched_alike]
    assert all(r["watched_alike"] is True for r in flat)
