"""MovieLens titles: "Matrix, The (1999)" -> ("The Matrix", 1999), and keys for matching.

MovieLens moves leading articles to the end ("Matrix, The") and puts alternative titles in
parentheses ("City of Lost Children, The (Cité des enfants perdus, La) (1995)"). People write
titles the other way round, in any case, with or without accents and year.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# Trailing articles MovieLens moves to the end, in the languages its catalogue uses.
ARTICLES = (
    "the",
    "a",
    "an",
    "les",
    "la",
    "le",
    "l'",
    "il",
    "lo",
    "i",
    "gli",
    "das",
    "der",
    "die",
    "den",
    "det",
    "el",
    "los",
    "las",
    "un",
    "une",
    "o",
    "os",
    "as",
    "en",
    "et",
    "ett",
)
_YEAR_RE = re.compile(r"\s*\((\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\)\s*$")
_TRAILING_ARTICLE_RE = re.compile(
    r"^(?P<body>.+?),\s*(?P<article>" + "|".join(re.escape(a) for a in ARTICLES) + r")$",
    re.IGNORECASE,
)
_AKA_RE = re.compile(r"^(?P<main>.*\S)\s+\((?P<aka>[^()]+)\)$")
_LEADING_ARTICLE_RE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_NON_WORD_RE = re.compile(r"[^\w]+")
_QUERY_YEAR_RE = re.compile(r"^(?P<title>.*?)[\s,]*\(?\s*(?P<year>(?:18|19|20)\d{2})\s*\)?$")


class ParsedTitle(NamedTuple):
    """A title as people write it, its alternative titles, and the year (None when absent)."""

    title: str
    year: int | None
    akas: tuple[str, ...]


def move_article(text: str) -> str:
    """'Matrix, The' -> 'The Matrix'; "Homme, L'" -> "L'Homme"."""
    match = _TRAILING_ARTICLE_RE.match(text.strip())
    if not match:
        return text.strip()
    article = match["article"]
    joiner = "" if article.endswith("'") else " "
    return f"{article}{joiner}{match['body']}"


def parse_movielens_title(raw: str) -> ParsedTitle:
    """Split a MovieLens title into a clean title, alternative titles and year."""
    text = raw.strip()
    year = None
    if match := _YEAR_RE.search(text):
        year = int(match.group(1))
        text = text[: match.start()].strip()
    akas: list[str] = []
    while (match := _AKA_RE.match(text)) and match["main"].strip():
        aka = re.sub(r"^(a\.k\.a\.|aka)\s+", "", match["aka"].strip(), flags=re.IGNORECASE)
        akas.insert(0, move_article(aka))
        text = match["main"].strip()
    return ParsedTitle(move_article(text) or raw.strip(), year, tuple(akas))


def display_title(title: str, year: int | None) -> str:
    """'The Matrix (1999)'; just the title when the year is unknown."""
    return f"{title} ({year})" if year else title


def title_key(text: str) -> str:
    """A matching key: accents folded, lower case, punctuation and a leading article dropped."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = move_article(folded.lower().replace("&", " and "))
    folded = _LEADING_ARTICLE_RE.sub("", folded)
    folded = _BRITISH_OUR_RE.sub(r"\1or", folded)  # "my neighbour totoro"
    return _NON_WORD_RE.sub(" ", folded).strip()


_BRITISH_OUR_RE = re.compile(
    r"\b(neighb|col|hon|harb|arm|hum|behavi|lab|rum|flav|val|vap|splend|rig|fav)our(?=s?\b|ed\b)"
)


# Foreign articles that are not also common English words ("die", "a", "i", "o", "en").
_FOREIGN_ARTICLE_RE = re.compile(
    r"^(?:le|la|les|l'|il|lo|gli|das|der|den|det|el|los|las|une|os|ett)\s*(?=\w)", re.IGNORECASE
)


_FIRST_PART_RE = re.compile(r"\s+-\s+Part\s+(?:I|1|One)\s*$", re.IGNORECASE)
_COLON_ARTICLE_RE = re.compile(r":\s*(?:the|a|an)\s+", re.IGNORECASE)
_EPISODE_RE = re.compile(r":\s*Episode\s+[IVXLC]+\s*-\s*", re.IGNORECASE)


def match_keys(name: str) -> set[str]:
    """Keys a catalogue name answers to: as is, and without a leading foreign article."""
    keys = {title_key(name), title_key(_FOREIGN_ARTICLE_RE.sub("", name, count=1))}
    keys.add(title_key(_FIRST_PART_RE.sub("", name)))  # "Avengers: Infinity War - Part I"
    keys.add(title_key(_COLON_ARTICLE_RE.sub(": ", name)))  # "lord of the rings fellowship of..."
    if _EPISODE_RE.search(name):  # "star wars empire strikes back", "star wars the force awakens"
        keys.add(title_key(_EPISODE_RE.sub(": ", name)))
        keys.add(title_key(_COLON_ARTICLE_RE.sub(": ", _EPISODE_RE.sub(": ", name))))
    return {k for k in keys if k}


def split_query(text: str) -> tuple[str, int | None]:
    """A title typed by a person, with an optional year: 'Heat 1995', 'heat (1995)'."""
    text = text.strip()
    match = _QUERY_YEAR_RE.match(text)
    if match and match["title"].strip():
        return match["title"].strip(), int(match["year"])
    return text, None
