"""Genre names as people say them, mapped to MovieLens genres."""

from __future__ import annotations

from recommender.errors import MovieBotError

ALIASES = {
    "sci fi": "Sci-Fi",
    "scifi": "Sci-Fi",
    "science fiction": "Sci-Fi",
    "sf": "Sci-Fi",
    "kids": "Children",
    "children's": "Children",
    "family": "Children",
    "childrens": "Children",
    "animated": "Animation",
    "cartoon": "Animation",
    "cartoons": "Animation",
    "anime": "Animation",
    "romantic": "Romance",
    "romcom": "Romance",
    "funny": "Comedy",
    "comedies": "Comedy",
    "scary": "Horror",
    "horror movies": "Horror",
    "noir": "Film-Noir",
    "film noir": "Film-Noir",
    "documentaries": "Documentary",
    "doc": "Documentary",
    "musicals": "Musical",
    "westerns": "Western",
    "thrillers": "Thriller",
    "dramas": "Drama",
    "war movies": "War",
    "mysteries": "Mystery",
    "crime movies": "Crime",
    "action movies": "Action",
    "adventures": "Adventure",
    "fantasy movies": "Fantasy",
}


def normalize_genre(name: str, known: list[str]) -> str:
    """The catalogue's spelling of ``name``; a clear error listing the genres otherwise."""
    key = name.strip().lower().replace("_", " ").replace("-", " ")
    by_key = {g.lower().replace("-", " "): g for g in known}
    if key in by_key:
        return by_key[key]
    alias = ALIASES.get(key) or ALIASES.get(key.rstrip("s"))
    if alias in known:
        return alias
    if key.rstrip("s") in by_key:
        return by_key[key.rstrip("s")]
    raise MovieBotError(f"I don't know the genre {name!r}. The genres are: {', '.join(known)}.")
