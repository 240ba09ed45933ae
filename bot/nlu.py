"""Understanding a message without an LLM: intent from rules plus embedding similarity, slots.

:func:`Understander.parse` turns "I've seen Superbad, didn't like it" into
``Parse(intent="dislike", titles=[Superbad])``. Rules come first (they are precise); a message
no rule claims is compared with example phrasings of every intent in the embedding space and
takes the nearest intent when it is near enough. Titles are found by matching word spans
against the catalogue's title keys (longest first), with fuzzy matching where a title is
expected ("more like Arival"); stars, genres, years, moods, references to earlier picks
("the first one", "that last film") and negation are pulled out alongside.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np

from bot.groups import GROUP_CUE_RE, START_GROUP_RE, is_group, join_code
from bot.opinions import (
    LIKED_STARS,
    Named,
    Opinion,
    Sentiment,
    find_stars,
    is_opinion_word,
    judges,
    read_opinions,
    respell_verdicts,
)
from bot.spotting import Spotter, capitalizes_titles
from recommender.catalog import Catalog
from recommender.described import FIND_ONE_RE
from recommender.errors import AmbiguousTitleError, UnknownTitleError
from recommender.ranking import Filters
from recommender.titles import title_key

_SEQUEL_NUMBERED_RE = re.compile(r" (?:\d|[ivx]+\b)")  # "lion king ii", "lion king 1½"
COMPANION_SHARE = 0.25  # a genre's usual companion: on this share of its films
SEQUEL_SHARE = 0.02  # a sequel, not a TV special: at least this share of the first's ratings
MAX_PARSE_CHARS = 2000  # a 10,000-character message is read by its beginning
MAX_TITLE_WORDS = 12
EMBED_THRESHOLD = 0.5
FUZZY_ACCEPT = 88  # rapidfuzz WRatio at which a misspelt title is taken without asking
NEAR_TITLE = 60  # rapidfuzz ratio of keys below which a title is no "did you mean" for one unknown


class Intent(StrEnum):
    """What a message asks for; the offline agent has one handler per intent."""

    RECOMMEND = "recommend"
    RATE = "rate"
    LIKE = "like"
    DISLIKE = "dislike"
    SEEN = "seen"
    SAVE = "save"  # "save that one for later", "add Heat to my watchlist"
    WATCHLIST = "watchlist"  # "what's on my list?", "what should I watch tonight from my list?"
    GROUP = "group"  # "we're three: me, Ana (loves horror) and Ben (hates subtitles)"
    JOIN_GROUP = "join_group"  # "join K7Q-4XM"
    START_GROUP = "start_group"  # "start a group night"
    PREDICT = "predict"
    EXPLAIN = "explain"
    SENTIMENT = "sentiment"
    DETAILS = "details"
    COMPARE = "compare"
    SIMILAR = "similar"
    SEARCH = "search"
    TASTE = "taste"
    PEOPLE = "people"
    PROFILE = "profile"
    GREETING = "greeting"
    THANKS = "thanks"
    BYE = "bye"
    HELP = "help"
    REFUSE = "refuse"
    FOREIGN = "foreign"
    EMPTY = "empty"
    NONSENSE = "nonsense"
    UNKNOWN = "unknown"


_GROUP_ABLE = frozenset(
    Intent(i) for i in ("recommend", "like", "dislike", "rate", "unknown", "search")
)
TITLE_INTENTS = frozenset(
    Intent(i)
    for i in (
        "similar",
        "rate",
        "dislike",
        "like",
        "seen",
        "save",
        "predict",
        "sentiment",
        "details",
    )
)
# Questions about a movie: naming it there says nothing of liking it.
QUESTION_INTENTS = frozenset(
    Intent(i) for i in ("explain", "predict", "sentiment", "details", "compare", "seen", "save")
)


UNKNOWN_FILM = -1  # a film named that the catalogue lacks ("Toy Story 4")
ERA_NEAR, ERA_APART = 8, 15  # an ambiguous title's version: within 8 years of the others,
# and 15 years nearer than any other version
OBSCURE_RATINGS = 10  # a lowercase word running on is no title this little rated


@dataclass
class TitleMatch:
    """A movie named in a message: its id and the words that named it."""

    movie_id: int
    text: str
    start: int


@dataclass
class Parse:
    """What a message asks for, and the slots filled from it."""

    intent: Intent
    raw: str = ""
    titles: list[TitleMatch] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)  # indices into the last picks (-1: last)
    focus: bool = False  # "it", "that one": the movie last talked about
    unknown_title: str | None = None
    suggestions: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    ambiguous_at: TitleMatch | None = None  # where the ambiguous title was written (id unused)
    stars: float | None = None
    genres: list[str] = field(default_factory=list)
    exclude_genres: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    mood: str | None = None
    more: bool = False  # "something else", "more": leave out what was shown
    clear_filters: bool = False
    truncated: bool = False
    confidence: float = 1.0
    all_genres: bool = False  # "romantic comedy": every genre named, not any of them
    no_subtitles: bool = False  # "only English please", "no subtitles"
    opinions: list[Opinion] = field(default_factory=list)  # what the message says of each title
    # later mentions of a title already found ("the Hobbit movies were too long, but I liked
    # the first one"): they carry opinions, the first mention keeps the title's place
    repeats: list[TitleMatch] = field(default_factory=list)

    @property
    def movie_ids(self) -> list[int]:
        return [t.movie_id for t in self.titles]

    @property
    def has_constraints(self) -> bool:
        return bool(
            self.genres
            or self.exclude_genres
            or self.year_min is not None
            or self.year_max is not None
            or self.mood
            or self.no_subtitles
        )


def _words(text: str) -> list[str]:
    return text.split()


# --- vocabulary -------------------------------------------------------------------------

GENRE_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (r"rom-?coms?|romantic comed(?:y|ies)", ("Romance", "Comedy")),
    (r"comed(?:y|ies)|funny|funnier|hilarious|laughs?|comic", ("Comedy",)),
    (r"horror|scary|scarier|spooky|spookier|frightening", ("Horror",)),
    (r"sci-?fi|science[- ]fiction|scifi", ("Sci-Fi",)),
    (r"animat(?:ed|ion)|cartoons?|anime", ("Animation",)),
    (r"documentar(?:y|ies)|docs", ("Documentary",)),
    (r"romance|romantic|love stor(?:y|ies)", ("Romance",)),
    (r"thrillers?|suspense(?:ful)?", ("Thriller",)),
    (r"dramas?|dramatic", ("Drama",)),
    (r"action", ("Action",)),
    (r"adventures?", ("Adventure",)),
    # "accused of a crime" tells a plot; "a crime thriller" asks for the genre
    (
        r"(?<!\ba )(?<!\bthe )(?<!\bof )crime|(?:a|the|of) crime(?= (?:movie|film|thriller|"
        r"drama|story|stories|caper|flick|saga|series|show))|gangsters?|mafia|mob movies?",
        ("Crime",),
    ),
    (r"war (?:films?|movies?)|wartime|\bwar\b", ("War",)),
    (r"westerns?|cowboys?", ("Western",)),
    (r"musicals?", ("Musical",)),
    (r"myster(?:y|ies)|whodunn?its?|detective", ("Mystery",)),
    (r"fantasy|fantasies", ("Fantasy",)),
    (  # an audience, not "my favourite movie as a kid" or "the kid sees dead people"
        r"(?<!the )(?<!a )kid|kids|children'?s?|family[- ]friendly|family (?:films?|movies?)",
        ("Children",),
    ),
    (r"noir", ("Film-Noir",)),
]
_GENRE_RES = [(re.compile(rf"\b(?:{p})\b", re.IGNORECASE), g) for p, g in GENRE_WORDS]
_NEGATOR = (
    r"(?:no|not|aren'?t|isn'?t|nothing|without|except|avoid|skip|but not|anything but|none of|"
    r"less|non-?)"
)
_NEG_GENRE_RE = re.compile(
    rf"\b{_NEGATOR}[\s-]+(?:too\s+|more\s+|any\s+|the\s+|a\s+|so\s+|for\s+|made for\s+|with\s+|"
    r"about\s+(?:a\s+|the\s+)?|involving\s+|to do with\s+)?"
    rf"(?P<word>[\w-]+(?:\s(?!{_NEGATOR}\b)[\w-]+)?)",  # "no horror no musicals": two
    re.IGNORECASE,
)
_AFFIRM_GENRE_RE = re.compile(
    r"\b(?:do|actually|really|now)\s+(?:like|love|enjoy)\s+(?P<word>[\w-]+)", re.IGNORECASE
)
_GENRE_EMOJI_RE = re.compile(
    r"(?P<word>[\w-]+)\s*[^\w\s]{0,4}?(?:(?P<no>[❌🙅👎🚫])|[✅👍✔])", re.IGNORECASE
)
_DONT_LIKE_GENRE_RE = re.compile(
    r"\b(?:i\s+)?(?:don'?t|do not|never|(?:can'?t|cannot|can not|could not|couldn'?t) stand|"
    r"hate[sd]?|dislike[sd]?|(?:am|'m) not (?:a (?:big |huge )?fan of|into|big on)|"
    r"not a (?:big |huge )?fan of|(?:can'?t|cannot) do|any genre (?:but|except)|"
    r"anything (?:but|except))\s+"
    r"(?:like\s+|watch\s+|want\s+)?(?:anything\s+|any\s+)?(?:too\s+|that\s+)?"
    r"(?P<word>[\w-]+(?:\s[\w-]+)?)",
    re.IGNORECASE,
)

# Moods: words that become both filters and a description the ranker can use.
MOODS: list[tuple[re.Pattern[str], tuple[str, ...], str]] = [
    (
        re.compile(r"\b(?:nothing|no|not|less|non-?)\s*violen(?:t|ce)\b", re.IGNORECASE),
        ("Horror", "War", "Crime", "Action", "Thriller"),
        "gentle, peaceful, non-violent",
    ),
    (
        re.compile(r"\b(?:nothing|no|not|less)\s+(?:too\s+)?scary\b", re.IGNORECASE),
        ("Horror", "Thriller"),
        "gentle, not scary",
    ),
    (
        re.compile(
            r"\b(?:light(?:er)?|light-?hearted|feel-?good|uplifting|cheerful|cheer me up|"
            r"happy|fun(?:ny)?|easy(?:-going)?|relaxing)\b",
            re.IGNORECASE,
        ),
        ("Horror", "War", "Thriller", "Crime"),
        "light-hearted, funny, feel-good",
    ),
    (
        re.compile(r"\b(?:dark(?:er)?|gritty|bleak|disturbing|intense)\b", re.IGNORECASE),
        (),
        "dark, gritty, intense",
    ),
    (
        re.compile(r"\b(?:sad|tear-?jerker|moving|emotional|cry)\b", re.IGNORECASE),
        (),
        "moving, emotional, bittersweet",
    ),
    (
        re.compile(r"\b(?:mind-?bending|twisty|twists?|cerebral|thought-?provoking)\b", re.I),
        (),
        "mind-bending, clever twists, thought-provoking",
    ),
]

_DECADE_RE = re.compile(
    r"\b(?<!their )(?<!his )(?<!her )(?<!my )(?<!our )(?<!your )(?<!early )(?<!mid )(?<!late )"
    r"(?:the\s+)?(?:(?P<century>19|20)|')?(?P<decade>\d)0'?s\b",
    re.I,
)  # "in their 80s" is an age


@dataclass(frozen=True)
class DescribedTaste:
    """What a described taste states: its filters, and stars for the films it names."""

    filters: Filters
    ratings: dict[int, float] = field(default_factory=dict)  # movieId -> stars


_AND_TITLE_RE = re.compile(r"\b[A-Z][\w']*(?:\s+(?:of|the|[A-Z][\w']*))*\s+and\s+[A-Z][\w']*")


def _filters(parse: Parse) -> Filters:
    return Filters(
        genres=parse.genres,
        all_genres=parse.all_genres,
        exclude_genres=parse.exclude_genres,
        year_min=parse.year_min,
        year_max=parse.year_max,
        no_subtitles=parse.no_subtitles,
    )


_PLOT_BEFORE_RE = re.compile(FIND_ONE_RE.pattern + r"[^.!?]*$", re.IGNORECASE)
_NAME_AFTER_RE = re.compile(r"[^\S\n]+[A-Z][a-z]+(?!\w*\s*[,/|+&])(?!\s+(?:and|or)\b)(?=\s+[a-z])")
_FIRST_BEFORE_RE = re.compile(r"\b(?:the\s+)?(?:first|original)\s+$", re.IGNORECASE)
_ITEM_RE = re.compile(  # one item of a list: between separators
    r"(?:^|[,;/|+&•\n]|\band\b)\s*(?P<item>[^,;/|+&•\n]+?)\s*(?=$|[,;/|+&•\n?!]|\band\b)",
    re.IGNORECASE,
)
_LOVED_TITLE_RE = re.compile(
    r"\b(?:loved|adored|(?:really |truly )?enjoyed)(?:\s+was)?\s+"
    r"(?P<span>(?!I\b)[A-Z0-9][\w'’:-]*(?:\s+(?:[A-Z0-9][\w'’:-]*|(?:of|the|and|a|an|in|at|on|to|"
    r"for|with|from)\b)){0,6})"
)
_TITLE_CASE_RE = re.compile(
    r"(?!I\b)[A-Z0-9][\w'’:-]*(?:\s+(?:[A-Z0-9][\w'’:-]*|of|the|and|a|in))*"
)  # "Zorgblat 3000", "Return of the Zorg": how people write a title
_PRONOUNS = frozenset({"it", "this", "that", "they", "he", "she", "we", "you", "i"})
# "Her: 5/5", "Birdman three" (in a message that rates): stars right after a span mark a title.
_RATED_AFTER_RE = re.compile(
    r"\s*[:=–-]?\s*(?:an?\s+)?(?:\d{1,2}(?:[.,]5)?\s*(?:/\s*(?:5|10)\b|stars?\b|★|out of\b)|[★⭐]|"
    r"(?:one|two|three|four|five)(?:\s+and\s+a\s+half)?(?:\s+stars?)?\s*(?:$|[,.;!]|and\b))",
    re.I,
)
_RATING_AFTER_NUMBER_RE = re.compile(r"\s*(?:stars?\b|/\s*(?:5|10)\b|out of\b)", re.I)
_RATED_ITEM_BEFORE_RE = re.compile(  # "... and up an 8 out of 10", not "the second one: 4 stars"
    r"(?:^|[,/|+;\n&•*:>=–—-]|\b(?:give|gave|rate|rated|and))\s*$", re.IGNORECASE
)
_LEAD_CUE_RE = re.compile(
    r"(?i:(?:(?:i|we)\s+)?(?:really\s+|also\s+|just\s+)?"
    r"(?:loved?|liked?|enjoyed|adored|hated|disliked|watched|rewatched|saw|seen))\s+(?=[A-Z0-9])"
)
_GLYPH_STARS_RE = re.compile("[★⭐]")
_HEDGE_RE = re.compile(
    r"\b(?:a (?:bit|little|tad)|kind of|sort of|kinda|sorta|though|tho)\b", re.I
)  # "other ideas?", "anything more recent though?": no description
_KIND_FAN_RE = re.compile(
    r"\b(?:fan of|into|(?:i|we) (?:really )?(?:love|like|enjoy|adore)|obsessed with)\s+"
    r"(?:(?:all|any|most|good|great|old|older|the)\s+)?"
    r"(?P<kind>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}?)\s+(?:movies|films|flicks)\b",
    re.I,
)
_AGES_BEFORE_RE = re.compile(  # a person's age: "my kids are 7 and 10", "my daughter (10"
    r"\b(?:kids?|sons?|daughters?|boys?|girls?|children|nieces?|nephews?|brother|sister|"
    r"he|she|they)\b[^.!?;\d]{0,12}?(?:\b(?:is|are|aged?|ages)\b)?\s*\(?,?\s*"
    r"(?:\d{1,2}\s*(?:,|and|&)\s*)*$",
    re.I,
)
_TAIL_WORDS = frozenset({"a", "an", "the", "and", "or", "of", "at", "in", "on"})
_BARE_PAIR_RE = re.compile(r"[^\W\d][\w'’.!]*\s+\d{1,2}(?:[.,]5)?\s*[,;\n]")
_YEAR_BEFORE_RE = re.compile(r"\b(?P<year>(?:19|20)\d{2})(?:'s|’s)?\s+$")  # "the 2005 King Kong"
_PREDICATE_RE = re.compile(
    r"\s+(?:is|was|were|made|has|had|really|just|totally|deserves|gets|earns)\b", re.I
)
_NOT_TOO_RE = re.compile(
    r"\s*(?:but\s+|and\s+|ok\s+|okay\s+)?(?:not|nothing|no)\s+(?:too|so|very|overly|that)\s+\w+",
    re.I,
)
_REFINING_RE = re.compile(r"\s*(?:not|no|nothing|none|less|more|but|without)\b", re.I)
_NEXT_ITEM_RE = re.compile(r",\s*(?P<next>[A-Z][\w'’·-]*(?:\s+[A-Z][\w'’·-]*){0,3})")
_JOINED_RE = re.compile(r"\s*(?:,|&|\+|/|\band\b|\bn\b)\s*", re.IGNORECASE)  # "lion king n aladdin"
_OCCASION_AFTER_RE = re.compile(
    r"\s+(?:tonight|today|tomorrow|this (?:weekend|evening|friday|saturday|sunday))\b|"
    r"!+\s+(?:she|he|we|they|i)\b",  # "Date night! She loves..."
    re.I,
)
_SMALL_WORDS = frozenset({"of", "the", "and", "a", "an", "in", "on", "for", "to", "at", "with"})


def _title_cased(span: str) -> bool:
    """ "Children of Men", "Up": every word capitalized but the small ones."""
    words = span.split()
    return bool(words) and all(w[:1].isupper() or w.lower() in _SMALL_WORDS for w in words)


_FRANCHISE_REF_RE = re.compile(
    r"\b(?:the\s+)?(?:first|original)\s+(?:one|film|movie)\b|"
    r"\bthe original(?=\s*[:,;.!?-]|$|\s+(?:a\s+)?(?:\d|one|two|three|four|five)\b)|"
    r"\bthe\s+(?P<nth>second|third|fourth|2nd|3rd|4th)\s+(?:one|film|movie)\b|"
    r"\bpart\s+(?P<n>1|2|3|4|one|two|three|four|i{1,3}|iv)\b",
    re.IGNORECASE,
)
_PART_NUMBERS = {"1": 1, "2": 2, "3": 3, "4": 4, "one": 1, "two": 2, "three": 3, "four": 4}
_PART_NUMBERS |= {"i": 1, "ii": 2, "iii": 3, "iv": 4, "second": 2, "third": 3, "fourth": 4}
_PART_NUMBERS |= {"2nd": 2, "3rd": 3, "4th": 4}


_WITH_ACTOR_RE = re.compile(r"^\s+(?:with|starring)\s+[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}")


def _judged(text: str, start: int, span: str) -> bool:
    """A one-word title opening a sentence that goes on to judge it ("Big is such a sweet
    movie", "Up made me cry"); never a pronoun ("It was great" after a pick means that pick)."""
    if span.lower() in _PRONOUNS:
        return False
    rest = text[start + len(span) :]
    rest = _WITH_ACTOR_RE.sub("", rest, count=1)  # "Big with Tom Hanks is such a sweet film"
    if re.match(r"\s*[^\w\s]", rest):  # an emoji verdict right after: "Get Out 🔥🔥"
        return judges(rest.lstrip()[:2])
    clause = re.split(r"[.!?\n]", rest, maxsplit=1)[0]
    return bool(_PREDICATE_RE.match(rest)) and (judges(clause) or bool(find_stars(clause)))


def _decade_start(match: re.Match[str]) -> int:
    """'the 90s' -> 1990, "'60s" -> 1960, '2010s' -> 2010, 'the 00s' -> 2000."""
    decade = int(match["decade"]) * 10
    if century := match["century"]:
        return int(century) * 100 + decade
    return (1900 if decade >= 20 else 2000) + decade


_DECADE_WORDS = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
}
_DECADE_WORD_RE = re.compile(rf"\b(?:the\s+)?({'|'.join(_DECADE_WORDS)})\b", re.IGNORECASE)
_AFTER_RE = re.compile(
    r"\b(?:after|since|newer than|post|from)\s+(?P<year>(?:19|20)\d{2})\b(?!\s*(?:-|–|to)\s*\d)",
    re.I,
)
_BEFORE_RE = re.compile(
    r"\b(?<!nothing )(?<!not )(?<!no )(?:before|older than|pre|until|up to)\s+"
    r"(?P<year>(?:19|20)\d{2})\b",
    re.I,
)
_NOT_OLDER_RE = re.compile(
    r"\b(?:nothing|not|no)\s+(?:older|earlier)\s+than\s+(?P<year>(?:19|20)\d{2})\b", re.I
)
_NOT_BEFORE_RE = re.compile(
    r"\b(?:nothing|not|no|none)\s+(?:\w+\s+){0,2}?(?:before|pre|earlier than)\s+"
    r"(?P<year>(?:19|20)\d{2})\b",
    re.I,
)
_NO_SUBTITLES_RE = re.compile(
    r"\b(?:(?:only|just)\s+(?:in\s+)?english|english[- ](?:only|language)|in english(?: only)?|"
    r"(?:no|without|hates?|hate reading|can'?t stand)\s+subtitles?|nothing foreign|"
    r"no foreign(?: films| movies| language)?)\b",
    re.I,
)
_NOT_AFTER_RE = re.compile(
    r"\b(?:nothing|not|no|none)\s+(?:\w+\s+){0,2}?(?:after|newer than|later than|past|since)\s+"
    r"(?P<year>(?:19|20)\d{2})\b",
    re.I,
)
_OR_LATER_RE = re.compile(
    r"\b(?P<year>(?:19|20)\d{2})\s*(?:(?:or|and)\s+(?:later|newer|after|up|above|beyond)\b|"
    r"onwards?\b|\+)",
    re.I,
)
_RANGE_RE = re.compile(
    r"\b(?:from|between)?\s*(?P<a>(?:19|20)\d{2})\s*(?:-|–|to|and)\s*(?P<b>(?:19|20)\d{2})\b", re.I
)
_IN_YEAR_RE = re.compile(
    r"\b(?:in|of|from)\s+(?P<year>(?:19|20)\d{2})\b"
    r"|\b(?P<before>(?:19|20)\d{2})\s+(?:\w+\s+)?(?:movies?|films?|releases?|thrillers?|comed(?:y|ies)|"
    r"dramas?|horrors?|westerns?|musicals?|documentar(?:y|ies)|romcoms?|blockbusters?)\b",
    re.IGNORECASE,
)  # "from 2015", "any 2015 thrillers"
_RECENT_RE = re.compile(r"\b(?:recent|newer|new releases?|latest|modern)\b", re.IGNORECASE)
_OLD_RE = re.compile(
    r"\b(?<!year-)(?<!years )(?<!yr-)(?<!year )(?<!yr )(?<!yrs )(?<!years-)(?<!yrs-)"
    r"(?:older|classics?|vintage|golden age|old(?=\s+(?:[\w-]+\s+)?(?:movies?|films?|flicks?|"
    r"stuff|ones?|classics?|pictures?|cinema|hollywood|westerns?|musicals?|comed(?:y|ies)|"
    r"horrors?|dramas?|romances?|noirs?|sci-?fi|thrillers?|cartoons?|black and white)\b|"
    r"\s*(?:[,.!?;:)]|$)|\s+(?:is|are|or|and|but|too|please|fine|ok|okay|works?)\b))\b"
    r"(?![- ](?:fashioned|school))",
    re.IGNORECASE,
)  # not "my 8-year-old", "old-fashioned", "the old man and the balloons", "an old nanny"
_PLOT_ERA_RE = re.compile(r"\b(?:back to|set in|during|in|to)\s+$", re.IGNORECASE)
_ANY_AGE_RE = re.compile(
    r"\b(?:old(?:er)?|classics?)\s*(?:or|and|&|/)\s*(?:new(?:er)?|recent|modern)\b|"
    r"\b(?:new(?:er)?|recent|modern)\s*(?:or|and|&|/)\s*(?:old(?:er)?|classics?)\b",
    re.IGNORECASE,
)
_LAST_YEARS_RE = re.compile(
    r"\b(?:last|past)\s+(?P<n>\d{1,2}|few|couple of|ten|five|twenty|fifteen)\s+years\b", re.I
)
_LAST_DECADE_RE = re.compile(r"\b(?:last|past)\s+(?:decade|ten years)\b", re.I)
_YEARS_WORDS = {"few": 5, "couple of": 3, "five": 5, "ten": 10, "fifteen": 15, "twenty": 20}
# A mood word said of a named (blanked) title: "Heat was so dark", "Elf is such fun".
_VERDICT_MOOD_RE = re.compile(
    r"(?:(?<=\s\s)|(?<=\bone\s)|(?<=\bit\s)|(?<=\bthat\s))"  # a title, or "the third one"
    r"(?:was|were|is|are|'s|looks?|looked|seems?|sounds?|sounded)\s+"
    r"(?:(?:really|very|so|pretty|super|such|a|too|kinda|"
    r"quite|just|a lot of|good|great)\s+)*(?:fun(?:ny)?|happy|light(?:-?hearted)?|cheerful|"
    r"uplifting|dark|gritty|bleak|disturbing|intense)\b",
    re.I,
)
_BLACK_AND_WHITE_RE = re.compile(r"\b(?:black[- ](?:and|&|n)[- ]white|b\s*&\s*w)\b", re.I)
BLACK_AND_WHITE_UNTIL = 1966  # colour was the norm in Hollywood from the mid-sixties

_RATE_NUMBER_RE = re.compile(
    r"\b(?:rate|rated|rating|give|gave|giving|score)\b[^.?!\d]{0,40}?\b(?:an?\s+)?"
    r"(?P<n>-?\d{1,2}(?:[.,]\d+)?)\b(?!\s*(?:%|s\b|th\b))",
    re.IGNORECASE,
)

_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "sixth": 5,
    "seventh": 6,
    "eighth": 7,
    "ninth": 8,
    "tenth": 9,
    "last": -1,
    "latter": -1,
    "final": -1,
    "former": 0,
}
_REF_RE = re.compile(
    rf"\b(?:the|that|this)\s+(?P<ord>{'|'.join(_ORDINALS)})(?:\s+(?:one|film|movie|pick|title|suggestion))?\b"
    r"|\b(?:number|no\.?|#)\s*(?P<num>\d{1,2})\b|(?<!\w)#(?P<hash>\d{1,2})\b",
    re.IGNORECASE,
)
_RELATIVE_AFTER_RE = re.compile(  # "the last movie I really loved was...", not "the first one I
    r"\s+(?:(?:that|which)\s+)?(?:i|we)\b[^,.;!?]{0,40}?\b(?:was|is)\b", re.IGNORECASE
)  # loved"
_LIST = r"(?:watch\s*-?\s*list|watch later list|(?:my\s+)?list)"
_SAVE_RE = re.compile(
    r"\b(?:save|keep|add|put|bookmark|stick)\b[^.?!]{0,50}?\b(?:for later|for another (?:day|time)|"
    rf"(?:to|on|in)(?:to)?\s+(?:my\s+)?{_LIST})\b|\bwatch (?:it )?later\b",
    re.IGNORECASE,
)
_WATCHLIST_RE = re.compile(
    r"\b(?:what'?s|what is|what are|show|see|list|read)\b[^.?!]{0,25}\b(?:on|in)?\s*my\s+"
    rf"{_LIST}\b|\bfrom my\s+{_LIST}\b|^\s*(?:my\s+)?watch\s*-?\s*list\s*\??\s*$",
    re.IGNORECASE,
)
_FOCUS_RE = re.compile(
    r"\b(?:it|that one|this one|that film|that movie|this film|this movie|"
    # "a war movie that's more about the people": "that" relates, it points at nothing
    r"(?<!movie )(?<!movies )(?<!film )(?<!films )(?<!something )(?<!anything )(?<!stuff )"
    r"(?<!before )(?<!after )(?:that|this))\b",  # "before that": a time, not a film
    re.IGNORECASE,
)

_NEGATIVE_RE = re.compile(
    r"\b(?:didn'?t|did not|don'?t|do not|wasn'?t|was not|never)\s+(?:really\s+)?"
    r"(?:like|love|enjoy|care for|get|dig)\b|\bhated?\b|\bdisliked?\b|\bnot for (?:me|us)\b|"
    r"\b(?:isn'?t|is not|wasn'?t|was not|aren'?t|are not)\s+(?:really\s+)?(?:for (?:me|us)|"
    r"my (?:thing|kind of \w+|cup of tea|taste))\b|"
    r"\bnot my (?:thing|cup of tea|taste)\b|\bnot a fan\b|\bcouldn'?t stand\b|\bboring\b|"
    r"\bawful\b|\bterrible\b|\bhorrible\b|\bwaste of time\b|\bthumbs?[- ]down\b|👎|\bmeh\b|"
    r"\bno thanks\b|\bnot interested\b|\bskip (?:it|that)\b|\bstupid\b|\boverrated\b",
    re.IGNORECASE,
)
_POSITIVE_RE = re.compile(
    r"\b(?:i|we)\s+(?:really\s+|absolutely\s+|just\s+)?(?:loved?|liked?|enjoyed|adored?|dig)\b|"
    r"\b(?:loved|liked|enjoyed|adored)\b|\bfavou?rites?\b|\bis great\b|\bwas great\b|"
    r"\bwas amazing\b|\bis amazing\b|\bthumbs?[- ]up\b|👍|\bmasterpiece\b|\bfan of\b|"
    r"\bbest (?:movie|film)\b|\bhooked\b",
    re.IGNORECASE,
)
_SEEN_RE = re.compile(
    r"\b(?:i'?ve|i have|we'?ve|we have|already|i|we)\s+(?:already\s+)?(?:seen|saw|watched)\b|"
    r"\bseen (?:it|that)\b",
    re.IGNORECASE,
)

_GREETING_RE = re.compile(
    r"^\s*(?:hi+|hello+|hey+|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening)|"
    r"hola|sup|what'?s up)\b",
    re.IGNORECASE,
)
_THANKS_RE = re.compile(
    r"\b(?:thanks?|thank you|thx|ty|cheers|much appreciated|great,? thanks|awesome|perfect)\b",
    re.IGNORECASE,
)
_BYE_RE = re.compile(
    r"^\s*(?:bye|goodbye|see (?:you|ya)|good night|later|that'?s all|i'?m done)\b", re.I
)
_HELP_RE = re.compile(
    r"^\s*/?help\b|\bwhat can you do\b|\bhow does (?:this|it) work\b|\bwhat do you do\b|"
    r"\bhow do i use\b|\bwhat are you\b|\bwho are you\b|\bcommands\b",
    re.IGNORECASE,
)
_INJECTION_RE = re.compile(
    r"\bignore\s+(?:all\s+|any\s+|your\s+|the\s+|previous\s+|prior\s+|above\s+|my\s+)*"
    r"(?:instructions|rules|prompt|guidelines)\b|\bsystem prompt\b|\bdeveloper mode\b|"
    r"\bjailbreak\b|\b(?:user|person|account)\s*#?\d+'?s?\s+(?:ratings|profile|data|history)\b|"
    r"\bother (?:users?|people)'?s?\s+(?:ratings|profiles?|data)\b|\bdump\b.*\b(?:database|db)\b",
    re.IGNORECASE,
)
_CLEAR_RE = re.compile(
    r"\b(?:start over|forget (?:the |those |my |all )?(?:filters|constraints|preferences)|"
    r"clear (?:the )?filters|no filters|any genre|anything goes|reset filters)\b",
    re.IGNORECASE,
)
_MORE_RE = re.compile(
    r"\b(?:more|others|another|something else|anything else|different ones|next|else|"
    r"(?:other|new|different|fresh) (?:ideas|options|suggestions|picks|ones))\b",
    re.IGNORECASE,
)

# Intent cues, checked in order after ratings, opinions and comparisons.
_CUES: list[tuple[Intent, re.Pattern[str]]] = [
    (
        Intent.EXPLAIN,
        re.compile(
            r"\bwhy\b|\bhow come\b|\bexplain\b|\bwhat makes you think\b|\breason\b", re.IGNORECASE
        ),
    ),
    (
        Intent.PREDICT,
        re.compile(
            r"(?<!what )(?<!else )(?<!what do you )\b(?:would|will|do you think|think)\s+"
            r"i(?:'d|’d|'ll| would| will)?\s+"
            r"(?:like|love|enjoy|hate)\b(?!\s*\?)|"
            r"(?<!what )\bshould i (?:watch|see|bother with)\s+"
            r"(?!something|anything|a |an |some|next|now|tonight|this|then)\w|"
            r"\bhow (?:many stars|much) would i\b|\bhow would i (?:rate|like)\b|"
            r"\bpredict(?:ed)?\b|\bmy (?:predicted )?(?:rating|stars) for\b|"
            r"\bis (?:it|that|this) for me\b|\bam i going to like\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.SENTIMENT,
        re.compile(
            r"\bwhat (?:do|are) (?:people|others|viewers|fans|folks|critics) "
            r"(?:say|saying|think|thinking|feel|make of)\b|"
            r"\b(?:is|was) (?:it|this|that|.{1,60}) worth (?:watching|seeing|it|a watch)\b|"
            r"\bhow do (?:people|others|viewers) (?:feel|like|rate)\b|\bsentiment\b|"
            r"\breviews?\b|\breception\b|\bwell[- ]loved\b|\bwell received\b|\btags?\b|"
            r"\b(?:people'?s|their|viewers'?|critics'?) opinions?\b|\bopinions? (?:of|on|about)\b|"
            r"\bis it any good\b|\bis .{1,60} (?:any )?good\b|\bloved by\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.SIMILAR,
        re.compile(
            r"\b(?:movies?|films?|something|anything|more|stuff|others?|ones?|titles?|things)\s+"
            r"(?:just\s+|a bit\s+|kind of\s+|sort of\s+)?(?:like|similar to|akin to)\b|"
            r"\bsimilar\b|\bin the (?:vein|style|spirit) of\b|\breminds? me of\b|"
            r"\blike\s+\S+.{0,40}\bbut\b|\bif i liked\b|\bfans? of\b.{0,60}\b(?:also|would)\b|"
            r"^\s*(?:what'?s|whats|what is|what else is|anything|something)\s+like\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.DETAILS,
        re.compile(
            r"\btell me (?:more )?about\b|\bwhat(?:'s| is| was)\s+.{1,60}\s+about\b|"
            r"\bwho directed\b|\bwho(?:'s| is) in\b|\bcast of\b|\bplot of\b|\bdetails\b|"
            r"\binfo(?:rmation)? (?:on|about)\b|\bdescribe\b(?! my)|\bmore about\b|"
            r"\bsynopsis\b|\bwhat happens in\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.PEOPLE,
        re.compile(
            r"\bwho am i (?:like|similar to)\b|\bpeople (?:like me|with my taste|similar to me)\b|"
            r"\busers? (?:like me|similar to me)\b|\bsimilar (?:users|people|viewers)\b|"
            r"\bothers like me\b|\b(?:taste|tastes) like mine\b|\bsame taste as (?:me|mine)\b|"
            r"\bwho (?:else )?shares? my taste\b|\bmy (?:taste )?twins?\b|"
            r"\bpeople who (?:like|share) (?:what i do|my taste)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.TASTE,
        re.compile(
            r"\bmy (?:taste|cluster|type|group)\b|\btaste profile\b|\bwhat kind of (?:viewer|"
            r"movie ?(?:goer|person|fan)|watcher)\b|\bwhich (?:group|cluster)\b|"
            r"\bdescribe me\b|\bwhat (?:do|would) i (?:usually )?(?:like|enjoy)\b|"
            r"\bwhat(?:'s| is) my taste\b|\bsum up my taste\b|\bmy tastes?\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.PROFILE,
        re.compile(
            r"\bmy ratings\b|\bwhat (?:have i|did i) rated?\b|\bwhat do you know about me\b|"
            r"\bmy profile\b|\bwho am i\b|\bwhat have i told you\b|\bmy (?:likes|dislikes)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.SEARCH,
        re.compile(
            r"\b(?:a|an|some|any)\s+(?:\w+\s+){0,3}(?:movies?|films?|story|stories|flicks?)\s+"
            r"(?:about|where|with|in which|set in|involving|featuring|that|whose)\b|"
            r"\bfind (?:me )?(?:a |an |some )?(?:\w+\s+){0,2}(?:movies?|films?)\b|"
            r"\blooking for (?:a |an )?(?:movies?|films?)\b|\bsearch\b|\bplot (?:where|about)\b|"
            r"\bthe (?:one|movie|film) (?:where|about|with)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.RECOMMEND,
        re.compile(
            r"\brecommend\w*\b|\bsuggest\w*\b|\bwhat should i (?:watch|see)\b|\bsomething\b|"
            r"\banything\b|\bgive me\b|\bshow me\b|\bpicks?\b|\bideas?\b|\bin the mood\b|"
            r"\bwhat to watch\b|\bmovie night\b|\bwatch tonight\b|\bi want (?:a|an|some)\b|"
            r"\bgood (?:movies?|films?)\b|\bmore\b|\bothers\b|\banother\b|\bfeel like\b|"
            r"\b(?:what'?s|what is|what would be|anything) (?:good|nice|fun|great) (?:for|on)\b|"
            r"\bwhat (?:do you think |else )?(?:i'?d|i would|would i|will i) (?:like|love|enjoy)\b",
            re.IGNORECASE,
        ),
    ),
]

_COMPARE_RE = re.compile(
    r"\bbetter\b|\bworse\b|\bcompare\b|\bvs\.?\b|\bversus\b|\bmore (?:loved|popular|liked)\b|"
    r"\bprefer\b|\bwhich (?:one|is|of)\b|\bor\b",
    re.IGNORECASE,
)

# Words that, alone or together, are not evidence of a title ("tonight", "the one", "it").
COMMON_WORDS = frozenset(
    _words(
        """
        a about above after again against all also am an and any are as at be because been
        before being below between both but by can could did do does doing down during each
        few for from further had has have having he her here hers him his how i if in into
        is it its itself just me more most my no nor not now of off on once only or other
        our out over own same she should so some such than that the their them then there
        these they this those through to too under until up very was we were what when where
        which while who whom why will with would you your yours yes ok okay sure please
        thanks thank hi hello hey bye good great nice cool fine well really much many
        something anything nothing everything someone anyone everyone one two three four
        five six seven eight nine ten first second third last next new old big little small
        long short high low right left best better worst worse love like liked loved hate
        hated want need movie movies film films watch watched seen see saw show shows tell
        know think say said get got give gave make made go going come came take took look
        looking find found help tonight today tomorrow night day time year years home life
        world man woman men women people kid kids boy girl family friend friends way back
        still even again never always maybe often sometimes again stars star rate rating
        ratings recommend suggestion suggestions similar same different funny light lighter
        dark darker scary sad happy fun action comedy drama horror romance thriller war
        crime western musical mystery fantasy adventure animation documentary children genre
        genres story stories plot ending twist more less else another other others picks
        pick funnier scarier sadder happier darker lighter newer older shorter longer
        quicker calmer gentler cheerier btw stuff things
        """
    )
)

_FOREIGN_WORDS = {
    "es": set(
        _words(
            """
            el los las una unos por para pero porque quiero película películas como muy
            gracias hola qué cuál dónde también algo recomienda recomiéndame ver buena
            """
        )
    ),
    "fr": set(
        _words(
            """
            le les une des pour mais avec je veux film films merci bonjour quel quelle est
            très aussi quelque chose recommande regarder voir bon bonne ce soir tu vous nous
            quoi conseilles conseille
            """
        )
    ),
    "de": set(
        _words(
            """
            der die das ein eine und ich möchte bitte danke hallo mit nicht ist sehr auch
            etwas empfehlen empfiehl gut guten sehen filme
            """
        )
    ),
    "it": set(
        _words(
            """
            il lo gli una per ma con io voglio grazie ciao che molto anche qualcosa
            consiglia consigli consigliami vedere buon buona mi stasera un
            """
        )
    ),
    "pt": set(
        _words(
            """
            o os uma um por para mas com eu quero obrigado obrigada olá muito também algo
            recomenda assistir bom boa filmes
            """
        )
    ),
}
_ENGLISH_WORDS = set(
    _words(
        """
        the a an and or but i you me my is are was what which who how can could would should
        movie movies film films like love watch want something recommend please with for of
        to in on about have has this that it do does not
        """
    )
)

_WORD_RE = re.compile(r"[\w][\w'’.-]*", re.UNICODE)
_QUOTED_RE = re.compile(r"[\"“”«»]([^\"“”«»]{1,120})[\"“”«»]|(?<!\w)'([^']{2,120})'(?!\w)")
_TRIGGER_RE = re.compile(
    r"\b(?:like|liked|loved|love|enjoyed|adored|seen|saw|watched|rate|rated|rating|about|than|luv|"
    r"luved|liek|prefer|preferred|"
    r"to|hated|disliked|of|for|think of|give|gave|is|was|put|mark)\s*:?\s+$",
    re.IGNORECASE,
)
_STRONG_TRIGGER_RE = re.compile(
    r"\b(?:like|liked|loved|love|enjoyed|adored|seen|saw|watched|rate|rated|hated|disliked|"
    r"give|gave|luv|luved|liek|prefer|preferred)\s*:?\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_SPAN_STOP_RE = re.compile(
    r"[,.;!?:()]|\s(?:and|but|because|since|which|who|though|although|it|i|didn'?t|did|was|"
    r"is|so|then|or|with|from|in|for|as|a|an|\d+(?:\.\d)?\s*(?:stars?|/))\b",
    re.IGNORECASE,
)


# --- the understander -------------------------------------------------------------------


# "anything like knives out? loved it": a title after "like", whatever "it" says after it
_LIKE_NAMED_RE = re.compile(
    r"\b(?:like|similar to)\s+(?!(?:it|that|this|those|these|them|one|the (?:first|second|"
    r"third|last|other) ?\w*)\b)[\w']",
    re.IGNORECASE,
)


class Understander:
    """Parses messages against a catalogue; ``embed`` (optional) adds the similarity fallback."""

    def __init__(
        self,
        catalog: Catalog,
        embed: Callable[[list[str]], np.ndarray] | None = None,
        examples: dict[Intent, list[str]] | None = None,
    ) -> None:
        self.catalog = catalog
        self._titles = catalog.titles
        self._embed = embed
        self._examples = examples or EXAMPLES
        self._example_vectors: np.ndarray | None = None
        self._example_intents: list[Intent] = []
        self._max_year = int(np.nanmax(catalog.movies["year"].astype(float)))
        self.spotter = Spotter(catalog, COMMON_WORDS)

    # --- public ---------------------------------------------------------------------------

    def use_embedder(self, embed: Callable[[list[str]], np.ndarray] | None) -> None:
        """Start using a sentence embedder for the similarity fallback (it came in late)."""
        self._example_vectors = None
        self._embed = embed

    @property
    def newest_year(self) -> int:
        """The year of the catalogue's newest movie."""
        return self._max_year

    def parse(self, message: str) -> Parse:
        """Intent and slots of one message."""
        text = respell_verdicts(unicodedata.normalize("NFKC", message or "").strip())
        truncated = len(text) > MAX_PARSE_CHARS
        text = text[:MAX_PARSE_CHARS]
        parse = self._parse(text)
        parse.raw = text
        parse.truncated = truncated
        return parse

    def _parse(self, text: str) -> Parse:
        if not text:
            return Parse(Intent.EMPTY)
        if not any(ch.isalpha() for ch in text) and not re.search(r"\d", text):
            if "👎" in text:
                return Parse(Intent.DISLIKE, focus=True)
            if "👍" in text:
                return Parse(Intent.LIKE, focus=True)
            return Parse(Intent.NONSENSE)
        if self.is_foreign(text) and not self.find_titles(text):
            return Parse(Intent.FOREIGN)
        if _INJECTION_RE.search(text):
            return Parse(Intent.REFUSE)
        if join_code(text):
            return Parse(Intent.JOIN_GROUP)
        if START_GROUP_RE.match(text):
            return Parse(Intent.START_GROUP)
        slots = self._slots(text)
        intent = self._intent(text, slots)
        slots.intent = intent
        wants_title = intent in TITLE_INTENTS | {Intent.COMPARE}
        untitled = wants_title and not slots.titles and not slots.refs
        if untitled and (not slots.focus or _LIKE_NAMED_RE.search(text)):
            self._fuzzy_title(text, slots)  # "like knives out? loved it": "it" is that title
        slots.opinions = self._opinions(text, slots)
        settled = self._settle(text, slots)
        if settled != slots.intent:
            slots.intent = settled
            slots.opinions = self._opinions(text, slots)
        if slots.focus and slots.unknown_title is None and intent not in TITLE_INTENTS:
            slots.focus = False
        if (slots.intent in _GROUP_ABLE or GROUP_CUE_RE.search(text)) and is_group(
            text, self.title_spans(text, slots)
        ):
            slots.intent = Intent.GROUP  # the opinions stay: the session watches with them
        return slots

    def title_spans(self, text: str, parse: Parse) -> list[tuple[int, int]]:
        """Where the message names films, including titles with "and" the catalogue holds
        more than once ("Pride and Prejudice"), so they are not read as two people."""
        spans = [(t.start, t.start + len(t.text)) for t in parse.titles]
        for match in _AND_TITLE_RE.finditer(text):
            if self._titles.ids_for_key(title_key(match.group())):  # no suggestions to compute
                spans.append(match.span())
        return spans

    def filters_for(self, text: str) -> Filters:
        """The genres, excluded genres and years a described taste states ("a thriller from
        the 90s, nothing gory")."""
        return _filters(self._slots(unicodedata.normalize("NFKC", text or "")[:MAX_PARSE_CHARS]))

    def read_described(self, text: str) -> DescribedTaste:
        """A described taste's filters and the films it names ("like The Matrix, but newer";
        "loved Se7en but it was too gruesome")."""
        parse = self.parse(text)
        ratings = {
            o.movie_id: stars for o in parse.opinions if (stars := o.stored_stars) is not None
        }
        for o in parse.opinions:  # "something like The Matrix": named as the way to go
            if o.sentiment is Sentiment.NEUTRAL and o.stars is None:
                ratings.setdefault(o.movie_id, LIKED_STARS)
        return DescribedTaste(_filters(parse), ratings)

    def _opinions(self, text: str, parse: Parse) -> list[Opinion]:
        default = Sentiment.NEUTRAL if parse.intent in QUESTION_INTENTS else Sentiment.LIKE
        mentions = sorted([*parse.titles, *parse.repeats], key=lambda t: t.start)
        named = [Named(t.movie_id, t.start, t.text) for t in mentions]
        opinions = read_opinions(text, named, default, self._sequels_of_known)
        # "the film where a robot is left alone on Earth cleaning up trash": a plot's words
        plot = {t.movie_id for t in mentions if _PLOT_BEFORE_RE.search(text[: t.start])}
        opinions = [
            Opinion(o.movie_id, o.words, Sentiment.NEUTRAL, explicit=False)
            if o.movie_id in plot and o.stars is None
            else o
            for o in opinions
        ]
        return _last_say([o for o in opinions if o.movie_id != UNKNOWN_FILM])

    @staticmethod
    def _settle(text: str, parse: Parse) -> Intent:
        """The intent once the message's opinions are known: titles said with an opinion make
        a message about the person's taste, whatever surface cue it also has."""
        explicit = [o for o in parse.opinions if o.explicit]
        intent = parse.intent
        if not parse.titles:
            return intent
        if intent == Intent.DETAILS and (explicit or len(parse.titles) >= 2):
            return (
                Intent.RATE
                if all(o.stars is not None for o in parse.opinions)
                else Intent.RECOMMEND
            )
        if intent == Intent.COMPARE and explicit and not _COMPARE_QUESTION_RE.search(text):
            return Intent.RECOMMEND
        if intent in {Intent.SEARCH, Intent.NONSENSE, Intent.PEOPLE, Intent.SENTIMENT} and explicit:
            return Intent.RECOMMEND
        judged = [o for o in explicit if o.sentiment is not Sentiment.NEUTRAL or o.stars]
        if intent == Intent.SEEN and judged:
            return Intent.RECOMMEND  # "I watched Lost in Translation and it was exactly right"
        if (
            intent in {Intent.SEARCH, Intent.NONSENSE}
            and len(Understander.descriptive(_blank(text, parse))) <= 3
        ):
            return Intent.RECOMMEND  # little besides the titles: a list of favourites
        if intent == Intent.SIMILAR and (
            len(parse.titles) >= 2
            or not _similar_to_title(text, parse)
            or parse.genres
            or parse.year_min is not None
            or parse.year_max is not None
        ):
            return Intent.RECOMMEND  # "other horror films like Get Out": its fans' picks, filtered
        if (
            intent in {Intent.LIKE, Intent.DISLIKE}
            and len({o.sentiment for o in parse.opinions}) > 1
        ):
            return (
                Intent.RECOMMEND
            )  # "X is overrated. Give me something like Y": a taste, both ways
        return intent

    @cached_property
    def _title_keys(self) -> list[tuple[int, str, str]]:
        """Every catalogue title's key, and the key of what follows its last colon ("" when
        none): computed once, not for each sequel lookup."""
        movies = self.catalog.movies
        return [
            (int(m), title_key(t), title_key(t.rsplit(":", 1)[1]) if ":" in t else "")
            for m, t in zip(movies.index, movies["title"], strict=True)
        ]

    def _sequels_of_known(self, movie_id: int) -> list[int]:
        return [] if movie_id == UNKNOWN_FILM else self.sequels(movie_id)

    def sequels(self, movie_id: int) -> list[int]:
        """Later films of the same franchise ("The Hangover" -> Part II, Part III; "Jurassic
        Park" -> "The Lost World: Jurassic Park", "Jurassic Park III")."""
        first = self.catalog.movie(movie_id)
        key = title_key(first.title.split(":")[0])  # "Pirates of the Caribbean: The Curse..."
        if len(key) < 3:
            return []
        later = []
        for other, whole, subtitle in self._title_keys:
            if other == movie_id or not (whole.startswith(key + " ") or subtitle == key):
                continue  # "Jurassic Park III", and "The Lost World: Jurassic Park"
            movie = self.catalog.movie(int(other))
            if (
                (movie.year or 0) > (first.year or 0)
                and (  # a TV special (Shrek the Halls), unless numbered or too new to be rated
                    movie.n_ratings >= SEQUEL_SHARE * first.n_ratings
                    or bool(_SEQUEL_NUMBERED_RE.match(whole, len(key)))
                    or (movie.year or 0) >= self._max_year - 2
                )
                and "Documentary" not in movie.genres
                and ("Animation" in movie.genres) == ("Animation" in first.genres)
                and not whole.startswith(key + " and ")  # "Iron Man & Hulk": a crossover
                and not self._extends_older(whole, key, movie_id)
            ):
                later.append(int(other))
        return later

    def _extends_older(self, whole: str, key: str, root: int) -> bool:
        """Does ``whole`` extend a longer title than ``key``, other than ``root`` and no later
        than it? ("rocky horror picture show let's do ..." belongs to The Rocky Horror Picture
        Show, not to Rocky)."""
        year = self.catalog.movie(root).year or 0
        words = whole.split()
        for n in range(len(key.split()) + 1, len(words)):
            older = [
                m
                for m in self._titles.ids_for_key(" ".join(words[:n]))
                if m != root and (self.catalog.movie(m).year or 0) <= year
            ]
            if older:
                return True
        return False

    def franchise(self, movie_id: int) -> list[int]:
        """The films of ``movie_id``'s franchise in order: its root ("The Godfather" for
        "The Godfather: Part II") and the root's sequels."""
        words = title_key(self.catalog.movie(movie_id).title).split()
        root = movie_id
        for n in range(len(words) - 1, 0, -1):  # the longest title this one extends
            prefix = " ".join(words[:n])
            roots = [r for r in self._titles.ids_for_key(prefix) if movie_id in self.sequels(r)]
            if len(prefix) >= 3 and roots:
                root = roots[0]
                break
        else:
            root = self._head_root(movie_id)  # "The Hobbit: The Battle of the Five Armies"
        films = [root, *self.sequels(root)]
        return sorted(films, key=lambda m: self.catalog.movie(m).year or 0)

    def _head_root(self, movie_id: int) -> int:
        """The earliest film whose title opens with this one's head before its colon."""
        title = self.catalog.movie(movie_id).title
        head = title_key(title.split(":")[0]) if ":" in title else ""
        if len(head) < 3:
            return movie_id
        family = [
            m for m, whole, _ in self._title_keys if whole == head or whole.startswith(head + " ")
        ]
        family = [m for m in family if movie_id == m or movie_id in self.sequels(m)]
        return min(family, key=lambda m: self.catalog.movie(m).year or 9999, default=movie_id)

    def _franchise_refs(
        self, text: str, titles: list[TitleMatch], repeats: list[TitleMatch] | None = None
    ) -> list[TitleMatch]:
        """ "the first one", "part 2" after a franchise's film: that franchise's film (into
        ``repeats`` when the message already named it)."""
        found: list[TitleMatch] = []
        named = {t.movie_id for t in titles}
        for match in _FRANCHISE_REF_RE.finditer(text):
            if any(t.start <= match.start() < t.start + len(t.text) for t in titles):
                continue  # part of a title: "The Godfather Part II"
            if text[: match.start()].rstrip().lower().endswith("than"):
                continue  # "better than the first one" compares; it says nothing of liking it
            before = [t for t in titles if t.start < match.start()]
            if not before:
                continue
            films = self.franchise(before[-1].movie_id)
            n = _PART_NUMBERS[(match["n"] or match["nth"] or "1").lower()] - 1
            base_end = before[-1].start + len(before[-1].text)
            if match["n"] and re.fullmatch(r"[\s:-]*", text[base_end : match.start()]):
                start = before[-1].start  # "the godfather part 2": one title, written loosely
            else:
                start = match.start()
            if len(films) > 1 and n < len(films) and films[n] not in named:
                found.append(TitleMatch(films[n], text[start : match.end()], start))
                named.add(films[n])
            elif len(films) > 1 and n < len(films) and repeats is not None:
                repeats.append(TitleMatch(films[n], match.group(0), match.start()))
        return found

    # --- language and noise ----------------------------------------------------------------

    @staticmethod
    def is_foreign(text: str) -> bool:
        """Mostly non-Latin letters, or clearly more function words of another language."""
        letters = [ch for ch in text if ch.isalpha()]
        if not letters:
            return False
        latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
        if latin / len(letters) < 0.5:
            return True
        words = [w.lower() for w in _WORD_RE.findall(text)]
        english = sum(w in _ENGLISH_WORDS for w in words)
        foreign = max(
            sum(w in vocab and w not in _ENGLISH_WORDS for w in words)
            for vocab in _FOREIGN_WORDS.values()
        )
        return foreign >= 2 and foreign > english

    # --- slots -----------------------------------------------------------------------------

    def _slots(self, text: str) -> Parse:
        parse = Parse(Intent.UNKNOWN)
        found = self.find_titles(text, parse)
        lower = sum(t.text.islower() for t in found)
        parse.titles = [
            t
            for t in found
            if not self._everyday(text, t, lower > 1)
            and not _TAKEN_BACK_RE.match(text, t.start + len(t.text))
        ]
        if settled := self._settled_by_company(parse):
            parse.titles = sorted([*parse.titles, settled], key=lambda t: t.start)
        # "Frozen II felt unnecessary": a sequel the catalogue lacks keeps its verdict to itself
        parse.repeats = [
            TitleMatch(UNKNOWN_FILM, t.text, t.start) if self._missing_sequel(text, t) else t
            for t in parse.repeats
        ]
        parse.repeats += [
            TitleMatch(UNKNOWN_FILM, t.text, t.start)
            for t in found
            if self._missing_sequel(text, t)
        ]
        refs = self._franchise_refs(text, parse.titles, parse.repeats)
        parse.titles = [  # a ref spanning its franchise's title replaces it
            t for t in parse.titles if not any(r.start == t.start for r in refs)
        ] + refs
        if parse.titles and not parse.ambiguous:
            self._unknown_item(text, parse)
        covered = self._covered(text, [*parse.titles, *parse.repeats])
        parse.refs = self._refs(covered)
        parse.stars = self._stars(covered)
        self._genres(covered, parse)
        self._years(covered, parse)
        self._moods(covered, parse)
        parse.no_subtitles = bool(_NO_SUBTITLES_RE.search(covered))
        parse.more = bool(_MORE_RE.search(covered))
        parse.clear_filters = bool(_CLEAR_RE.search(covered))
        parse.focus = not parse.titles and not parse.refs and bool(_FOCUS_RE.search(covered))
        return parse

    def _everyday(self, text: str, match: TitleMatch, lower_titles: bool) -> bool:
        """Words that name a film only by chance, where the sentence uses them as everyday
        words: "set in Tokyo", "over for Halloween", "high school comedies", "a road trip
        movie", "feels like company", "each other's taste"."""
        span, start = match.text, match.start
        end = start + len(span)
        before, after = text[:start], text[end:]
        title = self.catalog.movie(match.movie_id).title
        if _ARTICLE_RE.match(span) and not _ARTICLE_RE.match(title):
            return True  # "a family business", "A road trip movie": a thing, not a title
        writer_capitalizes = (
            capitalizes_titles(text) if " " in span.strip() else any(ch.isupper() for ch in text)
        )  # a sentence's first capital says little of how "my neighbour totoro" would be written
        mark = text[end : end + 1]  # "hated mother!": written as the film writes itself
        exact = mark in ("!", "?") and title.lower().startswith(span.lower() + mark)
        lowered = span.islower() and not exact and not _judged(text, start, span)
        listed = lower_titles and _listed(text, start, end)  # "heat, alien and up"
        if lowered and writer_capitalizes and not listed:
            return True  # "feels like company", "Loved the whole Lord of the Rings trilogy"
        if self._missing_sequel(text, match):
            return True  # "Toy Story 4 was unnecessary": a sequel the catalogue lacks
        if _KIND_OF_RE.search(before) and _KIND_AFTER_RE.match(after):
            return True  # "the best Batman movie": a kind of film, not Batman (1989)
        if _STRONG_TRIGGER_RE.search(before) and not _LOOKS_LIKE_RE.search(before):
            return False  # "loved Halloween", "something like Tokyo Story"
        if _PLACE_TIME_BEFORE_RE.search(before) and not _listed(text, start, end):
            return True  # "set in Tokyo", "over for Halloween", "in Los Angeles"
        if _HOLIDAY_RE.match(span) and _FOR_THE_DAY_RE.search(before):
            return True  # "friends over for Halloween", "something for Christmas"
        the_film = bool(re.search(r"\bthe\s+$", before, re.I)) and bool(
            re.match(r"\s+(?:movie|film)\b", after, re.I)
        )  # "the Minions movie was annoying": that film
        if (
            _EVERYDAY_AFTER_RE.match(after)
            and span[-1:] not in (".", "!", "?")  # "and Coco. movie night tomorrow"
            and len(self.franchise(match.movie_id)) <= 1
            and not (the_film and span[:1].isupper())
        ):
            return True  # "high school comedies", "New Year's Eve party" (not "Alien movies")
        if self._mixed_case(span, title):
            return True  # "here on Earth": not how anyone writes a title
        if re.search(r"black\s*(?:and|&|n)\s*white", text[max(0, start - 10) : end + 12], re.I):
            return True  # "black and white classics": no Men in Black
        # "movies about robots", "a movie that feels like company"
        return lowered and bool(_SUBJECT_BEFORE_RE.search(before) or _LOOKS_LIKE_RE.search(before))

    def _title_part(self, span: str) -> str:
        """The shortest start of ``span`` that is a title ("Insomnia" of "Insomnia 6")."""
        words = span.split()
        for n in range(1, len(words) + 1):
            if self._titles.ids_for_key(title_key(" ".join(words[:n]))):
                return " ".join(words[:n])
        return span

    def _settled_by_company(self, parse: Parse) -> TitleMatch | None:
        """An ambiguous title among films of one era ("Insomnia" beside Memento and Following):
        the version of that era, when only one is near it."""
        at = parse.ambiguous_at
        years = sorted(y for t in parse.titles if (y := self.catalog.movie(t.movie_id).year))
        if at is None or not years or len(parse.ambiguous) < 2:
            return None
        middle = years[len(years) // 2]
        ids = [self.catalog.resolve(d) for d in parse.ambiguous]
        near = sorted(ids, key=lambda m: abs((self.catalog.movie(m).year or 0) - middle))
        gap = [abs((self.catalog.movie(m).year or 0) - middle) for m in near[:2]]
        if gap[0] > ERA_NEAR or gap[1] < gap[0] + ERA_APART:
            return None
        if any(t.movie_id == near[0] for t in parse.titles):
            return None  # found there already (a misspelling of it, say)
        parse.ambiguous = []
        return TitleMatch(near[0], at.text, at.start)

    def _missing_sequel(self, text: str, match: TitleMatch) -> bool:
        """Is the title followed by a sequel number its own title lacks ("Toy Story 4")?"""
        number = _SEQUEL_NUMBER_RE.match(text, match.start + len(match.text))
        title = self.catalog.movie(match.movie_id).title
        return number is not None and not title_key(title).endswith(" " + number["n"])

    @staticmethod
    def _covered(text: str, titles: list[TitleMatch]) -> str:
        """The text with matched titles blanked out, so their words fill no other slot."""
        chars = list(text)
        for match in titles:
            for i in range(match.start, min(match.start + len(match.text), len(chars))):
                chars[i] = " "
        return "".join(chars)

    def find_titles(
        self, text: str, parse: Parse | None = None, capitalized: bool = False
    ) -> list[TitleMatch]:
        """Movies named in ``text``: quoted titles, then the longest word spans that are titles.

        ``capitalized`` keeps only spans written with a capital (how a writer marks a title).
        """
        found: list[TitleMatch] = []
        taken: list[tuple[int, int]] = []
        for match in _QUOTED_RE.finditer(text):
            inner = match.group(1) or match.group(2)
            start = match.start(1) if match.group(1) else match.start(2)
            movie = self._resolve(inner, parse)
            if movie is not None:
                found.append(TitleMatch(movie, inner, start))
                taken.append((match.start(), match.end()))
        words = [(m.start(), m.end()) for m in _WORD_RE.finditer(text)][:400]
        for group in self.spotter.aliases(text):
            if any(a <= group[0].start < b for a, b in taken):
                continue
            if self._longer_title_at(text, words, group[0].start, group[0].end, taken):
                continue  # "T2 Trainspotting" is T2: Trainspotting, not Terminator 2
            found += [TitleMatch(s.movie_id, text[s.start : s.end], s.start) for s in group]
            taken.append((group[0].start, group[0].end))
        i = 0
        while i < len(words):
            hit = self._longest_at(text, words, i, taken, parse)
            if hit is not None and capitalized and not text[words[i][0]].isupper():
                hit = None
            if hit is None:
                i += 1
                continue
            movie_id, j = hit
            start, end = words[i][0], words[j - 1][1]
            found.append(TitleMatch(movie_id, text[start:end], start))
            taken.append((start, end))
            i = j
        if not capitalized:
            for spotted in self.spotter.misspelt(text, taken):
                found.append(
                    TitleMatch(spotted.movie_id, text[spotted.start : spotted.end], spotted.start)
                )
        found.sort(key=lambda t: t.start)
        unique: dict[int, TitleMatch] = {}
        for title in found:
            if title.movie_id in unique and parse is not None:
                parse.repeats.append(title)  # said again: its words are no slot's
            unique.setdefault(title.movie_id, title)
        return list(unique.values())

    def _longest_at(
        self,
        text: str,
        words: list[tuple[int, int]],
        i: int,
        taken: list[tuple[int, int]],
        parse: Parse | None,
    ) -> tuple[int, int] | None:
        start = words[i][0]
        if any(a <= start < b for a, b in taken):
            return None
        for j in range(min(len(words), i + MAX_TITLE_WORDS), i, -1):
            span = text[start : words[j - 1][1]].rstrip(".'’-")
            key = title_key(span)
            if not key or "\n" in span:  # "1. Jaws\n2. Alien": no title runs over a line
                continue
            if _GLYPH_STARS_RE.search(span):
                continue  # "The Godfather ★★★★★, Part II": no title runs over a rating
            if _TRAILING_ARTICLE_RE.search(span):
                continue  # "toy story, the incredibles": the article opens the next title
            head, _, last = key.rpartition(" ")
            if (
                last in _TAIL_WORDS
                and self._titles.ids_for_key(key)
                and not self._titles.spelled(key)
                and self._titles.ids_for_key(head)
            ):
                continue  # "Titanic a 7/10": Titanic, not Titanica ("titanic a" without its space)
            if not self._titles.ids_for_key(key):
                first = bool(
                    _FIRST_BEFORE_RE.search(text[:start]) or _SEQUELS_LATER_RE.search(text, start)
                )  # "Pirates of the Caribbean was fun but the sequels were a mess": the first
                part = self.spotter.part(key, first)
                if part is not None and self._runs_into(text, start + len(span), key, part):
                    part = None  # "In the mood for something classic": an idiom, not the film
                if part is not None and self._other_name(text, start + len(span), key, part):
                    part = None  # "just finished Breaking Bad": a show, not Breaking Away
                if (
                    part is not None
                    and " " not in key
                    and self._article_lacking(text[:start], span, part)
                ):
                    part = None  # "rewatching The Office": a show, not Office Space
                if part is not None and (
                    self._loosely_named(text, start, span, " " not in key, bool(taken))
                    or (span[:1].isupper() and self._franchise_before(text, start, key, part))
                ):
                    return part, j
                continue
            rated_list = _BARE_PAIR_RE.search(text[:start]) and re.match(
                r"\s*(?:$|[,;\n])", text[words[j - 1][1] :]
            )  # "Looper 4, Rango 3.5, Ted 2": Ted at 2 stars, not Ted 2
            if j - 1 > i and (rated_list or _RATING_AFTER_NUMBER_RE.match(text[words[j - 1][1] :])):
                shorter = title_key(text[start : words[j - 2][1]])
                if key.split()[-1].isdigit() and self._titles.ids_for_key(shorter):
                    continue  # "Cars 2 stars": Cars, at 2 stars, not Cars 2
            if not self._plausible(text, start, span, key, self._after_title(text, start, taken)):
                continue
            if " " not in key and _inside_name(text, start, start + len(span)):
                continue  # "Free Solo", "Doctor Sleep": a longer name the catalogue lacks
            year_end = self._year_after(text, words, j)
            movie = self._resolve(text[start:year_end] if year_end else span, parse)
            original = bool(_FIRST_BEFORE_RE.search(text[:start]))
            if movie is None and parse is not None and parse.ambiguous and original:
                movie = self._earliest(parse.ambiguous)  # "the original Planet of the Apes"
                parse.ambiguous = []
            if movie is None and parse is not None and parse.ambiguous:
                movie = self._settled_by_mark(text[start + len(span) :], parse)
            year = _YEAR_BEFORE_RE.search(text[max(0, start - 12) : start])
            if movie is None and year and not year_end:
                movie = self._resolve(f"{span} ({year['year']})", None)
                if movie is not None and parse is not None:
                    parse.ambiguous = []
            if movie is None:
                if parse is not None and parse.ambiguous:
                    parse.ambiguous_at = TitleMatch(UNKNOWN_FILM, self._title_part(span), start)
                return None
            return movie, j + (1 if year_end else 0)
        return None

    def _article_lacking(self, before: str, span: str, movie_id: int) -> bool:
        """Is ``span`` written with "The" (in it or just before it) where none of the movie's
        names opens with it?"""
        if not (re.match(r"the\s", span, re.I) or re.search(r"\bthe\s+$", before, re.I)):
            return False
        row = self.catalog.movies.loc[movie_id]
        return not any(re.match(r"the\s", str(n), re.I) for n in (row["title"], *row["akas"]))

    def _longer_title_at(
        self, text: str, words: list[tuple[int, int]], start: int, end: int, taken: list
    ) -> bool:
        at = next((i for i, (a, _) in enumerate(words) if a == start), None)
        if at is None:
            return False
        hit = self._longest_at(text, words, at, taken, None)
        return hit is not None and words[hit[1] - 1][1] > end

    def _franchise_before(self, text: str, start: int, key: str, movie_id: int) -> bool:
        """ "Loved The Matrix, but Reloaded was a mess": the rest of the part's title (its
        franchise) was named earlier in the message."""
        said = set(title_key(text[:start]).split())
        rest = set(title_key(self.catalog.movie(movie_id).title).split()) - set(key.split())
        return bool({w for w in rest if w not in COMMON_WORDS} & said)

    @staticmethod
    def _year_after(text: str, words: list[tuple[int, int]], j: int) -> int | None:
        if j < len(words):
            a, b = words[j]
            between = text[words[j - 1][1] : a]
            if re.fullmatch(r"\s*\(?", between) and re.fullmatch(r"(?:18|19|20)\d{2}", text[a:b]):
                close = text[b : b + 1]
                return b + (1 if close == ")" else 0)
        return None

    @staticmethod
    def _mixed_case(span: str, title: str) -> bool:
        """The title's first word written lowercase and a later word with a capital."""
        first = title_key(title).split()[:1]
        words = span.split()
        at = next((i for i, w in enumerate(words) if title_key(w).split() == first), None)
        return (
            at is not None
            and words[at][:1].islower()
            and any(ch.isupper() for w in words[at + 1 :] for ch in w)
        )

    def _other_name(self, text: str, end: int, key: str, movie_id: int) -> bool:
        """A part of a title written with a capital and going on with a capitalized word the
        title does not have next ("Breaking Bad" against Breaking Away): another name."""
        nxt = re.match(r" (?P<word>[A-Z][\w'’]*)", text[end:])
        if nxt is None or not text[:end].rstrip()[-1:].isalpha():
            return False
        words = title_key(self.catalog.movie(movie_id).title).split()
        said = key.split()
        at = next((i for i in range(len(words)) if words[i : i + len(said)] == said), None)
        following = words[at + len(said)] if at is not None and at + len(said) < len(words) else ""
        word = nxt["word"]
        if word.lower() in _SMALL_WORDS or re.fullmatch(r"I(?:['’]\w+)?", word):
            return False  # "Anchorman I think was funnier"
        return title_key(word) != following

    def _runs_into(self, text: str, end: int, key: str, movie_id: int) -> bool:
        """Does the text go on with the title's next word, then leave the title ("in the
        mood for something" against In the Mood for Love)?"""
        words = title_key(self.catalog.movie(movie_id).title).split()
        said = key.split()
        at = next((i for i in range(len(words)) if words[i : i + len(said)] == said), None)
        if at is None or at + len(said) >= len(words):
            return False
        rest = title_key(text[end : end + 60]).split()
        following = words[at + len(said) :]
        return bool(rest) and rest[0] == following[0] and rest[: len(following)] != following

    @staticmethod
    def _loosely_named(
        text: str, start: int, span: str, one_word: bool, after_titles: bool = True
    ) -> bool:
        """A part of a title counts where a writer marks a title: a capital (for a one-word
        part, "Anchorman", only in a list or after a cue: "Weird, right?" is no title)."""
        capitalized = span[:1].isupper() or span[:1].isdigit()
        if one_word and _describes_kind(text, start + len(span)):
            return False  # "I like smart sci-fi": a word for a kind of film, not Get Smart
        opens = _opens_sentence(text, start)
        listed = _listed(text, start, start + len(span))
        return (
            (capitalized and not one_word)
            or (capitalized and opens and _judged(text, start, span))  # "Birdman was great."
            or (
                not one_word
                and opens
                and _judged(text, start, span)
                and not set(title_key(span).split()) <= COMMON_WORDS
            )  # "terminator 2 was great": lower case, but a judged name that opens a sentence
            or (listed and (capitalized or after_titles or span.lower() not in COMMON_WORDS))
            or (
                capitalized
                and not opens
                and len(span) >= 6
                and span.lower() not in COMMON_WORDS | _CALENDAR_WORDS | _PEOPLE_WORDS
            )  # "my friends keep quoting Anchorman"
            or bool(_STRONG_TRIGGER_RE.search(text[:start]))
            or (capitalized and _rated_after(text, start + len(span)))
        )

    def _settled_by_mark(self, after: str, parse: Parse) -> int | None:
        """ "hated mother!": the one film whose title ends in the mark written after the
        words (Mother! (2017), not Mother (1996) or Mother (2009))."""
        mark = after[:1]
        marked = [d for d in parse.ambiguous if re.sub(r" \(\d{4}\)$", "", d).endswith(mark)]
        if mark not in ("!", "?") or len(marked) != 1:
            return None
        parse.ambiguous = []
        return self._resolve(marked[0], None)

    def _earliest(self, displays: list[str]) -> int | None:
        """The oldest of the films a title could mean (their display titles)."""
        ids = [self.catalog.resolve(d) for d in displays]
        return min(ids, key=lambda m: self.catalog.movie(m).year or 9999) if ids else None

    def _list_follows(self, text: str, end: int) -> bool:
        """A comma, then a known title: the word before it is a list's first item."""
        match = _NEXT_ITEM_RE.match(text, end)
        if match is None:
            return False
        words = match["next"].split()
        return any(
            self._titles.ids_for_key(title_key(" ".join(words[:n])))
            for n in range(len(words), 0, -1)
        )

    @staticmethod
    def _after_title(text: str, start: int, taken: list[tuple[int, int]]) -> bool:
        """Right after a title found and "and", "&" or a comma: "Up and Big are two of my
        comfort movies"."""
        return any(_JOINED_RE.fullmatch(text[b:start]) for _, b in taken if b <= start)

    def _plausible(
        self, text: str, start: int, span: str, key: str, after_title: bool = False
    ) -> bool:
        """Is this span really naming a movie, not just ordinary words?"""
        if not span[:1].isupper() and is_opinion_word(span):
            return False  # "Goodfellas though, perfect": a verdict, not Perfect (1985)
        if not span[:1].isupper() and _PLOT_BEFORE_RE.search(text[:start]):
            return False  # "the one where a girl falls down a rabbit hole": the plot's words
        tokens = key.split()
        if len(tokens) == 1 and (len(key) == 1 or _NAME_AFTER_RE.match(text[start + len(span) :])):
            return False  # a letter ("M. Hulot") or a first name ("Tommy Wiseau")
        if len(tokens) == 1 and _describes_kind(text, start + len(span)):
            return False  # "my favourite Mexican films": a kind of film, not The Mexican
        ids = self._titles.ids_for_key(key) if len(tokens) == 1 and span.islower() else []
        if (
            ids
            and re.match(r"\s+[a-z]", text[start + len(span) :])
            and max(self.catalog.movie(m).n_ratings for m in ids) < OBSCURE_RATINGS
            and not (  # "watched the conjuring last night": the title's own article
                span.startswith("the ")
                and any(self.catalog.movie(m).title.startswith("The ") for m in ids)
            )
        ):
            return False  # "i like kill bil": the start of a misspelt title, not Kill! (1968)
        ordinary = all(t in COMMON_WORDS for t in tokens)
        capitalized = span[:1].isupper() or span[:1].isdigit()
        sentence_start = _opens_sentence(text, start)
        after_trigger = bool(_TRIGGER_RE.search(text[:start]))
        listed = _listed(text, start, start + len(span))
        if key.isdigit():  # "10", "1917", "300": titles only where a title is expected
            rest = text[start + len(span) :].lstrip()
            if rest.startswith(("/", "star", "out of", "times", "minutes", "years")):
                return False
            if text[:start].rstrip().endswith(("/", "out of", "of")):  # "8/10", "10 out of 10"
                return False
            if _AGES_BEFORE_RE.search(text[:start]):
                return False  # "my kids are 7 and 10": ages, not 10 (1979)
            return after_trigger or listed or bool(re.match(r"(?:was|is|were)\b", rest))
        if not ordinary:
            writer_capitalizes = any(ch.isupper() for ch in text)
            if span.islower() and writer_capitalizes and not (after_trigger or listed):
                return False  # "I'm home alone." where the writer capitalizes titles
            if not _title_cased(span) and _OCCASION_AFTER_RE.match(text[start + len(span) :]):
                return False  # "Date night tonight": an evening, not Date Night (2010)
            if len(tokens) == 1:
                strong = bool(_STRONG_TRIGGER_RE.search(text[:start]))
                # "the fly" in a list: its article makes a short word a title
                sized = len(key) >= 4 or span.lower().startswith("the ")
                return (
                    strong
                    or (capitalized and (len(key) >= 4 or not sentence_start))
                    or (sized and (listed or self._verdict_on(text, start, span)))
                    or (sized and self._rated_item(text, start, span))
                    or (capitalized and sentence_start and _judged(text, start, span))
                )
            return True
        all_lower = not any(ch.isupper() for ch in text)  # "my favs r: up/wall-e/inside out"
        if (capitalized or all_lower) and listed:  # "Up - 9/10", "get out (loved)"
            return True
        lower_item = all_lower and bool(_RATED_ITEM_BEFORE_RE.search(text[:start]))
        if (capitalized or lower_item) and _rated_after(text, start + len(span)):  # "Her: 5/5"
            return True
        if capitalized and after_title and _title_cased(span):  # "Up and Big are..."
            return True
        if capitalized and not sentence_start and self._list_follows(text, start + len(span)):
            return True  # "Already planned Up, WALL-E and Ratatouille"
        if capitalized and sentence_start and _title_cased(span) and _judged(text, start, span):
            return True  # "Up made me cry. Loved it.", "Her was beautiful", "Get Out 🔥"
        if len(tokens) >= 3 and capitalized and (after_trigger or not sentence_start):
            return True
        return capitalized and not sentence_start and (after_trigger or len(tokens) >= 2)

    @staticmethod
    def _rated_item(text: str, start: int, span: str) -> bool:
        """An item of a list of ratings: "give memento five stars and the prestige three"."""
        before = _RATED_ITEM_BEFORE_RE.search(text[:start])
        return before is not None and _rated_after(text, start + len(span))

    @staticmethod
    def _verdict_on(text: str, start: int, span: str) -> bool:
        """A lowercase clause that opens with the title and judges it: ", gravity bored me",
        "interstellar was ok" (how people write who capitalize nothing)."""
        opens = not text[:start].strip() or bool(
            re.search(
                r"(?:[,;.!?]|\band|\bbut|\bthink|\bthought|\bthot|\bguess|\bfound)\s*(?:the\s+)?$",
                text[:start],
            )
        )
        clause = re.split(r"[,;.!?\n]", text[start + len(span) :], maxsplit=1)[0]
        return opens and text.islower() and judges(clause)

    def _resolve(self, span: str, parse: Parse | None) -> int | None:
        try:
            return self.catalog.resolve(span)
        except AmbiguousTitleError as err:
            if parse is not None:
                parse.ambiguous = err.candidates
            return None
        except UnknownTitleError:
            return None

    def _fuzzy_title(self, text: str, parse: Parse) -> None:
        """A misspelt title where one is expected: take a near-certain match, else suggest."""
        candidate = self._title_candidate(text)
        if not candidate or parse.ambiguous or parse.unknown_title:
            return
        suggestions = self._titles.suggest(candidate)
        if suggestions:
            best = self._score(candidate, suggestions[0])
            if best >= FUZZY_ACCEPT:
                movie = self._resolve(suggestions[0], parse)
                if movie is not None:
                    parse.titles = [TitleMatch(movie, candidate, text.find(candidate))]
                    return
        parse.unknown_title = candidate
        parse.suggestions = suggestions

    def _unknown_item(self, text: str, parse: Parse) -> None:
        """A list item written like a title that the catalogue lacks ("I loved Heat and
        Zorgblat 3000"): the known ones are used, and the reply asks about this one."""
        stars = find_stars(text)
        for match in _ITEM_RE.finditer(text):
            item = match.group("item").strip(" .!?")
            start = match.start("item")
            lead = _LEAD_CUE_RE.match(item)
            if lead:  # "Loved Tenet and Dunkirk": the film is "Tenet"
                item, start = item[lead.end() :], start + lead.end()
            words = title_key(item).split()
            if (
                not words
                or any(  # "Loved The Matrix, but...": the item holds a known title
                    t.start < start + len(item) and start < t.start + len(t.text) + 1
                    for t in parse.titles
                )
                or any(s.start <= start < s.end for s in stars)  # the "10" of "Heat 10/10"
                or _TAKEN_BACK_RE.match(text, start + len(item))  # "Heat, I mean Ronin"
                or (item.isdigit() and _AGES_BEFORE_RE.search(text[:start]))  # "are 7 and 10"
                or all(w in COMMON_WORDS for w in words)
                or not _TITLE_CASE_RE.fullmatch(item)
            ):
                continue
            parse.unknown_title = item
            parse.suggestions = self._titles.suggest(item)
            return

    @staticmethod
    def _score(candidate: str, suggestion: str) -> float:
        from rapidfuzz import fuzz

        return float(
            fuzz.ratio(title_key(candidate), title_key(re.sub(r"\s*\(\d{4}\)$", "", suggestion)))
        )

    @staticmethod
    def _title_candidate(text: str) -> str | None:
        """The words after a title trigger ("more like ___", "rate ___"), up to a stop."""
        match = re.search(
            r"\b(?:like|similar to|about|seen|saw|watched|loved|liked|hated|disliked|rate|"
            r"rated|enjoy|enjoyed|of|think of|is|was)\s+(?P<rest>.+)$",
            text,
            re.IGNORECASE,
        )
        rest = match["rest"] if match else text
        stop = _SPAN_STOP_RE.search(" " + rest)
        candidate = (rest[: stop.start() - 1] if stop and stop.start() > 0 else rest).strip()
        lead = r"^(?:the movie|the film|movie|film|was|is)\s+"
        candidate = re.sub(lead, "", candidate, flags=re.I)
        candidate = re.sub(rf"^(?:{_EMOJI}|\s)+|(?:{_EMOJI}|\s)+$", "", candidate)  # "Joker 🔥"
        words = [w for w in title_key(candidate).split() if w not in COMMON_WORDS]
        if any(genre_re.fullmatch(candidate) for genre_re, _ in _GENRE_RES):
            return None  # "we both like romcoms": a kind of film, not a misspelt title
        if _REFINING_RE.match(candidate):
            return None  # "not too stupid though": a refinement, not a title
        if re.match(r"(?:a|an)\s", candidate):
            return None  # "something like a heist but funny": a kind of film, not a title
        return candidate if words and len(candidate) <= 80 else None

    def _refs(self, text: str) -> list[int]:
        refs = []
        for match in _REF_RE.finditer(text):
            if match["ord"] and _RELATIVE_AFTER_RE.match(text, match.end()):
                continue  # "the last movie I really loved was Past Lives": their own film
            if match["ord"]:
                refs.append(_ORDINALS[match["ord"].lower()])
            else:
                refs.append(int(match["num"] or match["hash"]) - 1)
        return refs

    @staticmethod
    def _stars(text: str) -> float | None:
        """The first star rating in ``text`` ("4/5", "⭐⭐⭐"), else a number after "rate"."""
        if found := find_stars(text):
            return found[0].value
        if number := _RATE_NUMBER_RE.search(text):
            return float(number["n"].replace(",", "."))
        return None

    def _genres(self, text: str, parse: Parse) -> None:
        excluded: set[str] = set()
        for pattern in (_NEG_GENRE_RE, _DONT_LIKE_GENRE_RE):
            for match in pattern.finditer(text):
                rest = text[: match.start()] + " " + text[match.end() :]
                degree = re.search(r"\btoo\s", match.group(), re.I)
                for genre_re, genres in _GENRE_RES:
                    if genre_re.match(match["word"]) or genre_re.search(match["word"].split()[0]):
                        if not (degree and genre_re.search(rest)):  # "scary, but not too scary"
                            excluded.update(genres)
                        break
        for match in _AFFIRM_GENRE_RE.finditer(text):  # "Maybe I do like musicals?"
            for genre_re, genres in _GENRE_RES:
                if genre_re.fullmatch(match["word"]):
                    excluded.difference_update(genres)
        wanted: list[str] = []
        for genre_re, genres in _GENRE_RES:
            if genre_re.search(text):
                wanted += [g for g in genres if g not in excluded and g not in wanted]
        for match in _GENRE_EMOJI_RE.finditer(text):  # "horror 👻❌ comedy 😂✅"
            for genre_re, genres in _GENRE_RES:
                if genre_re.fullmatch(match["word"]):
                    if match["no"]:
                        excluded.update(genres)
                    wanted = [g for g in wanted if g not in excluded]
        wanted = [g for g in wanted if g not in excluded]
        parse.genres = wanted
        parse.exclude_genres = sorted(excluded)
        parse.all_genres = len(wanted) > 1 and not _or_between_genres(text)

    def _years(self, text: str, parse: Parse) -> None:
        if match := _RANGE_RE.search(text):
            parse.year_min, parse.year_max = sorted((int(match["a"]), int(match["b"])))
            return
        if decades := [
            _decade_start(m)
            for m in _DECADE_RE.finditer(text)
            if not (FIND_ONE_RE.search(text) and _PLOT_ERA_RE.search(text, 0, m.start()))
        ]:  # "the one where a teenager goes back to the 50s": the plot's era, not a filter
            parse.year_min, parse.year_max = min(decades), max(decades) + 9  # "the 50s and 60s"
            return
        if words := [_DECADE_WORDS[m.group(1).lower()] for m in _DECADE_WORD_RE.finditer(text)]:
            parse.year_min, parse.year_max = min(words), max(words) + 9
            return
        if (match := _NOT_OLDER_RE.search(text) or _OR_LATER_RE.search(text)) or (
            match := _NOT_BEFORE_RE.search(text)
        ):
            parse.year_min = int(match["year"])
        elif match := _BEFORE_RE.search(text):
            parse.year_max = int(match["year"]) - 1
        if match := _NOT_AFTER_RE.search(text):  # "nothing after 1970"
            parse.year_max = int(match["year"])
        elif match := _AFTER_RE.search(text):
            parse.year_min = int(match["year"]) + (0 if "from" in match.group(0).lower() else 1)
        elif match := _IN_YEAR_RE.search(text):
            parse.year_min = parse.year_max = int(match["year"] or match["before"])
        if parse.year_min is None and parse.year_max is None:
            self._vague_years(text, parse)

    def _vague_years(self, text: str, parse: Parse) -> None:
        """ "the last 15 years" (counted back from the catalogue's newest year), "recent",
        "black and white", "old"."""
        if _ANY_AGE_RE.search(text):
            return  # "old or new, is welcome"
        if match := _LAST_YEARS_RE.search(text):
            n = match["n"].lower()
            parse.year_min = self._max_year - (int(n) if n.isdigit() else _YEARS_WORDS[n])
        elif _LAST_DECADE_RE.search(text):
            parse.year_min = self._max_year - 10
        elif _RECENT_RE.search(text):
            parse.year_min = self._max_year - 5
        elif _BLACK_AND_WHITE_RE.search(text):
            parse.year_max = BLACK_AND_WHITE_UNTIL
        elif _OLD_RE.search(text):
            parse.year_max = 1979

    @cached_property
    def _companions(self) -> dict[str, set[str]]:
        """Per genre, the genres at least ``COMPANION_SHARE`` of its films also have."""
        flags = self.catalog.movies["genres"].map(lambda g: "|".join(g)).str.get_dummies("|")
        return {
            genre: {
                other
                for other, share in flags[flags[genre] == 1].mean().items()
                if other != genre and share >= COMPANION_SHARE
            }
            for genre in flags.columns
        }

    def _moods(self, text: str, parse: Parse) -> None:
        if parse.titles or parse.refs:  # "Pirates of the Caribbean was fun": a verdict, not a mood
            text = _VERDICT_MOOD_RE.sub(" ", text)
        moods = []
        asked = set(parse.genres).union(*(self._companions.get(g, set()) for g in parse.genres))
        for pattern, exclude, words in MOODS:
            if pattern.search(text):
                moods.append(words)
                # a mood's implied exclusions never remove a genre the message asks for, or one
                # its films usually have ("scarier but still fun" wants horror, lightly; "a
                # murder mystery but funny" keeps crime)
                implied = set(exclude) - asked
                parse.exclude_genres = sorted(set(parse.exclude_genres) | implied)
                if words.startswith("gentle") or words.startswith("light"):
                    break  # "nothing violent" also says "violent"; one mood per kind
        about = re.search(
            r"\b(?:about|with|where|involving|featuring|set in)\s+(?P<what>[^.?!]{3,120})",
            text,
            re.I,
        )
        if about and Understander.descriptive(about["what"]) and not _REF_RE.search(about["what"]):
            moods.append(about["what"].strip())
        kind = _KIND_FAN_RE.search(text)  # "a big fan of heist movies": what their films share
        said = " ".join(moods).lower()  # "feel-good movies": a mood already
        kinds = Understander.descriptive(kind["kind"]) if kind else []
        if kind and kinds and not all(w in said for w in kinds):
            moods.append(kind["kind"].strip())
        parse.mood = ", ".join(moods) or None
        parse.genres = [g for g in parse.genres if g not in parse.exclude_genres]

    # --- intent ------------------------------------------------------------------------------

    def _intent(self, text: str, p: Parse) -> Intent:
        has_target = bool(p.titles or p.refs or p.focus)
        if _GREETING_RE.search(text) and len(text.split()) <= 4 and not p.titles:
            return Intent.GREETING
        if _HELP_RE.search(text) and not p.titles:
            return Intent.HELP
        if _BYE_RE.search(text) and not p.titles:
            return Intent.BYE
        if _THANKS_RE.search(text) and len(text.split()) <= 6 and not p.titles and not p.refs:
            return Intent.THANKS
        if not has_target and self._loved_unknown(text, p):
            return Intent.LIKE
        if _WATCHLIST_RE.search(text) and not _SAVE_RE.search(text):
            return Intent.WATCHLIST
        if _SAVE_RE.search(text):
            return Intent.SAVE
        if p.stars is not None and (has_target or p.unknown_title or _looks_like_rating(text)):
            return Intent.RATE
        for name, pattern in _CUES[:2]:  # why / would I like: questions about a movie
            if pattern.search(text) and (has_target or self._title_candidate(text)):
                return name
        if _SEEN_RE.search(text) and not (p.titles or p.refs) and len(_WORD_RE.findall(text)) <= 8:
            return Intent.SEEN  # "not that one, I've seen it": the reply asks which one
        if _NOT_TOO_RE.match(text) and not (p.titles or p.refs):
            return Intent.RECOMMEND  # "not too stupid though": the request, refined
        short = len(_WORD_RE.findall(text)) <= 5
        negative = _NEGATIVE_RE.search(text) and (has_target or _SEEN_RE.search(text) or short)
        if negative and (not p.has_constraints or p.titles or p.refs):
            return Intent.DISLIKE
        if len(p.titles) >= 2 and _COMPARE_RE.search(text):
            return Intent.COMPARE
        if p.refs and not p.titles and _INTEREST_RE.search(text):
            return Intent.DETAILS  # "the second one sounds good": tell more, store no verdict
        for name, pattern in _CUES[2:]:
            if pattern.search(text):
                if (
                    name in {Intent.SENTIMENT, Intent.DETAILS}
                    and not has_target
                    and not p.unknown_title
                ):
                    if (
                        name == Intent.DETAILS
                        and not p.has_constraints  # "a war movie more about the people"
                        and self._title_candidate(text)
                    ):
                        return name
                    continue
                no_target = not (p.titles or p.refs or p.focus)
                if name == Intent.SIMILAR and no_target and self._title_candidate(text) is None:
                    continue
                return name
        if _POSITIVE_RE.search(text) and (p.titles or p.refs or p.focus):
            return Intent.LIKE
        if _SEEN_RE.search(text) and (p.titles or p.refs):
            return Intent.SEEN
        if p.has_constraints or p.clear_filters:
            return Intent.SEARCH if len(self.descriptive(text)) >= 2 else Intent.RECOMMEND
        if p.titles and len(_WORD_RE.findall(text)) <= len(p.titles[0].text.split()) + 3:
            return Intent.DETAILS
        if not p.titles and (whole := self._resolve(text.strip(" ?!."), p)) is not None:
            p.titles = [TitleMatch(whole, text.strip(" ?!."), 0)]
            return Intent.DETAILS
        if not p.titles and (judged := _EMOJI_VERDICT_RE.fullmatch(text.strip())):
            p.unknown_title = judged["span"].strip()  # "Joker 👍": a film the catalogue lacks
            p.suggestions = self._titles.suggest(p.unknown_title)
            return Intent.LIKE
        return self._nearest_intent(text, p)

    def _loved_unknown(self, text: str, p: Parse) -> bool:
        """ "The last movie I really loved was Past Lives": a film the catalogue lacks, said
        with love (the reply names the catalogue's newest year and asks for older ones)."""
        for match in _LOVED_TITLE_RE.finditer(text):
            span = match["span"]
            if all(w in COMMON_WORDS for w in title_key(span).split()) or self._resolve(span, None):
                continue
            near = [t for t in self._titles.suggest(span) if self._score(span, t) >= NEAR_TITLE]
            p.unknown_title, p.suggestions = span, near  # no Breakfast at Tiffany's for Aftersun
            return True
        return False

    @staticmethod
    def descriptive(text: str) -> list[str]:
        """Words that describe what a movie is about (not filler, genres, years or language)."""
        for unsaid in (_DECADE_RE, _NO_SUBTITLES_RE, _MORE_RE, _HEDGE_RE, _RECENT_RE, _OLD_RE):
            text = unsaid.sub(" ", text)
        words = title_key(text).split()
        return [w for w in words if w not in COMMON_WORDS and len(w) > 2 and not w.isdigit()]

    def _nearest_intent(self, text: str, p: Parse) -> Intent:
        """No rule fired: the intent of the nearest example phrasing, if near enough."""
        if self._embed is not None:
            if self._example_vectors is None:
                phrases = [(i, s) for i, ss in self._examples.items() for s in ss]
                self._example_intents = [i for i, _ in phrases]
                self._example_vectors = self._embed([s for _, s in phrases])
            query = self._embed([text])[0]
            sims = self._example_vectors @ query
            best = int(np.argmax(sims))
            if sims[best] >= EMBED_THRESHOLD:
                p.confidence = float(sims[best])
                return self._example_intents[best]
        p.confidence = 0.3  # a guess: the LLM path does not route on it
        content = [w for w in title_key(text).split() if w not in COMMON_WORDS and len(w) > 2]
        if len(content) >= 2 and _has_vowels(content):
            return Intent.SEARCH
        return Intent.NONSENSE


_MOODS_LIGHT = MOODS[2][0]


_EMOJI = "[\u2600-\u27bf\U0001f000-\U0001faff]\ufe0f?"
_EMOJI_VERDICT_RE = re.compile(  # "Joker 👍🔥", "👎 Zorgblat 3000": the range holds them all
    rf"(?:{_EMOJI}\s*)*(?P<span>[A-Z0-9][\w'’:&.!,-]*(?:\s+[\w'’:&.!,-]+){{0,6}}?)\s*(?:{_EMOJI}\s*)+"
)
_LIST_BEFORE_RE = re.compile(
    rf"(?:^|[,/|+;\n&•*:>=-]|\band|(?:^|\s)\d{{1,2}}[.)]|{_EMOJI})\s*$", re.IGNORECASE
)  # "1) Up 2) Wall-E", "Coco 😭❤️ Up 😭❤️"
_LIST_AFTER_RE = re.compile(
    r"^\s*(?:(?:imo|imho|tbh|ngl|lol|honestly)\b\s*)?"  # "the illusionist imo."
    r"(?:$|[,/|+;\n&•*<>=–—-]|[.!](?=\s|$)|and\b|too\b|as well\b|"
    r"\d+(?:\.\d)?\s*(?:/|stars?|out of)|[★⭐]|"
    r"\d{1,2}(?:[.,]5)?\s*(?:$|[,;|\n])|\((?=[^()\n]{1,30}\))|"  # "Heat 4, Up 5", "get out (loved)"
    rf"\d{{1,2}}[.)]\s|{_EMOJI})",
    re.IGNORECASE,
)


_KIND_WORD_RE = re.compile(r"\s+(?P<word>[\w-]+)")
_ARTICLE_RE = re.compile(r"(?:a|an)\s", re.IGNORECASE)
_LOOKS_LIKE_RE = re.compile(r"\b(?:feels?|looks?|sounds?|seems?|felt)\s+like\s+(?:a\s+)?$", re.I)
_PLACE_TIME_BEFORE_RE = re.compile(
    r"\b(?:set|takes? place|taking place|based|located|living|lives|stuck|trip|holiday|"
    r"vacation|going|moving|moved)\s+(?:in|on|at|to)\s+(?:the\s+)?$|\beach\s+$",
    re.IGNORECASE,
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOLIDAY_RE = re.compile(
    r"(?:halloween|christmas|xmas|new year'?s(?: eve| day)?|valentine'?s(?: day)?|"
    r"thanksgiving|easter|hanukkah|diwali|date night|movie night|family night|game night|"
    r"girls'? night|sleepover|birthday|anniversary|(?:the )?weekend|"
    + "|".join(_WEEKDAYS)
    + r")\W*$",
    re.IGNORECASE,
)
_FOR_THE_DAY_RE = re.compile(r"\b(?:for|on|at|this|over|next|before|after|every)\s+$", re.I)
_INTEREST_RE = re.compile(
    r"\b(?:sounds?|looks?) (?:good|great|fun|interesting|perfect|nice|cool)\b"
    r"|\bi'?ll (?:try|take|watch) (?:it|that|this)\b",
    re.IGNORECASE,
)
_TRAILING_ARTICLE_RE = re.compile(r",\s*(?:the|a|an)$", re.IGNORECASE)
# "i liked avengers endgame... wait no, infinity war": the title just said is taken back
_TAKEN_BACK_RE = re.compile(
    r"(?:\s+[\w'’]+){0,2}?\s*(?:\.{2,}|…|,|-|—)?\s*(?:wait,?\s+no|no,?\s+wait|oops|scratch that|"
    r"i mean|actually,? no|sorry,? i mean)\b|\s*(?:\.{2,}|…)\s*(?:oh\s+)?wait\b",
    re.IGNORECASE,
)
_EVERYDAY_AFTER_RE = re.compile(
    r"\s+(?:movies?|films?|flicks?|comed(?:y|ies)|drama|dramas|romcoms?|stories|story|"
    r"party|parties|night|vibes?|themed?|setting|settings|scenes?)\b",
    re.IGNORECASE,
)
_CALENDAR_WORDS = frozenset(_WEEKDAYS) | frozenset(
    {"january", "february", "march", "april", "june", "july", "august", "september"}
    | {"october", "november", "december", "christmas", "halloween", "easter"}
)
_PEOPLE_WORDS = frozenset(  # "I teach high school English": a language, not The English Patient
    {"english", "french", "spanish", "german", "italian", "japanese", "chinese", "korean"}
    | {"russian", "american", "british", "irish", "mexican", "indian", "swedish", "danish"}
    | {"polish", "greek", "dutch", "portuguese", "brazilian", "canadian", "scottish", "arabic"}
)
_SEQUELS_LATER_RE = re.compile(r"\bthe (?:sequels|rest of (?:them|the \w+)|later ones)\b", re.I)
_SEQUEL_NUMBER_RE = re.compile(
    r"\s+(?P<n>\d{1,2}|ii|iii|iv)\s+(?!stars?\b|out\b|of\b|/)(?:was|is|were|and|but|sucked|felt|has|"
    r"had|made|seemed|looked)\b",
    re.IGNORECASE,
)
_KIND_OF_RE = re.compile(
    r"\b(?:best|worst|favou?rite|fave|fav|good|great|new|newest|latest|every|other|any|a|an|"
    r"only)\s+$",
    re.IGNORECASE,
)
_KIND_AFTER_RE = re.compile(r"\s+(?:movie|film|flick)\b(?!s)", re.IGNORECASE)
_SUBJECT_BEFORE_RE = re.compile(
    r"\b(?:movies?|films?|stor(?:y|ies)|something|anything|ones?)\s+"
    r"(?:about|with|where|featuring|involving|set)\b[^.!?]*$",
    re.IGNORECASE,
)


def _opens_sentence(text: str, start: int) -> bool:
    """Does ``start`` begin the message or a sentence?"""
    return not text[:start].strip() or text[:start].rstrip()[-1:] in ".!?"


def _describes_kind(text: str, end: int) -> bool:
    """Is the word ending at ``end`` an adjective of a kind of film ("Mexican films",
    "smart sci-fi")?"""
    match = _KIND_WORD_RE.match(text, end)
    if match is None:
        return False
    word = match["word"].lower()
    return word in {"films", "movies", "cinema", "stuff"} or any(
        genre_re.fullmatch(word) for genre_re, _ in _GENRE_RES
    )


_FOREIGN_ARTICLES = frozenset({"le", "la", "les", "el", "los", "las", "il", "der", "die", "das"})
_NAME_WORD = r"[A-Z][a-z][\w’']*"
_NAME_BEFORE_RE = re.compile(rf"[^\s.!?:;\n•*-]\s+(?P<word>{_NAME_WORD}) $")
_NAME_NEXT_RE = re.compile(rf" (?P<word>{_NAME_WORD})\b(?![’']s\b)")


def _inside_name(text: str, start: int, end: int) -> bool:
    """A capitalized one-word title next to another capitalized word that is no sentence's
    first word, no "I" and no small word: part of a longer name ("and Free Solo", "Doctor
    Sleep - 3 stars"), not the title alone."""
    if not text[start : start + 1].isupper():
        return False
    before = _NAME_BEFORE_RE.search(text[max(0, start - 30) : start])
    after = _NAME_NEXT_RE.match(text, end)
    words = [m["word"] for m in (before, after) if m is not None]
    return any(
        w.lower() not in _SMALL_WORDS | _FOREIGN_ARTICLES
        and not w.endswith(("'s", "’s"))
        and not is_opinion_word(w)
        for w in words
    )


def _or_between_genres(text: str) -> bool:
    """ "comedy or drama" (any of them), not "sci-fi horror but no sequels or remakes"."""
    spans = [m.span() for genre_re, _ in _GENRE_RES for m in genre_re.finditer(text)]
    if len(spans) < 2:
        return False
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    return bool(re.search(r"\bor\b", text[start:end], re.IGNORECASE))


def _listed(text: str, start: int, end: int) -> bool:
    """A lower-case word standing as a list item ("heat 4 stars, alien 5 stars")."""
    return bool(_LIST_BEFORE_RE.search(text[:start]) and _LIST_AFTER_RE.match(text[end:]))


_COMPARE_QUESTION_RE = re.compile(
    r"\bwhich (?:one|is|was|of)\b[^.!]*(?:\?|$)|\bcompare\b|\bvs\.?|\bversus\b|"
    r"\bor\b[^,.;!?]{0,40}\?|"
    r"\b(?:better|worse|more|less)\s+(?:\w+\s+)?than\b[^.!]*\?|^\s*(?:is|was|are|were)\b[^.!]*\?",
    re.IGNORECASE,
)
_LIKE_TARGET_RE = re.compile(
    r"\b(?:like|similar to|in the (?:vein|style|spirit) of|reminds? me of|as|if i liked)\s+$", re.I
)


def _blank(text: str, parse: Parse) -> str:
    """The text with the titles taken out."""
    for match in parse.titles:
        text = text.replace(match.text, " ")
    return text


def _similar_to_title(text: str, parse: Parse) -> bool:
    """Is the similar request about a named title ("more like Heat"), or about "it"/"that"
    after a title ("Just watched Her ... Anything like it?")?"""
    if any(_LIKE_TARGET_RE.search(text[max(0, t.start - 30) : t.start]) for t in parse.titles):
        return True
    return bool(re.search(r"\blike (?:it|that|this|that one|this one)\b", text, re.I))


def _rated_after(text: str, end: int) -> bool:
    """Stars written right after ``end``; a bare number word only where the message rates."""
    match = _RATED_AFTER_RE.match(text[end : end + 40])
    if match is None:
        return False
    return bool(re.search(r"\d|★|⭐", match.group(0))) or _looks_like_rating(text)


def _looks_like_rating(text: str) -> bool:
    return bool(re.search(r"\b(?:rate|rated|give|gave|stars?|/\s*(?:5|10))\b|★", text, re.I))


def _has_vowels(words: list[str]) -> bool:
    """Keyboard mashing ("asdfgh jklqwr") has words without vowels or with very few."""
    good = [w for w in words if re.search(r"[aeiouy]", w) and not re.search(r"[^aeiouy\d]{5}", w)]
    return len(good) >= max(1, len(words) // 2)


EXAMPLES: dict[Intent, list[str]] = {
    Intent.RECOMMEND: [
        "recommend me a movie",
        "what should I watch tonight",
        "give me some good films",
        "I'm bored, any ideas for a movie?",
        "pick something for me",
        "I need a film for tonight",
        "what's good to watch",
        "surprise me",
    ],
    Intent.SEARCH: [
        "a movie where a robot falls in love",
        "film about a heist that goes wrong",
        "story set in space with aliens",
        "a gentle japanese animation with spirits",
        "the one where a man loses his memory",
        "something about time travel and paradoxes",
    ],
    Intent.TASTE: [
        "what kind of movie fan am I",
        "describe my taste in movies",
        "what is my taste cluster",
        "what group do I belong to",
    ],
    Intent.PEOPLE: [
        "who has taste like mine",
        "find users similar to me",
        "who watches the same things as me",
    ],
    Intent.PROFILE: ["what have I rated so far", "show my ratings", "what do you know about me"],
    Intent.HELP: [
        "what can you do",
        "how do I use this bot",
        "help me please",
        "what are the commands",
    ],
    Intent.GREETING: ["hello there", "hi bot", "good morning", "hey, how are you"],
    Intent.THANKS: ["thanks a lot", "thank you so much", "that's great, cheers"],
    Intent.BYE: ["goodbye", "see you later", "that's all for today"],
}


def _last_say(opinions: list[Opinion]) -> list[Opinion]:
    """One opinion per movie: the last one said outright, else the first ("loved the Hobbit
    films ... but the first one was dull": dull)."""
    chosen: dict[int, Opinion] = {}
    for opinion in opinions:
        held = chosen.get(opinion.movie_id)
        if held is None or (
            opinion.explicit and (opinion.sentiment is not Sentiment.NEUTRAL or opinion.unseen)
        ):
            chosen[opinion.movie_id] = opinion
    return list(chosen.values())
