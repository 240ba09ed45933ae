"""Semantic search: the real index (a subset), incremental builds, broken stores, server mode."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from recommender.engine import SEARCH_POPULARITY, Engine, Taste
from recommender.errors import MovieBotError
from recommender.ranking import Filters
from recommender.results import SearchHit
from recommender.semantic import chroma_where, snippet
from tests.conftest import INDEX_LIMIT
from vectorstore.embeddings import Embedder
from vectorstore.store import MovieDoc, MovieStore, forget_cached_store


def _titles(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.movie.display for h in results.hits]


def test_the_index_holds_the_most_rated_movies(engine: Engine) -> None:
    state = engine.semantic.state
    assert state.indexed.sum() == INDEX_LIMIT == len(state.docs)
    assert state.vectors.shape == (engine.models.matrix.n_items, 384)
    norms = (state.vectors[state.indexed] ** 2).sum(axis=1)
    assert abs(norms - 1).max() < 1e-4  # normalized: cosine is a dot product


def _by_match_then_fame(hits: list[SearchHit]) -> bool:
    """Ordered by similarity, well-known films ahead only by ``SEARCH_POPULARITY`` per log."""
    scores = [h.similarity + SEARCH_POPULARITY * math.log1p(h.movie.n_ratings) for h in hits]
    return scores == sorted(scores, reverse=True)


def test_search_finds_movies_by_what_they_are_about(engine: Engine) -> None:
    dinosaurs = _titles(engine.search("dinosaurs brought back to life in a theme park", k=3))
    assert "Jurassic Park (1993)" in dinosaurs
    heist = engine.search("a heist film with a clever twist", k=10)
    assert any(
        re.search(r"heist|robber|steal|thie", h.snippet + " ".join(h.movie.genres), re.I)
        for h in heist.hits
    )
    assert all(0 < h.similarity <= 1 for h in heist.hits)
    assert _by_match_then_fame(heist.hits)


def test_a_film_told_by_its_plot_is_the_one_people_know(engine: Engine) -> None:
    told = "the film where a man in a mental hospital rebels against a cruel nurse"
    found = engine.search(told, k=3)
    assert "One Flew Over the Cuckoo's Nest (1975)" in _titles(found)
    assert all(h.snippet for h in found.hits)
    faithful = engine.search("a man in a mental hospital rebels against a cruel nurse", k=3)
    assert _by_match_then_fame(faithful.hits)  # no plot cue: the faithful search
    narrowed = engine.search(told, k=5, filters=Filters(year_min=1990))
    assert narrowed.hits and all((h.movie.year or 0) >= 1990 for h in narrowed.hits)


def test_genre_and_era_queries_work(engine: Engine) -> None:
    hits = engine.search("animated movie for children", k=10).hits
    assert sum("Animation" in h.movie.genres for h in hits) >= 7


def test_filters_apply_and_an_empty_result_says_which_filter(engine: Engine) -> None:
    hits = engine.search(
        "space adventure", k=5, filters=Filters(genres=["Sci-Fi"], year_min=1990)
    ).hits
    assert hits and all("Sci-Fi" in h.movie.genres and (h.movie.year or 0) >= 1990 for h in hits)
    empty = engine.search(
        "space adventure", k=5, filters=Filters(genres=["Film-Noir"], year_min=2015)
    )
    assert empty.hits == [] and "from 2015" in empty.notes[0]


def test_more_like_this_uses_the_stored_vector(engine: Engine) -> None:
    results = engine.more_like("The Matrix", k=5)
    assert "The Matrix (1999)" not in _titles(results) and len(results.hits) == 5
    assert sum("Sci-Fi" in h.movie.genres for h in results.hits) >= 3


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_a_clear_message(engine: Engine, query: str) -> None:
    with pytest.raises(MovieBotError, match="what the movie should be about"):
        engine.search(query)


def test_a_10000_character_query_is_cut_and_answered(engine: Engine) -> None:
    results = engine.search("a detective hunts a serial killer in a rainy city. " * 200, k=5)
    assert len(results.hits) == 5 and "long" in results.notes[0]


def test_recommend_text_blends_similarity_with_what_people_rate_well(engine: Engine) -> None:
    result = engine.recommend(Taste(), text="a zombie film", k=5)
    assert result.basis == "text"
    assert all(p.reasons.text_similarity is not None for p in result.picks)
    texts = {d.movie_id: d.text.lower() for d in engine.semantic.state.docs}
    zombie = [
        p for p in result.picks if re.search(r"zombie|undead|living dead", texts[p.movie.movieId])
    ]
    assert len(zombie) >= 3
    assert all(p.movie.n_ratings >= 5 for p in result.picks)


def test_text_and_taste_combine(engine: Engine) -> None:
    plain = engine.recommend(Taste(user_id=414), k=10)
    moody = engine.recommend(
        Taste(user_id=414), text="a gentle animated film for the whole family", k=10
    )

    def family(result) -> int:  # type: ignore[no-untyped-def]
        return sum(
            "Animation" in p.movie.genres or "Children" in p.movie.genres for p in result.picks
        )

    assert family(moody) >= family(plain) + 2
    seen = set(engine.catalog.ratings.loc[engine.catalog.ratings.userId == 414, "movieId"])
    assert not seen & {p.movie.movieId for p in moody.picks}  # still personal: nothing seen


def test_text_weights_were_chosen_on_tag_queries(engine: Engine) -> None:
    report = engine.semantic.state.report["weights"]
    assert report["tag_queries"] >= 5
    assert report["ips_ndcg@10_with_priors_and_gate"] >= report["ips_ndcg@10_dense_and_lexical"]
    assert report["ips_ndcg@10_dense_and_lexical"] >= report["ips_ndcg@10_dense_only"]


def test_ips_ndcg_by_hand() -> None:
    from recommender.semantic import ips_ndcg

    gain = np.array([1.0, 0.5, 0.25, 1.0])
    scores = np.array([[0.9, 0.8, 0.1, 0.0]])  # ranks items 0, 1, 2, 3
    dcg = 0.5 / np.log2(3)  # item 1 relevant, at rank 2
    ideal = 0.5 + 0.25 / np.log2(3)  # items 1 and 2, best first
    assert ips_ndcg(scores, [{1, 2}], gain, k=2) == pytest.approx(dcg / ideal)


def test_search_cli_json(real_env: dict[str, str]) -> None:
    from tests.test_cli import run

    result = run("search", "a boxing underdog story", "--k", "5", "--json", env=real_env)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 5 and {"movieId", "title", "year", "score", "snippet"} <= set(hits[0])
    empty = run("search", "  ", "--json", env=real_env)
    assert (
        empty.returncode == 1
        and "what the movie should be about" in json.loads(empty.stdout)["error"]
    )


def test_snippet_picks_the_sentence_that_matched() -> None:
    doc = "Heat (1995). Action, Crime.\nA cop chases a thief. The thief plans one last bank heist. The end."
    assert snippet(doc, "a bank heist") == "The thief plans one last bank heist."


def test_filters_become_a_chroma_where_clause() -> None:
    assert chroma_where(Filters()) is None
    where = chroma_where(Filters(genres=["Sci-Fi", "Film-Noir"], year_min=1990, min_ratings=5))
    assert where == {
        "$and": [
            {"$or": [{"g_Sci_Fi": True}, {"g_Film_Noir": True}]},
            {"year": {"$gte": 1990}},
            {"n_ratings": {"$gte": 5}},
        ]
    }


# --- the store on its own: incremental sync, broken stores, server mode --------------------


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def _docs(n: int = 6, changed: int | None = None) -> list[MovieDoc]:
    texts = [
        "A heist in Paris.",
        "Zombies overrun a mall.",
        "A robot learns to love.",
        "Dinosaurs escape a park.",
        "A boxer's last fight.",
        "Pirates hunt treasure.",
    ]
    return [
        MovieDoc(
            i + 1,
            texts[i] + (" Updated." if i == changed else ""),
            {"movieId": i + 1, "year": 2000},
        )
        for i in range(n)
    ]


def test_sync_is_incremental(tmp_path: Path, embedder: Embedder) -> None:
    store = MovieStore(embedder, path=tmp_path / "chroma")
    first = store.sync(_docs())
    assert (first.embedded, first.unchanged) == (6, 0)
    second = MovieStore(embedder, path=tmp_path / "chroma").sync(_docs())
    assert (second.embedded, second.updated, second.unchanged) == (0, 0, 6)
    third = MovieStore(embedder, path=tmp_path / "chroma").sync(_docs(changed=2))
    assert (third.embedded, third.unchanged) == (1, 5)
    fourth = MovieStore(embedder, path=tmp_path / "chroma").sync(_docs(n=5))
    assert fourth.removed == 1
    hits = MovieStore(embedder, path=tmp_path / "chroma").query(
        embedder.encode_one("undead at the shopping mall"), 1
    )
    assert hits[0].movie_id == 2


def test_another_model_or_a_corrupt_store_is_rebuilt_with_a_message(
    tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "chroma"
    MovieStore(embedder, path=path).sync(_docs())
    manifest = json.loads((path / "moviebot-index.json").read_text())
    (path / "moviebot-index.json").write_text(
        json.dumps({**manifest, "model": "other-model", "dimension": 768})
    )
    report = MovieStore(embedder, path=path).sync(_docs())
    assert "other-model" in report.rebuilt and report.embedded == 6
    forget_cached_store(path)  # a new process opening a store corrupted on disk
    (path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with caplog.at_level("WARNING"):
        report = MovieStore(embedder, path=path).sync(_docs())
    assert "cannot be opened" in report.rebuilt and report.embedded == 6
    assert "rebuilding it" in caplog.text


def test_engine_restores_a_deleted_store_without_re_embedding(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    semantic = engine.semantic
    engine.search("anything", k=1)  # the store is open and checked
    assert semantic.store.path is not None
    shutil.rmtree(semantic.store.path)
    forget_cached_store(semantic.store.path)  # what a new process would see
    semantic.store._collection = None
    semantic._store_checked = False
    with caplog.at_level("INFO"):
        results = engine.search("dinosaurs brought back to life in a theme park", k=3)
    assert "Jurassic Park (1993)" in _titles(results)
    assert "filled the vector index" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # a fresh home's first start


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on loopback, started with the ``chroma`` CLI chromadb ships."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    path = tmp_path_factory.mktemp("chroma-server")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the chroma server did not start")
    yield url
    process.terminate()
    process.wait(timeout=20)


def test_server_mode_talks_to_a_real_chroma_server(chroma_server: str, embedder: Embedder) -> None:
    store = MovieStore(embedder, url=chroma_server)
    assert store.sync(_docs()).embedded == 6
    assert MovieStore(embedder, url=chroma_server).sync(_docs()).embedded == 0
    hits = MovieStore(embedder, url=chroma_server).query(embedder.encode_one("a robot in love"), 2)
    assert hits[0].movie_id == 3
    MovieStore(embedder, url=chroma_server).reset("test")
    assert MovieStore(embedder, url=chroma_server).sync(_docs()).embedded == 6


def test_a_film_told_by_its_plot_is_found_by_the_plot_alone(engine) -> None:  # type: ignore[no-untyped-def]
    """The lead-in ("what's that film where") and the plot's words ("the kid") are no filters
    and do not dilute the plot."""
    from recommender.described import plot_words

    assert (
        plot_words("what's that film where the kid sees dead people") == "the kid sees dead people"
    )
    hits = engine.search("what's that film where the kid sees dead people", k=3).hits
    assert hits[0].movie.title == "The Sixth Sense"


def test_a_plot_told_by_who_is_in_it_finds_that_persons_film(engine) -> None:  # type: ignore[no-untyped-def]
    """A full name in a plot (OMDb credits, people's names as tags) favours that person's
    films; a studio of animation keeps the answer animated."""
    murray = engine.search("the movie where Bill Murray relives the same day", k=3).hits
    assert "Groundhog Day" in [h.movie.title for h in murray]
    dreams = engine.search("the one where Leonardo DiCaprio goes into people's dreams", k=1)
    assert dreams.hits[0].movie.title == "Inception"
    pixar = engine.search("the pixar one with the old man and the balloons", k=3).hits
    assert "Up" in [h.movie.title for h in pixar]
    assert all("Animation" in h.movie.genres for h in pixar)
    nanny = engine.search("film where Robin Williams dresses up as an old nanny", k=3).hits
    assert "Mrs. Doubtfire" in [h.movie.title for h in nanny]
    assert engine.credits.named_in("a film with Bill Murray in it")
    assert not engine.credits.named_in("a film where bill pays for murray's lunch")
