"""Profiles in a real PostgreSQL server: what one worker writes, every other worker reads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.profiles import GROUP_LIMIT, GroupError, ProfileStore
from recommender.errors import MovieBotError


@pytest.fixture
def stores(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Two stores on one database, as two app workers have them."""
    first = ProfileStore.in_folder(tmp_path / "a", database_url)
    second = ProfileStore.in_folder(tmp_path / "b", database_url)
    yield first, second
    first.close()
    second.close()


def test_a_profile_round_trips(stores: tuple[ProfileStore, ProfileStore]) -> None:
    store, _ = stores
    store.give("s1", 318, 4.5)
    store.give("s1", 296, 2.0, "dislike")
    store.give("s1", 318, 5.0)  # replaced, not added
    store.mark("s1", 1, "watchlist")
    store.save_state("s1", {"genres": ["Comedy"]})
    for i in range(50):
        store.append("s1", "user" if i % 2 == 0 else "assistant", f"message {i}")
    profile = store.load("s1")
    assert profile.ratings == {318: 5.0, 296: 2.0}
    assert profile.given[296].kind == "dislike"
    assert profile.watchlist == [1] and profile.state == {"genres": ["Comedy"]}
    history = store.history("s1")
    assert len(history) == 40 and history[-1] == ("assistant", "message 49")
    assert store.forget("s1", 296) and not store.forget("s1", 296)
    store.reset("s1")
    assert store.load("s1").ratings == {}


def test_two_workers_share_ratings_groups_and_the_key(
    stores: tuple[ProfileStore, ProfileStore],
) -> None:
    one, two = stores
    one.give("web:abc", 2571, 4.0)
    assert two.load("web:abc").ratings == {2571: 4.0}
    assert one.secret() == two.secret() and len(one.secret()) >= 32
    group = one.create_group("web:abc", "Ana")
    joined = two.join_group(group.code, "web:def", "Ben")
    assert [m.name for m in joined.members] == ["Ana", "Ben"]
    assert one.group_of("web:def") is not None


def test_a_group_never_overfills_when_workers_race(
    stores: tuple[ProfileStore, ProfileStore],
) -> None:
    one, two = stores
    code = one.create_group("host", "Host").code
    refused: list[str] = []

    def join(store: ProfileStore, who: str) -> None:
        try:
            store.join_group(code, who, who)
        except GroupError as err:
            refused.append(str(err))

    threads = [
        threading.Thread(target=join, args=(one if i % 2 else two, f"guest{i}")) for i in range(12)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    group = one.group_of("host")
    assert group is not None and len(group.members) == GROUP_LIMIT
    assert len(refused) == 12 + 1 - GROUP_LIMIT


def test_a_restarted_server_is_reconnected(postgres, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = ProfileStore.in_folder(tmp_path, database_url)
    store.give("s", 1, 4.0)
    postgres.restart()
    store.give("s", 2, 3.0)  # the old connection died with the server
    assert store.load("s").ratings == {1: 4.0, 2: 3.0}


def test_an_unreachable_database_is_said_in_words(tmp_path: Path) -> None:
    with pytest.raises(MovieBotError) as err:
        ProfileStore.in_folder(tmp_path, "postgresql://me:hunter2@127.0.0.1:1/nothing")
    message = str(err.value)
    assert "Cannot reach the profile database" in message and "MOVIEBOT_DATABASE_URL" in message
    assert "hunter2" not in message


def test_a_url_that_is_not_postgres_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MovieBotError, match="postgresql://"):
        ProfileStore.in_folder(tmp_path, "mysql://me@localhost/db")
