"""Group nights: the aggregations, reading who is watching, share codes, and the whole turn."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from bot.groups import is_group, join_code, read_group
from bot.nlu import Intent, Understander
from bot.profiles import GROUP_TTL, GroupError, ProfileStore
from bot.session import ChatService
from recommender.engine import GroupMember, Taste
from recommender.groups import Aggregation, aggregate, standings
from recommender.ranking import Filters

# --- the aggregations, on numbers small enough to check by hand -----------------------------

UTILITY = np.array(
    [
        [2.0, 1.0, -1.0, 0.5],  # member 0
        [-1.5, 0.9, 2.5, 0.5],  # member 1
    ]
)


def test_each_aggregation_ranks_as_its_formula_says() -> None:
    def best(how: Aggregation) -> int:
        return int(np.argmax(aggregate(UTILITY, how)))

    assert best(Aggregation.AVERAGE) == 1  # means 0.25, 0.95, 0.75, 0.5
    assert best(Aggregation.LEAST_MISERY) == 1  # minima -1.5, 0.9, -1.0, 0.5
    assert best(Aggregation.MOST_PLEASURE) == 2  # maxima 2.0, 1.0, 2.5, 0.5
    assert best(Aggregation.MULTIPLICATIVE) == 1
    # least misery compares minima in steps of 0.1, then the average breaks the tie
    tied = np.array([[0.51, 0.55], [3.0, 0.56]])  # minima 0.51 and 0.55: one step
    assert int(np.argmax(aggregate(tied, Aggregation.LEAST_MISERY))) == 0


def test_standings_are_percentiles_among_the_candidates() -> None:
    mask = np.array([True, True, False, True])
    out = standings(np.array([3.0, 1.0, 99.0, 2.0]), mask)
    assert out.tolist() == [1.0, 0.0, 0.0, 0.5]


# --- reading who is watching ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We're three: me, Ana (loves horror) and Ben (hates subtitles)",
            [("you", ""), ("Ana", "loves horror"), ("Ben", "hates subtitles")],
        ),
        (
            "movie night with my wife who loves romantic comedies and my son who likes superheroes",
            [("my wife", "loves romantic comedies"), ("my son", "likes superheroes")],
        ),
        (
            "group night: Tom hates horror, Lisa loves musicals, I'm into westerns",
            [("Tom", "hates horror"), ("Lisa", "loves musicals"), ("you", "into westerns")],
        ),
        (
            "We're two: me (I like thrillers) and Maya (no gore, no subtitles)",
            [("you", "I like thrillers"), ("Maya", "no gore, no subtitles")],
        ),
    ],
)
def test_members_and_their_words_are_read(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.name, m.words) for m in read_group(text).members] == expected
    assert is_group(text)


def test_a_title_with_and_is_one_film_not_two_people() -> None:
    text = "date night! she loves Pride and Prejudice and I love The Matrix"
    start = text.index("Pride")
    ask = read_group(text, [(start, start + len("Pride and Prejudice"))])
    assert [(m.name, m.words) for m in ask.members] == [
        ("her", "loves Pride and Prejudice"),
        ("you", "love The Matrix"),
    ]


def test_a_pronoun_is_the_person_just_named() -> None:
    ask = read_group("movie night with my sister, she loves musicals and can't stand gore")
    assert [(m.name, m.words) for m in ask.members] == [
        ("my sister", "loves musicals and can't stand gore")
    ]
    assert ask.members[0].excluded_genres == ("Horror",)


def test_subtitles_are_a_constraint_not_a_taste() -> None:
    maya = read_group("We're two: me and Maya (no gore, no subtitles)").members[1]
    assert maya.no_subtitles and maya.taste_words == "no gore"
    assert not read_group("we're two: Ana (loves subtitled films)").members[0].no_subtitles


@pytest.mark.parametrize(
    "text",
    [
        "I loved Inception and The Matrix, what should I watch next?",
        "me and my wife loved Up",
        "We had a movie night with friends and watched The Hangover",
        "Date night tomorrow, we want something romantic",
        "I'm three hours into Lawrence of Arabia",
    ],
)
def test_messages_about_one_person_are_not_groups(text: str) -> None:
    assert not is_group(text)


def test_join_codes_are_read_loosely() -> None:
    assert join_code("join K7Q-4XM") == "K7Q-4XM"
    assert join_code("Join group k7q4xm.") == "k7q4xm"
    assert join_code("I'd join you for Heat") is None


# --- share codes ------------------------------------------------------------------------------


def test_a_group_is_joined_by_code_and_left(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.sqlite3")
    group = store.create_group("host", "Ana")
    assert len(group.code) == 6 and group.display_code[3] == "-"
    joined = store.join_group(group.display_code.lower(), "web:2")
    assert [(m.session_id, m.name) for m in joined.members] == [
        ("host", "Ana"),
        ("web:2", "Guest 2"),
    ]
    assert store.group_of("web:2") == joined  # the same group, seen from either side
    with pytest.raises(GroupError, match="No group has the code"):
        store.join_group("ZZZZZZ", "web:3")
    assert store.leave_group("web:2") and store.group_of("web:2") is None
    assert store.leave_group("host") and not store.leave_group("host")
    with pytest.raises(GroupError):  # the last one out closes it
        store.join_group(group.code, "web:2")


def test_an_expired_code_is_refused_with_the_reason(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.sqlite3")
    group = store.create_group("host", "Host")
    with store._write() as db:
        db.execute("UPDATE groups SET expires = ?", (time.time() - 1,))
    with pytest.raises(GroupError, match="expired"):
        store.join_group(group.code, "late")
    assert GROUP_TTL == 7 * 86400


# --- the engine and the whole turn (real ml-latest-small build) -----------------------------


@pytest.fixture
def service(engine, tmp_path: Path) -> ChatService:  # type: ignore[no-untyped-def]
    return ChatService(
        engine, ProfileStore(tmp_path / "p.sqlite3"), None, Understander(engine.catalog)
    )


def test_group_picks_leave_out_what_anyone_rated_and_explain_each_person(engine) -> None:  # type: ignore[no-untyped-def]
    alien, toy = engine.resolve("Alien"), engine.resolve("Toy Story")
    amelie = engine.resolve("Amelie")
    members = [
        GroupMember("you", Taste(None, {alien: 5.0, toy: 4.5})),
        GroupMember("Ana", text="horror"),
        GroupMember("Ben", Taste(None, {amelie: 5.0})),
    ]
    result = engine.group_recommend(members, k=8)
    picked = [p.movie.movieId for p in result.picks]
    assert len(picked) == 8 and not {alien, toy, amelie} & set(picked)
    for pick in result.picks:
        assert [f.name for f in pick.fits] == ["you", "Ana", "Ben"]
        assert all(0.0 <= f.standing <= 1.0 for f in pick.fits)
    assert np.mean([p.fits[1].standing for p in result.picks]) > 0.9  # Ana is heard


def test_no_subtitles_keeps_to_english_language_films(engine) -> None:  # type: ignore[no-untyped-def]
    amelie = engine.resolve("Amelie")
    members = [GroupMember("you", Taste(None, {amelie: 5.0})), GroupMember("Ben")]
    free = engine.group_recommend(members, k=10)
    assert any(
        engine._subtitled[engine.models.matrix.item_cols(np.array([p.movie.movieId]))[0]]
        for p in free.picks
    )
    kept = engine.group_recommend(members, k=10, filters=Filters(no_subtitles=True))
    cols = engine.models.matrix.item_cols(np.array([p.movie.movieId for p in kept.picks]))
    assert not engine._subtitled[cols].any()


def test_a_group_message_answers_for_everyone(service: ChatService, engine) -> None:  # type: ignore[no-untyped-def]
    service.rate("me", "Alien", 5.0)
    assert (
        service.nlu.parse("We're three: me, Ana (loves horror) and Ben (hates subtitles)").intent
        is Intent.GROUP
    )
    reply = service.send("me", "We're three: me, Ana (loves horror) and Ben (hates subtitles)")
    assert reply.text.startswith("For you, Ana and Ben (no subtitles)")
    lines = [line for line in reply.text.splitlines() if line[:2] in {"1.", "2.", "3."}]
    assert len(lines) == 3 and all("Ana: fits “loves horror”" in line for line in lines)
    assert all("you: ~" in line and "Ben: " in line for line in lines)
    assert set(service.store.load("me").ratings) == {engine.resolve("Alien")}  # nothing new


def test_a_share_code_brings_the_other_persons_ratings(service: ChatService) -> None:
    started = service.send("host", "start a group night").text
    code = started.split("**")[1]
    joined = service.send("guest", f"join {code}").text
    assert joined.startswith(f"You're in group {code} as Guest 2 with Host")
    service.rate("guest", "Amelie", 5.0)
    service.rate("host", "Die Hard", 5.0)
    reply = service.send("host", "group night").text
    assert reply.startswith("For you and Guest 2") and "Guest 2: ~" in reply
    assert "Amelie" not in reply.split("\n", 1)[1].split(":")[0]
    wrong = service.send("other", "join ABC-234").text
    assert wrong == "No group has the code ABC234."
