"""The LLM agent against a real model: tool choice, grounding and latency per turn.

    ../shared/tools/local-llm/local-llm start        # Qwen2.5-Coder-1.5B on llama.cpp
    OPENAI_BASE_URL=http://127.0.0.1:8077/v1 OPENAI_API_KEY=local \\
        python -m benchmarks.bench_agent [--home DIR] [--timeout 300] [--out FILE]

Runs the scripted turns below, each in a fresh session (a few start from a rated profile).
A turn's tool is right when the first tool the model called is one of the expected ones
(``None``: no tool should be called), even if its final text failed and the offline mode
answered; with ``--offline``, the offline mode's first tool. Grounding is checked on the
final reply text with the same guard, after it ran: the share of replies that name only
movies the tools returned (or the person named). Also reported: how many titles the guard
removed, turns answered by the offline fallback, and seconds per turn.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import DESCRIPTIONS, SHARED
from bot.agent import TOOL_MARKUP_RE, LLMSettings
from bot.grounding import Grounder
from bot.session import open_service
from bot.tools import TurnLog
from recommender.config import Settings
from recommender.engine import Engine
from recommender.titles import title_key

# (message, acceptable first tools, titles rated 4.5 beforehand)
TURNS: list[tuple[str, set[str | None], list[str]]] = [
    ("Recommend me something to watch tonight.", {"recommend_for_me"}, []),
    (
        "What should I watch? I loved Heat and The Godfather.",
        {"recommend_for_me", "rate_movie"},
        [],
    ),
    ("I want a comedy from the 90s.", {"recommend_for_me"}, []),
    ("Give me some sci-fi movies from after 2000.", {"recommend_for_me"}, []),
    (
        "Any good animated films for a family night?",
        {"recommend_for_me", "search_by_description"},
        [],
    ),
    ("Something light and funny, nothing violent please.", {"recommend_for_me"}, []),
    ("Recommend a few dramas for me.", {"recommend_for_me"}, ["Amélie"]),
    ("Would I like Inception?", {"predict_my_rating"}, ["The Matrix"]),
    ("How many stars would I give Titanic?", {"predict_my_rating"}, ["Amélie"]),
    ("Do you think I'd enjoy Pulp Fiction?", {"predict_my_rating"}, ["Reservoir Dogs"]),
    ("Find me movies like Arrival.", {"similar_movies"}, []),
    ("More like The Matrix, please.", {"similar_movies"}, []),
    ("What's similar to Amélie?", {"similar_movies"}, []),
    ("A heist film with a clever twist.", {"search_by_description"}, []),
    ("Find a movie about a robot who falls in love.", {"search_by_description"}, []),
    ("Search for a story about time travel and paradoxes.", {"search_by_description"}, []),
    ("I want a film where a man loses his memory.", {"search_by_description"}, []),
    ("What's my taste cluster?", {"my_taste_cluster"}, ["Toy Story", "Aladdin"]),
    ("Describe my taste in movies.", {"my_taste_cluster"}, ["Alien", "Aliens"]),
    ("Who has taste like mine?", {"people_like_me"}, ["Heat", "Casino", "Goodfellas"]),
    ("Find people similar to me.", {"people_like_me"}, ["Up", "Toy Story 3"]),
    ("What do people say about Fight Club?", {"tag_sentiment"}, []),
    ("Is Forrest Gump well loved? What do the tags say?", {"tag_sentiment"}, []),
    ("What are people's opinions of Twilight?", {"tag_sentiment"}, []),
    ("Tell me about Pulp Fiction.", {"movie_details"}, []),
    ("Who directed Jaws?", {"movie_details"}, []),
    ("What is Spirited Away about?", {"movie_details"}, []),
    ("I just watched Toy Story, I'd rate it 5 stars.", {"rate_movie"}, []),
    ("Rate Titanic 2 stars for me.", {"rate_movie"}, []),
    ("I loved Amélie!", {"rate_movie"}, []),
    ("I didn't like Superbad, not for me.", {"rate_movie"}, []),
    ("Hello!", {None}, []),
    ("Thanks a lot!", {None}, []),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, help="write per-turn results as JSON here")
    parser.add_argument("--offline", action="store_true", help="the offline mode, no LLM")
    parser.add_argument("--no-routing", action="store_true", help="offer every tool at once")
    args = parser.parse_args()
    llm = LLMSettings.from_env().model_copy(
        update={"timeout": args.timeout, "routing": not args.no_routing}
    )
    if args.offline:
        llm = LLMSettings()
    elif not llm.enabled:
        raise SystemExit("Set OPENAI_BASE_URL (and OPENAI_API_KEY) to the model to benchmark.")
    home = args.home or Path(tempfile.mkdtemp(prefix="moviebot-agent-"))
    settings = Settings(data_dir=SHARED / "ml-latest-small", descriptions=DESCRIPTIONS, home=home)
    engine = Engine.open(settings, progress=False)
    service = open_service(engine, settings.userdata_dir, llm)
    service.warm_up()
    rows = [_turn(service, i, *turn) for i, turn in enumerate(TURNS)]
    _report(rows, llm)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))


def _turn(
    service: Any, i: int, message: str, expected: set[str | None], liked: list[str]
) -> dict[str, Any]:
    session = f"bench-{i}"
    service.reset(session, everything=True)
    for title in liked:
        service.rate(session, title, 4.5)
    started = time.perf_counter()
    shown: list[str] = []  # what the person saw stream by, line by line
    reply = None
    for event in service.stream(session, message):
        if event.kind == "text":
            shown += [line.strip() for line in event.text.split("\n") if line.strip()]
        elif event.kind == "done":
            reply = event.reply
    assert reply is not None
    seconds = time.perf_counter() - started
    offline = service.llm is None
    called = reply.tools if offline or reply.mode == "llm" else reply.llm_tools
    first = called[0] if called else None
    leftover = _violations(service, session, message, reply)
    row = {
        "message": message,
        "expected": sorted(map(str, expected)),
        "first_tool": first,
        "tools": called,
        "right_tool": first in expected,
        "mode": reply.mode,
        "removed_by_guard": reply.removed,
        "ungrounded_after_guard": leftover,
        "tool_markup_shown": [line for line in shown if TOOL_MARKUP_RE.search(line)],
        "withdrawn_lines": [line for line in shown if line not in reply.text],
        "seconds": round(seconds, 3),
        "reply": reply.text,
    }
    mark = "ok " if row["right_tool"] else "BAD"
    print(f"[{mark}] {seconds:6.1f}s {reply.mode:<7} {first!s:<22} {message}", flush=True)
    return row


def _violations(service: Any, session: str, message: str, reply: Any) -> list[str]:
    """Titles still in the final text that no tool returned and the person did not name."""
    log = TurnLog()
    for movie_id in reply.movies:
        log.note(service.engine.catalog.movie(movie_id))
    grounder = Grounder(service.nlu)
    own = {
        title_key(service.engine.catalog.movie(t.movie_id).title)
        for t in grounder.nlu.find_titles(message)
    }
    for movie_id in service.store.load(session).given:
        own.add(title_key(service.engine.catalog.movie(movie_id).title))
    found: list[str] = []
    for line in reply.text.split("\n"):
        found += grounder.check_line(line, log.mentions | own, reply.quoted).removed
    # a title the tools wrote out themselves ("did you mean It (2017)?") is theirs
    return [t for t in found if t.lower() not in reply.quoted]


def _report(rows: list[dict[str, Any]], llm: LLMSettings) -> None:
    n = len(rows)
    right = sum(r["right_tool"] for r in rows)
    llm_rows = [r for r in rows if r["mode"] == "llm"]
    grounded = sum(not r["ungrounded_after_guard"] for r in rows)
    removed = sum(len(r["removed_by_guard"]) for r in rows)
    caught = sum(bool(r["removed_by_guard"]) for r in rows)
    seconds = sorted(r["seconds"] for r in rows)
    print()
    if llm.enabled:
        print(f"model {llm.model} at {llm.base_url}; routing {'on' if llm.routing else 'off'}")
    else:
        print("offline mode (no LLM)")
    print(f"{n} turns")
    print(f"right first tool            {right}/{n} = {right / n:.0%}")
    if llm.enabled:
        print(f"answered by the LLM         {len(llm_rows)}/{n} (the rest fell back to offline)")
    print(f"grounded replies after guard {grounded}/{n} = {grounded / n:.0%}")
    print(f"titles removed by the guard {removed} (in {caught} replies)")
    markup = sum(len(r["tool_markup_shown"]) for r in rows)
    withdrawn = sum(len(r["withdrawn_lines"]) for r in rows)
    print(f"streamed lines with tool-call markup {markup}")
    print(f"streamed lines the final reply withdrew {withdrawn}")
    print(
        f"seconds per turn            median {statistics.median(seconds):.2f}  "
        f"p90 {seconds[int(0.9 * (n - 1))]:.2f}  max {seconds[-1]:.2f}"
    )


if __name__ == "__main__":
    main()
