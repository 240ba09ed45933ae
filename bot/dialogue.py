"""The dialogue state a session carries between turns, typed, and its JSON form.

The session store keeps it as JSON (``ProfileStore.save_state``); ``from_json`` reads any
earlier form, ignoring keys it does not know and defaulting the ones it misses, so a state
saved by an older version never breaks a conversation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class RequestFilters:
    """The constraints of the current request, built up over turns ("from the 90s", then
    "nothing violent"); a new description starts them afresh."""

    genres: list[str] = field(default_factory=list)
    exclude_genres: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    mood: str | None = None
    all_genres: bool = False
    no_subtitles: bool = False  # only films whose original language is English


@dataclass
class DialogueState:
    """What the conversation points at: the movie last talked about, the picks last shown,
    what the person has seen, the request's constraints, and the last intent."""

    focus: int | None = None
    shown: list[int] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)
    filters: RequestFilters = field(default_factory=RequestFilters)
    last_intent: str | None = None
    hinted_llm: bool = False  # the "an LLM would do better" hint was given once

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DialogueState:
        data = data or {}
        known = {f.name for f in fields(cls)} - {"filters"}
        state = cls(**{k: v for k, v in data.items() if k in known})
        raw = data.get("filters") or {}
        names = {f.name for f in fields(RequestFilters)}
        state.filters = RequestFilters(**{k: v for k, v in raw.items() if k in names})
        return state

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
