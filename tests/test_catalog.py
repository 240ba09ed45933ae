"""The real catalogue, and titles typed the way people type them."""

from __future__ import annotations

import pytest

from recommender.errors import AmbiguousTitleError, UnknownTitleError


def test_real_counts(catalog) -> None:  # type: ignore[no-untyped-def]
    assert len(catalog.ratings) == 100_836
    assert catalog.n_users == 610
    assert len(catalog.movies) == 9_742
    assert len(catalog.tags) == 3_683
    assert catalog.report.total_skipped == 0
    assert sum(catalog.rating_distribution().values()) == 100_836


def test_display_titles_read_the_way_people_write_them(catalog) -> None:  # type: ignore[no-untyped-def]
    assert catalog.display(2571) == "The Matrix (1999)"
    movie = catalog.movie(2571)
    assert movie.display == "The Matrix (1999)" and "Sci-Fi" in movie.genres
    assert movie.n_ratings == 278 and 4.0 < movie.mean_rating < 4.3


@pytest.mark.parametrize(
    "typed", ["Matrix, The (1999)", "the matrix", "The Matrix 1999", "THE MATRIX (1999)", "matrix"]
)
def test_titles_resolve_in_either_form(catalog, typed: str) -> None:  # type: ignore[no-untyped-def]
    assert catalog.resolve(typed) == 2571


def test_alternative_titles_and_accents_resolve(catalog) -> None:  # type: ignore[no-untyped-def]
    amelie = catalog.resolve("Amélie")
    assert catalog.resolve("amelie") == amelie
    assert catalog.resolve("Fabuleux destin d'Amélie Poulain") == amelie
    assert catalog.resolve("Se7en") == catalog.resolve("Seven (1995)")


def test_titles_that_look_like_years(catalog) -> None:  # type: ignore[no-untyped-def]
    assert catalog.display(catalog.resolve("Blade Runner 2049")) == "Blade Runner 2049 (2017)"
    assert (
        catalog.display(catalog.resolve("2001: A Space Odyssey")) == "2001: A Space Odyssey (1968)"
    )


def test_unknown_title_suggests_the_closest(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownTitleError) as err:
        catalog.resolve("the matrx")
    assert err.value.suggestions[0] == "The Matrix (1999)"
    assert "Did you mean The Matrix (1999)" in str(err.value)


def test_nonsense_title_has_no_suggestions_but_a_clear_message(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownTitleError, match="I don't know a movie called 'zzqxv'"):
        catalog.resolve("zzqxv")


def test_ambiguous_title_is_resolved_by_year(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AmbiguousTitleError) as err:
        catalog.resolve("Hamlet")
    assert len(err.value.candidates) >= 2 and "Add the year" in str(err.value)
    assert catalog.display(catalog.resolve("Hamlet (1996)")) == "Hamlet (1996)"
    assert catalog.display(catalog.resolve("hamlet 1990")) == "Hamlet (1990)"


def test_the_exact_title_wins_over_one_with_an_article(catalog) -> None:  # type: ignore[no-untyped-def]
    assert catalog.display(catalog.resolve("Arrival")) == "Arrival (2016)"
    assert catalog.display(catalog.resolve("The Arrival")) == "The Arrival (1996)"


def test_a_far_more_rated_original_wins_over_its_remake(catalog) -> None:  # type: ignore[no-untyped-def]
    # Several movies are called "Heat"; the 1995 one has far more ratings than the others.
    assert catalog.display(catalog.resolve("heat")) == "Heat (1995)"


def test_wrong_year_suggests_the_right_one(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownTitleError) as err:
        catalog.resolve("Heat (1994)")
    assert "Heat (1995)" in err.value.suggestions


def test_every_title_resolves_exactly_as_movielens_writes_it(catalog, ml_small) -> None:  # type: ignore[no-untyped-def]
    """'City of God (Cidade de Deus) (2002)', 'Seven (a.k.a. Se7en) (1995)': every raw title."""
    import pandas as pd

    raw = pd.read_csv(ml_small / "movies.csv")
    wrong = []
    for movie_id, title in zip(raw["movieId"], raw["title"], strict=True):
        try:
            found = catalog.resolve(title)
        except (UnknownTitleError, AmbiguousTitleError) as err:
            wrong.append(f"{title}: {err}")
            continue
        # MovieLens lists a few films twice (same title and year); either id is that film.
        if found != movie_id and catalog.display(found) != catalog.display(movie_id):
            wrong.append(f"{title}: resolved to {catalog.display(found)}")
    assert wrong == []
    assert catalog.resolve("City of God (Cidade de Deus) (2002)") == 6016
    assert catalog.display(catalog.resolve("Seven (a.k.a. Se7en) (1995)")) == "Seven (1995)"
    assert catalog.resolve("Cidade de Deus") == 6016


def test_spaces_aside_a_title_is_the_film_people_mean(catalog) -> None:  # type: ignore[no-untyped-def]
    """ "Oldboy" is Old Boy (2003), far more watched than the 2013 remake written as one word;
    numbers stay apart ("3 1" is not "31")."""
    assert catalog.display(catalog.resolve("Oldboy")) == "Old Boy (2003)"
    assert catalog.display(catalog.resolve("Oldboy (2013)")) == "Oldboy (2013)"
    assert catalog.display(catalog.resolve("spiderman")) == "Spider-Man (2002)"
    with pytest.raises(UnknownTitleError):
        catalog.resolve("3 1")
