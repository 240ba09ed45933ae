"""The REST API: the same chat service over FastAPI, with pydantic requests and responses.

Calls that read or change a person's profile carry ``X-Session-Id``. Without one a new session
is created, and its id comes back in the same header (and in the body): keep it for the next
call. Only the server makes ids: 22 random characters and their HMAC under the server's secret,
so an id a client made up (or guessed) is refused with 401 and nobody can choose an identity.
API sessions live in their own namespace, so no id sent here can reach a web or Telegram
session. Bad input is 422 (or 404/409 for titles) with a message a
person can act on; nothing a client sends gives a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, create_model

from bot.cards import Card
from bot.limits import numeric_threads
from bot.linking import ACCOUNT_PATTERN, DEFAULT_TTL, MAX_TTL
from bot.profiles import GroupError
from bot.session import MAX_MESSAGE_CHARS, ChatService
from recommender.errors import (
    AmbiguousTitleError,
    MovieBotError,
    NotBuiltError,
    UnknownMovieError,
    UnknownTitleError,
)
from recommender.ranking import Filters
from recommender.results import movie_dict

log = logging.getLogger(__name__)

SESSION_HEADER = "X-Session-Id"
SESSION_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
BAD_SESSION = (
    f"{SESSION_HEADER} must be 16-64 letters, digits, '-' or '_'; omit it to get a new session."
)
BAD_MOVIE = "movie: a title (not empty) or a MovieLens movieId (a whole number)"
MAX_TITLE = 300
MAX_BODY = 64 * 1024  # bytes: the largest valid request (a 10,000-character chat) is far less
MAX_QUERY = 1000


UNKNOWN_SESSION = (
    f"This {SESSION_HEADER} was not issued by this server (ids are made by the server only). "
    "Omit the header once: the response's X-Session-Id header and its session_id field carry "
    "a new session id to send from then on."
)


class SessionIds:
    """Issues API session ids and recognises only its own (signed, so they survive restarts)."""

    RANDOM = 22  # characters of secrets.token_urlsafe(16)

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"moviebot api sessions\0" + secret.encode()).digest()

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(16)
        return nonce + self._mac(nonce)

    def issued(self, sid: str) -> bool:
        nonce, mac = sid[: self.RANDOM], sid[self.RANDOM :]
        return len(nonce) == self.RANDOM and hmac.compare_digest(mac, self._mac(nonce))

    def _mac(self, nonce: str) -> str:
        digest = hmac.new(self._key, nonce.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class UnknownSessionError(Exception):
    """A session id the server never issued."""


class PlatformOnlyError(Exception):
    """A link-token request without the platform's shared secret (or linking is off)."""


LINK_SECRET_ENV = "MOVIEBOT_LINK_SECRET"
LINKING_OFF = (
    f"Account linking is off on this server: its operator sets {LINK_SECRET_ENV} and gives "
    "the same secret to the platform's backend."
)
NOT_PLATFORM = (
    "Only the platform's backend may ask for link tokens: send Authorization: Bearer <secret>."
)


# --- schemas -------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinksOut(BaseModel):
    imdb: str | None = Field(None, description="the movie's IMDb page (from links.csv)")
    tmdb: str | None = Field(None, description="the movie's TMDB page (from links.csv)")


class Movie(BaseModel):
    movieId: int
    title: str
    year: int | None
    display: str
    genres: list[str]
    links: LinksOut = Field(default_factory=LinksOut)


class CardOut(Movie):
    predicted_stars: float | None = Field(
        description="predicted for this person (None until they rated something)"
    )
    why: str = Field(description="the best reasons, in a line")
    mean_rating: float | None = Field(description="MovieLens average, 0.5-5")
    n_ratings: int
    your_stars: float | None
    not_for_me: bool
    watchlist: bool
    seen: bool


class MarkRequest(_Strict):
    movie: (
        Annotated[str, Field(strict=True, min_length=1, max_length=MAX_TITLE, pattern=r"\S")]
        | (Annotated[int, Field(strict=True)])
    ) = Field(description="a title as a person types it, or a MovieLens movieId")
    on: bool = Field(True, strict=True, description="false takes it off the list again")


class GroupMemberOut(BaseModel):
    name: str
    you: bool = Field(description="this session")


class GroupOut(BaseModel):
    code: str | None = Field(description="the share code others join with; None: no group")
    members: list[GroupMemberOut] = Field(default_factory=list, description="first joiner first")
    expires: int | None = Field(None, description="Unix time the code stops working")


class GroupStart(_Strict):
    name: str | None = Field(None, max_length=40, description="the name the others see")


class GroupJoin(_Strict):
    code: str = Field(min_length=6, max_length=12, description="the share code, e.g. K7Q-4XM")
    name: str | None = Field(None, max_length=40, description="the name the others see")


class GroupPerson(_Strict):
    name: str = Field(min_length=1, max_length=40)
    likes: str = Field("", max_length=MAX_TITLE, description="their taste in their words")


class GroupPicksRequest(_Strict):
    people: list[GroupPerson] = Field(
        default_factory=list, max_length=8, description="others watching, besides the group"
    )
    request: str | None = Field(None, max_length=MAX_TITLE, description="what tonight needs")
    k: int = Field(5, ge=1, le=10)


class MemberFitOut(BaseModel):
    name: str
    top_percent: int = Field(description="where the movie ranks for this person, in percent")
    predicted_stars: float | None = None
    because_they_liked: list[str] = Field(default_factory=list)
    matches_their_words: str | None = None
    well_loved: bool = False


class GroupPickOut(Movie):
    for_each: list[MemberFitOut]


class GroupPicksResponse(BaseModel):
    members: list[str]
    aggregation: str = Field(description="how the members' scores were combined")
    constraints: str = Field(description="what anyone ruled out, for everyone")
    notes: list[str]
    picks: list[GroupPickOut]


class ListResponse(BaseModel):
    session_id: str
    movies: list[CardOut] = Field(description="newest first")


class PickOut(Movie):
    score: float
    reasons: dict[str, Any] = Field(
        description=(
            "predicted_stars, because_you_liked, cluster, neighbours_loved, watched_alike, "
            "sentiment"
        )
    )


class RecommendRequest(_Strict):
    k: int = Field(10, ge=1, le=50, description="how many picks")
    text: str | None = Field(
        None, max_length=MAX_QUERY, description='a mood or description: "cosy and funny"'
    )
    genres: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)
    exclude_genres: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=20
    )
    year_from: int | None = Field(None, ge=1870, le=2100)
    year_to: int | None = Field(None, ge=1870, le=2100)


class RecommendResponse(BaseModel):
    session_id: str
    basis: str = Field(
        description='"known user", "profile", "text", "popular", or "steered" (popular picks '
        "kept away from what was disliked, when nothing is liked yet)"
    )
    notes: list[str]
    picks: list[PickOut]


class SearchHitOut(Movie):
    similarity: float
    snippet: str


class SearchResponse(BaseModel):
    query: str
    notes: list[str]
    hits: list[SearchHitOut]


class SimilarOut(Movie):
    score: float = Field(description="how much the same people liked both (item-kNN similarity)")


class SimilarResponse(BaseModel):
    movie: Movie
    also_liked: list[SimilarOut] = Field(description="liked by the same people")
    similar_stories: list[SearchHitOut] = Field(description="nearest descriptions")
    notes: list[str]


class RateRequest(_Strict):
    # Strict: JSON true is neither an id nor a star count (lax mode read it as 1).
    movie: (
        Annotated[str, Field(strict=True, min_length=1, max_length=MAX_TITLE, pattern=r"\S")]
        | (Annotated[int, Field(strict=True)])
    ) = Field(description="a title as a person types it, or a MovieLens movieId")
    stars: float = Field(strict=True, ge=0.5, le=5.0, description="0.5 to 5, rounded to half stars")


class RateResponse(BaseModel):
    session_id: str
    movie: Movie
    stars: float
    ratings_given: int


class ChatRequest(_Strict):
    message: str = Field(max_length=MAX_MESSAGE_CHARS)


PLAIN = "plain text (light Markdown) that may quote the person's words: escape it to render HTML"


class ChatResponse(BaseModel):
    session_id: str
    reply: str = Field(description=f"the answer; {PLAIN}")
    mode: str = Field(description='"llm", "offline" or "session"')
    notes: list[str] = Field(description=PLAIN)
    steps: list[str] = Field(description=f"what the bot did, in words; {PLAIN}")
    movies: list[Movie] = Field(description="the movies the reply is about")
    cards: list[CardOut] = Field(
        default_factory=list, description="the same movies as cards: why, predicted stars, marks"
    )


class GivenOut(BaseModel):
    movie: Movie
    stars: float
    kind: str


class ProfileResponse(BaseModel):
    session_id: str
    viewing_as_movielens_user: int | None
    ratings: list[GivenOut]
    cluster: str | None
    account: str | None = Field(None, description="the platform account this session is linked to")
    watchlist: list[Movie] = Field(default_factory=list, description="kept for later, newest first")
    seen: list[Movie] = Field(default_factory=list, description="marked as seen, newest first")


class LinkTokenRequest(_Strict):
    account: str = Field(pattern=ACCOUNT_PATTERN, description="the platform's id for the person")
    ttl_seconds: int = Field(DEFAULT_TTL, strict=True, ge=30, le=MAX_TTL)


class LinkTokenResponse(BaseModel):
    token: str = Field(description="give it to the signed-in person to redeem once")
    account: str
    expires_at: float = Field(description="Unix time")
    expires_in: int = Field(description="seconds")
    web_path: str = Field(description="the page, linking the browser that opens it")
    telegram_command: str


class LinkRequest(_Strict):
    token: str = Field(min_length=1, max_length=200)


class LinkResponse(BaseModel):
    session_id: str
    account: str
    ratings_given: int = Field(description="the account's ratings, this session's included")


class IndexState(BaseModel):
    state: str = Field(description="ready, running (being built while serving), waiting, failed")
    percent: int = Field(description="of the movies embedded so far, while running")
    step: str = Field("", description="what it is doing now, while running")


class HealthResponse(BaseModel):
    status: str
    warmed_up: bool = Field(description="the embedder and description index are loaded")
    backend: str
    movies: int
    ratings: int
    users: int
    uptime_seconds: float
    numeric_threads: int = Field(description="threads a numeric library (BLAS, torch) may use")
    index: IndexState = Field(description="the description index: searches need it")


class Problem(BaseModel):
    detail: str
    suggestions: list[str] = Field(default_factory=list)


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not valid JSON"},
    401: {"model": Problem, "description": "A session id this server did not issue"},
    403: {"model": Problem, "description": "Link tokens: a wrong platform secret, or linking off"},
    404: {"model": Problem, "description": "No such movie (with did-you-mean suggestions)"},
    409: {"model": Problem, "description": "Several movies match: add the year"},
    422: {"model": Problem, "description": "Invalid input, with what is valid"},
    413: {"model": Problem, "description": f"A body over {MAX_BODY // 1024} KiB (refused unread)"},
    503: {"model": Problem, "description": "The data or index is not built yet, or too busy"},
}


# --- plumbing ------------------------------------------------------------------------------


def session_id(
    request: Request,
    response: Response,
    x_session_id: Annotated[
        str,
        Header(
            pattern=SESSION_PATTERN,
            description="Your session: omit it once to get one (returned in this header)",
        ),
    ] = "",
) -> str:
    """The caller's session id (a new one when none was sent); echoed in the response."""
    ids: SessionIds = request.app.state.session_ids
    if x_session_id and not ids.issued(x_session_id):
        raise UnknownSessionError(x_session_id)
    sid = x_session_id or ids.issue()
    response.headers[SESSION_HEADER] = sid
    return sid


Session = Annotated[str, Depends(session_id)]
PlatformAuth = Annotated[
    str, Header(max_length=500, description="Bearer and the shared link secret")
]


def _check_platform(authorization: str) -> None:
    expected = os.environ.get(LINK_SECRET_ENV, "")
    if not expected:
        raise PlatformOnlyError(LINKING_OFF)
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise PlatformOnlyError(NOT_PLATFORM)


def _key(sid: str) -> str:
    return f"api:{sid}"


def _movie(engine: Any, movie_id: int) -> Movie:
    links = engine.catalog.links_of(movie_id)
    return Movie(
        **movie_dict(engine.catalog.movie(movie_id)),
        links=LinksOut(imdb=links.imdb, tmdb=links.tmdb),
    )


def _card(engine: Any, card: Card) -> CardOut:
    return CardOut(
        **_movie(engine, card.movie_id).model_dump(),
        predicted_stars=card.predicted_stars,
        why=card.why,
        mean_rating=None if card.mean_rating is None else round(card.mean_rating, 2),
        n_ratings=card.n_ratings,
        your_stars=card.your_stars,
        not_for_me=card.not_for_me,
        watchlist=card.watchlist,
        seen=card.seen,
    )


def _problem(status: int, detail: str, suggestions: list[str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "suggestions": suggestions or []}, status_code=status)


def _index_state(engine: Any) -> IndexState:
    progress = engine.index_progress
    if progress is not None:
        return IndexState(state=progress.state, percent=progress.percent, step=progress.step)
    ready = engine.has_index
    return IndexState(state="ready" if ready else "missing", percent=100 if ready else 0)


def _on_error(request: Request, err: Exception) -> JSONResponse:
    if isinstance(err, UnknownSessionError):
        return _problem(401, UNKNOWN_SESSION)
    if isinstance(err, PlatformOnlyError):
        return _problem(403, str(err))
    if isinstance(err, UnknownTitleError):
        return _problem(404, str(err), err.suggestions)
    if isinstance(err, UnknownMovieError | GroupError):
        return _problem(404, str(err))
    if isinstance(err, AmbiguousTitleError):
        return _problem(409, str(err), err.candidates)
    if isinstance(err, NotBuiltError):
        return _problem(503, str(err))
    if isinstance(err, MovieBotError):  # bad ratings, unknown genres and the like
        return _problem(422, str(err))
    log.exception("unexpected error on %s", request.url.path)
    return _problem(500, "Something went wrong on our side; it has been logged.")


def _on_validation(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    parts = []
    for e in err.errors():
        loc = tuple(e.get("loc", ()))
        if loc[:2] == ("header", "x-session-id"):
            parts.append(BAD_SESSION)
            continue
        if loc == ("body", "stars") and e.get("type") != "missing":
            parts.append("stars: a rating is 0.5 to 5 stars, in half stars")
            continue
        if loc[:2] == ("body", "movie") and e.get("type") != "missing":
            parts.append(BAD_MOVIE)
            continue
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else e.get("msg", "invalid"))
    return _problem(422, "Invalid request: " + "; ".join(dict.fromkeys(parts)))


# --- routes --------------------------------------------------------------------------------


def api_router(service: ChatService) -> APIRouter:
    """Every /api route, bound to one chat service (session ids come from the app's state)."""
    router = APIRouter(prefix="/api", responses=ERRORS, max_body_size=MAX_BODY)
    engine = service.engine
    started = time.monotonic()

    @router.get("/health", tags=["service"])
    def health() -> HealthResponse:
        """Whether the service is up, what answers chats, and how much data it holds."""
        catalog = engine.catalog
        return HealthResponse(
            status="ok",
            warmed_up=service.warm.is_set(),
            backend=service.backend,
            movies=len(catalog.movies),
            ratings=len(catalog.ratings),
            users=catalog.n_users,
            uptime_seconds=round(time.monotonic() - started, 1),
            numeric_threads=numeric_threads(),
            index=_index_state(engine),
        )

    request_model = _with_genres(RecommendRequest, engine.models.clusters.genres)

    def recommend(body: RecommendRequest, sid: Session) -> RecommendResponse:
        """Personal picks with reasons for this session (popular picks for a new one)."""
        filters = Filters(
            genres=body.genres,
            exclude_genres=body.exclude_genres,
            year_min=body.year_from,
            year_max=body.year_to,
        )
        result = service.recommend(_key(sid), text=body.text, filters=filters, k=body.k)
        return RecommendResponse(session_id=sid, **result.as_dict())

    recommend.__annotations__["body"] = request_model  # the dataset's genres, as an enum
    router.post("/recommend", tags=["recommendations"])(recommend)

    @router.get("/search", tags=["recommendations"])
    def search(
        q: Annotated[
            str,
            Query(
                min_length=1,
                max_length=MAX_QUERY,
                pattern=r"[^\W_]",  # a letter or digit somewhere: control characters are no query
                description="a description",
            ),
        ],
        k: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> SearchResponse:
        """Movies whose descriptions match the query, with the best-matching sentence."""
        return SearchResponse(**engine.search(q, k=k).as_dict())

    @router.get("/similar", tags=["recommendations"])
    def similar(
        title: Annotated[str, Query(min_length=1, max_length=MAX_TITLE, pattern=r"\S")],
        k: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> SimilarResponse:
        """Movies liked by the people who liked this one, and movies with similar stories."""
        movie = engine.movie(title)
        liked = engine.also_liked(movie.movieId, k=k)
        notes: list[str] = []
        try:
            stories = engine.more_like(movie.movieId, k=k)
            story_hits, notes = [h.as_dict() for h in stories.hits], stories.notes
        except MovieBotError as err:  # no index, or this movie has no description in it
            story_hits, notes = [], [str(err)]
        return SimilarResponse(
            movie=Movie(**movie_dict(movie)),
            also_liked=[SimilarOut(**s.as_dict()) for s in liked],
            similar_stories=[SearchHitOut(**h) for h in story_hits],
            notes=notes,
        )

    @router.post("/rate", tags=["profile"])
    def rate(body: RateRequest, sid: Session) -> RateResponse:
        """Rate a movie for this session; the next picks take it into account at once."""
        movie_id = engine.resolve(body.movie)
        stars = engine.check_rating(body.stars)
        service.rate(_key(sid), movie_id, stars)
        given = service.store.load(_key(sid)).given
        return RateResponse(
            session_id=sid, movie=_movie(engine, movie_id), stars=stars, ratings_given=len(given)
        )

    @router.get("/profile", tags=["profile"])
    def profile(sid: Session) -> ProfileResponse:
        """The ratings this session gave and the taste cluster they put it in."""
        stored = service.store.load(_key(sid))
        ratings = [
            GivenOut(movie=_movie(engine, m), stars=g.stars, kind=g.kind)
            for m, g in stored.given.items()
            if m in engine.catalog.movies.index
        ]
        has_taste = bool(ratings) or stored.view_user is not None
        cluster = service.taste_group(_key(sid)).get("cluster") if has_taste else None
        return ProfileResponse(
            session_id=sid,
            viewing_as_movielens_user=stored.view_user,
            ratings=ratings,
            cluster=cluster,
            account=stored.account,
            watchlist=[_movie(engine, m) for m in stored.watchlist],
            seen=[_movie(engine, m) for m in stored.seen],
        )

    @router.get("/watchlist", tags=["profile"])
    def watchlist(sid: Session) -> ListResponse:
        """The movies this session kept for later, as cards, newest first."""
        cards = service.watchlist(_key(sid))
        return ListResponse(session_id=sid, movies=[_card(engine, c) for c in cards])

    @router.post("/watchlist", tags=["profile"])
    def keep(body: MarkRequest, sid: Session) -> CardOut:
        """Put a movie on the watchlist (``on: false`` takes it off); picks leave it out."""
        return _card(engine, service.mark(_key(sid), body.movie, "watchlist", body.on))

    @router.delete("/watchlist", tags=["profile"])
    def unkeep(
        sid: Session, movieId: Annotated[int, Query(description="a MovieLens movieId")]
    ) -> CardOut:
        """Take a movie off the watchlist (the same as ``POST`` with ``on: false``)."""
        return _card(engine, service.mark(_key(sid), movieId, "watchlist", on=False))

    @router.post("/seen", tags=["profile"])
    def seen(body: MarkRequest, sid: Session) -> CardOut:
        """Mark a movie as seen, without stars (``on: false`` unmarks it); picks leave it out."""
        return _card(engine, service.mark(_key(sid), body.movie, "seen", body.on))

    @router.get("/group", tags=["group night"])
    def group(sid: Session) -> GroupOut:
        """The group this session is in (``code`` None when none)."""
        return GroupOut(**(service.group(_key(sid)) or {"code": None}))

    @router.post("/group", tags=["group night"])
    def start_group(body: GroupStart, sid: Session) -> GroupOut:
        """Start a group night: a share code another web, API or Telegram session joins."""
        return GroupOut(**service.start_group(_key(sid), body.name))

    @router.post("/group/join", tags=["group night"])
    def join_group(body: GroupJoin, sid: Session) -> GroupOut:
        """Join a group by its share code (this session leaves any other group)."""
        return GroupOut(**service.join_group(_key(sid), body.code, body.name))

    @router.delete("/group", tags=["group night"])
    def leave_group(sid: Session) -> dict[str, bool]:
        """Leave the group."""
        return {"left": service.leave_group(_key(sid))}

    @router.post("/group/picks", tags=["group night"])
    def group_picks(body: GroupPicksRequest, sid: Session) -> GroupPicksResponse:
        """Picks for this session's person, their group's members (their own ratings) and the
        people described here, each pick with how it suits each person."""
        result = service.group_picks(
            _key(sid), [p.model_dump() for p in body.people], body.request, body.k
        )
        picks = [
            GroupPickOut(
                **_movie(engine, p["movieId"]).model_dump(),
                for_each=[MemberFitOut(**f) for f in p["for_each"]],
            )
            for p in result["picks"]
        ]
        return GroupPicksResponse(**{**result, "picks": picks})

    @router.post("/link-token", tags=["accounts"])
    def link_token(body: LinkTokenRequest, authorization: PlatformAuth = "") -> LinkTokenResponse:
        """For the platform's backend: a short-lived, single-use token linking a chat to an account.

        Send the shared secret as ``Authorization: Bearer <MOVIEBOT_LINK_SECRET>``. The person
        redeems the token once, before it expires: on the page at ``web_path``, with Telegram's
        ``telegram_command``, or with ``POST /api/link``.
        """
        _check_platform(authorization)
        issued = service.links.issue(body.account, body.ttl_seconds)
        return LinkTokenResponse(
            token=issued.token,
            account=issued.account,
            expires_at=round(issued.expires_at, 3),
            expires_in=body.ttl_seconds,
            web_path=f"/?link={issued.token}",
            telegram_command=f"/link {issued.token}",
        )

    @router.post("/link", tags=["accounts"])
    def link(body: LinkRequest, sid: Session) -> LinkResponse:
        """Redeem a link token: this session's ratings become the account's, shared from now on."""
        linked = service.link(_key(sid), body.token)
        return LinkResponse(session_id=sid, account=linked.account, ratings_given=linked.ratings)

    @router.post("/chat", tags=["chat"])
    def chat(body: ChatRequest, sid: Session) -> ChatResponse:
        """One chat turn, as in the web page: the reply, notes and the steps taken."""
        reply = service.send(_key(sid), body.message)
        return ChatResponse(
            session_id=sid,
            reply=reply.text,
            mode=reply.mode,
            notes=reply.notes,
            steps=[step.text for step in reply.steps],
            movies=[_movie(engine, m) for m in reply.picks],
            cards=[_card(engine, c) for c in service.cards(_key(sid), list(reply.picks))],
        )

    return router


def _with_genres(model: type[RecommendRequest], genres: list[str]) -> type[RecommendRequest]:
    """The request model with genre lists limited to the catalogue's genres."""
    genre = Literal[tuple(genres)]  # type: ignore[valid-type]
    listed = (list[genre], Field(default_factory=list, max_length=20))  # type: ignore[valid-type,var-annotated]
    return create_model(  # type: ignore[no-any-return,call-overload]
        model.__name__, __base__=model, genres=listed, exclude_genres=listed
    )


class MethodCheck:
    """ASGI middleware: a method an /api path does not take is 405 with ``Allow``.

    Without it a TRACE or PUT to an /api path fell through to the page mounted at "/" and came
    back 404, as if the path did not exist.
    """

    def __init__(self, app: Any, allowed: dict[str, set[str]]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        methods = self.allowed.get(scope.get("path", "")) if scope["type"] == "http" else None
        if methods is None or scope["method"] in methods:
            await self.app(scope, receive, send)
            return
        allow = ", ".join(sorted(methods))
        response = _problem(405, f"{scope['method']} is not allowed here; use {allow}.")
        response.headers["Allow"] = allow
        await response(scope, receive, send)


def install(app: FastAPI, service: ChatService, secret: str) -> None:
    """Add the /api routes and their error handlers to ``app``; ``secret`` signs session ids."""
    app.state.session_ids = SessionIds(secret)
    router = api_router(service)
    app.include_router(router)
    allowed: dict[str, set[str]] = {}
    for route in router.routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and methods:
            allowed.setdefault(path, set()).update(methods)
    for methods in allowed.values():
        methods.update({"HEAD"} if "GET" in methods else set())
    app.add_middleware(MethodCheck, allowed=allowed)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(MovieBotError, _on_error)
    app.add_exception_handler(UnknownSessionError, _on_error)
    app.add_exception_handler(PlatformOnlyError, _on_error)
    app.add_exception_handler(Exception, _on_error)  # a bug: logged, a JSON 500, no traceback
