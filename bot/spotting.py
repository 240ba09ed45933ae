"""Names people give movies beyond the catalogue's exact titles: parts, aliases, typos.

- **Parts of a title**: "Close Encounters", "Anchorman", "Kill Bill", "Sen to Chihiro",
  "Empire Strikes Back", "prisoner of azkaban": a run of words that begins or ends a
  well-known movie's title (or one of its alternative titles).
- **Aliases and franchises**: "LOTR", "T2", "all the Back to the Future movies", "the
  original Star Wars films", "the Dark Knight trilogy".
- **Typos in list items**: "pulp fixtion, resevoir dogs, jacky brown" are close to exactly one
  well-known title each (rapidfuzz ratio on the matching keys).

Only movies with at least ``MIN_RATINGS`` ratings answer to a partial or misspelt name: a
person naming a film by half its title means a film they could expect the other to know.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process

from bot.opinions import is_opinion_word
from recommender.catalog import Catalog
from recommender.ranking import franchise_key
from recommender.titles import match_keys, title_key

MIN_RATINGS = 10
FUZZY_MIN_RATINGS = 20
FUZZY_SCORE = 86.0  # rapidfuzz ratio: "inseption" ~ "inception" 89, "zodiak" ~ "zodiac" 83
FUZZY_SCORE_COMMON = 90.0  # spans made of everyday words ("the dark night")
FUZZY_SCORE_WORD = 83.0  # one rare word of 6+ letters ("zodiak")
MAX_FUZZY_WORDS = 5
FRANCHISE_SHARE = 0.05  # a franchise's main films: at least this share of its best-known's ratings

# Names that are not any part of a title. Values are display titles ("Title (Year)").
ALIASES: dict[str, tuple[str, ...]] = {
    "lotr": (
        "The Lord of the Rings: The Fellowship of the Ring (2001)",
        "The Lord of the Rings: The Two Towers (2002)",
        "The Lord of the Rings: The Return of the King (2003)",
    ),
    "t2": ("Terminator 2: Judgment Day (1991)",),
    "x2": ("X2: X-Men United (2003)",),
    "the nolan batman": (
        "Batman Begins (2005)",
        "The Dark Knight (2008)",
        "The Dark Knight Rises (2012)",
    ),
    "e.t.": ("E.T. the Extra-Terrestrial (1982)",),
    "esb": ("Star Wars: Episode V - The Empire Strikes Back (1980)",),
    "the original star wars": (
        "Star Wars: Episode IV - A New Hope (1977)",
        "Star Wars: Episode V - The Empire Strikes Back (1980)",
        "Star Wars: Episode VI - Return of the Jedi (1983)",
    ),
    "the dark knight trilogy": (
        "Batman Begins (2005)",
        "The Dark Knight (2008)",
        "The Dark Knight Rises (2012)",
    ),
    # trilogies named by no title of theirs ("Before" alone is an everyday word)
    "before trilogy": ("Before Sunrise (1995)", "Before Sunset (2004)", "Before Midnight (2013)"),
    "cornetto trilogy": ("Shaun of the Dead (2004)", "Hot Fuzz (2007)", "The World's End (2013)"),
    "dollars trilogy": (
        "A Fistful of Dollars (1964)",
        "For a Few Dollars More (1965)",
        "The Good, the Bad and the Ugly (1966)",
    ),
    **dict.fromkeys(
        ("three colors trilogy", "three colours trilogy"),
        (
            "Three Colors: Blue (1993)",
            "Three Colors: White (1994)",
            "Three Colors: Red (1994)",
        ),
    ),
}
_ALIAS_RE = re.compile(
    r"(?<![\w])(?P<name>" + "|".join(re.escape(a) for a in ALIASES) + r")"
    r"(?:\s+(?:films?|movies?|trilogy|series))?(?![\w])",
    re.IGNORECASE,
)
_EXCEPT_RE = re.compile(
    r"[^.!?;\n]{0,40}?\b(?:except|apart from|but not|other than|minus|excluding)\s+(?:for\s+)?"
    r"(?:the\s+)?"
    r"(?P<rest>[^,.;!?]+)",
    re.IGNORECASE,
)
_COUNTS = {"two": 2, "three": 3, "2": 2, "3": 3}
_NOT_RATING = r"(?![\d/.,]\d|\d|\s*(?:/|stars?\b|out of\b|★|⭐|points?\b))"
_FAN_OF_RE = re.compile(r"\b(?:fan of|fan of all|obsessed with|love everything)\s+", re.I)
_FIRST_NAME_RE = re.compile(r"\bthe\s+(?:first|original)\s+", re.I)
_PART_ONE_RE = re.compile(r"(?:(?<=\w)|(?<=[Vv]ol\.)) 1\b" + _NOT_RATING)
_VOLUME = r"(?:vol(?:ume)?|part|pt|chapter)\.?"
_VOLUME_RE = re.compile(rf"\s+{_VOLUME}$", re.I)
_PART_NEXT_RE = re.compile(
    rf"(?:[,;&/]|\band\b|\bthen\b)\s*(?:not\s+)?(?:{_VOLUME}\s*)?(?P<n>[2-9])\b" + _NOT_RATING, re.I
)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}
_ORDINAL_EXCEPT_RE = re.compile(
    r"(?P<nth>first|second|third|fourth|last)\s+(?:one|film|movie)\b", re.I
)
_FRANCHISE_RE = re.compile(
    r"\b(?:all|both|each)\s+(?:of\s+)?(?:the\s+|(?:two|three|four|five|six|\d)\s+)?"
    r"(?P<a>[\w'’:&. -]{2,40}?)\s+(?:films|movies|trilogy)\b"
    r"|\b(?:every|each)\s+(?:single\s+)?(?P<e>[\w'’:&. -]{2,40}?)\s+(?:film|movie)s?\b"
    r"|\bthe\s+first\s+(?P<n>two|three|2|3)\s+(?P<c>[\w'’:&. -]{2,40}?)\s+(?:films|movies)\b"
    r"|\bthe\s+first\s+(?P<m>two|three|2|3)\s+(?P<p>[\w'’:&. -]{2,40}?)s\b"  # "Toy Storys"
    r"|\bthe\s+(?:whole\s+|entire\s+|complete\s+|new(?:er)?\s+|old(?:er)?\s+|later\s+)?"
    r"(?P<b>[\w'’:&. -]{2,40}?)\s+"
    r"(?:trilogy|films|movies|series|franchise|ones)\b",
    re.IGNORECASE,
)
_NO_NAME_RE = re.compile(r"(?:whole|entire|complete|full|other|same|last|first|next)", re.I)
_CUE_BEFORE_RE = re.compile(
    r"\b(?:loved?|liked?|enjoyed|adored|watched|rewatched|seen|saw|hated|disliked|liek|luv|luved|"
    r"lovd|fan of|obsessed with)\s*:?\s+$",
    re.IGNORECASE,
)
_JOINERS = frozenset({"and", "or", "of", "the", "a", "an", "in", "on", "to", "with", "for", "at"})
# what may follow a list item that stands alone: "liked intersteller and incepton a lot"
_FILLER_AFTER_RE = re.compile(
    r"^\s*(?:a lot|a ton|too|as well|so much|very much|loads)?\s*"
    r"(?:[-:=–]?\s*\d{1,2}(?:[.,]\d)?\s*(?:/\s*\d{1,2}|out of \d{1,2}|stars?|points?)?\s*)?$",
    re.IGNORECASE,
)  # "whiplash 5": the 5 is the rating, so "whiplash" stands alone
_LIST_SPLIT_RE = re.compile(
    r"[,;/|+\n•*&()!?]|\.(?=\s|$)|\b(?:and|or|but|then|also|r|n|are|is|were|was)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Spotted:
    """A movie named by words other than its exact title."""

    movie_id: int
    start: int
    end: int


class Spotter:
    """Partial titles, aliases and misspelt titles, over one catalogue."""

    def __init__(self, catalog: Catalog, common: frozenset[str]) -> None:
        self.catalog = catalog
        self.common = common

    # --- indexes (built on first use) ------------------------------------------------------

    @cached_property
    def _known(self) -> dict[int, tuple[str, int | None, int]]:
        """movieId -> (franchise, year, number of ratings) of movies people may name loosely."""
        out = {}
        for movie_id, title, n in zip(
            self.catalog.movies.index,
            self.catalog.movies["title"],
            self.catalog.movies["n_ratings"],
            strict=True,
        ):
            if n >= MIN_RATINGS:
                out[int(movie_id)] = (franchise_key(title), self.catalog.movie(movie_id).year, n)
        return out

    @cached_property
    def _parts(self) -> dict[str, list[int]]:
        """Leading and trailing word runs of well-known titles -> the movies they begin or end."""
        parts: dict[str, list[int]] = defaultdict(list)
        movies = self.catalog.movies
        for movie_id in self._known:
            names = (movies.at[movie_id, "title"], *movies.at[movie_id, "akas"])
            for key in {k for name in names for k in match_keys(name)}:
                words = key.split()
                # a leading run ends on a word of its own: "cats" and not "cats and"
                runs = {
                    " ".join(words[:n])
                    for n in range(1, len(words))
                    if words[n - 1] not in _JOINERS
                }
                # a trailing run must begin with a word of its own ("empire strikes back",
                # "revolutions"), not with "in" or "of" ("in london")
                runs |= {
                    " ".join(words[n:]) for n in range(1, len(words)) if words[n] not in self.common
                }
                for run in runs:
                    if self._distinctive(run) and movie_id not in parts[run]:
                        parts[run].append(movie_id)
        return dict(parts)

    @cached_property
    def _fuzzy_keys(self) -> tuple[list[str], list[int]]:
        keys: list[str] = []
        ids: list[int] = []
        movies = self.catalog.movies
        for movie_id, (_, _, n) in self._known.items():
            if n < FUZZY_MIN_RATINGS:
                continue
            for name in (movies.at[movie_id, "title"], *movies.at[movie_id, "akas"]):
                key = title_key(name)
                words = key.split()
                tails = [" ".join(words[n:]) for n in range(1, len(words) - 1)]
                head = title_key(str(name).split(":")[0]) if ":" in str(name) else ""
                if head and self._distinctive(head) and " " in head:
                    tails.append(head)  # "terminater 2" for Terminator 2: Judgment Day
                for run in [key, *(t for t in tails if self._distinctive(t) and " " in t)]:
                    keys.append(run)
                    ids.append(movie_id)
        return keys, ids

    def _distinctive(self, run: str) -> bool:
        """A part that could only be a title: not everyday words, not a lone short word, not a
        sequel's number ("part ii" ends many titles)."""
        if _NUMBERING_RE.fullmatch(run):
            return False
        words = run.split()
        rare = [w for w in words if w not in self.common and not w.isdigit() and len(w) >= 3]
        if len(words) == 1:
            return bool(rare) and len(run) >= 5
        return bool(rare) and len(run) >= 6

    def warm(self) -> None:
        """Build the indexes now rather than on the first message that needs them."""
        _ = self._parts, self._fuzzy_keys, self._known_names, self._rare_names

    # --- lookups -----------------------------------------------------------------------------

    def part(self, key: str, first: bool = False) -> int | None:
        """The movie a leading or trailing part of its title names, when one clearly does;
        with ``first`` ("the first Pirates of the Caribbean"), the franchise's earliest."""
        candidates = self._parts.get(key, [])
        if first and candidates and len({self._known[m][0] for m in candidates}) == 1:
            return min(candidates, key=lambda m: self._known[m][1] or 9999)
        return self._choose(candidates)

    def _choose(self, candidates: list[int]) -> int | None:
        """One of a franchise: the first film; else the far more rated one; else none."""
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        known = self._known
        by_franchise = {known[m][0] for m in candidates}
        if len(by_franchise) == 1 and len(candidates) <= 3:  # "Kill Bill"; not "Star Wars"
            return min(candidates, key=lambda m: (known[m][1] or 9999, -known[m][2]))
        ranked = sorted(candidates, key=lambda m: known[m][2], reverse=True)
        if known[ranked[0]][2] >= 3 * known[ranked[1]][2]:
            return ranked[0]
        return None

    def aliases(self, text: str) -> list[tuple[Spotted, ...]]:
        """'LOTR', 'T2', 'all the Back to the Future movies': each as the movies it stands for."""
        found = []
        for match in _ALIAS_RE.finditer(text):
            aliased = [self._display_id(d) for d in ALIASES[match["name"].lower()]]
            found.append(
                tuple(Spotted(m, match.start(), match.end()) for m in aliased if m is not None)
            )
        for match in _FRANCHISE_RE.finditer(text):
            name = match["a"] or match["b"] or match["c"] or match["e"] or match["p"]
            if _NO_NAME_RE.fullmatch(name):
                continue  # "the whole trilogy is perfect": the films named before it
            members = self.franchise(name)
            if count := match["n"] or match["m"]:  # "the first two Alien films"
                members = members[: _COUNTS.get(count.lower(), 2)]
            if match.group(0).lower().endswith("trilogy") and len(members) > 3:
                # the famous three (members may include little-rated films, e.g. a TV remake)
                top = sorted(members, key=lambda m: -self.catalog.movie(m).n_ratings)[:3]
                members = [m for m in members if m in top]
            if (but := _EXCEPT_RE.match(text, match.end())) and (left := title_key(but["rest"])):
                if nth := _ORDINAL_EXCEPT_RE.match(but["rest"]):  # "except the third one"
                    at = _ORDINALS[nth["nth"].lower()]
                    if -len(members) <= at < len(members):  # "except the third one" of two
                        members = [m for m in members if m != members[at]]
                else:
                    members = [m for m in members if left not in self._keys_of(m)]
            if members:
                found.append(tuple(Spotted(m, match.start(), match.end()) for m in members))
        found += [(spotted,) for spotted in self.numbered_parts(text)]
        found += self.fan_of(text)
        return [f for f in found if f]

    def fan_of(self, text: str) -> list[tuple[Spotted, ...]]:
        """ "a big fan of the lord of the rings and harry potter": franchises a person is a fan
        of, as their main films (not The Lord of the Rings of 1978, which few have rated)."""
        found = []
        for cue in _FAN_OF_RE.finditer(text):
            clause = re.split(r"[.;!?\n]|\bbut\b", text[cue.end() :], maxsplit=1)[0]
            for item in re.finditer(r"[^,&]+?(?=\s*(?:,|&|\band\b|$))", clause):
                lead = re.match(r"\s*(?:and\s+)?", item.group(0))
                said = item.group(0)[lead.end() if lead else 0 :]
                members = self.franchise(re.sub(r"^the\s+", "", said, flags=re.I))
                own = self.catalog.titles.ids_for_key(title_key(said))
                top = max((self.catalog.movie(m).n_ratings for m in members), default=0)
                if len(members) < 2 or any(self.catalog.movie(m).n_ratings >= top / 5 for m in own):
                    continue  # "a fan of The Matrix": the film itself
                start = cue.end() + item.start() + (lead.end() if lead else 0)
                found.append(tuple(Spotted(m, start, start + len(said)) for m in members))
        return found

    def numbered_parts(self, text: str) -> list[Spotted]:
        """ "Terminator 1 and 2", "kung fu panda 1 was great, 2 was ok, 3 was bad", "the first
        Hangover, 2 and 3 were trash": a franchise counted through by its parts' numbers."""
        found: list[Spotted] = []
        for one in _PART_ONE_RE.finditer(text):
            start, members = self._counted_franchise(text, one.start())
            if len(members) > 1:
                found.append(Spotted(members[0], start, one.end()))
                found += self._counted_on(text, one.end(), members)
        for first in _FIRST_NAME_RE.finditer(text):
            words = list(re.finditer(r"[\w'’:&.-]+", text[first.end() : first.end() + 60]))[:5]
            for n in range(len(words), 0, -1):
                members = self.franchise(text[first.end() : first.end() + words[n - 1].end()])
                if len(members) > 1:
                    end = first.end() + words[n - 1].end()
                    found += self._counted_on(text, end, members)
                    break
        return found

    def _counted_on(self, text: str, end: int, members: list[int]) -> list[Spotted]:
        """The bare part numbers after a franchise's first film, in the same sentence."""
        found = []
        name = self.catalog.movie(members[0]).title
        sentence = re.split(r"(?<![Vv]ol)[.!?]|\n", text[end:], maxsplit=1)[0]
        for nth in _PART_NEXT_RE.finditer(sentence):
            n = int(nth["n"])
            named = self.catalog.titles.ids_for_key(title_key(f"{name} {n}"))
            if len(named) == 1 or n <= len(members):
                movie = named[0] if len(named) == 1 else members[n - 1]
                at = end + nth.start("n")
                found.append(Spotted(movie, at, at + 1))
        return found

    def _counted_franchise(self, text: str, one: int) -> tuple[int, list[int]]:
        """Where the franchise named just before a "1" starts, and its main films."""
        before = re.findall(r"[\w'’:&.-]+", text[max(0, one - 60) : one])
        for n in range(min(5, len(before)), 0, -1):
            name = " ".join(before[-n:])
            if self.catalog.titles.ids_for_key(title_key(f"{name} 1")):
                # a title of its own; "Kill Bill vol 1 and vol 2" counts on through its volumes
                volumes = self.franchise(_VOLUME_RE.sub("", name))
                if _VOLUME_RE.search(name) and len(volumes) > 1:
                    return text.rfind(before[-n], 0, one), volumes
                break
            members = self.franchise(name)
            if len(members) > 1:
                return text.rfind(before[-n], 0, one), members
        return -1, []

    def franchise(self, name: str) -> list[int]:
        """The main films of a franchise named by its title ("Back to the Future"): its
        well-known films, and newer ones few have rated yet (Jurassic World: Fallen Kingdom)
        that still reach ``FRANCHISE_SHARE`` of its best-known film's ratings."""
        key = title_key(name)
        if len(key) < 3 or all(w in self.common for w in key.split()):
            return []

        def named(names: list[str]) -> bool:
            return any(k in (key, key + "s") or k.startswith(key + " ") for k in names)

        known = [m for m in self._known if named(self._names_of(m))]
        if not known:
            return []
        rare = [m for m, names in self._rare_names.get(key.split()[0], []) if named(names)]
        counts = {m: self.catalog.movie(m).n_ratings for m in (*known, *rare)}
        if len(counts) < 2:
            return []
        best = max(known, key=counts.__getitem__)
        animated = self._animated(best)
        main = [
            m
            for m in counts
            if counts[m] >= FRANCHISE_SHARE * counts[best] and self._animated(m) == animated
        ]
        return sorted(main, key=lambda m: self.catalog.movie(m).year or 0)

    @cached_property
    def _rare_names(self) -> dict[str, list[tuple[int, list[str]]]]:
        """The names of the rated movies too little known to be named loosely, by first word."""
        movies = self.catalog.movies
        out: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
        for m in movies.index[(movies["n_ratings"] > 0) & (movies["n_ratings"] < MIN_RATINGS)]:
            names = [title_key(str(n)) for n in (movies.at[m, "title"], *movies.at[m, "akas"])]
            for first in {n.split()[0] for n in names if n}:
                out[first].append((int(m), names))
        return out

    def _animated(self, movie_id: int) -> bool:
        return "Animation" in self.catalog.movie(movie_id).genres

    def _names_of(self, movie_id: int) -> list[str]:
        """The keys of a movie's title and alternative titles ("Raiders of the Lost Ark" is
        also "Indiana Jones and the Raiders of the Lost Ark")."""
        if (names := self._known_names.get(movie_id)) is not None:
            return names
        row = self.catalog.movies.loc[movie_id]
        return [title_key(str(name)) for name in (row["title"], *row["akas"])]

    @cached_property
    def _known_names(self) -> dict[int, list[str]]:
        """``_names_of`` for every well-known movie, computed once."""
        movies = self.catalog.movies
        return {
            m: [title_key(str(n)) for n in (movies.at[m, "title"], *movies.at[m, "akas"])]
            for m in self._known
        }

    def _keys_of(self, movie_id: int) -> str:
        return " | ".join(self._names_of(movie_id))

    def _display_id(self, display: str) -> int | None:
        try:
            return self.catalog.resolve(display)
        except Exception:
            return None

    def misspelt(self, text: str, taken: list[tuple[int, int]]) -> list[Spotted]:
        """List items close to one well-known title ("pulp fixtion", "inseption")."""
        keys, ids = self._fuzzy_keys
        found: list[tuple[float, int, Spotted]] = []
        writer_capitalizes = capitalizes_titles(text)
        for seg_start, seg_end in _segments(text):
            words = [
                (m.start() + seg_start, m.end() + seg_start)
                for m in re.finditer(r"[\w'’]+", text[seg_start:seg_end])
            ]
            for i in range(len(words)):
                for j in range(i + 1, min(len(words), i + MAX_FUZZY_WORDS) + 1):
                    start, end = words[i][0], words[j - 1][1]
                    if any(a < end and start < b for a, b in taken):
                        continue
                    if text[start:end].split()[-1].isdigit() and _RATING_AFTER_RE.match(text, end):
                        continue  # "Insomnia 6/10": the 6 is the rating, not part of the title
                    whole = not text[seg_start:start].strip() and bool(
                        _FILLER_AFTER_RE.match(text[end:seg_end])
                    )
                    cued = bool(_CUE_BEFORE_RE.search(text[:start]))
                    if not (whole or cued) and writer_capitalizes and text[start:end].islower():
                        continue  # "I don't mind black and white": no Men in Black
                    hit = self._closest(text[start:end], keys, ids, whole or cued)
                    if hit is not None:
                        found.append((hit[0], end - start, Spotted(hit[1], start, end)))
        chosen: list[Spotted] = []
        for _, _, spotted in sorted(found, key=lambda f: (f[0], f[1]), reverse=True):
            if all(s.end <= spotted.start or spotted.end <= s.start for s in chosen):
                chosen.append(spotted)
        return chosen

    def _closest(
        self, span: str, keys: list[str], ids: list[int], standalone: bool
    ) -> tuple[float, int] | None:
        """The well-known title ``span`` misspells, with the score, if one is close enough.

        Spans of everyday words ("the dark night") count only standing alone as a list item or
        right after a cue ("loved the dark night"), never inside a sentence ("scary movies")."""
        key = title_key(span)
        words = key.split()
        if len(key) < 5 or not words or _NUMBERING_RE.fullmatch(key):
            return None  # "Part III" after The Godfather is no Jurassic Park III
        everyday = all(w in self.common for w in words)
        if (everyday or len(words) == 1) and not standalone:
            return None
        if everyday and len(words) < 2:
            return None
        if len(words) == 1 and is_opinion_word(span):  # "The Revenant was incredible"
            return None
        if words[0] in self.common and not everyday and not standalone:
            return None  # "dark knigt" inside a sentence; as a list item it may stand
        if everyday:
            cutoff = FUZZY_SCORE_COMMON
        elif len(words) == 1:
            cutoff = FUZZY_SCORE_WORD if len(key) >= 6 else FUZZY_SCORE_COMMON
        else:
            cutoff = FUZZY_SCORE
        match = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=cutoff)
        if match is None or (match[1] >= 100 and not standalone):
            return None  # an exact title inside a sentence is the exact finder's business
        title = title_key(self.catalog.movie(ids[match[2]]).title)
        said = match[0] if title.startswith(match[0]) else title  # "kill bil": Vol. 1 unsaid
        if match[0][:1] != key[:1] or not set(re.findall(r"\d+", said)) <= set(
            re.findall(r"\d+", key)
        ):
            return None  # typos keep the first letter and the numbers: no Dog Day Afternoon
            # for "sunday afternoon", no 50 First Dates for "first date"
        if words[-1].isdigit() and words[-1] not in title.split():
            return None  # "whiplash 5": a number the title lacks is a rating after it
        own = set(title.split()) | set(match[0].split())
        if any(is_opinion_word(w) for w in (words[0], words[-1]) if w not in own):
            return None  # "empire strikes back best one": the verdict is no part of the title
        return float(match[1]), ids[match[2]]


_RATING_AFTER_RE = re.compile(r"\s*(?:/\s*\d|out of\b|stars?\b|points?\b|★)", re.IGNORECASE)
_NUMBERING_RE = re.compile(
    r"(?:part|chapter|episode|volume|vol)\s+(?:[ivx]+|\d+|one|two|three|four|five)", re.I
)


_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:\n]\s*|\d[.)]\s+)[\W\d]*\w")


def capitalizes_titles(text: str) -> bool:
    """Does the writer use capitals beyond a sentence's first letter and "I" (so a title they
    leave in lower case is probably no title)?"""
    stripped = _SENTENCE_START_RE.sub(" ", re.sub(r"\bI\b", " ", text))
    return any(ch.isupper() for ch in stripped)


def _segments(text: str) -> list[tuple[int, int]]:
    """The stretches between list separators, where one title may stand."""
    cuts = [0, *(p for m in _LIST_SPLIT_RE.finditer(text) for p in (m.start(), m.end())), len(text)]
    return [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if text[a:b].strip()]
