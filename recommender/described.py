"""Recommending from a described taste: what is wanted, what is ruled out, and what fits.

A request such as "a thriller, but nothing gory" or "sci-fi, I'm tired of aliens and
spaceships" is read in two parts: the *wanted* words and the *ruled-out* phrases (after "no",
"nothing", "without", "tired of", "rather than", ...). Embedding the whole request would pull
gory films *up* for "nothing gory"; here only the wanted part is embedded.

For every movie ``i`` the score is

    s_i = z(cos(q_wanted, d_i)) + w_c · z(c_i(wanted)) − w_n · Σ_neg z(c_i(neg))
          + w_p · z(log(1 + n_i)) + w_q · z(quality_i) + w_g · [genre_i ∈ wanted genres]
          + w_f · [genre_i ∈ favoured genres]

plus, when the request names films it likes ("like The Matrix, but from the last 15 years"),

    w_s · z(hybrid score of those films) + w_t · min(z(cos(d̄, d_i)), 3)

with d̄ the named films' mean document vector: their neighbourhood by who watches them and
by what is told of them, then the constraint. Then one round of feedback through co-ratings:
with T the ``FEEDBACK_TOP`` best-scored candidates,

    s_i += w_b · min(z(Σ_{j ∈ T} sim_knn(i, j)), 3)

so the well-loved films that the people who like the best textual matches also like come up
beside them (a request's words often match obscure films best; their audience knows the
famous ones). Audiences,
occasions and feelings ("with my 8-year-old", "a good cry") add the words, favoured genres
and exclusions that the catalogue's texts use for them (``CUES``). A film described by its
plot ("the one where Bill Murray keeps waking up on the same day") is read whole, without
negations, by its words and a little popularity only (``FIND_ONE_WEIGHTS``). Concept scores
are computed from the request without its generic words ("a film", "looking for") and capped
at ``CONCEPT_CLIP`` standard deviations.

Here ``d_i`` is the movie's document vector, ``n_i`` its number of ratings and ``c_i(t)``
the **concept score**: the request's nearest phrases in the catalogue's vocabulary of TMDB
keywords and MovieLens tags ("twisty" → "twist ending", "surprise ending"), each weighted by
``(sim − θ) · idf``, summed over the phrases the movie carries. Sentence embeddings compare a
request with a short phrase far better than with a whole plot summary, so the concepts carry
moods, settings and plots that descriptions rarely spell out. Genres named as ruled out are
excluded outright. The weights were chosen on the hand-written dev descriptions.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.catalog import Catalog
from recommender.genres import ALIASES
from recommender.movielens import ML100K_GENRES

log = logging.getLogger(__name__)

CONCEPT_TOP = 10  # nearest vocabulary phrases a request is bridged through
CONCEPT_FLOOR = 0.5  # cosine below which a phrase says nothing about the request
MIN_MOVIES_PER_PHRASE = 2


@dataclass(frozen=True)
class DescribedWeights:
    """Weights of the standardized signals (see the module docstring)."""

    concept: float = 0.5
    ruled_out: float = 0.5
    popularity: float = 0.6
    quality: float = 0.2
    genre: float = 0.3
    favoured: float = 1.0
    seeds: float = 1.0  # the neighbourhood of someone's ratings, next to their words
    named: float = 0.5  # the named films' neighbourhood ("like The Matrix but newer")
    named_text: float = 1.0  # how alike the named films' documents and each movie's are
    feedback: float = 0.45  # the co-rated neighbourhood of the best textual matches


WEIGHTS = DescribedWeights()
# one film told by its plot: its words matter most, and the words are the plot's, not a
# vocabulary of moods and settings
FIND_ONE_WEIGHTS = DescribedWeights(
    concept=0.0, popularity=0.3, quality=0.0, genre=0.0, favoured=0.0, feedback=0.0
)
FEEDBACK_TOP = 20  # the best-scored candidates whose co-rated neighbourhood is added
FEEDBACK_CLIP = 3.0

_RULED_OUT_RE = re.compile(
    r"\b(?:not|no|nothing|without|less|never|isn'?t|aren'?t|don'?t want|tired of|sick of|"
    r"(?:i |we )?(?:hate|can'?t stand|don'?t like|dislike)|"
    r"rather than|instead of|other than|except|too)\b(?P<what>[^.,;!?]*)",
    re.IGNORECASE,
)
_GENRE_WORDS: dict[str, str] = {
    **ALIASES,
    **{g.lower(): g for g in ML100K_GENRES if g != "unknown"},
    "sci-fi": "Sci-Fi",
    "thrillers": "Thriller",
    "romcom": "Romance",
}
_GENRE_RE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _GENRE_WORDS), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


# the genres' own names ("thriller", "comedies"), not the words that imply one ("family")
_GENRE_NAME_RE = re.compile(
    r"\b(?:"
    + "|".join(re.escape(g.lower()) for g in ML100K_GENRES if g not in ("unknown", "Children's"))
    + r"|thrillers|comedies|dramas|westerns|musicals|documentaries|mysteries|romances)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Cue:
    """Words for an audience, occasion or feeling that descriptions and tags spell otherwise:
    what to add to the wanted words, the genres it favours and the ones it rules out."""

    pattern: re.Pattern[str]
    words: str
    genres: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    required: bool = False  # the genres are a must (a film for a child), not a leaning


def _cue(
    pattern: str,
    words: str,
    genres: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
    required: bool = False,
) -> Cue:
    return Cue(re.compile(pattern, re.IGNORECASE), words, genres, excluded, required)


_KID_AGES = "|".join(str(n) for n in range(2, 13))
_TEEN_AGES = "|".join(str(n) for n in range(13, 18))
CUES = (
    _cue(
        rf"\b(?:(?:{_KID_AGES})[- ](?:year|yr)s?[- ]olds?|(?<!the )(?<!a )kid|kids|children|"
        r"little ones?|toddlers?|"
        r"whole family|family[- ]friendly|for the family)\b",
        "family film kids and parents enjoy",
        ("Children", "Animation"),
        ("Horror",),
        required=True,
    ),
    _cue(
        rf"\b(?:(?:{_TEEN_AGES})[- ](?:year|yr)s?[- ]olds?|teen(?:ager)?s?)\b",
        "exciting adventure",
        ("Adventure", "Action"),
    ),
    _cue(
        r"\bgrand(?:parents?|ma|pa|mother|father|mum|mom|dad)\b",
        "gentle classic",
        ("Musical", "Romance", "Comedy"),
        ("Horror",),
    ),
    _cue(r"\bdate night\b|\bon a date\b", "romantic", ("Romance",)),
    _cue(
        r"\b(?:good cry|cry|weep|sob|tear-?jerker|wreck(?:s)? me|tissues)\b",
        "tearjerker, sad, heartbreaking, emotional",
        ("Drama",),
    ),
    _cue(
        r"\b(?:cheer (?:me|us) up|smile|rotten (?:week|day)|bad (?:week|day)|pick-?me-?up|"
        r"feel-?good|uplifting|lift my spirits)\b",
        "feel-good, heartwarming, funny, uplifting",
        ("Comedy",),
    ),
    _cue(
        r"\b(?:inspir\w*|motivat\w*|off the couch)\b",
        "inspirational, true story, underdog, triumph over adversity",
        ("Drama",),
    ),
    _cue(
        r"\b(?:cos(?:y|ier)|coz(?:y|ier)|snug\w*|comfort(?:ing)? (?:film|movie|watch)|"
        r"rainy (?:day|evening|night|afternoon|sunday|weekend)s?)\b",
        "cosy, heartwarming, charming, gentle, feel-good",
        ("Comedy", "Romance"),
    ),
    _cue(r"\bhalloween\b", "halloween, spooky", ("Horror",)),
    _cue(r"\b(?:christmas|xmas|festive)\b", "christmas"),
)
FIND_ONE_RE = re.compile(
    r"\b(?:the (?:[\w-]+ ){0,2}one (?:where|with|about)|"  # "the pixar one with the balloons"
    r"(?:that|the) (?:film|movie) (?:where|with|about|in which)|"
    r"what'?s (?:the|that) (?:film|movie|one)|what (?:film|movie) (?:is|was) (?:it|that))\b",
    re.IGNORECASE,
)
_PLOT_START_RE = re.compile(r"^\W*(?:a\s+)?(?:film|movie)\s+(?:where|in which)\b", re.I)


def tells_one_film(text: str) -> bool:
    """Does a search tell one film by its plot ("film where Robin Williams dresses up as an
    old nanny")? A request may open that way too, so only searches read it so."""
    return bool(FIND_ONE_RE.search(text) or _PLOT_START_RE.match(text))


_PLOT_LEAD_RE = re.compile(
    r"^.*?\b(?:the (?:[\w-]+ ){0,2}one|(?:that|the|a) (?:film|movie)|movie|film|"
    r"what'?s (?:the|that) (?:film|movie|one))\s+(?:where|with|about|in which|that)\s+",
    re.IGNORECASE,
)


def plot_words(text: str) -> str:
    """The plot of "what's that film where the kid sees dead people": the words after the
    lead-in, which only dilute the plot's embedding."""
    return _PLOT_LEAD_RE.sub("", text, count=1).strip() or text


_GENERIC_RE = re.compile(
    r"\b(?:films?|movies?|flicks?|cinema|watch(?:ing)?|something|anything|looking for|"
    r"i want|i'?d like|give me|recommend(?:ations?)?|suggest(?:ions?)?|any|please)\b",
    re.IGNORECASE,
)
NAMED_TEXT_CLIP = 3.0  # the named films' look-alikes lead, without burying the request
CONCEPT_CLIP = 6.0  # a z-score cap: a few films carrying many matched phrases must not swamp


def concept_words(wanted: str) -> str:
    """The wanted words without the ones every request has ("a film", "looking for") and
    without genre names (the genre signal has them), so the nearest phrases are the request's
    subject ("a thriller set on a train": trains), not "cinema" or "psychological thriller"."""
    subject = " ".join(_GENERIC_RE.sub(" ", wanted).split()) or wanted
    return " ".join(_GENRE_NAME_RE.sub(" ", subject).split()) or subject


@dataclass(frozen=True)
class Described:
    """A request split into the wanted words and the ruled-out phrases and genres."""

    wanted: str  # empty when the request only rules things out
    ruled_out: tuple[str, ...]
    genres: tuple[str, ...]
    excluded_genres: tuple[str, ...]
    favoured: tuple[str, ...] = ()  # genres an audience, occasion or feeling calls for
    required: tuple[str, ...] = ()  # one of these it must have ("with my 8-year-old")
    find_one: bool = False  # "the one where Bill Murray keeps waking up": one film, described


def read_request(text: str) -> Described:
    """Split a described taste into what is wanted and what is ruled out."""
    if FIND_ONE_RE.search(text):  # a plot, told: "no short-term memory" is no negation here
        return Described(text, (), (), (), find_one=True)
    ruled_out = tuple(
        m["what"].strip() for m in _RULED_OUT_RE.finditer(text) if len(m["what"].strip()) > 2
    )
    wanted = " ".join(_RULED_OUT_RE.sub(" ", text).split())  # empty for "nothing violent"
    excluded = {_GENRE_WORDS[g.lower()] for phrase in ruled_out for g in _GENRE_RE.findall(phrase)}
    genres = {_GENRE_WORDS[g.lower()] for g in _GENRE_RE.findall(wanted)}
    favoured: set[str] = set()
    required: set[str] = set()
    for cue in CUES:
        if cue.pattern.search(text):
            wanted = f"{wanted}. {cue.words}"
            favoured.update(cue.genres)
            excluded.update(cue.excluded)
            required.update(cue.genres if cue.required else ())
    return Described(
        wanted,
        ruled_out,
        tuple(sorted(genres - excluded)),
        tuple(sorted(excluded)),
        tuple(sorted(favoured - excluded)),
        tuple(sorted(required - excluded)),
    )


_PERSON_TAG_RE = re.compile(r"[A-Z][\w'.-]+(?: [A-Z][\w'.-]+){1,2}")  # "Leonardo DiCaprio"
_ANIMATED_RE = re.compile(
    r"\b(?:pixar|disney|dreamworks|ghibli|animated|animation|cartoon|anime)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Credits:
    """Who is in or made each film, by full name: OMDb's directors and actors, and people's
    names used as MovieLens tags. A plot told by a person ("the one where Bill Murray relives
    the same day") is most likely one of that person's films."""

    films: dict[str, frozenset[int]]  # lower-cased full name -> movie ids

    @classmethod
    def of(cls, catalog: Catalog) -> Credits:
        films: defaultdict[str, set[int]] = defaultdict(set)
        people = catalog.descriptions.reindex(columns=["director", "actors"])
        for movie_id, row in people.iterrows():
            for field in row:
                for name in str(field).split(",") if isinstance(field, str) else ():
                    if " " in name.strip():
                        films[name.strip().lower()].add(int(movie_id))
        tags = catalog.tags
        named = tags[tags["tag"].astype(str).str.fullmatch(_PERSON_TAG_RE)]
        for movie_id, tag in zip(named["movieId"], named["tag"].astype(str), strict=True):
            films[tag.lower()].add(int(movie_id))
        return cls({name: frozenset(ids) for name, ids in films.items()})

    def named_in(self, text: str) -> set[int]:
        """The films of every person named in ``text`` by full name."""
        words = re.findall(r"[\w'.-]+", text.lower())
        found: set[int] = set()
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                found |= self.films.get(" ".join(words[i : i + n]), frozenset())
        return found


def asks_animated(text: str) -> bool:
    """ "the pixar one with the balloons": the film is animated."""
    return bool(_ANIMATED_RE.search(text))


def catalogue_phrases(catalog: Catalog, item_ids: np.ndarray) -> list[list[str]]:
    """Each catalogue column's TMDB keywords and MovieLens tags: the concept vocabulary."""
    keywords = catalog.descriptions["keywords"]
    tags: dict[int, list[str]] = {}
    for movie_id, tag in zip(catalog.tags["movieId"], catalog.tags["tag"], strict=True):
        tags.setdefault(int(movie_id), []).append(str(tag))
    out = []
    for movie_id in item_ids:
        words = keywords.get(int(movie_id), "")
        listed = words.split(",") if isinstance(words, str) and words else []
        out.append([*listed, *tags.get(int(movie_id), [])])
    return out


class ConceptIndex:
    """Keyword and tag phrases, their vectors, and which movies carry them."""

    def __init__(self, phrases: list[str], vectors: np.ndarray, carriers: sp.csr_matrix) -> None:
        self.phrases = phrases
        self.vectors = vectors
        self.carriers = carriers  # phrases x movies, binary
        df = np.asarray(carriers.sum(axis=1)).ravel()
        self.idf = np.log(carriers.shape[1] / np.maximum(df, 1))
        self._position = {p: i for i, p in enumerate(phrases) if " " in p}  # spelled out

    @classmethod
    def build(
        cls,
        phrases_of: list[list[str]],
        encode: Callable[[list[str]], np.ndarray],
        cache_dir: Path | None = None,
    ) -> ConceptIndex:
        """From each movie's phrases (aligned with the catalogue's columns); vectors are cached
        on disk by the vocabulary's hash, so a restart does not embed them again."""
        carried: dict[str, set[int]] = defaultdict(set)
        for col, phrases in enumerate(phrases_of):
            for phrase in phrases:
                if phrase := phrase.strip().lower():
                    carried[phrase].add(col)
        vocab = sorted(p for p, cols in carried.items() if len(cols) >= MIN_MOVIES_PER_PHRASE)
        rows = [i for i, p in enumerate(vocab) for _ in carried[p]]
        cols = [c for p in vocab for c in sorted(carried[p])]
        carriers = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(vocab), len(phrases_of)),
        )
        return cls(vocab, _cached_vectors(vocab, encode, cache_dir), carriers)

    def scores(self, query: np.ndarray, words: str = "") -> np.ndarray:
        """c_i: the request bridged to movies through its nearest phrases, and through the
        phrases of two or more words that ``words`` spells out ("a road trip with two
        mismatched people": "road trip"), which count as a perfect match."""
        if not len(self.phrases):
            return np.zeros(self.carriers.shape[1])
        sims = self.vectors @ query
        top = np.argpartition(-sims, min(CONCEPT_TOP, len(sims) - 1))[:CONCEPT_TOP]
        top = top[sims[top] > CONCEPT_FLOOR]
        weights = np.zeros(len(self.phrases), dtype=np.float32)
        weights[top] = (sims[top] - CONCEPT_FLOOR) * self.idf[top]
        if spelled := self._spelled(words):
            weights[spelled] = (1.0 - CONCEPT_FLOOR) * self.idf[spelled]
        return np.asarray(self.carriers.T @ weights).ravel()

    def _spelled(self, words: str) -> list[int]:
        """The vocabulary phrases of 2-4 words that occur in ``words``."""
        tokens = re.findall(r"[\w'-]+", words.lower())
        grams = {" ".join(tokens[i : i + n]) for n in (2, 3, 4) for i in range(len(tokens))}
        return [self._position[g] for g in grams if g in self._position]


def _cached_vectors(
    vocab: list[str], encode: Callable[[list[str]], np.ndarray], cache_dir: Path | None
) -> np.ndarray:
    if not vocab:
        return np.zeros((0, 1), dtype=np.float32)
    digest = hashlib.sha256("\n".join(vocab).encode()).hexdigest()[:16]
    path = cache_dir / f"concepts-{digest}.npy" if cache_dir else None
    if path is not None and path.exists():
        try:
            vectors = np.load(path)
            if vectors.shape[0] == len(vocab):
                return vectors
        except (OSError, ValueError):
            log.warning("the concept vectors at %s were unreadable; embedding them again", path)
    vectors = encode(vocab)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors
