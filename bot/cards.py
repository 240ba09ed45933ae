"""Movie cards: what every front end shows for a movie a reply is about.

A card carries the detail so the chat text can stay short: title and year, genres, the stars
predicted for this person (labelled as a prediction; the MovieLens average when nothing is
known of them yet), one line of why, links to IMDb and TMDB (from MovieLens ``links.csv``),
and where the person already stands with it (their stars, watchlist, seen).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.profiles import Profile
from recommender.catalog import MovieLinks
from recommender.engine import Engine, Taste
from recommender.results import Pick, Reasons
from recommender.tmdb import Details

DetailsLookup = Callable[[int | None], Details | None]  # by tmdbId: what TMDB told us, if any


@dataclass(frozen=True)
class Card:
    """One movie as a card (see the module docstring)."""

    movie_id: int
    display: str
    year: int | None
    genres: tuple[str, ...]
    predicted_stars: float | None  # for this person; None until they have rated something
    why: str
    links: MovieLinks
    mean_rating: float | None
    n_ratings: int
    your_stars: float | None = None
    not_for_me: bool = False
    watchlist: bool = False
    seen: bool = False
    details: Details | None = None  # from TMDB, when ``app.py enrich`` fetched them


def build_cards(
    engine: Engine,
    taste: Taste,
    profile: Profile,
    movie_ids: Sequence[int],
    details: DetailsLookup | None = None,
) -> list[Card]:
    """Cards for ``movie_ids`` (in order), explained for this taste."""
    if not movie_ids:
        return []
    personal = bool(taste.ratings) or taste.user_id is not None
    picks = engine.explain_movies(taste, movie_ids)
    return [_card(engine, pick, profile, personal, details) for pick in picks]


def _card(
    engine: Engine, pick: Pick, profile: Profile, personal: bool, details: DetailsLookup | None
) -> Card:
    movie, reasons = pick.movie, pick.reasons
    given = profile.given.get(movie.movieId)
    links = engine.catalog.links_of(movie.movieId)
    return Card(
        movie.movieId,
        movie.display,
        movie.year,
        movie.genres,
        round(reasons.predicted_stars, 1) if personal else None,
        why_line(reasons, personal),
        links,
        reasons.mean_rating,
        reasons.n_ratings,
        None if given is None or given.kind == "dislike" else given.stars,
        given is not None and given.kind == "dislike",
        movie.movieId in profile.watchlist,
        movie.movieId in profile.seen,
        details(links.tmdb_id) if details is not None else None,
    )


def why_line(reasons: Reasons, personal: bool) -> str:
    """The best one or two reasons, in words."""
    why: list[str] = []
    if reasons.because_you_liked:
        why.append(f"Like {_and(reasons.because_you_liked[:2])}, which you enjoyed")
    if reasons.neighbours_loved and personal:
        n = reasons.neighbours_loved
        why.append(f"{n} viewer{'s' if n != 1 else ''} with your taste loved it")
    elif reasons.watched_alike and personal and not reasons.because_you_liked:
        why.append("People with a viewing history like yours watch it")
    if reasons.sentiment is not None and reasons.sentiment.positive and len(why) < 2:
        why.append(f'Tagged "{_and(list(reasons.sentiment.positive[:2]))}"')
    if not why and personal and reasons.mean_rating is not None and reasons.n_ratings:
        n = reasons.n_ratings
        why.append(
            f"MovieLens average {reasons.mean_rating:.1f}/5 from {n:,} "
            f"{'rating' if n == 1 else 'ratings'}"
        )
    return "; ".join(why[:2]) + "." if why else ""


def card_markdown(card: Card) -> str:
    """The card as light Markdown (the page and Telegram escape what they must)."""
    extra = card.details or Details()
    head = f"**{card.display}**"
    if card.genres:
        head += " · " + ", ".join(card.genres)
    if extra.runtime:
        head += f" · {extra.runtime // 60}h {extra.runtime % 60:02d}m"
    lines = [f"![Poster of {card.display}]({extra.thumb})" if extra.thumb else "", head]
    if extra.director:
        lines.append(f"Directed by {extra.director}")
    lines += [_standing(card), card.why, _where_to_watch(extra)]
    pages = (("IMDb", card.links.imdb), ("TMDB", card.links.tmdb), ("▶ Trailer", extra.trailer))
    links = [f"[{name}]({url})" for name, url in pages if url]
    if links:
        lines.append(" · ".join(links))
    return "  \n".join(line for line in lines if line)


def _where_to_watch(extra: Details) -> str:
    """ "Stream: Netflix, Prime Video · Rent: Apple TV (JustWatch)", as TMDB asks it be credited."""
    kinds = [(k.capitalize(), names) for k, names in extra.providers.items() if names]
    if not kinds:
        return ""
    said = " · ".join(f"{kind}: {', '.join(names[:3])}" for kind, names in kinds)
    source = f"[JustWatch]({extra.providers_link})" if extra.providers_link else "JustWatch"
    return f"{said} ({source})"


def _standing(card: Card) -> str:
    """Stars: theirs, else the prediction (labelled), else the MovieLens average."""
    marks = [m for m, on in (("on your watchlist", card.watchlist), ("seen", card.seen)) if on]
    if card.not_for_me:
        lead = "Not for you"
    elif card.your_stars is not None:
        lead = f"You gave it {card.your_stars:g}★"
    elif card.predicted_stars is not None:
        lead = f"Predicted for you: {card.predicted_stars:.1f}★"
    elif card.mean_rating is not None:
        lead = f"MovieLens average {card.mean_rating:.1f}/5"
    else:
        lead = ""
    return " · ".join(x for x in (lead, *marks) if x)


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
