"""The session API every front end uses: ``stream``/``send`` a message, ``rate``, ``reset``.

A session id names one person's conversation (a browser session, a Telegram chat, a terminal).
The session layer decides who that person is: "I'm user 414" switches the view to a MovieLens
user here, in code, before any model sees the message; tools only ever get the session's own
profile. Replies come from the LLM agent when one is configured and working, otherwise from the
offline mode, with a short visible note when the LLM failed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import threading
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.cards import Card, DetailsLookup, build_cards
from bot.dialogue import DialogueState
from bot.events import Event, Reply
from bot.linking import Linked, LinkTokens
from bot.nlu import Intent, Understander
from bot.offline import LLM_HINT, OfflineAgent, describe_profile
from bot.profiles import Mark, ProfileStore
from bot.tools import Toolbox, TurnLog, group_dict
from recommender.engine import Engine
from recommender.errors import MovieBotError
from recommender.ranking import Filters
from recommender.results import Recommendations
from recommender.tmdb import DetailsSource

if TYPE_CHECKING:
    from bot.agent import LLMAgent

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 10_000
VIEW_AS_OFF = (
    "Here you can't view someone else's ratings. Tell me a few films you like (or rate some) "
    "and I'll work from those."
)
RATING_INTENTS = {Intent.RATE, Intent.LIKE, Intent.DISLIKE, Intent.SEEN}
LOCK_STRIPES = 64  # turns of one session never overlap; of two sessions, rarely wait
TRUE = {"1", "true", "yes", "on"}
FALLBACK_NOTE = (
    "(The language model isn't answering right now, so this reply comes from my offline mode.)"
)

_SWITCH_RE = re.compile(
    r"\b(?:i am|i'm|im|i’m|log (?:me )?in as|switch (?:me )?to|view as|show me the view of|"
    r"pretend i'm|act as)\s+(?:movielens\s+)?user\s*(?:#|no\.?|number)?\s*(?P<id>\d{1,9})\b",
    re.IGNORECASE,
)
_BACK_RE = re.compile(
    r"\b(?:i'?m new|i am new|i’m new|be myself|back to (?:me|myself)|stop being user|"
    r"log ?out|i'?m not user \d+|switch back)\b",
    re.IGNORECASE,
)


class ChatService:
    """Sessions over one engine: the only door front ends use."""

    def __init__(
        self,
        engine: Engine,
        store: ProfileStore,
        llm: LLMAgent | None = None,
        understander: Understander | None = None,
        view_as_users: bool = True,
        links: LinkTokens | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.llm = llm
        # "I'm user 414": fine for a demo on public data, not on a platform with real people.
        self.view_as_users = view_as_users
        self.links = links or LinkTokens(secrets.token_urlsafe(32), store)
        self.nlu = understander or Understander(engine.catalog, _embedder(engine))
        self.offline = OfflineAgent(self.nlu)
        # Striped, not one per session: a lock per session ever seen grew without bound.
        self._locks = tuple(threading.Lock() for _ in range(LOCK_STRIPES))
        self.warm = threading.Event()  # set once warm_up has loaded the slow parts
        self.details: DetailsLookup | None = None  # TMDB details for cards, when fetched

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "offline"

    @property
    def backend(self) -> str:
        """Which model answers, in words: "gpt-4o-mini at api.openai.com" or "offline mode"."""
        if self.llm is None:
            return "offline mode"
        settings = self.llm.settings
        host = urlsplit(settings.base_url).netloc if settings.base_url else "api.openai.com"
        return f"{settings.model} at {host}"

    def warm_up(self) -> None:
        """Load what the first messages would otherwise wait for: embedder, index, text model."""
        self.nlu.spotter.warm()
        self.nlu.parse("a quiet film about the sea")
        try:
            self.engine.search("a quiet film about the sea", k=1)
            self.engine.recommend(text="a quiet film about the sea", k=1)
        except MovieBotError as err:  # no index built: the offline mode works without it
            log.info("warm-up skipped the description index: %s", err)
        except Exception:  # a broken index must not stop the rest from being served
            log.exception("warm-up could not load the description index")
        self.warm.set()

    def index_ready(self) -> None:
        """The description index came in while serving: use it for intents, then warm up."""
        self.nlu.use_embedder(_embedder(self.engine))
        self.warm_up()

    def warm_up_in_background(self) -> threading.Thread:
        """Warm up while the caller goes on serving (requests that need the parts just wait)."""
        thread = threading.Thread(target=self.warm_up, name="warm-up", daemon=True)
        thread.start()
        return thread

    # --- messages --------------------------------------------------------------------------

    def send(self, session_id: str, message: str) -> Reply:
        """One message in, one finished reply out."""
        reply = None
        for event in self.stream(session_id, message):
            if event.kind == "done":
                reply = event.reply
        assert reply is not None
        return reply

    def _lock(self, session_id: str) -> threading.Lock:
        """The lock that serializes this session's turns (shared with 1/LOCK_STRIPES of all)."""
        digest = hashlib.blake2b(session_id.encode(), digest_size=4).digest()
        return self._locks[int.from_bytes(digest, "big") % LOCK_STRIPES]

    def stream(self, session_id: str, message: str) -> Iterator[Event]:
        """Status lines, text deltas and notes as they come, then ``done`` with the reply."""
        with self._lock(session_id):
            message = (message or "")[:MAX_MESSAGE_CHARS]
            self.store.append(session_id, "user", message or "(empty message)")
            reply = yield from self._answer(session_id, message)
            self.store.append(session_id, "assistant", reply.text)
            yield Event("done", reply=reply)

    def _answer(self, session_id: str, message: str) -> Generator[Event, None, Reply]:
        switched = self._switch(session_id, message)
        if switched is not None:
            yield Event("text", switched)
            return Reply(switched, "session")
        if self.llm is not None:
            from bot.agent import LLMFailure

            turn = TurnLog()
            try:
                parse = self.nlu.parse(message)
                intent = parse.intent if parse.confidence >= 0.5 else None
                opinions = parse.intent in RATING_INTENTS or any(
                    o.stored_stars is not None for o in parse.opinions
                )
                toolbox = self._toolbox(session_id, turn)
                return (yield from self.llm.respond(toolbox, message, intent, opinions))
            except LLMFailure as err:
                log.warning("LLM failed, answering offline: %s", err)
                yield Event("note", FALLBACK_NOTE)
                reply = yield from self._offline(session_id, message, [FALLBACK_NOTE])
                return replace(reply, llm_tools=turn.tools_called)
        return (yield from self._offline(session_id, message, []))

    def _offline(
        self, session_id: str, message: str, notes: list[str]
    ) -> Generator[Event, None, Reply]:
        turn = TurnLog()
        tools = self._toolbox(session_id, turn)
        state = DialogueState.from_json(self.store.load(session_id).state)
        extra: list[str]
        yield Event("status", "Thinking...")
        try:
            result = self.offline.respond(tools, state, message)
        except MovieBotError as err:  # tools catch their own; this is a last line
            result_text, extra = str(err), []
        except Exception:
            log.exception("offline mode failed on %r", message[:200])
            result_text, extra = "Sorry, something went wrong on my side. Please try again.", []
        else:
            result_text, extra = result.text, result.notes
        if self.llm is None and not state.hinted_llm:
            state.hinted_llm = True
            extra = [*extra, LLM_HINT]
        self.store.save_state(session_id, state.to_json())
        yield Event("text", result_text)
        for note in extra:
            yield Event("note", note)
        return Reply(
            result_text,
            "offline",
            [*notes, *extra],
            turn.tools_called,
            dict(turn.movies),
            quoted=turn.quoted,
            steps=turn.steps,
            rated=tuple(turn.rated),
        )

    def _toolbox(self, session_id: str, turn: TurnLog) -> Toolbox:
        return Toolbox(self.engine, self.store, session_id, turn, self.nlu.read_described)

    # --- who is talking -------------------------------------------------------------------

    def _switch(self, session_id: str, message: str) -> str | None:
        """Handle "I'm user 414" and "I'm new" here, never in a model."""
        if match := _SWITCH_RE.search(message):
            if not self.view_as_users:
                return VIEW_AS_OFF
            user = int(match["id"])
            try:
                self.engine.check_user(user)
            except MovieBotError as err:
                return str(err)
            self.store.set_view(session_id, user)
            self.store.save_state(session_id, DialogueState(hinted_llm=True).to_json())
            row = self.engine.models.matrix.user_row(user)
            n = len(self.engine.models.matrix.profile(row)) if row is not None else 0
            return (
                f"You're now viewing as MovieLens user {user}, who rated {n} movies. Their "
                "ratings are read-only; anything you rate now goes to your own profile on top. "
                'Say "I\'m new" to go back. Ask me for recommendations to see their view!'
            )
        if _BACK_RE.search(message) and self.store.load(session_id).view_user is not None:
            self.store.set_view(session_id, None)
            return "You're yourself again: only the ratings you gave here count."
        return None

    # --- direct actions (buttons, commands) -----------------------------------------------

    def rate(self, session_id: str, movie: str | int, stars: float) -> dict[str, Any]:
        """Rate a movie for this session (a button or a command, no message)."""
        return self._toolbox(session_id, TurnLog()).rate_movie(movie, stars)  # type: ignore[arg-type]

    def not_for_me(self, session_id: str, movie: str | int) -> dict[str, Any]:
        """Thumbs-down: never again, and similar movies sink."""
        return self._toolbox(session_id, TurnLog()).not_for_me(movie)

    def mark(self, session_id: str, movie: str | int, mark: Mark, on: bool = True) -> Card:
        """Put a movie on (or take it off) the watchlist or the seen list; its card after."""
        movie_id = self.engine.resolve(movie)
        self.store.mark(session_id, movie_id, mark, on)
        return self.cards(session_id, [movie_id])[0]

    def cards(self, session_id: str, movie_ids: list[int]) -> list[Card]:
        """Movie cards for this session's person (predicted stars, why, links, marks)."""
        taste = self._toolbox(session_id, TurnLog()).taste()
        profile = self.store.load(session_id)
        return build_cards(self.engine, taste, profile, movie_ids, self.details)

    def watchlist(self, session_id: str) -> list[Card]:
        """The movies this person kept for later, newest first."""
        return self.cards(session_id, self.store.load(session_id).watchlist)

    def me(self, session_id: str) -> str:
        """What this session's person has told the bot, in words."""
        return describe_profile(self._toolbox(session_id, TurnLog()).my_profile())

    def profile(self, session_id: str) -> dict[str, Any]:
        return self._toolbox(session_id, TurnLog()).my_profile()

    def suggested(self, session_id: str, reply: Reply, n: int) -> list[tuple[int, str]]:
        """Up to ``n`` movies the reply suggested that this person has not rated yet."""
        given = self.store.load(session_id).given
        return [(m, t) for m, t in reply.picks.items() if m not in given][:n]

    def taste_group(self, session_id: str) -> dict[str, Any]:
        """This person's taste cluster, what it loves and its signature movies."""
        return self._toolbox(session_id, TurnLog()).my_taste_cluster()

    def people_like_me(self, session_id: str) -> dict[str, Any]:
        """The MovieLens users closest in taste, and the movies they loved."""
        return self._toolbox(session_id, TurnLog()).people_like_me()

    def recommend(
        self,
        session_id: str,
        *,
        text: str | None = None,
        filters: Filters | None = None,
        k: int = 10,
    ) -> Recommendations:
        """Personal picks for this session's person; what they turned down never comes back."""
        tools = self._toolbox(session_id, TurnLog())
        return self.engine.recommend(
            tools.taste(), text=text, filters=filters, k=k, exclude=tools.not_to_suggest()
        )

    # --- group nights ----------------------------------------------------------------------

    def start_group(self, session_id: str, name: str | None = None) -> dict[str, Any]:
        """A new group with this person in it: the code to share, who is in."""
        return group_dict(self.store.create_group(session_id, name or "Host"), session_id)

    def join_group(self, session_id: str, code: str, name: str | None = None) -> dict[str, Any]:
        """Join a group by its share code (GroupError, a friendly one, when it can't be)."""
        return group_dict(self.store.join_group(code, session_id, name), session_id)

    def group(self, session_id: str) -> dict[str, Any] | None:
        """The group this person is in, or None."""
        group = self.store.group_of(session_id)
        return None if group is None else group_dict(group, session_id)

    def leave_group(self, session_id: str) -> bool:
        return self.store.leave_group(session_id)

    def group_picks(
        self,
        session_id: str,
        people: list[dict[str, str]] | None = None,
        request: str | None = None,
        k: int = 5,
    ) -> dict[str, Any]:
        """Picks for this person, their group and ``people`` ({"name", "likes"}) described."""
        result = self._toolbox(session_id, TurnLog()).group_picks(
            people or [], request=request, k=k
        )
        if "error" in result:
            raise MovieBotError(str(result["error"]))
        return result

    def forget(self, session_id: str, movie: str | int) -> bool:
        """Remove a rating this session gave (the person changed their mind)."""
        return self.store.forget(session_id, self.engine.resolve(movie))

    def taste_map(self, session_id: str) -> Any:
        """Everyone on the 2-D taste map, and where this session's person stands."""
        return self.engine.taste_map(self._toolbox(session_id, TurnLog()).taste())

    def link(self, session_id: str, token: str) -> Linked:
        """Redeem a platform's link token: this session shares the account's ratings from now."""
        return self.links.redeem(token, session_id)

    def reset(self, session_id: str, everything: bool = False) -> None:
        """Start the conversation afresh; with ``everything``, forget the profile too."""
        if everything:
            self.store.reset(session_id)
        else:
            self.store.clear_conversation(session_id)


def _embedder(engine: Engine) -> Any:
    """The engine's sentence embedder for intent similarity, when the index is built."""
    try:
        semantic = engine.semantic
    except MovieBotError:
        return None
    return lambda texts: semantic.embedder.encode(list(texts))


def open_service(
    engine: Engine, userdata: Any, llm_settings: Any = None, view_as_users: bool = False
) -> ChatService:
    """The chat service over ``engine``: profiles under ``userdata``; the LLM when configured.

    ``view_as_users``: whether "I'm user 414" shows a MovieLens user's ratings (the terminal
    passes True; public front ends leave it off unless ``MOVIEBOT_VIEW_AS_USERS=1``).
    """
    from bot.llm_config import LLMSettings

    settings = llm_settings or LLMSettings.from_env()
    allowed = view_as_users or os.environ.get("MOVIEBOT_VIEW_AS_USERS", "").lower() in TRUE
    store = ProfileStore.in_folder(userdata)
    links = LinkTokens(store.secret(), store)
    service = ChatService(engine, store, view_as_users=allowed, links=links)
    service.details = DetailsSource(Path(userdata).parent)  # MOVIEBOT_HOME/tmdb, once enriched
    if settings.enabled:
        from bot.agent import LLMAgent
        from bot.grounding import Grounder

        service.llm = LLMAgent(settings, Grounder(service.nlu))
    return service
