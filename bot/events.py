"""What a turn produces, typed for every front end: the finished ``Reply`` and the streamed
``Event`` pieces. Both live here, below the agent and the session, so neither imports the
other for them."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Literal

from bot.tools import Step


@dataclass(frozen=True)
class Reply:
    """A finished reply: the text, how it was made, and what it drew on."""

    text: str
    mode: Literal["llm", "offline", "session"]
    notes: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    movies: dict[int, str] = field(default_factory=dict)  # what the tools returned
    removed: list[str] = field(default_factory=list)  # titles the grounding guard took out
    quoted: str = field(default="", repr=False)  # every text the tools returned (evidence)
    llm_tools: list[str] = field(default_factory=list)  # what a failed LLM turn had called
    steps: list[Step] = field(default_factory=list)  # the tool calls, in words
    rated: tuple[int, ...] = ()  # movies the person rated this turn: said, not suggested

    @property
    def picks(self) -> dict[int, str]:
        """The returned movies the reply names (all returned ones if it names none by title):
        its suggestions first, then the movies the person rated in this message."""
        named = {m: t for m, t in self.movies.items() if t in self.text} or dict(self.movies)
        suggested = {m: t for m, t in named.items() if m not in self.rated}
        return {**suggested, **{m: t for m, t in named.items() if m in self.rated}}


@dataclass(frozen=True)
class Event:
    """A piece of a streamed reply: a status line, a text delta, a note, or the end."""

    kind: Literal["status", "text", "note", "done"]
    text: str = ""
    reply: Reply | None = None


def plain(text: str) -> str:
    """Chat text (replies, notes and steps may quote the person's words) as text, never HTML.

    Replies are plain text with light Markdown everywhere (API fields, stored history); each
    front end escapes them where it renders HTML: the page and the Telegram bot.
    """
    return html.escape(text, quote=False)
