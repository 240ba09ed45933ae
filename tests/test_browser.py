"""The page in a real browser: Debian's Chromium driven by Playwright, against the real app.

Chromium comes from the system (``apt-get install chromium``; ``.ci/run`` installs it), never
from Playwright's own download, which cannot work offline. Without it the test skips locally
and fails in CI.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.app_server import AppServer, linked_home
from tests.conftest import IN_CI

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Rendered Markdown: list numbers are markers, not text.
PICK_RE = re.compile(r"^(?:\d+\.\s*)?(.+? \(\d{4}\)): ~", re.MULTILINE)
TIMEOUT = 60_000  # ms
LINK_SECRET = "shared with the platform's backend"


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _reopen(page: Any, url: str) -> None:
    """Load ``url`` again after the server restarted. The page's own client may be
    reconnecting to the restarted server at that moment and navigate itself, which aborts
    a navigation of ours ("net::ERR_ABORTED; maybe frame was detached"): then once more."""
    from playwright.sync_api import Error

    for attempt in range(3):
        try:
            page.goto(url, wait_until="load", timeout=TIMEOUT)
            return
        except Error as err:
            if "ERR_ABORTED" not in str(err) or attempt == 2:
                raise
            page.wait_for_load_state("load", timeout=TIMEOUT)


def _send(page: Any, message: str) -> str:
    """Type a message, send it, and wait for the finished (streamed) answer."""
    before = len(_answers(page))
    page.locator("#message textarea").fill(message)
    page.locator("#send").click()
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        texts = page.locator('[data-testid="bot"]').all_inner_texts()
        # Finished: a new answer, and the tool steps rendered after it (not the live step).
        if len(_answers(page)) > before and texts and texts[-1].startswith("🔧"):
            return _answers(page)[-1]
        time.sleep(0.2)
    raise AssertionError(f"no finished answer to {message!r}")


def _answers(page: Any) -> list[str]:
    """The bot's answers (not its collapsed steps), oldest first."""
    texts = page.locator('[data-testid="bot"]').all_inner_texts()
    return [t for t in texts if PICK_RE.search(t)]


def _link_token(server: AppServer, account: str) -> str:
    """What the platform's backend does for a signed-in person: ask for a link token."""
    response = httpx.post(
        server.url + "/api/link-token",
        json={"account": account},
        headers={"Authorization": f"Bearer {LINK_SECRET}"},
    )
    response.raise_for_status()
    return str(response.json()["token"])


def _open_tab(page: Any, name: str) -> None:
    """Open a tab; at phone width the last tabs sit behind the "More tabs" menu."""
    more = page.get_by_role("button", name="More tabs")
    page.locator('[role="tablist"]').first.wait_for(timeout=TIMEOUT)
    if page.get_by_role("tab", name=name).count() == 0 and more.count():
        more.click()
        page.locator(".overflow-dropdown").get_by_role("button", name=name).click()
    else:
        page.get_by_role("tab", name=name).click(timeout=TIMEOUT)


def _in_my_ratings(page: Any, title: str) -> Any:
    """A visible cell of the "My ratings" table (the grid also keeps hidden copies)."""
    return page.locator("#my-ratings").get_by_text(title, exact=True).filter(visible=True).first


def test_chat_rate_reload_and_restart_in_a_real_browser(
    browser: Any, real_env, real_build, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    home = linked_home(real_build[0].settings.artifacts_dir, tmp_path / "home")
    server = AppServer({**real_env, "MOVIEBOT_LINK_SECRET": LINK_SECRET}, home).start()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.goto(server.url + "/")
        first = _send(page, "recommend me something")
        picks = PICK_RE.findall(first)
        assert len(picks) >= 3, first
        assert page.get_by_text("Picked movies from your ratings and taste").count() >= 1

        row = page.locator(".pick-row").filter(has_text=picks[0])
        row.get_by_text("👎 Not for me").click()
        page.get_by_text(f"Got it: {picks[0]} won't come back").wait_for(timeout=TIMEOUT)
        row.wait_for(state="detached", timeout=TIMEOUT)  # the panel is drawn anew without it

        starred = page.locator(".pick-row").filter(has_text=picks[1])
        starred.get_by_text("4½★").click()  # half stars, as in the chat
        page.get_by_text(f"Saved: {picks[1]}, 4.5★").wait_for(timeout=TIMEOUT)
        card = page.locator(".pick-row").filter(has_text=picks[2])
        assert card.get_by_role("link", name="IMDb").count() == 1  # a movie card, with links
        card.get_by_text("+ Watchlist").click()
        page.get_by_text(f"{picks[2]} is on your watchlist").wait_for(timeout=TIMEOUT)
        card.get_by_text("✓ On watchlist").wait_for(timeout=TIMEOUT)

        answer = _send(page, "recommend me something")
        second = PICK_RE.findall(answer)
        assert picks[0] not in second and picks[1] not in second and second != picks
        assert picks[2] not in second  # on the watchlist: kept, not suggested again
        assert f"like {picks[1]}" in answer  # the 5 stars now explain the new picks
        page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)

        page.reload()
        page.get_by_text(second[0]).first.wait_for(timeout=TIMEOUT)  # the conversation is back
        page.get_by_role("tab", name="My taste").click()
        _in_my_ratings(page, picks[0]).wait_for(timeout=TIMEOUT)
        _in_my_ratings(page, picks[1]).wait_for(timeout=TIMEOUT)
        page.locator("#my-watchlist").get_by_text(picks[2]).wait_for(timeout=TIMEOUT)
        _open_tab(page, "Watchlist")  # its own tab: cards, best first, with their actions
        kept = page.locator("#watchlist-cards .pick-row").filter(has_text=picks[2])
        kept.get_by_text("✓ On watchlist").click()
        page.get_by_text(f"{picks[2]} is off your watchlist").wait_for(timeout=TIMEOUT)
        kept.wait_for(state="detached", timeout=TIMEOUT)

        server.stop()
        server.start(keep_port=True)  # same origin: the browser keeps its localStorage
        _reopen(page, server.url + "/")
        page.get_by_role("tab", name="My taste").click()
        _in_my_ratings(page, picks[0]).wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(tmp_path / "taste.png"), full_page=True)

        # The platform links this browser, then a second device, to one account.
        page.goto(server.url + f"/?link={_link_token(server, 'acct-7')}")
        page.get_by_text("Linked to your account (acct-7)").wait_for(timeout=TIMEOUT)
        other = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        other.goto(server.url + f"/?link={_link_token(server, 'acct-7')}")
        other.get_by_text("Linked to your account (acct-7)").wait_for(timeout=TIMEOUT)
        other.get_by_role("tab", name="My taste").click()
        _in_my_ratings(other, picks[1]).wait_for(timeout=TIMEOUT)  # rated on the first device

        # A phone: every suggested title keeps a line of its own (it wrapped letter by letter)
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(server.url + "/")
        _send(phone, "recommend me something")
        titles = phone.locator(".pick-title").filter(visible=True)
        titles.first.wait_for(timeout=TIMEOUT)
        widths = [box["width"] for box in (t.bounding_box() for t in titles.all()) if box]
        assert widths and min(widths) >= 280, widths  # the card's padding aside, the full width
        phone.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        context.close()
    finally:
        server.stop()


def test_cards_show_tmdb_posters_and_the_watchlist_in_a_real_browser(
    browser: Any, real_env, real_build, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from recommender.tmdb import DetailsCache
    from tests.fake_tmdb import FakeTMDB, movie_json

    home = linked_home(real_build[0].settings.artifacts_dir, tmp_path / "home")
    catalog = real_build[1].catalog
    cache = DetailsCache.in_home(home)  # what `app.py enrich` leaves behind
    for movie_id in catalog.movies.sort_values("n_ratings", ascending=False).index[:300]:
        if (tmdb_id := catalog.links_of(int(movie_id)).tmdb_id) is not None:
            cache.put(tmdb_id, "ok", movie_json(tmdb_id))
    cache.close()
    with FakeTMDB() as tmdb:
        env = {**real_env, "TMDB_IMAGE_BASE": tmdb.image_base, "MOVIEBOT_REGION": "GB"}
        server = AppServer(env, home).start()
        try:
            for width, height, name in ((1280, 1000, "cards"), (390, 844, "cards-phone")):
                page = browser.new_context(viewport={"width": width, "height": height}).new_page()
                page.goto(server.url + "/")
                picks = PICK_RE.findall(_send(page, "recommend me something"))
                card = page.locator(".pick-row").filter(has_text=picks[0])
                poster = card.locator("img").first
                poster.wait_for(timeout=TIMEOUT)
                page.wait_for_function(
                    "e => e.complete && e.naturalWidth > 0", arg=poster.element_handle()
                )
                assert "/t/p/w92/poster" in (poster.get_attribute("src") or "")
                assert card.get_by_text("1h 58m").count() >= 1
                assert card.get_by_role("link", name="▶ Trailer").count() == 1
                assert card.get_by_text("Stream: Netflix").count() >= 1  # GB, with JustWatch
                page.get_by_text("Movie details from TMDB").first.wait_for(timeout=TIMEOUT)
                card.get_by_text("Seen it").click()
                page.get_by_text(f"Marked {picks[0]} as seen").wait_for(timeout=TIMEOUT)
                card.get_by_text("✓ Seen").wait_for(timeout=TIMEOUT)
                page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        finally:
            server.stop()
    assert any(r["path"].startswith("/t/p/w92/") for r in tmdb.requests)


def test_a_group_night_in_a_real_browser(
    browser: Any, real_env, real_build, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    home = linked_home(real_build[0].settings.artifacts_dir, tmp_path / "home")
    server = AppServer(real_env, home).start()
    try:
        codes = []
        for width, height, name in ((1280, 1000, "group"), (390, 844, "group-phone")):
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            page.goto(server.url + "/")
            _open_tab(page, "Group night")
            page.locator("#group-name textarea, #group-name input").first.fill("Sam")
            page.locator("#group-start").click()
            status = page.locator("#group-status")
            status.get_by_text("Group code").wait_for(timeout=TIMEOUT)
            code = re.search(r"[A-Z0-9]{3}-[A-Z0-9]{3}", status.inner_text())
            assert code is not None and "Sam" in status.inner_text()
            codes.append(code.group())
            people = page.locator("#group-people textarea, #group-people input").first
            people.fill("Ana (loves horror) and Ben (hates subtitles)")
            page.locator("#group-pick").click()
            answer = page.locator("#group-picks")
            answer.get_by_text("For you, Ana and Ben (no subtitles)").wait_for(timeout=TIMEOUT)
            assert answer.inner_text().count("Ana: fits") >= 3
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        joiner = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        joiner.goto(server.url + "/")
        _open_tab(joiner, "Group night")
        joiner.locator("#group-code textarea, #group-code input").first.fill(codes[0].lower())
        joiner.locator("#group-join").click()
        joiner.locator("#group-status").get_by_text("Guest 2").wait_for(timeout=TIMEOUT)
        assert "Sam" in joiner.locator("#group-status").inner_text()
    finally:
        server.stop()
