"""The tool registry: one description per tool, shared by the LLM agent, routing and steps."""

from __future__ import annotations

import inspect

from bot.agent import build_tools
from bot.nlu import Intent
from bot.registry import TOOLS, route, status
from bot.tools import Toolbox, ToolCall, describe_call


def test_every_toolbox_tool_is_registered_and_every_llm_tool_has_its_schema() -> None:
    logged = {
        name
        for name, member in inspect.getmembers(Toolbox, inspect.isfunction)
        if getattr(member, "__wrapped__", None) is not None
    }
    assert logged and logged <= set(TOOLS), logged - set(TOOLS)
    for tool in build_tools():
        spec = TOOLS[tool.name]
        if spec.args is None:
            continue
        assert set(spec.args.model_fields) <= set(tool.args), tool.name


def test_routing_and_wording_come_from_the_registry() -> None:
    assert route(Intent.RECOMMEND) == ["recommend_for_me"]
    assert route(Intent.EXPLAIN) == ["predict_my_rating", "movie_details"]
    assert route(Intent.GREETING) is None and route(None) is None
    assert status("rate_movie") == "Saving your rating"
    call = ToolCall("rate_movie", {"title": "Heat", "stars": 4.5})
    call.found.append("Heat (1995)")
    assert describe_call(call) == "Saved your rating of Heat (1995): 4.5★"
    assert describe_call(ToolCall("search_by_description", {"query": "a heist"})) == (
        "Searched descriptions for “a heist”"
    )


def test_a_failed_call_is_never_worded_as_done() -> None:
    call = ToolCall("rate_movie", {"title": "6", "stars": 309.0}, error="309 stars is outside")
    text = describe_call(call)
    assert not text.startswith("Saved") and "309.0★" not in text
    assert text == "Saving your rating did not work: 309 stars is outside"


def test_a_call_is_refused_unless_it_exists_may_write_and_validates_as_sent() -> None:
    from bot.registry import may_write, refusal

    heat = {"title": "Heat", "stars": 4.5}
    assert refusal("rate_movie", heat, writable=True) is None
    assert "not offered" in (refusal("rate_movie", heat, writable=False) or "")
    assert "no tool called" in (refusal("drop_database", {}, writable=True) or "")
    assert "user_id" in (refusal("rate_movie", {**heat, "user_id": 6}, writable=True) or "")
    assert refusal("rate_movie", {"title": "Heat", "stars": True}, writable=True)
    assert refusal("movie_details", {"title": "Heat"}, writable=False) is None  # reads may
    assert may_write(["rate_movie"], opinions=False) and may_write(None, opinions=True)
    assert not may_write(None, opinions=False) and not may_write(["recommend_for_me"], False)
