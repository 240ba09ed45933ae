"""The Telegram bot end to end: the real python-telegram-bot Application (long polling) against
a fake Bot API server on loopback, over the real engine and a fresh profile store."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.telegram import COMMANDS, SORRY, TEXT_ONLY, TelegramBot, split_message
from tests.fake_telegram import FakeTelegram, Sent

PICK_RE = re.compile(r"^\d+\. (.+? \(\d{4}\)):", re.MULTILINE)


@pytest.fixture
def service(engine, tmp_path):  # type: ignore[no-untyped-def]
    from bot.llm_config import LLMSettings
    from bot.session import open_service

    return open_service(engine, tmp_path / "userdata", LLMSettings())


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def run_bot(service: Any, fake: FakeTelegram, scenario: Callable[[], None]) -> None:
    """Start the real Application on the fake server, play ``scenario`` (blocking), stop."""

    async def main() -> None:
        app = TelegramBot(service).application("123456:TEST-TOKEN", fake.root)
        async with app:
            if app.post_init:
                await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                await asyncio.to_thread(scenario)
            finally:
                await app.updater.stop()
                await app.stop()

    asyncio.run(main())


def _picks(sent: Sent) -> list[str]:
    return PICK_RE.findall(sent.text.replace("&amp;", "&").replace("&#x27;", "'"))


def test_start_onboards_with_loved_films_and_registers_commands(service, fake) -> None:  # type: ignore[no-untyped-def]
    def scenario() -> None:
        fake.text(1, "/start")
        welcome = fake.wait_replies(1, 1)[0]
        assert "Tell me a few films you love" in welcome.text
        fake.text(1, "Heat, Alien and Amélie")
        answer = fake.wait_replies(1, 2)[1]
        assert "Noted: you love Heat (1995), Alien (1979), Amelie (2001)" in answer.text
        picks = _picks(answer)
        assert len(picks) >= 3 and "Heat (1995)" not in picks
        assert any(b["text"] == "👍" for b in answer.buttons)
        assert any(b["text"] == "5⭐" for b in answer.buttons)
        assert fake.sent(1, "sendChatAction")[0].params["action"] == "typing"

    run_bot(service, fake, scenario)
    commands = fake.sent(method="setMyCommands")[0].params["commands"]
    assert [c["command"] for c in commands] == [name for name, _ in COMMANDS]
    ratings = service.store.load("telegram:1").given
    assert {service.engine.catalog.display(m) for m in ratings} == {
        "Heat (1995)",
        "Alien (1979)",
        "Amelie (2001)",
    }


def test_onboarding_takes_a_description_or_a_skip(service, fake) -> None:  # type: ignore[no-untyped-def]
    def scenario() -> None:
        fake.text(2, "/start")
        fake.wait_replies(2, 1)
        fake.text(2, "a heist film with a twist")
        assert _picks(fake.wait_replies(2, 2)[1]) or "heist" in fake.sent(2)[1].text.lower()
        fake.text(3, "/start")
        fake.wait_replies(3, 1)
        fake.text(3, "/skip")
        assert len(_picks(fake.wait_replies(3, 2)[1])) >= 3

    run_bot(service, fake, scenario)


def test_a_button_tap_is_saved_acknowledged_and_changes_the_picks(service, fake) -> None:  # type: ignore[no-untyped-def]
    def scenario() -> None:
        fake.text(4, "/recommend")
        first = fake.wait_replies(4, 1)[0]
        top = _picks(first)[0]
        movie_id = service.engine.movie(top).movieId
        fake.tap(4, first, f"n:{movie_id}")
        ack = fake.wait(lambda: fake.sent(None, "answerCallbackQuery"))[0]
        assert ack.params["text"].startswith(f"Saved: {top}, 👎 Not for me")
        edit = fake.wait(lambda: fake.sent(4, "editMessageReplyMarkup"))[0]
        labels = [b["text"] for b in edit.buttons]
        assert f"✓ {top}: 👎 Not for me" in labels
        fake.tap(4, first, f"s5:{service.engine.movie(_picks(first)[1]).movieId}")
        fake.tap(4, first, f"i:{movie_id}")
        fake.tap(4, first, "x9:12")
        acks = fake.wait(lambda: len(s := fake.sent(None, "answerCallbackQuery")) >= 4 and s)
        texts = [a.params["text"] for a in acks]
        assert "Rate it with 👍, 👎 or the stars just below it." in texts
        assert "That button is out of date." in texts
        fake.text(4, "/recommend")
        second = _picks(fake.wait_replies(4, 2)[1])
        assert top not in second and second != _picks(first)

    run_bot(service, fake, scenario)
    given = service.store.load("telegram:4").given
    assert sorted(g.stars for g in given.values()) == [1.0, 5.0]


def test_a_pick_links_to_imdb_and_goes_on_the_watchlist(service, fake) -> None:  # type: ignore[no-untyped-def]
    def scenario() -> None:
        fake.text(6, "/recommend")
        first = fake.wait_replies(6, 1)[0]
        top = _picks(first)[0]
        movie_id = service.engine.movie(top).movieId
        urls = [b["url"] for b in first.buttons if "url" in b]
        assert len(urls) == len(_picks(first)) and urls[0].startswith(
            "https://www.imdb.com/title/tt"
        )
        fake.tap(6, first, f"w:{movie_id}")
        ack = fake.wait(lambda: fake.sent(None, "answerCallbackQuery"))[0]
        assert ack.params["text"].startswith(f"{top} is on your watchlist")
        edit = fake.wait(lambda: fake.sent(6, "editMessageReplyMarkup"))[0]
        assert "✓ On watchlist" in [b["text"] for b in edit.buttons]
        fake.text(6, "/watchlist")
        listed = fake.wait_replies(6, 2)[1].text.replace("&#x27;", "'").replace("&amp;", "&")
        assert top in listed and "imdb.com" in listed
        fake.text(6, "/recommend")
        assert top not in _picks(fake.wait_replies(6, 3)[2])  # kept, not suggested again

    run_bot(service, fake, scenario)
    assert len(service.store.load("telegram:6").watchlist) == 1


def test_a_pick_with_a_poster_is_a_photo_card(service, fake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from recommender.tmdb import DetailsCache
    from tests.fake_tmdb import movie_json

    catalog = service.engine.catalog
    top = catalog.movies.sort_values("n_ratings", ascending=False).index[:300]
    cache = DetailsCache.in_home(tmp_path)  # where open_service looks: MOVIEBOT_HOME/tmdb
    for movie_id in top:
        tmdb_id = catalog.links_of(int(movie_id)).tmdb_id
        if tmdb_id is not None:
            cache.put(tmdb_id, "ok", movie_json(tmdb_id))

    def scenario() -> None:
        fake.text(7, "/recommend")
        photos = fake.wait(lambda: len(p := fake.sent(7, "sendPhoto")) >= 3 and p)
        text = fake.sent(7)[0]
        assert not text.buttons  # every pick went out as its own photo card
        card = photos[0]
        assert card.params["photo"].startswith("https://image.tmdb.org/t/p/w342/poster")
        assert "<b>" in card.params["caption"] and "2h 00m" not in card.params["caption"]
        assert "1h 58m" in card.params["caption"] and "▶ Trailer" in card.params["caption"]
        labels = [b["text"] for b in card.buttons]
        assert "+ Watchlist" in labels and "5⭐" in labels

    run_bot(service, fake, scenario)


def test_commands_similar_rate_profile_help_reset(service, fake) -> None:  # type: ignore[no-untyped-def]
    def scenario() -> None:
        replies = iter(range(1, 100))
        for text, expected in [
            ("/similar Heat", "Heat (1995)"),
            ("/similar", "Which movie?"),
            ("/rate Heat 11", "0.5"),
            ("/rate Toy Strory 4", "Did you mean"),
            ("/rate Heat 4.5", "Saved: Heat (1995), 4.5★."),
            ("/profile", "Heat (1995)"),
            ("/help", "/recommend"),
            ("/reset", "I forgot everything"),
        ]:
            fake.text(5, text)
            reply = fake.wait_replies(5, next(replies))[-1]
            assert expected in reply.text.replace("&#x27;", "'"), (text, reply.text)
        fake.text(5, "/profile")
        assert "Heat" not in fake.wait_replies(5, next(replies))[-1].text

    run_bot(service, fake, scenario)


def test_link_and_a_deep_link_join_a_platform_account(service, fake) -> None:  # type: ignore[no-untyped-def]
    heat = service.engine.resolve("Heat (1995)")
    service.store.give("web:browser", heat, 5.0)
    service.link("web:browser", service.links.issue("acct-9").token)  # rated on the web first
    token, deep = service.links.issue("acct-9").token, service.links.issue("acct-9").token

    def scenario() -> None:
        replies = iter(range(1, 100))
        for text, expected in [
            ("/link", "Send /link and the token"),
            ("/link not-a-token", "not a link token from this service"),
            (f"/link {token}", "Linked to your account (acct-9)"),
            (f"/link {token}", "Linked to your account (acct-9)"),  # this chat, again: fine
            ("/profile", "Heat (1995)"),
        ]:
            fake.text(11, text)
            reply = fake.wait_replies(11, next(replies))[-1]
            assert expected in reply.text.replace("&#x27;", "'"), (text, reply.text)
        fake.text(12, f"/link {token}")  # another chat with the same token
        assert "used already" in fake.wait_replies(12, 1)[0].text
        fake.text(13, f"/start {deep}")  # https://t.me/<bot>?start=TOKEN
        linked, welcome = fake.wait_replies(13, 2)
        assert "Linked to your account (acct-9)" in linked.text
        assert "Tell me a few films you love" in welcome.text

    run_bot(service, fake, scenario)
    assert service.store.load("telegram:13").ratings == {heat: 5.0}
    assert service.store.load("telegram:12").ratings == {}


def test_a_long_message_a_sticker_and_html_in_titles(service, fake) -> None:  # type: ignore[no-untyped-def]
    def scenario() -> None:
        fake.text(6, "I loved Heat. " + "x" * 10_000)
        assert fake.wait_replies(6, 1)[0].text
        fake.sticker(6)
        assert fake.wait_replies(6, 2)[1].text == TEXT_ONLY
        fake.text(6, "<b>rate</b> <script>alert(1)</script> & Heat 5 stars")
        assert fake.wait_replies(6, 3)[2].text

    run_bot(service, fake, scenario)
    assert all(len(s.text) <= 4096 for s in fake.sent())  # the fake refuses longer ones anyway


def test_twenty_chats_at_once_get_their_own_replies_and_profiles(service, fake) -> None:  # type: ignore[no-untyped-def]
    titles = service.engine.catalog.movies.sort_values("n_ratings", ascending=False)
    movies = [str(d) for d in titles["display"].head(20)]

    def scenario() -> None:
        for chat, movie in enumerate(movies, start=100):  # free text: the agent, concurrently
            fake.text(chat, f"rate {movie} 5 stars")
        for chat in range(100, 120):
            fake.wait_replies(chat, 1)
        for chat in range(100, 120):
            fake.text(chat, "what do you know about me?")
        for chat, movie in enumerate(movies, start=100):
            saved, profile = fake.wait_replies(chat, 2)[:2]
            text = profile.text.replace("&amp;", "&").replace("&#x27;", "'")
            assert movie in saved.text.replace("&amp;", "&").replace("&#x27;", "'")
            assert movie in text
            assert not any(other in text for other in movies if other != movie)

    started = time.monotonic()
    run_bot(service, fake, scenario)
    assert time.monotonic() - started < 300
    assert {s.chat_id for s in fake.sent()} == set(range(100, 120))


def test_an_error_is_logged_and_the_person_gets_an_apology(service, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(session: str, message: str) -> Any:
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr(service, "send", broken)

    def scenario() -> None:
        fake.text(8, "recommend me something")
        assert fake.wait_replies(8, 1)[0].text == SORRY

    run_bot(service, fake, scenario)


def test_flood_control_is_waited_out(service, fake) -> None:  # type: ignore[no-untyped-def]
    fake.flood[7] = 1

    def scenario() -> None:
        fake.text(7, "/help")
        fake.wait_replies(7, 1)

    run_bot(service, fake, scenario)
    refused = fake.sent(7, "flood")[0]
    delivered = fake.sent(7)[0]
    assert delivered.at - refused.at >= 1.0


@pytest.mark.parametrize("size", [4096, 4097, 10_000, 30_000])
def test_long_replies_split_cleanly(size: int) -> None:
    import html

    text = html.escape(("Fast & Furious <3 " * 2000)[:size])
    pieces = split_message(text)
    assert all(0 < len(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    for piece in pieces:  # no entity cut in half
        assert not re.search(r"&[a-z]*$", piece) and not re.match(r"^[a-z]*;", piece)


def test_app_py_telegram_reaches_the_api_base_it_is_given(
    fake, real_env, real_build, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from tests.app_server import ROOT, linked_home

    home = linked_home(real_build[0].settings.artifacts_dir, tmp_path / "home")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MOVIEBOT_"))},
        **real_env,
        "MOVIEBOT_HOME": str(home),
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_BASE": fake.root + "/",
    }
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "-q", "telegram"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        fake.text(9, "/help")
        assert "/recommend" in fake.wait_replies(9, 1, timeout=240)[0].text
        assert fake.sent(method="setMyCommands")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
    assert f"moviebot on Telegram (long polling, {fake.root}/)" in out


def test_webhook_mode_takes_updates_with_the_secret_only(service, fake) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from bot.telegram import webhook_options
    from tests.app_server import free_port

    port = free_port()
    options = webhook_options(f"http://127.0.0.1:{port}/hook", port, listen="127.0.0.1")
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": 11, "type": "private"},
            "from": {"id": 11, "is_bot": False, "first_name": "web"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }

    async def main() -> None:
        app = TelegramBot(service).application("123456:TEST-TOKEN", fake.root)
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_webhook(**options)
            try:
                async with httpx.AsyncClient() as client:
                    url = f"http://127.0.0.1:{port}/hook"
                    forged = await client.post(url, json=update)
                    header = {"X-Telegram-Bot-Api-Secret-Token": options["secret_token"]}
                    real = await client.post(url, json=update, headers=header)
                assert forged.status_code == 403 and real.status_code == 200
                await asyncio.to_thread(fake.wait_replies, 11, 1)
            finally:
                await app.updater.stop()
                await app.stop()

    asyncio.run(main())
    hook = fake.sent(method="setWebhook")[0].params
    assert hook["url"] == f"http://127.0.0.1:{port}/hook" and hook["secret_token"]
    assert len(fake.sent(11)) == 1 and "/recommend" in fake.sent(11)[0].text


def test_a_group_code_is_joined_from_a_second_chat(service, fake) -> None:  # type: ignore[no-untyped-def]
    def scenario() -> None:
        fake.text(21, "/group")
        started = fake.wait_replies(21, 1)[0].text
        code = re.search(r"\b([A-Z0-9]{3}-[A-Z0-9]{3})\b", started)
        assert code is not None, started
        fake.text(22, f"/join {code.group(1)}")
        joined = fake.wait_replies(22, 1)[0].text
        assert f"You're in group {code.group(1)} as Guest 2 with Host" in joined.replace(
            "&#x27;", "'"
        )
        fake.text(22, "/rate Amelie 5")
        fake.wait_replies(22, 2)
        fake.text(21, "/groupnight nothing too scary")
        picks = fake.wait_replies(21, 2)[1].text.replace("&#x27;", "'")
        assert picks.startswith("For you and Guest 2") and "Guest 2: ~" in picks

    run_bot(service, fake, scenario)
    assert service.store.group_of("telegram:22") == service.store.group_of("telegram:21")
