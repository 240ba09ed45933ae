"""What a message says about the movies it names: liked, disliked, or given stars.

People say it in one breath: "loved Alien but hated Prometheus", "Heat 4/5, Collateral 3.5/5",
"Shrek 👍 Cars 👎", "I only liked the first Matrix, the sequels were a letdown". The message is
cut into clauses (sentences, then "but", "though", commas); each named movie takes

1. the stars written next to it, in any notation: ``4/5``, ``8/10``, ``3.5``, ``5 stars``,
   ``three and a half``, ``★★★★½``, ``⭐⭐⭐``;
2. else the emoji right after it (👍 ❤️ 🔥 / 👎 😴 ❌);
3. else the opinion word of its clause nearest to it ("loved", "boring", "masterpiece");
4. else the opinion of the clause before it in the same sentence ("Loved Alien, Aliens and
   The Thing"), else the message's default (a bare list of titles is a list of favourites).

A clause that has an opinion but names no movie ("I couldn't stand it", "the sequels were a
letdown") passes it back to the movies of the clause before it, or to their sequels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from rapidfuzz.distance import OSA


class Sentiment(Enum):
    """How a person feels about a movie they named."""

    LIKE = "like"
    DISLIKE = "dislike"
    NEUTRAL = "neutral"  # named without an opinion ("Die Hard 2 was fine", "why Titanic?")


LIKED_STARS = 4.5
DISLIKED_STARS = 1.0  # as "not for me": never suggested again


@dataclass(frozen=True)
class Opinion:
    """One named movie and what the message says of it."""

    movie_id: int
    words: str
    sentiment: Sentiment
    stars: float | None = None
    explicit: bool = True  # said in words, emoji or stars (False: the message's default)
    ruled_out: bool = False  # "anything but Star Wars": not to be suggested, not judged
    unseen: bool = False  # "but I haven't seen The World's End yet": whatever came before

    @property
    def stored_stars(self) -> float | None:
        """The stars to save: the given ones, or a like/dislike as stars; None: save nothing."""
        if self.stars is not None:
            return self.stars
        return {Sentiment.LIKE: LIKED_STARS, Sentiment.DISLIKE: DISLIKED_STARS}.get(self.sentiment)


@dataclass(frozen=True)
class Named:
    """A movie found in the text: its id, where it starts and the words that named it."""

    movie_id: int
    start: int
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


# --- stars --------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "zero": 0.0,
    "half": 0.5,
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "six": 6.0,
    "seven": 7.0,
    "eight": 8.0,
    "nine": 9.0,
    "ten": 10.0,
}
_NUM = r"(?<![\w.,])(?:-?\d{1,2}(?:[.,]\d)?|" + "|".join(_NUMBER_WORDS) + r")(?:\s+and\s+a\s+half)?"
_STAR_PATTERNS = [
    re.compile(rf"(?P<n>{_NUM})\s*/\s*(?P<of>5|10)\b(?![.,]\d)", re.I),
    re.compile(rf"(?P<n>{_NUM})\s+out\s+of\s+(?P<of>5|10|five|ten)\b", re.I),
    re.compile(rf"(?P<n>{_NUM})\s*(?:stars?|points?|★|⭐)(?![\w★⭐])", re.I),
    re.compile(r"(?P<glyphs>[★⭐](?:\ufe0f?[★⭐])*\ufe0f?)(?P<half>½|1\u20442)?"),
]
# A bare number right after a title, in a message that rates: "Forrest Gump 5", "Up - 4.5".
_BARE_RE = re.compile(
    r"^\s*(?:[-:=–]|gets|got|is|was|a|solid|maybe|probably|only|just|\s)*\s*"
    r"(?P<n>[0-5](?:[.,]5)?(?![\w/%]|[.,]\d)|(?:one|two|three|four|five)(?:\s+and\s+a\s+half)?\b)"
)
_BARE10_RE = re.compile(_BARE_RE.pattern.replace("[0-5](?:[.,]5)?", "(?:10|[0-9](?:[.,]5)?)"))
_RATING_CONTEXT_RE = re.compile(
    r"\b(?:rat(?:e|ed|ing|ings)|give|gave|score|stars?)\b|/\s*(?:5|10)\b|"
    r"\b(?:is|was|gets|got|deserves|earns)\s+an?\s+(?:solid\s+|strong\s+|generous\s+|weak\s+)?"
    r"\d(?:[.,]5)?\b(?!\s*(?:hours?|minutes?|mins?|times?|years?|%))",  # "Get Out is a solid 4.5"
    re.I,
)


_HALF_STAR_RE = re.compile(r"[0-4][.,]5$")
_SEPARATOR_AFTER_RE = re.compile(r"\s*(?:$|[,;!)\n]|\.(?:\s|$))")
_LEADS_RE = re.compile(r"^\s*(?:for|to|on)\s+(?:the movie\s+)?$", re.I)  # "★★★★ for Heat"


@dataclass(frozen=True)
class Stars:
    start: int
    end: int
    value: float


_TEN_SCALE_RE = re.compile(r"\d\s*(?:/|out of)\s*10\b", re.I)


def _number(raw: str) -> float:
    raw = raw.lower().strip()
    half = raw.endswith("and a half")
    head = raw.split()[0].replace(",", ".")
    value = _NUMBER_WORDS[head] if head in _NUMBER_WORDS else float(head)
    return value + (0.5 if half else 0.0)


def find_stars(text: str) -> list[Stars]:
    """Every star rating written in ``text`` (x/10 halved), in reading order."""
    found: list[Stars] = []
    taken: list[tuple[int, int]] = []
    for pattern in _STAR_PATTERNS:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            if match.groupdict().get("glyphs"):
                count = sum(ch in "★⭐" for ch in match["glyphs"])
                value = count + (0.5 if match["half"] else 0.0)
            else:
                value = _number(match["n"])
                if (match.groupdict().get("of") or "").lower() in ("10", "ten"):
                    value /= 2
            # Out of range too ("11 stars"): the rating tool answers with the valid range.
            found.append(Stars(match.start(), match.end(), value))
            taken.append((match.start(), match.end()))
    if any(_FOR_AFTER_RE.match(text, s.end) for s in found):
        found += _bare_for(text, taken)
    return sorted(found, key=lambda s: s.start)


_FOR_AFTER_RE = re.compile(r"\s+for\b", re.I)
_BARE_FOR_RE = re.compile(r"(?<![\w.,/])(?P<n>[0-5](?:[.,]5)?)\s+for\s+(?=\S)", re.I)


def _bare_for(text: str, taken: list[tuple[int, int]]) -> list[Stars]:
    """ "4 stars for Jurassic Park, 2 for Jurassic World": once stars lead a title, a bare
    number leading the next one is stars too."""
    return [
        Stars(m.start(), m.start("n") + len(m["n"]), _number(m["n"]))
        for m in _BARE_FOR_RE.finditer(text)
        if not any(a < m.end() and m.start() < b for a, b in taken)
    ]


# --- opinion words ------------------------------------------------------------------------

_LIKE_EMOJI = "👍❤️😍🔥✅💯🤩🥰💕♥🤯😂🤣💖💗💓💞👌🙌😻👏🐐💃🕺"
_DISLIKE_EMOJI = "👎😴❌🙅🤮💩🤢🙄🥱🤡"
_POSITIVE = re.compile(
    r"\b(?:lov(?:e|ed|es|ing)|luv(?:s|d|ved)?|liek|"
    r"(?:i|we|i really|i also|i did|i do|really|also)\s+(?:\w+\s+)?likes?|"
    r"liked|enjoy(?:ed|s)?|ador(?:e|ed|es)|favou?rites?|favs?|faves?|great|amazing|"
    r"brilliant|fantastic|incredible|masterpiece|best|so good|awe?some|"
    r"(?:were|was|are|is) (?:\w+ )?good|"
    r"obsessed|blew me away|blown away|mind[- ]?blowing|blew my mind|"
    r"epic|peak|wow|beautiful|stunning|sweet|lovely|"
    r"delightful|charming|"
    r"(?:huge|big|massive|great|die-?hard)\s+(?:\w+\s+)?fan|"
    r"enjoyable|hilarious|funny|classics?|"
    r"wrecked me|made me cry|comfort (?:movies?|films?)|childhood|go-?to|sick|cute|fan of|big fan|"
    r"grew up (?:on|with|watching)|raised on|on repeat|(?:really |totally )?got me\b(?! to)|"
    r"(?:my |all-?time )top (?:\d{1,2}|three|five|ten)\b|untouchable|"
    r"more of an?\s+(?:\S+\s+){0,4}?(?:guy|girl|gal|person|fan|type)|"
    r"go to|(?:so|really|very|super) (?:tense|intense)|(?:was|is|were|are) intense|"
    r"(?:was|is|so|really|very|super) clever|went (?:wild|crazy|nuts|bananas) (?:for|over)|"
    r"could watch|(?:\d+|ten|a hundred) times|hits?|into|gorgeous|perfect|excellent|"
    r"go for|my kind of|my taste|can't get enough|genius|superb|terrific|wonderful|"
    r"phenomenal|outstanding|(?:was|is|so|really) fun|exactly right|just right|hit the spot|"
    r"stuck with me|grabbed me|(?:way|much|far|so much|even) better|(?:was|is|were|are) better|"
    r"right up my alley|spot on|"
    r"breathtaking|mesmeri[sz]ing|gripping|riveting|unforgettable|flawless|iconic|a gem|hooked|"
    r"underrated|(?:was|is) (?:wild|insane|unreal|bonkers)|crying laughing|"
    r"(?:so|really|very|pretty|super|too) cool|(?:was|is) cool|(?:such |was |is )?a blast|goated|"
    r"slaps|a banger|guilty pleasure|(?:i|we) (?:much |really |definitely )?prefer(?:red)?|"
    r"(?:on )?the edge of (?:my|our) seats?|"
    r"(?:still )?holds? up|made (?:my|me|us|him|her) (?:\w+ )?cry|laughed (?:so|really|very) "
    r"(?:hard|much)|cracked (?:me|us) up|made (?:me|us) (?:\w+ )?laugh|"
    r"j'?ad(?:ore|oré)|ador[oé]|encant\w*|gust[oó]\w*|me gusta\w*|liebe|mag|geliebt|piace|amo)\b"
    rf"|[{_LIKE_EMOJI}]|<3|>{{2,}}\s*(?:everything|anything|all)\b",
    re.I,
)
_NEGATIVE = re.compile(
    r"\b(?:hat(?:e|ed|es)|dislik(?:e|ed|es)|"
    r"(?:didn'?t|did not|don'?t|do not|never)\s+(?:really\s+)?(?:like|love|enjoy|get|care for)|"
    r"couldn'?t stand|can'?t stand|borr?(?:ing|ed)|awful|(?<!not )(?<!too )(?:really )?bad|"
    r"terrible|horrible|overr?ated|let ?down|(?:is|was|are|were) (?:even )?worse|a drag|"
    r"letdown|disappointing|disappointment|waste of time|"
    r"not a fan|not for (?:me|us)|not (?:really )?my (?:thing|cup of tea|taste)|"
    r"(?:isn'?t|wasn'?t) (?:really )?(?:for (?:me|us)|my (?:thing|cup of tea|taste))|"
    r"cheesy|abomination|dull|forgettable|"
    r"bland|mediocre|tedious|(?:was|is|were|are|so|pretty|really|kinda|too) weak|"
    r"underwhelming|unnecessary|pointless|lazy|mean-spirited|"
    r"(?:kind of|kinda|sort of|a bit|a little|pretty|really|so|too|just|was|is) mean(?! to\b)|"
    r"(?:way |a bit |far |much )?too (?:long|slow|sappy|cheesy|intense|dark|violent|scary|weird|"
    r"depressing|gory|bleak|loud|silly|predictable|confusing|pretentious)(?: for me)?|"
    r"annoying|pretentious|dumb|stupid|a mess|not so much|not really|sappy|unbearable|"
    r"fell asleep|forced|hype|worst|rubbish|garbage|trash|sucked|sucks|no thanks|"
    r"(?:it|really|so) dragged|dragged on|dragged(?=\s*(?:[.,;!]|$))|"
    r"(?:didn'?t|did not|doesn'?t) do (?:it|much|anything) "
    r"for me|did nothing for me|(?:couldn'?t|could not|can'?t) (?:get through|finish)|"
    r"gave up on|walked out of|turned (?:it )?off|(?:was |way |a bit |just )?too much for me|"
    r"cringe|cringy|cringey|put (?:me|her|him|us|them) to sleep|was bored|were bored|"
    r"painful|(?:didn'?t|did not|doesn'?t|does not|never) (?:really |quite )?work for me|"
    r"ruined (?:it|the \w+|everything)(?: for me)?|(?:was|is|so|were|really) confusing|"
    r"(?:too |so )?(?:stretched out|stretched thin|drawn out|bloated|overlong)|"
    r"(?:was|is|were) (?:way |a bit |just |a little )?too much(?! fun)|"
    r"can'?t take it any ?more|(?:sick|tired) of it|had enough of it|"
    r"(?:neither|none|nobody|no one) of us (?:\w+ )?(?:liked|loved|enjoyed)|"
    r"duds?|(?:chose|picked|watched) (?:it )?as a joke|(?:nobody|no one) laughed|"
    r"(?:confused|lost) me|more of the same|(?:just |basically )?the same (?:\w+ )?"
    r"(?:all )?(?:over )?again|a (?:lazy )?rehash|rehashed|"
    r"(?:is|was|are|were) not(?=\s*(?:[.!]|$))|(?:isn'?t|wasn'?t)(?=\s*(?:[.!]|$))|"
    r"(?:a bit |a little |too |so |way too |kinda |kind of |sort of |really )slow|slow for me|"
    r"(?:a |such a )slog)\b"
    r"|\b(?:not|no|nothing)\s+(?:the\s+|any\s+|a\s+)?(?:\w+\s+){0,3}"
    r"(?:stuff|kind|type|sort|movies?|films?)\s+like\b"
    rf"|\bnever again\b|[{_DISLIKE_EMOJI}]",
    re.I,
)


# Verdict words people misspell ("hilarous", "amazng", "masterpeice"): one slip from a word of
# seven letters or more (two from one of eleven), the first letter kept. The exceptions are the
# real words that close to one, found in the catalogue's descriptions, titles and tags.
_SPELLED_VERDICTS = (
    "hilarious",
    "amazing",
    "awesome",
    "brilliant",
    "fantastic",
    "incredible",
    "masterpiece",
    "beautiful",
    "favourite",
    "favorite",
    "excellent",
    "wonderful",
    "gorgeous",
    "terrible",
    "horrible",
    "overrated",
    "underrated",
    "disappointing",
    "forgettable",
    "mediocre",
    "annoying",
    "pretentious",
    "unbearable",
    "stunning",
    "charming",
    "delightful",
    "enjoyable",
    "phenomenal",
    "outstanding",
    "breathtaking",
    "gripping",
    "riveting",
    "unforgettable",
    "flawless",
    "underwhelming",
)
_REAL_NEIGHBOURS = frozenset(
    ["charting", "charging", "charing", "phenomena", "pretensions", "unbeatable", "outstandings"]
)
_SLIP_RE = re.compile(r"\b[A-Za-z]{6,}\b")


def respell_verdicts(text: str) -> str:
    """ "the big lebowski is hilarous" → "... is hilarious": misspelt verdict words, mended."""
    return _SLIP_RE.sub(_mended, text)


def _mended(match: re.Match[str]) -> str:
    word = match.group(0)
    low = word.lower()
    if low in _REAL_NEIGHBOURS or low in _SPELLED_VERDICTS:
        return word
    for verdict in _SPELLED_VERDICTS:
        stem = verdict[:-1]
        own_form = low in (verdict + "s", verdict + "ly", stem + "y", stem + "ly", verdict + "es")
        if low[0] != verdict[0] or own_form or abs(len(low) - len(verdict)) > 2:
            continue  # "incredibles", "terribly": the word's own forms, not slips
        if OSA.distance(low, verdict) <= (2 if len(verdict) >= 11 else 1):
            return verdict.capitalize() if word[0].isupper() else verdict
    return word


def is_opinion_word(word: str) -> bool:
    """ "incredible", "beautiful", "meh": words of praise or blame, never a title said loosely."""
    word = word.strip()
    return bool(_POSITIVE.fullmatch(word) or _NEGATIVE.fullmatch(word) or _NEUTRAL.fullmatch(word))


def judges(text: str) -> bool:
    """Does ``text`` praise or blame something ("such a sweet movie", "was boring")?"""
    return bool(_POSITIVE.search(text) or _NEGATIVE.search(text))


# "would I like it?", "what else would I like": asking, not telling.
_QUESTION_RE = re.compile(
    r"\b(?:would|will|do|did|should|might|could)\s+(?:i|we|you)\s+(?:\w+\s+)?"
    r"(?:like|love|enjoy|hate)\b",
    re.I,
)
# "everyone calls it a classic": other people's verdict, not the person's.
_HEARSAY_RE = re.compile(
    r"\b(?:everyone|everybody|people|critics|they)\s+(?:\w+\s+)?(?:calls?|called|says?|said|"
    r"thinks?|raves? about|keeps? saying)\s+(?:(?:that\s+)?it'?s?\s+|it is\s+)?(?:an?\s+|the\s+)?"
    r"(?:\w+\s+)?\w+|\b(?:everyone|everybody|people|critics)\s+(?:seems? to\s+)?"
    r"(?:loves?|adores?|praises?)\b",  # "everyone loves Titanic but I found it boring"
    re.I,
)
_TOLD_RE = re.compile(
    r"\b(?:everyone|everybody|people|critics|friends?|they|he|she)\s+(?:\w+\s+)?"
    r"(?:told|tell|telling|promised|swore)\s+(?:me|us)\b[^,.;!?]*?(?=\s+(?:and|but)\s|[,.;!?]|$)",
    re.I,
)
_NEUTRAL = re.compile(
    r"\b(?:(?:was|is|were) (?:fine|ok|okay|alright|decent)|meh|neutral|so-so|"
    r"(?:dumb|mindless|silly|stupid) fun|"
    r"maybe(?=\s*[.!?]*\s*$)|"
    r"(?:we|i|they) (?:read|are reading|'re reading|studied|are studying))\b",
    re.I,
)
_UNSEEN_RE = re.compile(  # "I haven't seen The World's End yet": nothing to store
    r"\b(?:haven'?t|have not|never|not yet)\s+(?:\w+\s+)?(?:seen|watched)\b"
    # "my brother says I should start with The Godfather", "I've been meaning to watch Drive"
    r"|\b(?:i|we) (?:should|need to|have to|want to|wanna|plan to|am going to|'m going to)\s+"
    r"(?:\w+\s+)?(?:watch|see|start with|check out|try)\b"
    r"|\b(?:meaning|planning|going|supposed|told|telling|tells)(?: me)? to (?:\w+\s+)?"
    r"(?:watch|see|start with|check out|try)\b",
    re.I,
)
_THAN_RE = re.compile(r"\bthan\s+(?:the\s+)?(?:first\s+|original\s+|last\s+|new\s+)?$", re.I)
_SEEN_RE = re.compile(
    r"\b(?:already|have|'ve)\s+(?:already\s+)?(?:seen|watched|done|covered)\b", re.I
)  # "We've already done Ocean's Eleven": seen, no verdict
_EMOJI_LIKE = re.compile(rf"^[\s\W]{{0,6}}?[{_LIKE_EMOJI}]")
_EMOJI_DISLIKE = re.compile(rf"^[\s\W]{{0,6}}?[{_DISLIKE_EMOJI}]")
_CARRY_RE = re.compile(
    r"\b(?:it|them|(?<!we )(?<!they )(?<!you )both|those|these|that one|which|the sequels?|"
    r"the rest|the (?:story|plot|ending|acting|script|writing|dialogue|characters|pacing|"
    r"soundtrack|music))\b",
    re.I,
)
# "we both like romcoms": a verdict on a kind of film, not on the film before it
_KIND_VERDICT_RE = re.compile(
    r"\b(?:like|love|enjoy|prefer|hate|dislike|adore|into)s?\s+(?:\w+\s+)?(?:rom-?coms?|"
    r"comed(?:y|ies)|horrors?|thrillers?|dramas?|documentar(?:y|ies)|westerns?|musicals?|anime|"
    r"cartoons?|action|sci-?fi|romances?|mysteries|movies|films|stuff|things|classics)\b",
    re.I,
)
_SHORT_VERDICT_WORDS = 5  # "Alien 3, not so much", "Infinity War on the other hand I loved"
_SEQUELS_RE = re.compile(
    r"\b(?:the )?(?:sequels?|rest|other ones|others|other (?:two|three)|follow-?ups)\b"
    r"|\b(?:everything|anything|all|every one|each one) (?:after|since)(?: that| those| them)?\b",
    re.I,
)

_SENTENCE_RE = re.compile(r"[.!?;\n]+(?=\s|$)|\n")
_SOFT_RE = re.compile(
    r",\s*but\b|\bbut\b|\bthough\b|\bhowever\b|\bwhereas\b|\bwhile\b|\balthough\b|"
    r"\bon the other hand\b|,(?=\s*(?:i|we|she|he|they|my|the sequels?|the rest)\b)|,",
    re.I,
)


@dataclass
class _Clause:
    start: int
    end: int
    sentence: int
    after_but: bool

    def holds(self, pos: int) -> bool:
        return self.start <= pos < self.end


def _clauses(text: str) -> list[_Clause]:
    clauses: list[_Clause] = []
    sentence_start = 0
    bounds = [m.end() for m in _SENTENCE_RE.finditer(text)] + [len(text)]
    for n, sentence_end in enumerate(bounds):
        cut = sentence_start
        after_but = False
        for soft in _SOFT_RE.finditer(text, sentence_start, sentence_end):
            clauses.append(_Clause(cut, soft.start(), n, after_but))
            cut, after_but = soft.end(), "," not in soft.group(0) or "but" in soft.group(0)
        clauses.append(_Clause(cut, sentence_end, n, after_but))
        sentence_start = sentence_end
    return [c for c in clauses if c.end > c.start]


def _cue(text: str, clause: _Clause, near: int | None) -> Sentiment | None:
    """The opinion word of a clause nearest to ``near`` (or the clause's only kind of word)."""
    body = text[clause.start : clause.end]
    for hidden in (_QUESTION_RE, _HEARSAY_RE, _TOLD_RE):
        body = hidden.sub(lambda m: " " * len(m.group(0)), body)
    if _NEUTRAL.search(body) or _UNSEEN_RE.search(body):
        return Sentiment.NEUTRAL
    negative = [(m.start(), m.end()) for m in _NEGATIVE.finditer(body)]
    hits = [  # the "enjoy" of "didn't enjoy" is no praise
        (m.start(), Sentiment.LIKE)
        for m in _POSITIVE.finditer(body)
        if not any(a <= m.start() < b for a, b in negative)
    ]
    hits += [(a, Sentiment.DISLIKE) for a, _ in negative]
    if not hits:  # "I've already seen the Harry Potter films, so not those": no verdict
        return Sentiment.NEUTRAL if _SEEN_RE.search(body) else None
    target = (near - clause.start) if near is not None else 0
    return min(hits, key=lambda h: abs(h[0] - target))[1]


# --- reading a message --------------------------------------------------------------------


_EXCEPT_BEFORE_RE = re.compile(
    r"(?:\b(?:except|apart from|but not|other than|minus|excluding)\s+(?:for\s+)?|"
    r"(?:^|[,;:]|\bbut)\s*not\s+)(?:the\s+)?$",
    re.I,
)
_ANYTHING_BUT_RE = re.compile(
    r"\b(?:anything|something|whatever)\s+(?:but|except|other than|besides)\s+(?:the\s+)?$", re.I
)
_NOT_BEFORE_RE = re.compile(r"(?:^|[,;:]|\bbut)\s*not\s+(?:the\s+)?$", re.I)
_PREFERRED_RE = re.compile(r"\s*>{1,3}\s")
_OPPOSITE = {Sentiment.LIKE: Sentiment.DISLIKE, Sentiment.DISLIKE: Sentiment.LIKE}


def read_opinions(
    text: str,
    named: Sequence[Named],
    default: Sentiment,
    sequels: Callable[[int], list[int]] | None = None,
) -> list[Opinion]:
    """What ``text`` says of each movie in ``named`` (found by the understander)."""
    text = _without_titles(text, named)  # "10 Things I Hate About You" hates nothing
    clauses = _clauses(text)
    stars = _stars_by_title(text, named)
    feelings: dict[int, Sentiment | None] = {}  # by where each mention starts
    for item in named:
        feelings[item.start] = _emoji_after(text, item, named) or _cue(
            text, _clause_of(clauses, item.start), item.start
        )
    _carry(text, clauses, named, feelings)
    opinions = []
    for item in sorted(named, key=lambda n: n.start):
        if _THAN_RE.search(text[max(0, item.start - 30) : item.start]):
            opinions.append(Opinion(item.movie_id, item.text, Sentiment.NEUTRAL, explicit=False))
            continue  # "I liked Aliens more than Alien": the comparison says nothing of Alien
        if _ASIDE_RE.match(text, item.end):
            opinions.append(Opinion(item.movie_id, item.text, Sentiment.NEUTRAL, explicit=False))
            continue  # "Parasite aside, the best film I've seen is Get Out"
        if feelings[item.start] is None and _ANYTHING_BUT_RE.search(
            text[max(0, item.start - 25) : item.start]
        ):
            opinions.append(
                Opinion(item.movie_id, item.text, Sentiment.NEUTRAL, explicit=False, ruled_out=True)
            )
            continue  # "sci-fi, anything but Star Wars": ruled out of the picks, not judged
        feeling = feelings[item.start] or _inherited(text, clauses, item, named, feelings)
        if feeling is not None and _EXCEPT_BEFORE_RE.search(
            text[max(0, item.start - 25) : item.start]
        ):
            feeling = _OPPOSITE.get(feeling, feeling)  # "I love them all except Crystal Skull"
        elif feeling is None and _NOT_BEFORE_RE.search(text[max(0, item.start - 12) : item.start]):
            feeling = Sentiment.DISLIKE  # "Alien, Aliens; not Prometheus"
        elif feeling is None and _PREFERRED_RE.match(text, item.end):
            feeling = Sentiment.LIKE  # "Aliens > Alien"
        feelings[item.start] = feeling
        given = stars.get(item.movie_id)
        opinions.append(
            Opinion(
                item.movie_id,
                item.text,
                feeling or default,
                given,
                explicit=feeling is not None or given is not None,
                unseen=feeling is Sentiment.NEUTRAL and _unseen(text, clauses, item),
            )
        )
    if sequels is not None:
        opinions += _sequel_opinions(text, clauses, named, opinions, sequels)
    return opinions


def _without_titles(text: str, named: Sequence[Named]) -> str:
    """``text`` with the words of each title blanked (same length, so positions hold)."""
    chars = list(text)
    for item in named:
        end = min(item.end, len(chars))
        while end > item.start and not chars[end - 1].isalnum():
            end -= 1  # "Vertigo." ends a sentence
        for i in range(item.start, end):
            if not chars[i].isspace():
                chars[i] = "x"  # "Mr. & Mrs. Smith": its full stops end no sentence
    return "".join(chars)


def _unseen(text: str, clauses: list[_Clause], item: Named) -> bool:
    clause = _clause_of(clauses, item.start)
    return bool(_UNSEEN_RE.search(text[clause.start : clause.end]))


def _clause_of(clauses: list[_Clause], pos: int) -> _Clause:
    return next((c for c in clauses if c.holds(pos)), clauses[-1])


def _stars_by_title(text: str, named: Sequence[Named]) -> dict[int, float]:
    """Each star rating goes to the title just before it, else to the one just after it."""
    out: dict[int, float] = {}
    ordered = sorted(named, key=lambda n: n.start)
    for rating in find_stars(text):
        before = [n for n in ordered if n.end <= rating.start and n.movie_id not in out]
        after = [n for n in ordered if n.start >= rating.end and n.movie_id not in out]
        leads = bool(after) and bool(_LEADS_RE.match(text[rating.end : after[0].start]))
        if before and not leads and not re.search(r"[.!?\n;]", text[before[-1].end : rating.start]):
            out[before[-1].movie_id] = rating.value
        elif after and (leads or not text[rating.end : after[0].start].strip(" \ufe0f")):
            out[after[0].movie_id] = rating.value  # "★★★★ for Heat", "⭐⭐⭐ Heat"
    tens = (
        bool(_TEN_SCALE_RE.search(text))
        or any(  # "Jaws 9/10, Jaws 2 maybe a 5": 5 of 10
            _number(m["n"]) > 5  # "pulp fiction 10, death proof 4": a 10 says the scale
            for item in ordered
            if item.movie_id not in out and (m := _BARE10_RE.match(text[item.end : item.end + 32]))
        )
    )
    pattern, scale = (_BARE10_RE, 0.5) if tens else (_BARE_RE, 1.0)
    bare = {
        item.movie_id: scale * _number(m["n"])
        for item in ordered
        if item.movie_id not in out and (m := pattern.match(text[item.end : item.end + 32]))
    }
    every_title = len(ordered) >= 2 and len(bare) + len(out) == len(ordered)
    halves = any(  # "Casino 3.5, too long but good": half a star is nothing but a rating
        (m := _BARE_RE.match(text[item.end : item.end + 32]))
        and _HALF_STAR_RE.match(m["n"])
        and _SEPARATOR_AFTER_RE.match(text, item.end + m.end())
        for item in ordered
    )
    if _RATING_CONTEXT_RE.search(text) or out or every_title or halves:  # "Forrest Gump 5, Up 4.5"
        out.update(bare)
    return out


def _emoji_after(text: str, item: Named, named: Sequence[Named]) -> Sentiment | None:
    """The 👍/👎 a title carries: after it ("Shrek 👍 Cars 👎"), or before it when the message
    opens with one ("👍 Toy Story 👍 Shrek 👎 Cars")."""
    first = min(n.start for n in named)
    if _EMOJI_LIKE.match(text[:first]) or _EMOJI_DISLIKE.match(text[:first]):
        earlier = [n.end for n in named if n.end <= item.start]
        lead = text[max([*earlier, 0, item.start - 12]) : item.start].rstrip()[-2:]
        if _EMOJI_DISLIKE.search(lead):
            return Sentiment.DISLIKE
        return Sentiment.LIKE if _EMOJI_LIKE.search(lead) else None
    following = [n.start for n in named if n.start > item.start]
    tail = text[item.end : min([*following, item.end + 12])]
    if _EMOJI_DISLIKE.match(tail) or _NO_AFTER_RE.match(tail):
        return Sentiment.DISLIKE
    if _EMOJI_LIKE.match(tail) or _YES_AFTER_RE.match(tail):
        return Sentiment.LIKE
    if re.match(r"^[\s\W]{0,6}?[😐😑🤷🫤😶]", tail):
        return Sentiment.NEUTRAL  # "Gravity 😐"
    return None


_ASIDE_RE = re.compile(r"\s*(?:aside|apart|excepted)\b", re.I)
# "Trainspotting yes, T2 Trainspotting no"
_YES_AFTER_RE = re.compile(r"^\s*(?:yes|yep|yeah|yess+)\s*(?:$|[,.;!\n])", re.I)
_NO_AFTER_RE = re.compile(r"^\s*(?:no|nope|nah|never again)\s*(?:$|[,.;!\n])", re.I)


_SOMEONE_ELSE_RE = re.compile(
    r"^\W*(?:(?:but|and|though|while|whereas|although)\s+)?(?:(?:my|our)\s+(?:\w+\s+)?"
    r"(?:gf|bf|girlfriend|boyfriend|wife|husband|partner|spouse|fianc[eé]e?|brother|sister|"
    r"mum|mom|dad|father|mother|son|daughter|kids?|friends?|roommate|flatmate|parents|family)|"
    r"he|she|they)\b",
    re.IGNORECASE,
)


def _carry(
    text: str,
    clauses: list[_Clause],
    named: Sequence[Named],
    feelings: dict[int, Sentiment | None],
) -> None:
    """'My girlfriend loves The Notebook, I couldn't stand it': the later clause decides."""
    for i, clause in enumerate(clauses):
        if i == 0 or any(clause.holds(n.start) for n in named):
            continue
        body = text[clause.start : clause.end]
        if _SEQUELS_RE.search(body) or _KIND_VERDICT_RE.search(body):
            continue
        if body.rstrip().endswith(":"):
            continue  # "disliked:" heads the lines after it, not the line before
        refers = bool(_CARRY_RE.search(body))
        previous = _titled_before(clauses, i, named) if refers else clauses[i - 1]
        same_sentence = previous.sentence == clause.sentence
        bare = not re.search(r"[^\Wx]", text[previous.start : previous.end])  # "Heat?"
        short = (same_sentence or bare) and len(body.split()) <= _SHORT_VERDICT_WORDS
        if not refers and not short:
            continue
        cue = _cue(text, clause, None)
        if cue is None or (cue is Sentiment.NEUTRAL and _only_seen(body)):
            continue  # "..., but I've seen all of his films": no verdict on them
        someone_else = bool(_SOMEONE_ELSE_RE.match(body))
        for item in named:
            if not previous.holds(item.start):
                continue
            if someone_else and feelings[item.start] is not None:
                continue  # "I hated La La Land but my gf loved it": the person's verdict
            if (same_sentence and refers) or feelings[item.start] is None:
                feelings[item.start] = cue


def _titled_before(clauses: list[_Clause], i: int, named: Sequence[Named]) -> _Clause:
    """The clause before ``i`` that names a movie, across up to two clauses that name none:
    "Braveheart was fun but a mess, so I didn't love it", "Aliens > Alien, fight me. Loved
    both though"."""
    j = i - 1
    while j > max(0, i - 3) and not any(clauses[j].holds(n.start) for n in named):
        j -= 1
    return clauses[j]


def _only_seen(body: str) -> bool:
    """ "I've seen all of his films": seen, with neither a verdict nor "not yet"."""
    return bool(_SEEN_RE.search(body)) and not (_UNSEEN_RE.search(body) or _NEUTRAL.search(body))


_ASKED_RE = re.compile(
    r"\s*(?:is|are|was|were|should|would|will|could|can|do|does|did|have|has)\b[^.!]*\?", re.I
)


def _inherited(
    text: str,
    clauses: list[_Clause],
    item: Named,
    named: Sequence[Named],
    feelings: dict[int, Sentiment | None],
) -> Sentiment | None:
    """No opinion in its own clause: that of the clause before it in the sentence, or of a
    heading line before it ("My favourites:", "Movies I love:")."""
    index = next(i for i, c in enumerate(clauses) if c is _clause_of(clauses, item.start))
    if _ASKED_RE.match(text, clauses[index].start, clauses[index].end):
        return Sentiment.NEUTRAL  # "Both amazing. Is Alien 3 worth it?": asked, not judged
    for previous in reversed(clauses[:index]):
        own = [n for n in named if previous.holds(n.start)]
        if own:
            same_sentence = previous.sentence == clauses[index].sentence
            if same_sentence and not clauses[index].after_but:
                return feelings.get(own[-1].start) or None
            if _cue(text, previous, None) is None:
                continue  # a bare list line: keep looking for its heading
            return None
        cue = _cue(text, previous, None)
        if cue is not None:
            return cue
    return None


def _sequel_opinions(
    text: str,
    clauses: list[_Clause],
    named: Sequence[Named],
    opinions: list[Opinion],
    sequels: Callable[[int], list[int]],
) -> list[Opinion]:
    """'The Hangover was funny, the sequels not so much': the franchise's later films."""
    out: list[Opinion] = []
    # named without a verdict of their own ("the whole trilogy") the clause may still judge
    mentioned = {o.movie_id for o in opinions if o.explicit}
    for i, clause in enumerate(clauses):
        body = text[clause.start : clause.end]
        if i == 0 or not _SEQUELS_RE.search(body) or any(clause.holds(n.start) for n in named):
            continue
        cue = _cue(text, clause, None)
        if cue is None and i + 1 < len(clauses):
            after = clauses[i + 1]  # "The sequels, not so much.": the verdict's own clause
            if not any(after.holds(n.start) for n in named):
                cue = _cue(text, after, None)
        if cue is None:
            continue
        for opinion in opinions:
            if any(
                clauses[j].holds(n.start)
                for j in range(i)
                for n in named
                if n.movie_id == opinion.movie_id
            ):
                for later in sequels(opinion.movie_id):
                    if later not in mentioned:
                        mentioned.add(later)
                        out.append(Opinion(later, "the sequels", cue))
    return out
