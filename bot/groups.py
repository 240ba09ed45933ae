"""Group nights in chat: who is watching, what each of them likes, in the person's words.

"We're three: me, Ana (loves horror) and Ben (hates subtitles)" becomes three members: the
person chatting (their own ratings), Ana (a described taste: horror) and Ben (a constraint
for everyone: no subtitles). What a member rules out for themselves ("hates horror", "no
subtitles") rules it out for the group; what they like steers their own standing only. A
group message stores nothing in the person's profile: the films named belong to others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

# "group night", "our group": always a group request (their share-code group, if no one is
# described); "we're three", "movie night", "both of us": one when someone else is described
GROUP_CUE_RE = re.compile(
    r"\bgroup\s+(?:night|pick|picks|watch|recommendations?)\b"
    r"|\b(?:for|with)\s+(?:my|our|the)\s+group\b|\bour group\b",
    re.IGNORECASE,
)
SEVERAL_RE = re.compile(
    r"\b(?:we'?re|we are|there are|there'?ll be|there will be)\s+"
    r"(?:two|three|four|five|six|seven|eight|[2-8])\b(?!\s*(?:hours?|minutes?|days?|years?))"
    r"|\b(?:two|three|four|five|six|[2-8]) of us\b"
    r"|\b(?:movie|film|family|date|friends'?)\s+night\b"
    r"|\b(?:both|all)\s+of\s+us\b|\b(?:we|us|our|together)\b",
    re.IGNORECASE,
)
JOIN_RE = re.compile(
    r"^\s*(?:please\s+)?join(?:\s+(?:the|our|a|my|your))?(?:\s+group)?(?:\s+code)?\s*:?\s*"
    r"(?P<code>[A-Za-z0-9]{3}[- ]?[A-Za-z0-9]{3})\s*[.!]?\s*$",
    re.IGNORECASE,
)
START_GROUP_RE = re.compile(
    r"^\s*(?:please\s+|can you\s+|let'?s\s+)?(?:start|create|make|open|set up|begin)\s+"
    r"(?:a\s+|an?\s+new\s+|our\s+|the\s+)?(?:new\s+)?group(?:\s+night)?(?:\s+code)?\b",
    re.IGNORECASE,
)
_SPEAKER = r"(?:me|myself|I)"
_PRONOUN = r"(?:[Ss]he|[Hh]e)"
_NAME = (
    r"(?:[A-Z][a-zà-ÿ]+|my\s+(?:little\s+|older\s+|younger\s+|best\s+|two\s+|three\s+)?"
    rf"(?:[a-z]+|\d+-year-old)|{_PRONOUN})"
)
_VERB = (
    r"(?:really\s+|only\s+|just\s+|absolutely\s+|mostly\s+|also\s+)?"
    r"(?:loves?|likes?|hates?|adores?|dislikes?|enjoys?|prefers?|wants?|"
    r"(?:is|am|'s|'m)\s+(?:more\s+|mostly\s+|really\s+)?(?:into|a fan of|scared of|not into)|"
    r"can'?t\s+(?:stand|do|handle)|(?:does|do)(?:n'?t| not)\s+(?:like|do|want)|"
    r"won'?t\s+watch|(?:is|am|'s|'m)\s+(?:fine|ok|okay)\s+with|only\s+watches)\b"
)
_PAREN_RE = re.compile(rf"\b(?P<name>{_SPEAKER}|{_NAME})\s*\((?P<words>[^()]+)\)")
_VERB_RE = re.compile(
    rf"\b(?P<name>{_SPEAKER}|{_NAME})\s*(?::\s*|,?\s*(?:who|that|which)\s+|\s+|(?='))"
    rf"(?P<words>{_VERB}[^,;.!?()\n]*?)(?=\s*(?:[,;.!?\n)]|\band\s+(?:{_SPEAKER}|{_NAME})\b|$))",
)
_LISTED_RE = re.compile(  # "we're three: me, Ana and Ben" / "movie night with Ana and Ben"
    rf"(?:[:]|\bwith\b|\bfor\b)\s*(?P<list>(?:(?:{_SPEAKER}|{_NAME})\s*(?:\([^()]*\))?\s*"
    rf"(?:,|\band\b|&)\s*)+(?:{_SPEAKER}|{_NAME}))",
)
_NEGATIVE_RE = re.compile(
    r"\b(?:hates?|dislikes?|can'?t\s+(?:stand|do|handle)|(?:does|do)(?:n'?t| not)|won'?t|"
    r"no|not|never|scared of|without)\b",
    re.IGNORECASE,
)
_HORROR_RE = re.compile(r"\b(?:gore|gory|horror|scary|blood|slashers?)\b", re.IGNORECASE)
_PRONOUNS = frozenset({"her", "him"})
SUBTITLES_RE = re.compile(
    r"\b(?:subtitle[sd]?|subs|reading|dubbed|foreign(?:[- ]language)?(?:\s+(?:films?|movies?))?)\b",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    [
        "We",
        "We're",
        "Something",
        "Anything",
        "Any",
        "Pick",
        "Picks",
        "What",
        "Which",
        "Movie",
        "Film",
        "Group",
        "Night",
        "Tonight",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Please",
        "Thanks",
        "Hi",
        "Hey",
        "Also",
        "And",
        "But",
        "So",
        "Our",
        "The",
        "A",
        "An",
        "It",
        "This",
        "That",
        "Both",
        "All",
        "Two",
        "Three",
        "Four",
        "Five",
    ]
)
_VERB_WORDS_RE = re.compile(r"^(?:who|that|which)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class MemberSpec:
    """One person of a group as a message describes them."""

    name: str  # "you" for the person chatting
    words: str = ""  # what was said about their taste ("loves horror")
    speaker: bool = False
    at: int = field(default=0, compare=False)  # where the message first names them

    @property
    def no_subtitles(self) -> bool:
        """'hates subtitles', 'no foreign films', 'won't read subtitles'."""
        return bool(SUBTITLES_RE.search(self.words)) and bool(_NEGATIVE_RE.search(self.words))

    @property
    def excluded_genres(self) -> tuple[str, ...]:
        """Genres the words rule out by what they avoid ("can't stand gore": Horror)."""
        parts = re.split(r",|;|\band\b", self.words)
        return (
            ("Horror",)
            if any(_NEGATIVE_RE.search(part) and _HORROR_RE.search(part) for part in parts)
            else ()
        )

    @property
    def taste_words(self) -> str:
        """The words that describe a taste, without a subtitles constraint."""
        parts = re.split(r",|;|\band\b", self.words)
        return ", ".join(p.strip() for p in parts if p.strip() and not SUBTITLES_RE.search(p))


@dataclass(frozen=True)
class GroupAsk:
    """A group-night message: the members it describes and how many people it says."""

    members: list[MemberSpec] = field(default_factory=list)
    count: int | None = None  # "we're three"
    rest: str = ""  # the message without the members' descriptions (shared constraints)


_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_COUNT_RE = re.compile(
    r"\b(?:we'?re|we are|there are|there'?ll be|there will be)\s+(?P<n>two|three|four|five|six|"
    r"seven|eight|[2-8])\b|\b(?P<m>two|three|four|five|six|[2-8]) of us\b",
    re.IGNORECASE,
)


def is_group(text: str, titles: Sequence[tuple[int, int]] = ()) -> bool:
    """Whether a message asks for picks for several people at once: it says so ("group
    night"), or it speaks of several ("we", "movie night") and describes someone else's taste."""
    if GROUP_CUE_RE.search(text):
        return True
    if not SEVERAL_RE.search(text):
        return False
    return any(not m.speaker and m.words for m in read_group(text, titles).members)


def join_code(text: str) -> str | None:
    """The share code of a "join K7Q-4XM" message."""
    match = JOIN_RE.match(text)
    return match["code"] if match else None


def read_group(text: str, titles: Sequence[tuple[int, int]] = ()) -> GroupAsk:
    """Members and their descriptions, in the order the message names them. ``titles``:
    where the catalogue's titles are in ``text``, so "Pride and Prejudice" stays whole."""
    found: dict[str, MemberSpec] = {}
    spans: list[tuple[int, int]] = []
    masked = _mask_titles(text, titles)
    for regex in (_PAREN_RE, _VERB_RE):
        for match in regex.finditer(masked):
            if any(s <= match.start("name") < e for s, e in spans):
                continue
            if any(s <= match.start("name") < e for s, e in titles):
                continue
            words = text[match.start("words") : match.end("words")]
            member = _member(match["name"], words)
            if member is None:
                continue
            key = member.name.lower()
            words = f"{found[key].words}, {member.words}" if key in found else member.words
            at = found[key].at if key in found else match.start()
            found[key] = MemberSpec(member.name, words.strip(", "), member.speaker, at)
            spans.append((match.start(), match.end()))
    for match in _LISTED_RE.finditer(text):
        for raw in re.split(r",|\band\b|&", re.sub(r"\([^()]*\)", "", match["list"])):
            member = _member(raw.strip(), "")
            if member is not None and member.name.lower() not in found:
                at = text.find(raw.strip(), match.start("list"))
                found[member.name.lower()] = replace(member, at=at)
    members = _merge_pronouns(sorted(found.values(), key=lambda m: m.at))
    rest = text
    for start, end in sorted(spans, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    count_match = _COUNT_RE.search(text)
    count = None
    if count_match:
        word = (count_match["n"] or count_match["m"]).lower()
        count = _COUNTS.get(word) or int(word)
    return GroupAsk(members, count, " ".join(rest.split()))


def _merge_pronouns(members: list[MemberSpec]) -> list[MemberSpec]:
    """ "with my sister, she loves musicals": "she" is the person just named, not another."""
    out: list[MemberSpec] = []
    for member in members:
        named = [m for m in out if not m.speaker and not m.words and m.name not in _PRONOUNS]
        if member.name in _PRONOUNS and named:
            out[out.index(named[-1])] = replace(named[-1], words=member.words)
        else:
            out.append(member)
    return out


def _mask_titles(text: str, titles: Sequence[tuple[int, int]]) -> str:
    """``text`` with the separators inside titles blanked out (same length, so positions
    hold): "Pride and Prejudice" must not read as two people."""
    chars = list(text)
    for start, end in titles:
        inner = re.sub(r"\band\b|[,&]", lambda m: "_" * len(m.group()), text[start:end])
        chars[start:end] = inner
    return "".join(chars)


def _member(name: str, words: str) -> MemberSpec | None:
    name = " ".join(name.split())
    if not name or name in _NOT_NAMES:
        return None
    words = _VERB_WORDS_RE.sub("", " ".join(words.split()))
    words = re.sub(r"^(?:'m|'s|am|is)\s+(?:more\s+|mostly\s+|really\s+)?", "", words)
    if re.fullmatch(_SPEAKER, name, re.IGNORECASE):
        return MemberSpec("you", words, speaker=True)
    if name.lower().startswith("my "):
        return MemberSpec(name.lower(), words)
    if re.fullmatch(_PRONOUN, name):
        return MemberSpec({"she": "her", "he": "him"}[name.lower()], words)
    return MemberSpec(name, words)
