"""Typed errors: each carries a message meant for a person, so front ends can show it as is."""

from __future__ import annotations

from pathlib import Path


class MovieBotError(Exception):
    """Base of every error a user may see; ``str(err)`` is a friendly, complete message."""


class DataError(MovieBotError):
    """A data file is missing, empty or unreadable; names the file and, when known, the line."""

    def __init__(self, path: Path | str, problem: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        self.line = line
        where = f"{self.path}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {problem}")


class DownloadError(MovieBotError):
    """A dataset could not be downloaded or verified."""


class NotBuiltError(MovieBotError):
    """A capability whose artifact does not exist (yet)."""


class UnknownTitleError(MovieBotError):
    """A title that matches no movie; carries the closest titles as suggestions."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        hint = f" Did you mean {_or_list(suggestions)}?" if suggestions else ""
        super().__init__(f"I don't know a movie called {query!r}.{hint}")


class AmbiguousTitleError(MovieBotError):
    """A title that matches several movies equally well; the year decides."""

    def __init__(self, query: str, candidates: list[str]) -> None:
        self.query = query
        self.candidates = candidates
        super().__init__(f"{query!r} could be {_or_list(candidates)}. Add the year to pick one.")


class UnknownMovieError(MovieBotError):
    """A movie id that is not in the catalogue."""

    def __init__(self, movie_id: int) -> None:
        self.movie_id = movie_id
        super().__init__(f"There is no movie with id {movie_id}.")


def _or_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


class UnknownUserError(MovieBotError):
    """A MovieLens user id that is not in the dataset."""

    def __init__(self, user_id: int, low: int, high: int, count: int) -> None:
        self.user_id = user_id
        super().__init__(
            f"There is no MovieLens user {user_id}. "
            f"The {count:,} users have ids from {low} to {high}."
        )


class RatingRangeError(MovieBotError):
    """A rating outside the scale."""

    def __init__(self, stars: float, low: float, high: float) -> None:
        self.stars = stars
        super().__init__(
            f"{stars:g} stars is outside the scale: ratings go from {low:g} to {high:g} stars."
        )
