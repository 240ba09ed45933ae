"""The page's handlers called directly (no browser): what "My taste" shows and how edits land."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from bot.web import NOT_FOR_ME, WebPage, web_session


@pytest.fixture
def page(engine, tmp_path: Path) -> WebPage:  # type: ignore[no-untyped-def]
    from bot.llm_config import LLMSettings
    from bot.session import open_service

    return WebPage(open_service(engine, tmp_path / "userdata", LLMSettings()), "secret")


def test_not_for_me_shows_as_that_and_survives_an_edit(page: WebPage) -> None:
    token = "t" * 24
    session = web_session(token)
    page.service.rate(session, "Heat", 4.5)
    page.service.not_for_me(session, "Saw")
    table = page.taste_view(token)[1]
    shown = dict(zip(table["Movie"], table["Stars"], strict=True))
    assert shown == {"Heat (1995)": "4.5", "Saw (2004)": NOT_FOR_ME}
    edited = pd.DataFrame({"Movie": ["Heat (1995)", "Saw (2004)"], "Stars": ["3.5", NOT_FOR_ME]})
    message = page.edit_table(edited, token)[0]
    assert message == "Saved your changes."
    given = page.service.store.load(session).given
    saw = page.engine.resolve("Saw (2004)")
    assert given[page.engine.resolve("Heat")].stars == 3.5
    assert given[saw].kind == "dislike" and given[saw].stars <= 2.5  # stored as before


def test_every_bar_chart_starts_at_zero(page: WebPage) -> None:
    import gradio as gr

    bars = [b for b in page.blocks().blocks.values() if isinstance(b, gr.BarPlot)]
    assert len(bars) >= 6
    for bar in bars:
        assert bar.y_lim is not None and bar.y_lim[0] == 0, (bar.title, bar.y_lim)


def test_no_taste_cluster_is_named_from_two_ratings(page: WebPage) -> None:
    token = "c" * 24
    session = web_session(token)
    page.service.rate(session, "Superbad", 5.0)
    page.service.rate(session, "Heat", 4.0)
    summary, _, cluster, *_ = page.taste_view(token)
    assert "Not enough ratings yet" in cluster and "rate 1 more movie " in cluster
    assert "taste cluster:" not in summary
    page.service.rate(session, "Ronin", 4.0)
    summary, _, cluster, *_ = page.taste_view(token)
    assert cluster.startswith("### ") and "Your taste cluster: **" in summary


def test_the_watchlist_shows_in_my_taste(page: WebPage) -> None:
    token = "w" * 24
    session = web_session(token)
    assert "Nothing yet" in page.taste_view(token)[5]
    page.service.mark(session, "Heat", "watchlist")
    page.service.mark(session, "Toy Story", "seen")
    kept = page.taste_view(token)[5]
    assert "- Heat (1995) ([IMDb](https://www.imdb.com/title/tt0113277/))" in kept
    assert "Marked as seen: 1 movie" in kept
    page.service.mark(session, "Jumanji", "watchlist")
    page.service.rate(session, "Ronin", 5.0)  # now the tab ranks by predicted stars
    ranked = page.taste_view(token)[6]
    cards = {c.movie_id: c.predicted_stars for c in page.service.watchlist(session)}
    assert sorted(m for m, _ in ranked) == sorted(cards)
    assert [cards[m] for m, _ in ranked] == sorted((v or 0.0 for v in cards.values()), reverse=True)


def test_the_taste_map_legend_names_fit(page: WebPage) -> None:
    """Every cluster shows in the legend: the map uses the names' short part, coloured."""
    token = "m" * 24
    for title in ("Heat", "Ronin", "Collateral"):
        page.service.rate(web_session(token), title, 4.5)
    svg = page.taste_view(token)[3]
    colours = {n: c for n, c in page._cluster_colours().items() if n != "★ You are here"}
    assert all("," not in name and len(name) <= 40 for name in colours)
    legend = svg.split('class="map-legend"')[1]
    assert all(html.escape(name) in legend for name in colours)  # every cluster, not four
    assert svg.count("<circle") == 610 and ">You are here</text>" in svg  # the large star
    fresh = page.taste_view("n" * 24)[3]
    assert "You are here</text>" not in fresh  # not placed before three ratings
