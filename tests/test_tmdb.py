"""TMDB details: the real client against a fake TMDB server on loopback, the cache, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cards import Card, card_markdown
from recommender.catalog import MovieLinks
from recommender.tmdb import (
    DetailsCache,
    DetailsSource,
    TMDBClient,
    TMDBConfig,
    enrich,
    parse_details,
)
from tests.fake_tmdb import FakeTMDB, movie_json

ROOT = Path(__file__).resolve().parent.parent


def _config(fake: FakeTMDB, **extra: object) -> TMDBConfig:
    base = {"api_base": fake.url, "image_base": "http://img.test/t/p", "region": "GB"}
    return TMDBConfig(**{**base, "api_key": "k3y", "rate": 50, "timeout": 0.5, **extra})


def test_enrich_is_polite_resumable_and_survives_bad_answers(tmp_path: Path) -> None:
    script = {2: "404", 3: "429", 4: "500", 5: "slow", 6: "garbage", 7: "list"}
    waits: list[float] = []
    cache = DetailsCache(tmp_path / "details.sqlite3")
    with FakeTMDB(script) as fake:
        client = TMDBClient(_config(fake), sleep=waits.append)
        report = enrich(range(1, 8), cache, client)
        assert (report.fetched, report.missing, report.failed) == (4, 1, 2)  # 1, 3, 4, 5 | 2 | 6, 7
        assert 1.0 in waits  # the 429's Retry-After was honoured
        first = fake.requests[0]
        assert first["path"] == "/3/movie/1" and first["query"]["api_key"] == ["k3y"]
        assert "watch/providers" in first["query"]["append_to_response"][0]
        asked = len(fake.requests)
        again = enrich(range(1, 8), cache, client)  # resumes: only the failed ones again
        assert (again.fresh, again.failed) == (5, 2) and len(fake.requests) == asked + 2
        later = enrich([1], cache, client, now=time.time() + 31 * 86400)  # older than 30 days
        assert later.fetched == 1
        client.close()
    assert cache.counts() == {"ok": 4, "missing": 1, "failed": 2}
    assert cache.body(2) is None and (cache.body(1) or {})["runtime"] == 118


def test_a_read_token_goes_in_the_header_not_the_query(tmp_path: Path) -> None:
    with FakeTMDB() as fake:
        client = TMDBClient(_config(fake, api_key=None, read_token="t0ken"))
        assert (client.movie(949) or {})["id"] == 949
        client.close()
    assert fake.requests[0]["authorization"] == "Bearer t0ken"
    assert "api_key" not in fake.requests[0]["query"]


def test_no_credentials_is_a_clear_refusal() -> None:
    with pytest.raises(ValueError, match="TMDB_API_KEY"):
        TMDBClient(TMDBConfig(region="GB"))


def test_details_are_read_for_the_region_and_shown_on_a_card(tmp_path: Path) -> None:
    config = TMDBConfig(image_base="http://img.test/t/p", region="GB")
    details = parse_details(movie_json(949), config)
    assert details.poster == "http://img.test/t/p/w342/poster949.jpg"
    assert details.trailer == "https://www.youtube.com/watch?v=trailer1"
    assert details.director == "Michael Mann" and details.cast == ["Al Pacino", "Robert De Niro"]
    assert details.providers == {"stream": ["Netflix"], "rent": ["Apple TV", "Rakuten TV"]}
    assert details.keywords == ["heist", "los angeles"]
    odd = parse_details({"runtime": "long", "credits": None, "videos": {"results": "x"}}, config)
    assert odd.runtime is None and odd.trailer is None and odd.cast == []

    cache = DetailsCache.in_home(tmp_path)
    cache.put(949, "ok", movie_json(949))
    source = DetailsSource(tmp_path, config)
    assert source(949) == details and source(None) is None and source(1) is None
    links = MovieLinks("https://www.imdb.com/title/tt0113277/", None, 949)
    card = Card(6, "Heat (1995)", 1995, ("Crime",), 4.2, "", links, 3.9, 100, details=details)
    text = card_markdown(card)
    assert "![Poster of Heat (1995)](http://img.test/t/p/w92/poster949.jpg)" in text
    assert "1h 58m" in text and "Directed by Michael Mann" in text
    assert "[▶ Trailer](https://www.youtube.com/watch?v=trailer1)" in text
    assert "Stream: Netflix · Rent: Apple TV, Rakuten TV ([JustWatch](" in text


def test_the_enrich_command(real_env: dict[str, str], tmp_path: Path) -> None:
    env = {**os.environ, **real_env, "MOVIEBOT_HOME": str(tmp_path / "home")}
    for name in ("TMDB_API_KEY", "TMDB_READ_TOKEN"):
        env.pop(name, None)
    refused = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "enrich"], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1 and "Set TMDB_API_KEY" in refused.stderr
    with FakeTMDB({862: "404"}) as fake:
        env.update(TMDB_API_KEY="k3y", TMDB_API_BASE=fake.url, MOVIEBOT_REGION="GB")
        done = subprocess.run(
            [sys.executable, str(ROOT / "app.py"), "enrich", "--limit", "3", "--json", "-q"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["fetched"] + report["missing"] == 3 and report["region"] == "GB"
    assert sorted(int(r["path"].rsplit("/", 1)[1]) for r in fake.requests) == [13, 278, 680]


def test_fetched_overviews_describe_a_fresh_install_without_description_files(
    ml_small: Path, tmp_path: Path
) -> None:
    from recommender.config import Settings
    from recommender.descriptions import FETCHED
    from recommender.engine import build

    settings = Settings(data_dir=ml_small, home=tmp_path, descriptions=[])
    ctx, _ = build(settings, progress=False, only="data")
    assert ctx.payloads["data"].coverage.by_source.get(FETCHED) is None  # nothing fetched yet
    cache = DetailsCache.in_home(tmp_path)  # what `app.py enrich` leaves behind
    for tmdb_id in (862, 8844, 949):  # Toy Story, Jumanji, Heat
        cache.put(tmdb_id, "ok", {**movie_json(tmdb_id), "original_language": "en"})
    cache.put(15602, "missing")
    cache.close()
    ctx, summary = build(settings, progress=False, only="data")
    assert summary.stages[0].status == "rebuilt"  # the fetched details are an input
    catalog = ctx.payloads["data"]
    heat = catalog.descriptions.loc[6]
    assert heat["source"] == FETCHED and heat["description"] == "A crew plans one last job."
    assert heat["director"] == "Michael Mann" and "heist" in heat["keywords"]
    assert heat["original_language"] == "en"
    assert catalog.coverage.by_source[FETCHED] == 3
    _, again = build(settings, progress=False, only="data")
    assert again.stages[0].status == "up to date"
