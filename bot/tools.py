"""The tools: thin, typed wrappers over the engine, bound to one session's person.

A :class:`Toolbox` is made per turn for the session that is talking; the person (a newcomer or
the MovieLens user the session views as, plus the ratings given here) comes from the profile
store, never from an argument. Every tool returns compact JSON-able data with the reasons the
engine gives, or ``{"error": ...}`` with a message meant for a person (did-you-mean included).
Every movie a tool returns is noted in the turn's :class:`TurnLog`, which the grounding guard
checks replies against.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.groups import MemberSpec
from bot.nlu import DescribedTaste
from bot.profiles import Group, Kind, ProfileStore
from bot.registry import TOOLS, quoted
from recommender.catalog import Movie
from recommender.engine import Engine, GroupMember, Taste
from recommender.errors import AmbiguousTitleError, MovieBotError, UnknownTitleError
from recommender.groups import Basis, GroupPick
from recommender.ranking import Filters
from recommender.results import Pick
from recommender.titles import title_key

log = logging.getLogger(__name__)

LOW_STARS = 2.0  # a movie rated this low (or marked "not for me") never comes back


@dataclass
class ToolCall:
    """One tool call in a turn: what was asked and whether it worked."""

    name: str
    args: dict[str, Any]
    error: str | None = None
    found: list[str] = field(default_factory=list)  # movies it returned, display titles


@dataclass(frozen=True)
class Step:
    """A tool call as shown to a person: what was done, and the movies it came back with."""

    text: str
    found: tuple[str, ...] = ()


@dataclass
class TurnLog:
    """What the tools did and returned in one turn: the grounding guard's evidence."""

    calls: list[ToolCall] = field(default_factory=list)
    movies: dict[int, str] = field(default_factory=dict)  # movieId -> display title
    mentions: set[str] = field(default_factory=set)  # title keys of every returned title
    texts: list[str] = field(default_factory=list)  # every string the tools returned
    rated: list[int] = field(default_factory=list)  # movies saved this turn (not suggestions)

    @property
    def quoted(self) -> str:
        """All returned text, lower case: words a reply may quote (tags, plots, snippets)."""
        return "\n".join(self.texts).lower()

    def keep_texts(self, value: Any) -> None:
        if isinstance(value, str):
            self.texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                self.keep_texts(item)
        elif isinstance(value, list | tuple):
            for item in value:
                self.keep_texts(item)

    def note(self, movie: Movie) -> None:
        if self.calls and movie.display not in self.calls[-1].found:
            self.calls[-1].found.append(movie.display)
        self.movies[movie.movieId] = movie.display
        self.mentions.add(title_key(movie.title))

    @property
    def tools_called(self) -> list[str]:
        return [c.name for c in self.calls]

    @property
    def steps(self) -> list[Step]:
        """What the tools did, in words a person reads ("Searched descriptions for ...")."""
        return [Step(describe_call(c), tuple(c.found)) for c in self.calls]


def describe_call(call: ToolCall) -> str:
    """One tool call as a person would say it; failures say so."""
    spec = TOOLS.get(call.name)
    # The movie a call was about is the first one it noted; before that, what was asked for.
    asked = call.args.get("title", call.args.get("title_or_id"))
    subject = call.found[0] if call.found and asked is not None else quoted(asked)
    if call.error:  # never the success wording ("Saved your rating ...") for a failure
        return f"{spec.status if spec else f'Using {call.name}'} did not work: {call.error}"
    return spec.step(call.args, subject) if spec else f"Used {call.name}"


def _tool(method: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Log the call; turn a person-facing error into ``{"error": message}``."""

    signature = inspect.signature(method)

    def wrapper(self: Toolbox, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            named = dict(signature.bind(self, *args, **kwargs).arguments)
            named.pop("self", None)
        except TypeError:
            named = {**{str(i): a for i, a in enumerate(args)}, **kwargs}
        call = ToolCall(method.__name__, named)
        self.log.calls.append(call)
        try:
            result = method(self, *args, **kwargs)
            self.log.keep_texts(result)
            return result
        except (UnknownTitleError, AmbiguousTitleError) as err:
            call.error = str(err)
            self.log.texts.append(call.error)
            offered = getattr(err, "suggestions", None) or getattr(err, "candidates", [])
            for display in offered:  # the reply may offer them back ("did you mean ...")
                self.log.mentions.add(title_key(self.engine.movie(display).title))
        except MovieBotError as err:
            call.error = str(err)
        except Exception as err:  # a tool must never take the conversation down
            log.exception("tool %s failed", method.__name__)
            call.error = f"Something went wrong inside {method.__name__} ({type(err).__name__})."
        return {"error": call.error}

    wrapper.__wrapped__ = method  # type: ignore[attr-defined]  # marks a logged tool
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


GROUP_HOWTO = (
    "Tell me who's watching and what each of them likes, for example: \"We're three: me, Ana "
    '(loves horror) and Ben (hates subtitles)". Or start a group on the Group night tab '
    "(/group on Telegram) and share its code: everyone who joins counts with their own ratings."
)


def _top_percent(standing: float) -> int:
    """A standing (percentile, 1 = best) as "in their top N%" (at least 1)."""
    return max(1, round(100 * (1.0 - standing)))


def group_dict(group: Group, session_id: str) -> dict[str, Any]:
    """A group as front ends show it: the code to share and who is in."""
    return {
        "code": group.display_code,
        "members": [{"name": m.name, "you": m.session_id == session_id} for m in group.members],
        "expires": round(group.expires),
    }


def _filters(
    genres: Sequence[str],
    all_genres: bool,
    exclude_genres: Sequence[str],
    year_from: int | None,
    year_to: int | None,
) -> Filters:
    return Filters(
        genres=list(genres),
        all_genres=all_genres,
        exclude_genres=list(exclude_genres),
        year_min=year_from,
        year_max=year_to,
    )


class Toolbox:
    """The agent's tools for one session; the session's person is fixed at construction."""

    def __init__(
        self,
        engine: Engine,
        store: ProfileStore,
        session_id: str,
        log: TurnLog | None = None,
        reader: Callable[[str], DescribedTaste] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.session_id = session_id
        self.log = log or TurnLog()
        self.reader = reader  # a person's words -> the films they name and their constraints

    # --- who is asking -------------------------------------------------------------------

    def taste(self) -> Taste:
        profile = self.store.load(self.session_id)
        return Taste(profile.view_user, profile.ratings)

    def never_again(self) -> list[int]:
        profile = self.store.load(self.session_id)
        return [m for m, g in profile.given.items() if g.stars <= LOW_STARS]

    def not_to_suggest(self) -> list[int]:
        """What picks leave out: turned down, already seen, already on the watchlist."""
        profile = self.store.load(self.session_id)
        low = [m for m, g in profile.given.items() if g.stars <= LOW_STARS]
        return [*low, *profile.seen, *profile.watchlist]

    def _movie(self, movie: Movie, **extra: Any) -> dict[str, Any]:
        self.log.note(movie)
        out: dict[str, Any] = {"title": movie.display, "genres": list(movie.genres)}
        if movie.n_ratings:
            out["avg_rating"] = round(movie.mean_rating, 2)
            out["n_ratings"] = movie.n_ratings
        return {**out, **extra}

    # --- reading tools -------------------------------------------------------------------

    @_tool
    def recommend_for_me(
        self,
        genres: Sequence[str] = (),
        exclude_genres: Sequence[str] = (),
        year_from: int | None = None,
        year_to: int | None = None,
        mood: str | None = None,
        k: int = 5,
        exclude: Sequence[int] = (),
        all_genres: bool = False,
        no_subtitles: bool = False,
    ) -> dict[str, Any]:
        """Personal picks with reasons, optionally narrowed by genres, years, original language
        (English only) and a mood."""
        filters = _filters(genres, all_genres, exclude_genres, year_from, year_to)
        filters = filters.model_copy(update={"no_subtitles": no_subtitles})
        result = self.engine.recommend(
            self.taste(),
            text=mood or None,
            filters=filters,
            k=max(1, min(int(k), 10)),
            exclude=[*self.not_to_suggest(), *exclude],
        )
        return {
            "basis": result.basis,
            "notes": result.notes,
            "picks": [self._pick(p) for p in result.picks],
        }

    def _pick(self, pick: Pick) -> dict[str, Any]:
        reasons = pick.reasons
        out = self._movie(pick.movie, predicted_stars=round(reasons.predicted_stars, 1))
        if reasons.because_you_liked:
            out["because_you_liked"] = reasons.because_you_liked
            for display in reasons.because_you_liked:
                self.log.mentions.add(title_key(self.engine.movie(display).title))
        if reasons.cluster:
            out["cluster"] = reasons.cluster["name"]
            out["cluster_share_liking_it"] = reasons.cluster["liked_by"]
        if reasons.neighbours_loved:
            out["similar_users_who_loved_it"] = reasons.neighbours_loved
        if reasons.watched_alike:
            out["watched_by_people_like_you"] = True
        sentiment = reasons.sentiment
        if sentiment is not None and sentiment.n_tags:
            out["tag_sentiment"] = round(sentiment.score, 2)
            out["tags_praise"] = list(sentiment.positive[:3])
            out["tags_criticize"] = list(sentiment.negative[:2])
        if reasons.text_similarity is not None:
            out["matches_mood"] = round(reasons.text_similarity, 2)
        return out

    @_tool
    def predict_my_rating(self, title: str) -> dict[str, Any]:
        """How many stars this person would give a movie (and what they gave, if they did)."""
        result = self.engine.predict(self.taste(), title)
        details = result.details
        out = self._movie(result.movie, predicted_stars=round(result.stars, 1))
        if result.already_rated is not None:
            out["you_rated"] = result.already_rated
        if details.get("was_impossible"):
            out["note"] = details.get("reason", "not enough known to personalize")
        return out

    @_tool
    def similar_movies(self, title: str, k: int = 5) -> dict[str, Any]:
        """Movies liked by the same people, and movies with similar stories."""
        k = max(1, min(int(k), 10))
        never = self.not_to_suggest()
        movie = self.engine.movie(title)
        liked = self.engine.also_liked(movie.movieId, k=k, exclude=never)
        out: dict[str, Any] = {
            "movie": self._movie(movie)["title"],
            "people_who_liked_it_also_liked": [
                self._movie(s.movie, co_liking=round(s.similarity, 3)) for s in liked
            ],
        }
        try:
            story = self.engine.more_like(movie.movieId, k=k, exclude=never)
        except MovieBotError as err:
            out["similar_stories_note"] = str(err)
        else:
            out["similar_stories"] = [
                self._movie(h.movie, similarity=round(h.similarity, 3)) for h in story.hits
            ]
        return out

    @_tool
    def search_by_description(
        self,
        query: str,
        genres: Sequence[str] = (),
        year_from: int | None = None,
        year_to: int | None = None,
        k: int = 5,
        exclude_genres: Sequence[str] = (),
        all_genres: bool = False,
    ) -> dict[str, Any]:
        """Movies whose plot descriptions match what the person describes."""
        filters = _filters(genres, all_genres, exclude_genres, year_from, year_to)
        k = max(1, min(int(k), 10))
        result = self.engine.search(query, k=3 * k, filters=filters, exclude=self.never_again())
        # A composed stub ("Title (Year): a comedy film.") says nothing about the plot.
        described = self.engine.catalog.descriptions["has_description"]
        hits = [h for h in result.hits if bool(described.get(h.movie.movieId, False))][:k]
        return {
            "query": result.query,
            "notes": result.notes,
            "results": [
                self._movie(h.movie, match=round(h.similarity, 3), snippet=h.snippet) for h in hits
            ],
        }

    @_tool
    def my_taste_cluster(self) -> dict[str, Any]:
        """The taste group this person belongs to and what that group loves."""
        info = self.engine.cluster_of(self.taste())
        cluster = info.cluster
        for movie in info.signature:
            self.log.note(movie)
        return {
            "cluster": cluster["name"],
            "share_of_users": cluster.get("share"),
            "loves_genres": [g["genre"] for g in cluster["loves"]],
            "cool_on_genres": [g["genre"] for g in cluster["cool_on"]],
            "signature_movies": [m.display for m in info.signature[:6]],
            "based_on": self._basis(),
        }

    @_tool
    def people_like_me(self) -> dict[str, Any]:
        """MovieLens users with the most similar taste, and the movies they loved."""
        result = self.engine.people_like(self.taste(), k=10, n_movies=6)
        return {
            "similar_users": len(result.neighbours),
            "closest_similarity": result.neighbours[0]["similarity"] if result.neighbours else 0,
            "most_in_common": max((n["common"] for n in result.neighbours), default=0),
            "they_loved": [self._movie(m, loved_by=n) for m, n in result.loved],
            "based_on": self._basis(),
        }

    @_tool
    def tag_sentiment(self, title: str) -> dict[str, Any]:
        """What people's tags say about a movie: a score from -1 to 1 and the tags behind it."""
        result = self.engine.sentiment(title)
        s = result.sentiment
        return self._movie(
            result.movie,
            tag_sentiment=round(s.score, 2),
            n_tags=s.n_tags,
            tags_praise=list(s.positive),
            tags_criticize=list(s.negative),
        )

    @_tool
    def movie_details(self, title: str) -> dict[str, Any]:
        """Plot, tagline, director, cast, tags and ratings of one movie."""
        data = self.engine.details(title).as_dict()
        movie = self.engine.movie(data["movieId"])
        keep = ("description", "tagline", "director", "actors", "top_tags")
        sentiment = data["tag_sentiment"]
        return self._movie(
            movie,
            **{k: data[k] for k in keep if k in data},
            tag_sentiment=sentiment["score"],
        )

    @_tool
    def my_profile(self) -> dict[str, Any]:
        """What this person has told the bot: ratings, likes, dislikes, whom they view as."""
        profile = self.store.load(self.session_id)
        given = [
            {"title": self.engine.catalog.display(m), "stars": g.stars, "kind": g.kind}
            for m, g in profile.given.items()
            if m in self.engine.catalog.movies.index
        ]
        return {"viewing_as_movielens_user": profile.view_user, "given": given}

    def _basis(self) -> str:
        profile = self.store.load(self.session_id)
        parts = []
        if profile.view_user is not None:
            parts.append(f"MovieLens user {profile.view_user}'s ratings")
        if profile.given:
            parts.append(f"{len(profile.given)} ratings given here")
        return " and ".join(parts) or "nothing yet (a newcomer)"

    # --- the one writing tool ------------------------------------------------------------

    @_tool
    def rate_movie(self, title: str, stars: float) -> dict[str, Any]:
        """Record this person's rating of a movie (half stars; 'not for me' is a low rating)."""
        movie = self.engine.movie(title)
        value = self.engine.check_rating(stars)
        kind: Kind = "like" if value >= 4.5 else "dislike" if value <= 1.0 else "rating"
        self.store.give(self.session_id, movie.movieId, value, kind)
        self.log.rated.append(movie.movieId)
        return self._movie(movie, your_rating=value, saved=True)

    @_tool
    def save_for_later(self, title: str | int) -> dict[str, Any]:
        """Put a movie on the person's watchlist (it leaves the picks until they watch it)."""
        movie = self.engine.movie(title)
        self.store.mark(self.session_id, movie.movieId, "watchlist")
        on_list = len(self.store.load(self.session_id).watchlist)
        return {**self._movie(movie), "saved": True, "on_your_watchlist": on_list}

    @_tool
    def mark_seen(self, title: str | int) -> dict[str, Any]:
        """Mark a movie as seen, without stars: it is never suggested again."""
        movie = self.engine.movie(title)
        self.store.mark(self.session_id, movie.movieId, "seen")
        self.store.mark(self.session_id, movie.movieId, "watchlist", on=False)
        return {**self._movie(movie), "marked_seen": True}

    @_tool
    def my_watchlist(self) -> dict[str, Any]:
        """The person's watchlist, best first for them (predicted stars)."""
        listed = self.store.load(self.session_id).watchlist
        if not listed:
            return {"watchlist": [], "note": "the watchlist is empty"}
        taste = self.taste()
        explained = self.engine.explain_movies(taste, listed)  # one fold-in for the whole list
        ranked = sorted(explained, key=lambda p: -p.reasons.predicted_stars)
        return {
            "watchlist": [
                self._movie(p.movie, predicted_stars=round(p.reasons.predicted_stars, 1))
                for p in ranked
            ],
            "personal": bool(taste.ratings) or taste.user_id is not None,
        }

    # --- group nights ----------------------------------------------------------------------

    @_tool
    def group_picks(
        self,
        people: Sequence[dict[str, Any]] = (),
        my_words: str | None = None,
        request: str | None = None,
        k: int = 5,
    ) -> dict[str, Any]:
        """Picks for the person and others watching with them: the people of their group
        (share code) and ``people`` described here ({"name", "likes"})."""
        specs = [
            MemberSpec(str(p.get("name") or "a friend"), str(p.get("likes") or "")) for p in people
        ]
        members, filters = self._group_members(specs, my_words or "", request or "")
        words = {m.name: m.text for m in members if m.text}
        if len(members) < 2:
            raise MovieBotError(GROUP_HOWTO)
        result = self.engine.group_recommend(
            members, filters=filters, k=max(1, min(int(k), 10)), exclude=self.not_to_suggest()
        )
        return {
            "members": result.members,
            "aggregation": result.aggregation.value,
            "constraints": filters.describe() if filters != Filters() else "",
            "notes": result.notes,
            "picks": [self._group_pick(p, words) for p in result.picks],
        }

    def _group_members(
        self, specs: list[MemberSpec], my_words: str, request: str
    ) -> tuple[list[GroupMember], Filters]:
        """The person, the rest of their group, and the people described; what anyone rules
        out is ruled out for all."""
        exclude: set[str] = set()
        no_subtitles = False
        mine, taste = self._read(my_words), self.taste()
        exclude.update(mine.filters.exclude_genres)
        said = {**taste.ratings, **mine.ratings}  # "I love The Matrix": counts for tonight
        members = [self._member("you", Taste(taste.user_id, said), my_words)]
        group = self.store.group_of(self.session_id)
        for row in group.members if group else []:
            if row.session_id != self.session_id:
                profile = self.store.load(row.session_id)
                members.append(GroupMember(row.name, Taste(profile.view_user, profile.ratings)))
        for spec in specs:
            read = self._read(spec.taste_words)
            exclude.update([*read.filters.exclude_genres, *spec.excluded_genres])
            no_subtitles |= spec.no_subtitles
            members.append(self._member(spec.name, Taste(None, read.ratings), spec.taste_words))
        shared = self._read(request).filters if request else Filters()
        filters = shared.model_copy(
            update={
                "exclude_genres": sorted({*shared.exclude_genres, *exclude}),
                "no_subtitles": no_subtitles,
            }
        )
        return members, filters

    def _read(self, words: str) -> DescribedTaste:
        if self.reader is None or not words.strip():
            return DescribedTaste(Filters())
        return self.reader(words)

    @staticmethod
    def _member(name: str, taste: Taste, words: str) -> GroupMember:
        return GroupMember(name, taste, words.strip() or None)

    def _group_pick(self, pick: GroupPick, words: dict[str, str]) -> dict[str, Any]:
        out = self._movie(pick.movie)
        fits = []
        for fit in pick.fits:
            entry: dict[str, Any] = {"name": fit.name, "top_percent": _top_percent(fit.standing)}
            if fit.basis is Basis.RATINGS:
                entry["predicted_stars"] = round(fit.reasons.predicted_stars, 1)
                if fit.reasons.because_you_liked:
                    entry["because_they_liked"] = fit.reasons.because_you_liked[:1]
            elif fit.basis is Basis.WORDS:
                entry["matches_their_words"] = words.get(fit.name, "")
            else:
                entry["well_loved"] = True
            fits.append(entry)
        return {**out, "movieId": pick.movie.movieId, "for_each": fits}

    @_tool
    def join_group(self, code: str, name: str | None = None) -> dict[str, Any]:
        """Join a group night by the share code someone gave the person."""
        return group_dict(self.store.join_group(code, self.session_id, name), self.session_id)

    @_tool
    def start_group(self, name: str | None = None) -> dict[str, Any]:
        """Start a group night: a share code others join from the page or Telegram."""
        return group_dict(self.store.create_group(self.session_id, name or "Host"), self.session_id)

    def not_for_me(self, title_or_id: str | int) -> dict[str, Any]:
        """Thumbs-down: a low rating that also keeps the movie from ever coming back."""
        return self.rate_movie(title_or_id, 1.0)  # type: ignore[arg-type]
