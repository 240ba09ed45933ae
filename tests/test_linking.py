"""Linking chats to a platform account: tokens issued, redeemed once, ratings shared."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.linking import LinkError, LinkTokens, linked_text
from bot.profiles import ProfileStore


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore.in_folder(tmp_path)


@pytest.fixture
def links(store: ProfileStore) -> LinkTokens:
    return LinkTokens("server secret", store)


def test_linked_sessions_share_the_accounts_ratings(store: ProfileStore, links: LinkTokens) -> None:
    store.give("web:a", 1, 5.0)
    linked = links.redeem(links.issue("alice").token, "web:a")
    assert (linked.account, linked.ratings, linked.fresh) == ("alice", 1, True)
    store.give("telegram:9", 2, 2.0)  # a chat that had ratings of its own before linking
    assert links.redeem(links.issue("alice").token, "telegram:9").ratings == 2
    for session in ("web:a", "telegram:9"):
        assert store.load(session).ratings == {1: 5.0, 2: 2.0}
        assert store.load(session).account == "alice"
    store.give("web:a", 3, 4.0)
    store.forget("telegram:9", 1)
    assert store.load("telegram:9").ratings == {2: 2.0, 3: 4.0}
    assert store.load("web:b").ratings == {}  # an unlinked session sees nothing of it


def test_the_newest_rating_wins_when_a_session_joins(
    store: ProfileStore, links: LinkTokens
) -> None:
    store.give("web:a", 1, 5.0)
    links.redeem(links.issue("alice").token, "web:a")
    time.sleep(0.01)
    store.give("web:b", 1, 1.5)  # rated again later, elsewhere, before linking
    links.redeem(links.issue("alice").token, "web:b")
    assert store.load("web:a").ratings == {1: 1.5}


def test_forgetting_a_session_keeps_the_accounts_ratings(
    store: ProfileStore, links: LinkTokens
) -> None:
    links.redeem(links.issue("alice").token, "web:a")
    store.give("web:a", 1, 4.0)
    store.reset("web:a")
    assert store.load("web:a").ratings == {} and store.load("web:a").account is None
    links.redeem(links.issue("alice").token, "web:c")
    assert store.load("web:c").ratings == {1: 4.0}


def test_a_token_links_one_session_once(store: ProfileStore, links: LinkTokens) -> None:
    token = links.issue("alice").token
    assert len(token) == 38 and token.replace("-", "").replace("_", "").isalnum()
    links.redeem(token, "web:a")
    again = links.redeem(token, "web:a")  # the same page reloaded with the token in its address
    assert again.fresh is False and again.account == "alice"
    with pytest.raises(LinkError, match="used already"):
        links.redeem(token, "web:mallory")
    assert store.load("web:mallory").account is None


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # altered signature
        lambda t: "B" + t[1:] if t[0] != "B" else "C" + t[1:],  # altered random part
        lambda t: "x" * 38,
        lambda t: "",
        lambda t: t + "extra",
    ],
)
def test_a_forged_token_is_refused(store: ProfileStore, links: LinkTokens, forge) -> None:  # type: ignore[no-untyped-def]
    token = links.issue("alice").token
    with pytest.raises(LinkError, match="not a link token from this service"):
        links.redeem(forge(token), "web:a")
    other_server = LinkTokens("another secret", store)
    with pytest.raises(LinkError, match="not a link token from this service"):
        other_server.redeem(token, "web:a")
    assert store.load("web:a").account is None


def test_an_expired_token_is_refused(store: ProfileStore, links: LinkTokens, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = links.issue("alice", ttl=30).token
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 31)
    with pytest.raises(LinkError, match="expired"):
        links.redeem(token, "web:a")


@pytest.mark.parametrize("account", ["", "a b", "x" * 129, "<script>", "ü"])
def test_an_account_id_must_be_plain(links: LinkTokens, account: str) -> None:
    with pytest.raises(LinkError, match="account"):
        links.issue(account)


def test_linked_text_says_what_happened(store: ProfileStore, links: LinkTokens) -> None:
    store.give("web:a", 1, 5.0)
    text = linked_text(links.redeem(links.issue("alice").token, "web:a"))
    assert text.startswith("Linked to your account (alice).") and "1 rating so far" in text
