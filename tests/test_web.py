"""The web app as people and programs reach it: a real server, gradio_client, HTTP, schemathesis.

One ``python app.py web`` runs for the module (offline mode, the session's built artifacts,
fresh user data); every test talks to it over loopback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.app_server import AppServer, linked_home

pytestmark = pytest.mark.slow

PICK_RE = re.compile(r"^\d+\. (.+? \(\d{4}\)):", re.MULTILINE)
LINK_SECRET = "the platform and moviebot share this"


@pytest.fixture(scope="module")
def server(real_env, real_build, tmp_path_factory) -> Iterator[AppServer]:  # type: ignore[no-untyped-def]
    home = linked_home(real_build[0].settings.artifacts_dir, tmp_path_factory.mktemp("web-home"))
    app = AppServer({**real_env, "MOVIEBOT_LINK_SECRET": LINK_SECRET}, home).start()
    yield app
    app.stop()


@pytest.fixture
def http(server: AppServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def _client(server: AppServer) -> Any:
    from gradio_client import Client

    return Client(server.url + "/", verbose=False)


def _chat(client: Any, message: str) -> tuple[str, list[str]]:
    """One turn through the page's own chat endpoint: (answer text, step titles)."""
    history, _box = client.predict(message, [], api_name="/chat")
    answer, steps = "", []
    for item in history:
        text = "".join(part["text"] for part in item["content"] if part.get("type") == "text")
        if item["role"] == "assistant" and item.get("metadata"):
            steps.append(item["metadata"]["title"])
        elif item["role"] == "assistant" and not answer:
            answer = text
    return answer, steps


# --- the page, through gradio_client -------------------------------------------------------


def test_a_chat_turn_recommends_movies_and_shows_its_steps(server: AppServer) -> None:
    answer, steps = _chat(_client(server), "I loved Inception and Arrival")
    picks = PICK_RE.findall(answer)
    assert len(picks) >= 3, answer
    assert "Inception (2010)" not in picks
    assert any("Saved your rating of Inception (2010)" in s for s in steps), steps
    assert any("Picked movies" in s for s in steps), steps


def test_a_rating_changes_the_next_answer(server: AppServer) -> None:
    client = _client(server)
    first = PICK_RE.findall(_chat(client, "recommend me something")[0])
    top = first[0]
    saved = client.predict(top, 1.0, api_name="/rate")[0]
    assert saved == f"Saved: {top}, 1★."
    second = PICK_RE.findall(_chat(client, "recommend me something")[0])
    assert top not in second
    assert second != first


def test_two_clients_do_not_share_a_session(server: AppServer) -> None:
    alice, bob = _client(server), _client(server)
    assert "Saved: Heat (1995)" in _chat(alice, "rate Heat 5 stars")[0]
    assert "Heat (1995)" in _chat(alice, "what do you know about me?")[0]
    assert "Heat (1995)" not in _chat(bob, "what do you know about me?")[0]
    bob_answer = _chat(bob, "recommend me something")[0]
    alice_answer = _chat(alice, "recommend me something")[0]
    assert "like Heat (1995), which you enjoyed" in alice_answer
    assert PICK_RE.findall(bob_answer) and "Heat (1995)" not in bob_answer


def test_the_page_and_its_charts_are_served(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200
    config = http.get("/config").json()
    labels = {c.get("props", {}).get("label") for c in config["components"]}
    assert {"My ratings (edit the stars; clear a cell to remove)", "Cluster"} <= labels
    kinds = [c["type"] for c in config["components"]]
    assert kinds.count("plot") + kinds.count("nativeplot") >= 7, kinds


# --- the REST API ------------------------------------------------------------------------


def test_openapi_lists_every_endpoint(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for path in ("recommend", "search", "similar", "rate", "chat", "health", "watchlist", "seen"):
        assert f"/api/{path}" in paths
    assert http.get("/docs").status_code == 200


def test_health_says_what_answers(http: httpx.Client, server: AppServer) -> None:
    server.wait_warm()  # torch is loaded by then: its threads are limited too
    body = http.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["numeric_threads"] == 1  # one per worker: a burst no longer fights itself
    assert body["backend"] == "offline mode"
    assert (body["movies"], body["ratings"], body["users"]) == (9742, 100836, 610)


def test_a_session_is_created_returned_and_used(http: httpx.Client) -> None:
    first = http.post("/api/recommend", json={"k": 5})
    assert first.status_code == 200
    sid = first.headers["X-Session-Id"]
    assert first.json()["session_id"] == sid and first.json()["basis"] == "popular"
    top = first.json()["picks"][0]
    rated = http.post(
        "/api/rate", json={"movie": top["movieId"], "stars": 1}, headers={"X-Session-Id": sid}
    )
    assert rated.status_code == 200 and rated.json()["ratings_given"] == 1
    again = http.post("/api/recommend", json={"k": 5}, headers={"X-Session-Id": sid}).json()
    assert top["movieId"] not in [p["movieId"] for p in again["picks"]]
    profile = http.get("/api/profile", headers={"X-Session-Id": sid}).json()
    assert [r["movie"]["movieId"] for r in profile["ratings"]] == [top["movieId"]]
    other = http.get("/api/profile").json()
    assert other["session_id"] != sid and other["ratings"] == []


def test_chat_over_the_api_keeps_the_conversation(http: httpx.Client) -> None:
    first = http.post("/api/chat", json={"message": "I loved Heat and Ronin"})
    sid = first.headers["X-Session-Id"]
    body = first.json()
    assert body["mode"] == "offline" and body["steps"]
    assert {"Heat", "Ronin"} <= {m["title"] for m in body["movies"]}
    second = http.post(
        "/api/chat", json={"message": "more like that"}, headers={"X-Session-Id": sid}
    )
    assert PICK_RE.findall(second.json()["reply"]) or "Heat" in second.json()["reply"]
    profile = http.get("/api/profile", headers={"X-Session-Id": sid}).json()
    assert {r["movie"]["title"] for r in profile["ratings"]} == {"Heat", "Ronin"}
    assert profile["cluster"]


def test_cards_links_and_a_watchlist_over_the_api(http: httpx.Client) -> None:
    first = http.post("/api/chat", json={"message": "I loved Heat and Ronin, what next?"})
    sid, body = first.headers["X-Session-Id"], first.json()
    header = {"X-Session-Id": sid}
    heat = next(m for m in body["movies"] if m["title"] == "Heat")
    assert heat["links"] == {
        "imdb": "https://www.imdb.com/title/tt0113277/",
        "tmdb": "https://www.themoviedb.org/movie/949",
    }
    assert [c["movieId"] for c in body["cards"]] == [m["movieId"] for m in body["movies"]]
    pick = next(c for c in body["cards"] if c["your_stars"] is None)
    assert pick["predicted_stars"] is not None and pick["why"] and pick["links"]["imdb"]
    kept = http.post("/api/watchlist", json={"movie": pick["movieId"]}, headers=header)
    assert kept.status_code == 200 and kept.json()["watchlist"] is True
    seen = http.post("/api/seen", json={"movie": "Toy Story"}, headers=header).json()
    assert seen["seen"] is True and seen["display"] == "Toy Story (1995)"
    listed = http.get("/api/watchlist", headers=header).json()["movies"]
    assert [c["movieId"] for c in listed] == [pick["movieId"]]
    picks = http.post("/api/recommend", json={"k": 10}, headers=header).json()["picks"]
    assert pick["movieId"] not in [p["movieId"] for p in picks]
    profile = http.get("/api/profile", headers=header).json()
    assert [m["movieId"] for m in profile["watchlist"]] == [pick["movieId"]]
    assert [m["title"] for m in profile["seen"]] == ["Toy Story"]
    off = http.post("/api/watchlist", json={"movie": pick["movieId"], "on": False}, headers=header)
    assert off.json()["watchlist"] is False
    assert http.get("/api/watchlist", headers=header).json()["movies"] == []
    http.post("/api/watchlist", json={"movie": "Heat"}, headers=header)
    removed = http.delete("/api/watchlist", params={"movieId": 6}, headers=header)
    assert removed.status_code == 200 and removed.json()["watchlist"] is False
    assert http.get("/api/watchlist", headers=header).json()["movies"] == []
    unknown = http.post("/api/watchlist", json={"movie": "Zzyzx Qwerty"}, headers=header)
    assert unknown.status_code == 404


def test_search_and_similar(http: httpx.Client) -> None:
    hits = http.get("/api/search", params={"q": "a heist that goes wrong", "k": 5}).json()["hits"]
    assert len(hits) == 5 and all(h["snippet"] for h in hits)
    similar = http.get("/api/similar", params={"title": "toy story", "k": 5}).json()
    assert similar["movie"]["display"] == "Toy Story (1995)"
    assert len(similar["also_liked"]) == 5


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "words"),
    [
        ("post", "/api/rate", {"movie": "Heat", "stars": 11}, 422, ["0.5 to 5"]),
        ("post", "/api/rate", {"movie": 10**9, "stars": 4}, 404, ["no movie with id"]),
        ("post", "/api/rate", {"movie": "Toy Strory", "stars": 4}, 404, ["Did you mean"]),
        ("post", "/api/rate", {"movie": "Heat"}, 422, ["stars"]),
        ("post", "/api/rate", {"movie": "Heat", "stars": 4, "user_id": 1}, 422, ["user_id"]),
        ("post", "/api/rate", {"movie": True, "stars": True}, 422, ["movieId", "half stars"]),
        ("post", "/api/rate", {"movie": "", "stars": 4}, 422, ["not empty"]),
        ("post", "/api/rate", {"movie": "Heat", "stars": "4"}, 422, ["0.5 to 5"]),
        ("post", "/api/recommend", {"k": 0}, 422, ["k"]),
        ("post", "/api/recommend", {"genres": ["Space Opera"]}, 422, ["genres", "Sci-Fi"]),
        ("post", "/api/chat", {"message": "x" * 10_001}, 422, ["message"]),
        ("get", "/api/similar?title=Zzyzx%20Qwerty", None, 404, ["Zzyzx"]),
        ("get", "/api/search?q=", None, 422, ["q"]),
    ],
)
def test_bad_input_is_a_clear_4xx(
    http: httpx.Client, method: str, path: str, payload: Any, status: int, words: list[str]
) -> None:
    response = http.request(method, path, json=payload)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word in detail


@pytest.mark.parametrize(
    "forged",
    [
        "aaaaaaaaaaaaaaaa",  # well-formed, never issued
        "x" * 44,  # the shape of an issued id
    ],
)
def test_a_session_id_the_server_did_not_issue_is_refused(http: httpx.Client, forged: str) -> None:
    for method, path, payload in [
        ("post", "/api/rate", {"movie": "Heat", "stars": 4}),
        ("get", "/api/profile", None),
        ("post", "/api/chat", {"message": "I loved Heat"}),
    ]:
        response = http.request(method, path, json=payload, headers={"X-Session-Id": forged})
        assert response.status_code == 401, response.text
        assert "Omit the header" in response.json()["detail"]
        assert "X-Session-Id" not in response.headers


def test_a_tampered_session_id_is_refused_and_writes_nothing(http: httpx.Client) -> None:
    sid = http.get("/api/profile").headers["X-Session-Id"]
    tampered = sid[:-1] + ("A" if sid[-1] != "A" else "B")
    refused = http.post(
        "/api/rate", json={"movie": "Heat", "stars": 5}, headers={"X-Session-Id": tampered}
    )
    assert refused.status_code == 401
    assert http.get("/api/profile", headers={"X-Session-Id": sid}).json()["ratings"] == []


def test_a_malformed_session_id_is_refused(http: httpx.Client) -> None:
    response = http.get("/api/profile", headers={"X-Session-Id": "web:../../etc"})
    assert response.status_code == 422
    assert "X-Session-Id" in response.json()["detail"]


# --- linking a chat to a platform account ----------------------------------------------------


def _token(http: httpx.Client, account: str) -> str:
    response = http.post(
        "/api/link-token",
        json={"account": account},
        headers={"Authorization": f"Bearer {LINK_SECRET}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 600 and body["web_path"] == f"/?link={body['token']}"
    return str(body["token"])


def test_only_the_platform_gets_link_tokens(http: httpx.Client) -> None:
    for auth in ({}, {"Authorization": "Bearer guess"}, {"Authorization": LINK_SECRET}):
        response = http.post("/api/link-token", json={"account": "alice"}, headers=auth)
        assert response.status_code == 403, (auth, response.text)
        assert "Bearer" in response.json()["detail"]
    bad = http.post(
        "/api/link-token",
        json={"account": "<b>", "ttl_seconds": 10**6},
        headers={"Authorization": f"Bearer {LINK_SECRET}"},
    )
    assert bad.status_code == 422 and "account" in bad.text and "ttl_seconds" in bad.text


def test_two_linked_sessions_share_ratings_and_a_token_works_once(http: httpx.Client) -> None:
    phone = http.post("/api/rate", json={"movie": "Heat", "stars": 5})
    phone_sid = phone.headers["X-Session-Id"]
    token = _token(http, "acct-42")
    linked = http.post("/api/link", json={"token": token}, headers={"X-Session-Id": phone_sid})
    assert linked.status_code == 200, linked.text
    assert linked.json() == {"session_id": phone_sid, "account": "acct-42", "ratings_given": 1}

    laptop = http.get("/api/profile")
    laptop_sid = laptop.headers["X-Session-Id"]
    stolen = http.post("/api/link", json={"token": token}, headers={"X-Session-Id": laptop_sid})
    assert stolen.status_code == 422 and "used already" in stolen.json()["detail"]
    forged = http.post(
        "/api/link", json={"token": token[:-2] + "xx"}, headers={"X-Session-Id": laptop_sid}
    )
    assert forged.status_code == 422 and "not a link token" in forged.json()["detail"]
    assert http.get("/api/profile", headers={"X-Session-Id": laptop_sid}).json()["ratings"] == []

    token = _token(http, "acct-42")
    http.post("/api/link", json={"token": token}, headers={"X-Session-Id": laptop_sid})
    profile = http.get("/api/profile", headers={"X-Session-Id": laptop_sid}).json()
    assert profile["account"] == "acct-42"
    assert [g["movie"]["display"] for g in profile["ratings"]] == ["Heat (1995)"]
    picks = http.post("/api/recommend", json={"k": 5}, headers={"X-Session-Id": laptop_sid})
    assert picks.json()["basis"] != "popular"  # the phone's rating already shapes the laptop's


# --- schemathesis over the OpenAPI document ----------------------------------------------


@pytest.fixture(scope="module")
def api_schema(server: AppServer) -> Any:
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


OPERATIONS = [
    ("GET", "/api/health"),
    ("POST", "/api/recommend"),
    ("GET", "/api/search"),
    ("GET", "/api/similar"),
    ("POST", "/api/rate"),
    ("GET", "/api/profile"),
    ("POST", "/api/chat"),
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_never_answers_500(api_schema: Any, method: str, path: str) -> None:
    """Generated requests, valid and not, against every operation: schemathesis's checks
    (no 5xx, documented status codes, responses matching their schemas) all hold."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        case.call_and_validate()

    check()


def test_the_page_survives_a_restart_of_the_secret(tmp_path: Path) -> None:
    from bot.database import file_secret as page_secret

    first = page_secret(tmp_path)
    assert first == page_secret(tmp_path) and len(first) >= 32
    assert (tmp_path / "web_secret").stat().st_mode & 0o077 == 0


def test_editing_the_ratings_table_saves_removes_and_survives_typos(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from bot.llm_config import LLMSettings
    from bot.session import open_service
    from bot.web import WebPage, new_token, web_session

    service = open_service(engine, tmp_path, LLMSettings())
    page, token = WebPage(service, "secret"), new_token()
    for title in ("Heat", "Alien", "Toy Story"):
        service.rate(web_session(token), title, 4.0)
    edited = pd.DataFrame(
        {"Movie": ["Heat (1995)", "Alien (1979)", "Toy Story (1995)"], "Stars": ["4,5", "", "abc"]}
    )
    message = page.edit_table(edited, token)[0]
    assert "'abc' is not a number of stars" in message
    given = service.store.load(web_session(token)).given
    stars = {engine.catalog.display(m): g.stars for m, g in given.items()}
    assert stars == {"Heat (1995)": 4.5, "Toy Story (1995)": 4.0}  # the typo lost nothing


def test_session_ids_are_signed_by_the_servers_secret() -> None:
    from bot.api import SessionIds

    ids = SessionIds("one secret")
    sid = ids.issue()
    assert len(sid) == 44 and ids.issued(sid)
    assert SessionIds("one secret").issued(sid)  # a restart keeps it (the secret is on disk)
    assert not SessionIds("another secret").issued(sid)
    assert not ids.issued(sid[:22] + ids.issue()[22:])  # a signature from another id
    assert not ids.issued(sid[:30])


def test_a_huge_body_is_refused_with_413_before_it_is_read(http: httpx.Client) -> None:
    big = b'{"message": "' + b"x" * (1024 * 1024) + b'"}'
    sized = http.post("/api/chat", content=big, headers={"content-type": "application/json"})
    assert sized.status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"message": "'
        for _ in range(64):  # no Content-Length: counted as it arrives
            yield b"y" * 16384
        yield b'"}'

    streamed = http.post(
        "/api/chat", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert http.get("/api/health").status_code == 200


def test_every_status_the_api_answers_is_documented(http: httpx.Client) -> None:
    responses = http.get("/openapi.json").json()["paths"]["/api/chat"]["post"]["responses"]
    assert {"400", "401", "413", "422", "503"} <= set(responses)
    broken = http.post(
        "/api/chat", content=b'{"message": "hi",,,', headers={"content-type": "application/json"}
    )
    assert broken.status_code in (400, 422) and str(broken.status_code) in responses


def test_the_public_api_does_not_let_anyone_view_a_dataset_user(http: httpx.Client) -> None:
    from bot.session import VIEW_AS_OFF

    reply = http.post("/api/chat", json={"message": "I'm user 414"})
    sid = reply.headers["X-Session-Id"]
    assert reply.json()["reply"] == VIEW_AS_OFF
    profile = http.get("/api/profile", headers={"X-Session-Id": sid}).json()
    assert profile["viewing_as_movielens_user"] is None


def test_user_text_is_escaped_where_the_page_renders_it() -> None:
    from bot.events import Reply, plain
    from bot.web import _finished

    reply = Reply('I don\'t know a movie called "<script>alert(1)</script>".', "offline")
    reply.notes.append("<img src=x onerror=alert(1)>")
    shown = " ".join(m["content"] for m in _finished(reply))
    assert "<script>" not in shown and "<img" not in shown
    assert "&lt;script&gt;" in shown and '"' in shown  # quotes stay readable
    assert plain("Fast & Furious") == "Fast &amp; Furious"  # Markdown shows it as "&"


def test_a_method_an_api_path_does_not_take_is_405(http: httpx.Client) -> None:
    for method, path, allow in [
        ("TRACE", "/api/health", "GET, HEAD"),
        ("PUT", "/api/chat", "POST"),
        ("DELETE", "/api/rate", "POST"),
    ]:
        response = http.request(method, path)
        assert response.status_code == 405, (method, path, response.status_code)
        assert response.headers["allow"] == allow
        assert "not allowed" in response.json()["detail"]
    assert http.get("/api/health").status_code == 200
    assert http.get("/").status_code == 200  # the page is untouched


def test_a_group_night_over_the_api(http: httpx.Client) -> None:
    host = http.post("/api/group", json={"name": "Sam"})
    assert host.status_code == 200
    sid, group = host.headers["X-Session-Id"], host.json()
    assert group["members"] == [{"name": "Sam", "you": True}] and len(group["code"]) == 7
    guest = http.post("/api/group/join", json={"code": group["code"].lower(), "name": "Ana"})
    guest_sid = guest.headers["X-Session-Id"]
    assert [m["name"] for m in guest.json()["members"]] == ["Sam", "Ana"]
    http.post(
        "/api/rate", json={"movie": "Amelie", "stars": 5}, headers={"X-Session-Id": guest_sid}
    )
    header = {"X-Session-Id": sid}
    assert http.get("/api/group", headers=header).json()["code"] == group["code"]
    body = {"people": [{"name": "Ben", "likes": "hates subtitles"}], "k": 5}
    picks = http.post("/api/group/picks", json=body, headers=header)
    assert picks.status_code == 200, picks.text
    result = picks.json()
    assert result["members"] == ["you", "Ana", "Ben"] and result["constraints"] == "no subtitles"
    assert len(result["picks"]) == 5
    for pick in result["picks"]:
        assert [f["name"] for f in pick["for_each"]] == ["you", "Ana", "Ben"]
        assert pick["links"]["imdb"] and pick["title"] != "Amelie"
    assert http.delete("/api/group", headers=header).json() == {"left": True}
    assert http.get("/api/group", headers=header).json()["code"] is None
    wrong = http.post("/api/group/join", json={"code": "ZZZ-ZZZ"}, headers=header)
    assert wrong.status_code == 404 and "No group has the code" in wrong.text
    alone = http.post("/api/group/picks", json={}, headers=header)
    assert alone.status_code == 422 and "who's watching" in alone.text
