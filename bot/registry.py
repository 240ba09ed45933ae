"""One registry of the tools a turn can use: each tool's name, the arguments an LLM fills,
the status line shown while it runs, how a finished call is worded, and the intents it serves.

The LLM agent (schemas, status lines, routing by intent), the offline agent's steps and the
page (status lines, "🔧" steps) all read it, so a tool is described in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bot.nlu import Intent

# --- tool argument schemas ---------------------------------------------------------------
# Not extra="forbid": LangChain validates the injected ``runtime`` against them too. Unknown
# arguments a model invents (a "user_id") are dropped, so they can never redirect a tool.


class RecommendArgs(BaseModel):
    # No example values here: small models copy examples into their calls.
    genres: list[str] = Field(
        default_factory=list, description="Genres the person asked for; empty if none."
    )
    exclude_genres: list[str] = Field(
        default_factory=list, description="Genres the person does not want; empty if none."
    )
    year_from: int | None = Field(None, description="Earliest year, only if the person gave one.")
    year_to: int | None = Field(None, description="Latest year, only if the person gave one.")
    mood: str | None = Field(
        None, description="The person's own words about the feel or story, if any."
    )
    no_subtitles: bool = Field(
        False, description="True only if the person wants films made in English (no subtitles)."
    )


class TitleArgs(BaseModel):
    title: str = Field(description="The movie title as the person wrote it.")


class SearchArgs(BaseModel):
    query: str = Field(description="What happens in the movie or what it is about.")


class RateArgs(BaseModel):
    title: str = Field(description="The movie title.")
    stars: float = Field(description="Stars from 0.5 to 5 (loved 4.5, liked 4, disliked 1).")


class GroupPersonArgs(BaseModel):
    name: str = Field(description="The person's name as given.")
    likes: str = Field(
        "", description="What this person likes or can't stand, in the person's words."
    )


class GroupArgs(BaseModel):
    people: list[GroupPersonArgs] = Field(
        default_factory=list,
        description="The others watching (not the person chatting); empty for their group.",
    )
    my_words: str | None = Field(None, description="What the person chatting said they like.")
    request: str | None = Field(None, description="What the group wants tonight, if said.")


class JoinArgs(BaseModel):
    code: str = Field(description="The group's share code, as given.")


def quoted(value: Any) -> str:
    """A person's words as a step quotes them: in curly quotes, at most 60 characters."""
    text = " ".join(str(value).split())
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


def _narrowed(args: dict[str, Any]) -> str:
    parts = []
    if args.get("genres"):
        parts.append(" + ".join(map(str, args["genres"])))
    if args.get("exclude_genres"):
        parts.append("no " + " or ".join(map(str, args["exclude_genres"])))
    low, high = args.get("year_from"), args.get("year_to")
    if low or high:
        parts.append(f"{low or '…'} to {high or '…'}")
    if args.get("no_subtitles"):
        parts.append("in English")
    if args.get("mood"):
        parts.append(f"in the mood for {quoted(args['mood'])}")
    return f" ({', '.join(parts)})" if parts else ""


Wording = Callable[[dict[str, Any], str], str]  # (arguments, the movie it was about) -> step


@dataclass(frozen=True)
class ToolSpec:
    """How one tool is offered, announced and reported."""

    name: str
    status: str  # while it runs: "Picking movies for you"
    step: Wording  # once done: "Picked movies from your ratings and taste (Comedy, 1990 to …)"
    args: type[BaseModel] | None = None  # what an LLM fills in; None: no arguments
    intents: frozenset[Intent] = frozenset()  # understood intents it answers (routing)
    writes: bool = False  # changes the person's profile: only when the turn's route allows it


def _spec(
    name: str,
    status: str,
    step: Wording,
    args: type[BaseModel] | None = None,
    intents: tuple[Intent, ...] = (),
    writes: bool = False,
) -> ToolSpec:
    return ToolSpec(name, status, step, args, frozenset(intents), writes)


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "recommend_for_me",
            "Picking movies for you",
            lambda a, _: "Picked movies from your ratings and taste" + _narrowed(a),
            RecommendArgs,
            (Intent.RECOMMEND,),
        ),
        _spec(
            "predict_my_rating",
            "Predicting your rating",
            lambda a, m: f"Predicted your stars for {m}",
            TitleArgs,
            (Intent.PREDICT, Intent.EXPLAIN),
        ),
        _spec(
            "similar_movies",
            "Finding similar movies",
            lambda a, m: f"Found movies like {m}",
            TitleArgs,
            (Intent.SIMILAR,),
        ),
        _spec(
            "search_by_description",
            "Searching movie descriptions",
            lambda a, _: (
                f"Searched descriptions for {quoted(a.get('query'))}"
                + _narrowed({k: v for k, v in a.items() if k != "query"})
            ),
            SearchArgs,
            (Intent.SEARCH,),
        ),
        _spec(
            "my_taste_cluster",
            "Looking at your taste group",
            lambda a, _: "Looked up your taste cluster",
            intents=(Intent.TASTE,),
        ),
        _spec(
            "people_like_me",
            "Finding people with your taste",
            lambda a, _: "Found MovieLens users with your taste",
            intents=(Intent.PEOPLE,),
        ),
        _spec(
            "tag_sentiment",
            "Reading what people's tags say",
            lambda a, m: f"Read what people's tags say about {m}",
            TitleArgs,
            (Intent.SENTIMENT, Intent.COMPARE),
        ),
        _spec(
            "movie_details",
            "Looking up the movie",
            lambda a, m: f"Looked up {m}",
            TitleArgs,
            (Intent.DETAILS, Intent.EXPLAIN, Intent.COMPARE),
        ),
        _spec("my_profile", "Reading your profile", lambda a, _: "Read your profile"),
        _spec(
            "save_for_later",
            "Saving it to your watchlist",
            lambda a, m: f"Put {m} on your watchlist",
            TitleArgs,
            (Intent.SAVE,),
            writes=True,
        ),
        _spec(
            "mark_seen",
            "Marking it as seen",
            lambda a, m: f"Marked {m} as seen",
            TitleArgs,
            (Intent.SEEN,),
            writes=True,
        ),
        _spec(
            "my_watchlist",
            "Reading your watchlist",
            lambda a, _: "Ranked your watchlist for you",
            intents=(Intent.WATCHLIST,),
        ),
        _spec(
            "group_picks",
            "Picking for everyone watching",
            lambda a, _: "Picked movies for everyone watching, each pick checked for each person",
            GroupArgs,
            (Intent.GROUP,),
        ),
        _spec(
            "start_group",
            "Starting a group night",
            lambda a, _: "Started a group night with a share code",
            intents=(Intent.START_GROUP,),
            writes=True,
        ),
        _spec(
            "join_group",
            "Joining the group",
            lambda a, _: f"Joined the group {a.get('code', '')}".rstrip(),
            JoinArgs,
            (Intent.JOIN_GROUP,),
            writes=True,
        ),
        _spec(
            "rate_movie",
            "Saving your rating",
            lambda a, m: f"Saved your rating of {m}: {a.get('stars')}★",
            RateArgs,
            (Intent.RATE, Intent.LIKE, Intent.DISLIKE, Intent.SEEN),
            writes=True,
        ),
    )
}


def may_write(route: list[str] | None, opinions: bool) -> bool:
    """Whether a turn may change the profile: the person's message itself rates or gives a
    title an opinion (``opinions``), or its route offers a writing tool. An unrouted message
    ("what did the other person rate?") never lets a model write on its own initiative."""
    return opinions or any(TOOLS[n].writes for n in route or () if n in TOOLS)


def refusal(name: str, args: Any, writable: bool) -> str | None:
    """Why an LLM's tool call must not run (None: it may).

    It must name a tool that exists; a tool that writes needs a turn that may write (see
    ``may_write``); its arguments must be exactly the tool's, valid as sent.
    """
    spec = TOOLS.get(name)
    if spec is None:
        return f"There is no tool called {quoted(name)}. Nothing was done."
    if spec.writes and not writable:
        return f"{name} was not offered for this message. Nothing was saved."
    if not isinstance(args, dict):
        return f"The arguments of {name} were not a JSON object. Nothing was done."
    fields = set(spec.args.model_fields) if spec.args else set()
    if unknown := sorted(set(args) - fields):
        return f"{name} takes no {', '.join(unknown)}. Nothing was done."
    if spec.args is not None:
        try:
            spec.args.model_validate(args, strict=True)
        except ValidationError as err:
            where = ", ".join(str(e["loc"][0]) for e in err.errors() if e.get("loc"))
            return f"Invalid arguments for {name} ({where}). Nothing was done."
    return None


def route(intent: Intent | str | None) -> list[str] | None:
    """The tools that answer an understood intent (None: any tool may be chosen)."""
    names = [name for name, spec in TOOLS.items() if intent and intent in spec.intents]
    return names or None


def status(name: str) -> str:
    spec = TOOLS.get(name)
    return spec.status if spec else f"Using {name}"
