"""Movie cards, the watchlist and the seen list: store, service and wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cards import Card, card_markdown, why_line
from bot.nlu import Understander
from bot.profiles import ProfileStore
from bot.session import ChatService
from recommender.catalog import MovieLinks
from recommender.results import Reasons

HEAT = 6  # MovieLens movieId of Heat (1995): imdb tt0113277, tmdb 949


@pytest.fixture
def service(engine, tmp_path: Path) -> ChatService:  # type: ignore[no-untyped-def]
    return ChatService(
        engine, ProfileStore(tmp_path / "p.sqlite3"), None, Understander(engine.catalog)
    )


def test_marks_are_kept_per_person_and_follow_a_linked_account(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.sqlite3")
    store.mark("phone", 1, "watchlist")
    store.mark("phone", 2, "watchlist")
    store.mark("phone", 3, "seen")
    assert store.load("phone").watchlist == [2, 1]  # newest first
    assert store.load("phone").seen == [3]
    store.mark("phone", 1, "watchlist", on=False)
    assert store.load("phone").watchlist == [2]
    store.link("phone", "acct")
    store.mark("laptop", 5, "seen")
    store.link("laptop", "acct")
    assert store.load("laptop").watchlist == [2] and sorted(store.load("laptop").seen) == [3, 5]
    store.reset("laptop")  # unlinked; the account keeps its lists
    assert store.load("laptop").watchlist == [] and store.load("phone").watchlist == [2]


def test_a_card_carries_links_prediction_and_why(service: ChatService, engine) -> None:  # type: ignore[no-untyped-def]
    (fresh,) = service.cards("new", [HEAT])
    assert fresh.links == MovieLinks(
        "https://www.imdb.com/title/tt0113277/", "https://www.themoviedb.org/movie/949", 949
    )
    assert fresh.predicted_stars is None  # nothing known of this person yet
    assert "MovieLens average" in card_markdown(fresh)
    service.rate("new", "Ronin", 5.0)
    service.rate("new", "Collateral", 4.5)
    (card,) = service.cards("new", [HEAT])
    assert card.predicted_stars is not None and 0.5 <= card.predicted_stars <= 5.0
    text = card_markdown(card)
    assert "**Heat (1995)**" in text and "Predicted for you" in text and "[IMDb](" in text


def test_watchlisted_and_seen_movies_are_not_suggested_again(service: ChatService) -> None:
    service.rate("me", "Heat", 5.0)
    first = [p.movie.movieId for p in service.recommend("me", k=10).picks]
    kept = service.mark("me", first[0], "watchlist")
    seen = service.mark("me", first[1], "seen")
    assert kept.watchlist and seen.seen and "on your watchlist" in card_markdown(kept)
    again = [p.movie.movieId for p in service.recommend("me", k=10).picks]
    assert first[0] not in again and first[1] not in again
    assert [c.movie_id for c in service.watchlist("me")] == [first[0]]
    service.mark("me", first[0], "watchlist", on=False)
    assert service.watchlist("me") == []


def test_why_words_the_reasons_and_labels_the_average() -> None:
    reasons = Reasons(predicted_stars=4.2, because_you_liked=["Heat (1995)", "Ronin (1998)"])
    assert why_line(reasons, personal=True) == (
        "Like Heat (1995) and Ronin (1998), which you enjoyed."
    )
    crowd = Reasons(predicted_stars=3.9, n_ratings=1, mean_rating=3.9, neighbours_loved=1)
    assert why_line(crowd, personal=True) == "1 viewer with your taste loved it."
    assert why_line(crowd, personal=False) == ""  # the average is on the card already
    card = Card(1, "Up (2009)", 2009, ("Animation",), None, "", MovieLinks(), 3.9, 1)
    assert card_markdown(card) == "**Up (2009)** · Animation  \nMovieLens average 3.9/5"


def test_the_chat_saves_for_later_ranks_the_list_and_marks_seen(service: ChatService) -> None:
    service.send("c", "I loved Heat and Ronin")
    first = next(iter(service.send("c", "recommend me something").picks))
    title = service.engine.catalog.display(first)
    saved = service.send("c", "save the first one for later")
    assert f"Saved {title} for later" in saved.text, saved.text
    toy = service.engine.resolve("Toy Story")
    service.send("c", "add Toy Story to my watchlist")
    assert service.store.load("c").watchlist == [toy, first]
    listed = service.send("c", "what should I watch tonight from my list?")
    assert "From your watchlist, best first for you" in listed.text and title in listed.text
    assert set(listed.movies) == {first, toy}  # the page shows them as cards
    seen = service.send("c", "I've seen Toy Story")
    assert "leave it out" in seen.text
    profile = service.store.load("c")
    assert profile.seen == [toy] and profile.watchlist == [first]
    again = service.send("c", "recommend me something")
    assert first not in again.picks and toy not in again.picks
    empty = service.send("fresh", "what's on my watchlist?")
    assert "Your watchlist is empty" in empty.text


def test_saving_a_pick_with_a_new_constraint_also_answers_it(service: ChatService) -> None:
    service.send("k", "I loved Gone Girl and Zodiac, what should I watch?")
    second = list(service.send("k", "recommend me something").picks)[1]
    reply = service.send("k", "save the second one for later, and something older, before 1990")
    assert service.store.load("k").watchlist == [second]
    years = [service.engine.catalog.movie(m).year or 0 for m in reply.picks if m != second]
    assert years and max(years) <= 1989, reply.text
