"""The opinion reader on hand-placed titles: no catalogue needed, so these run anywhere."""

from __future__ import annotations

import pytest

from bot.opinions import Named, Sentiment, find_stars, read_opinions

LIKE, DISLIKE, NEUTRAL = Sentiment.LIKE, Sentiment.DISLIKE, Sentiment.NEUTRAL


def named(text: str, *titles: str) -> list[Named]:
    """Each title at its first place in ``text``, numbered 1, 2, ... as movie ids."""
    return [Named(i, text.index(t), t) for i, t in enumerate(titles, 1)]


def read(
    text: str, *titles: str, default: Sentiment = LIKE
) -> list[tuple[Sentiment, float | None]]:
    return [(o.sentiment, o.stars) for o in read_opinions(text, named(text, *titles), default)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4/5", 4.0),
        ("8/10", 4.0),
        ("3.5/5", 3.5),
        ("10/10", 5.0),
        ("3 out of 5", 3.0),
        ("5 stars", 5.0),
        ("1 star", 1.0),
        ("five stars", 5.0),
        ("three and a half stars", 3.5),
        ("★★★★", 4.0),
        ("★★★★½", 4.5),
        ("⭐⭐⭐", 3.0),
        ("⭐️⭐️", 2.0),
    ],
)
def test_star_notations(text: str, value: float) -> None:
    assert [s.value for s in find_stars(f"Heat {text}")] == [value]


def test_out_of_range_stars_are_kept_for_the_rating_tool_to_refuse() -> None:
    assert [s.value for s in find_stars("rate Heat 11 stars")] == [11.0]


def test_each_title_takes_its_own_stars() -> None:
    assert read("I'd give Heat 4/5 and Collateral 3.5/5", "Heat", "Collateral") == [
        (LIKE, 4.0),
        (LIKE, 3.5),
    ]
    assert read("Heat: 8/10\nRonin: 7/10", "Heat", "Ronin") == [(LIKE, 4.0), (LIKE, 3.5)]
    assert read("★★★★ for Heat, ★★ for Miami Vice", "Heat", "Miami Vice") == [
        (LIKE, 4.0),
        (LIKE, 2.0),
    ]
    assert read(
        "Forrest Gump 5, The Green Mile 4.5, Cast Away 4",
        "Forrest Gump",
        "The Green Mile",
        "Cast Away",
    ) == [
        (LIKE, 5.0),
        (LIKE, 4.5),
        (LIKE, 4.0),
    ]


def test_clause_level_sentiment() -> None:
    assert read("loved Alien but hated Prometheus", "Alien", "Prometheus") == [
        (LIKE, None),
        (DISLIKE, None),
    ]
    text = "Titanic was way too long and cheesy, but I loved Gladiator. Recommendations?"
    assert read(text, "Titanic", "Gladiator") == [(DISLIKE, None), (LIKE, None)]
    text = "I don't get the hype around Avatar, but District 9 and Children of Men were brilliant"
    assert read(text, "Avatar", "District 9", "Children of Men") == [
        (DISLIKE, None),
        (LIKE, None),
        (LIKE, None),
    ]


def test_a_list_after_an_opinion_shares_it() -> None:
    assert (
        read("My favourites: Alien, Blade Runner, The Thing", "Alien", "Blade Runner", "The Thing")
        == [(LIKE, None)] * 3
    )
    text = "Movies I hated:\nTwilight\nCats"
    assert read(text, "Twilight", "Cats") == [(DISLIKE, None), (DISLIKE, None)]


def test_emoji_after_a_title() -> None:
    assert read("Shrek 👍 Cars 👎 Frozen 👍", "Shrek", "Cars", "Frozen") == [
        (LIKE, None),
        (DISLIKE, None),
        (LIKE, None),
    ]


def test_a_later_clause_about_it_decides() -> None:
    text = "My girlfriend loves The Notebook, I couldn't stand it"
    assert read(text, "The Notebook") == [(DISLIKE, None)]
    # ... unless it is someone else's: the person's own verdict stands
    text = "i hated La La Land but my gf loved it, we want something we'd both like"
    assert read(text, "La La Land") == [(DISLIKE, None)]
    assert read("Dune bored me to tears but my brother loved it", "Dune") == [(DISLIKE, None)]


def test_lukewarm_and_questions_store_nothing() -> None:
    assert read("Die Hard 2 was fine", "Die Hard 2") == [(NEUTRAL, None)]
    assert read("why did you recommend Titanic?", "Titanic", default=NEUTRAL) == [(NEUTRAL, None)]


def test_the_sequels_take_the_opinion_of_their_clause() -> None:
    text = "The Hangover was funny, the sequels not so much"
    opinions = read_opinions(text, named(text, "The Hangover"), LIKE, lambda m: [7, 8])
    assert [(o.movie_id, o.sentiment) for o in opinions] == [(1, LIKE), (7, DISLIKE), (8, DISLIKE)]


def test_a_number_is_read_whole_or_not_at_all() -> None:
    """ "1e309 stars" is not 9 stars (the tail of a longer number), nor is "2.75 stars" 75."""
    assert find_stars("rate Heat 1e309 stars") == []
    assert [s.value for s in find_stars("rate Heat 2.75 stars")] == []
    assert [s.value for s in find_stars("Heat 10/10, Up 3.5/5")] == [5.0, 3.5]


def test_a_short_verdict_after_a_bare_title_is_its_verdict() -> None:
    text = "Alien and Aliens are both perfect. Alien 3, not so much"
    assert read(text, "Alien", "Aliens", "Alien 3") == [(LIKE, None), (LIKE, None), (DISLIKE, None)]
    text = "Avatar looked great but the story was boring. Infinity War on the other hand I loved"
    assert read(text, "Avatar", "Infinity War") == [(DISLIKE, None), (LIKE, None)]
    text = "watched The Hangover, which I found pretty dumb, then Superbad which was way better"
    assert read(text, "The Hangover", "Superbad") == [(DISLIKE, None), (LIKE, None)]


def test_films_someone_says_to_watch_are_not_yet_judged() -> None:
    text = "My brother says I should start with The Godfather but it's three hours long"
    assert read(text, "The Godfather") == [(NEUTRAL, None)]
    text = "I've been meaning to watch Drive for ages"
    assert read(text, "Drive") == [(NEUTRAL, None)]
    assert read("Get Out was phenomenal", "Get Out") == [(LIKE, None)]
