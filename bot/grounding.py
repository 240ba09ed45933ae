"""The grounding guard: a reply may name only movies the tools returned in this turn.

Titles are spotted three ways: "Title (Year)" patterns, emphasized list heads and quoted or bold
spans, and any catalogue title written out in the text. A title that the tools did not return
(and the person did not name) is either unknown to the catalogue (invented) or real but
unreturned; either way the line (in a list) or the sentence (in prose) that carries it is
removed and logged. Works line by line, so streamed replies are checked before they are shown.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from bot.nlu import Understander
from recommender.errors import MovieBotError
from recommender.titles import title_key

log = logging.getLogger(__name__)

_YEAR_TITLE_RE = re.compile(r"(?P<title>[^\n()\[\]]{1,120}?)\s*\((?P<year>(?:18|19|20)\d{2})\)")
_EMPHASIS_RE = re.compile(
    r"\*\*(?P<a>[^*\n]{2,100})\*\*|__(?P<b>[^_\n]{2,100})__|[\"“](?P<c>[^\"“”\n]{2,100})[\"”]"
)
_LIST_HEAD_RE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-•*])\s+")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")
_LEAD_RE = re.compile(r"^[\s\d.)•*\-#:>\"“_]+")


@dataclass
class Verdict:
    """One checked line: what is left of it and the titles taken out (with why)."""

    text: str
    removed: list[str] = field(default_factory=list)


class Grounder:
    """Checks reply lines against the titles a turn may mention."""

    def __init__(self, nlu: Understander) -> None:
        self.nlu = nlu

    def check_line(self, line: str, allowed: set[str], quoted: str = "") -> Verdict:
        """``line`` without the titles outside ``allowed`` (title keys).

        Words the tools returned (``quoted``: a tag like "fun", a plot) are not titles.
        """
        bad = [
            (t, why)
            for t, why, span in self._violations(line, allowed)
            if not _quoted(span, quoted)
        ]
        if not bad:
            return Verdict(line)
        for title, why in bad:
            log.info("grounding: removed %s title %r", why, title)
        removed = [t for t, _ in bad]
        if _LIST_HEAD_RE.match(line) or (len(line) < 200 and not _SENTENCE_RE.search(line)):
            return Verdict("", removed)
        kept = [
            s
            for s in _SENTENCE_RE.split(line)
            if all(_quoted(span, quoted) for _, _, span in self._violations(s, allowed))
        ]
        return Verdict(" ".join(kept), removed)

    def _violations(self, text: str, allowed: set[str]) -> list[tuple[str, str, str | None]]:
        """(title, "invented" or "unreturned", the words as written or None for a claim)."""
        found: list[tuple[str, str, str | None]] = []
        for title, year in self._claimed(text):
            problem = self._judge(title, year, allowed)
            if problem:
                label = re.sub(r"^[,;\s]*(?:(?:and|or)\s+)?", "", title)  # ", or It" -> "It"
                name = label if year is None else f"{label} ({year})"
                found.append((name, problem, title if year is None else None))
        for match in self.nlu.find_titles(text, capitalized=True):
            single_at_start = len(match.text.split()) == 1 and not text[: match.start].strip()
            if single_at_start:
                continue
            movie = self.nlu.catalog.movie(match.movie_id)
            if not self._is_allowed(movie.title, allowed) and not self._is_allowed(
                match.text, allowed
            ):
                name = movie.display
                if all(name != f for f, _, _ in found):
                    found.append((name, "unreturned", match.text))
        return found

    def _claimed(self, text: str) -> list[tuple[str, int | None]]:
        """Spans written as titles: "Title (Year)", bold or quoted Title Case, list heads."""
        claims: list[tuple[str, int | None]] = []
        for match in _YEAR_TITLE_RE.finditer(text):
            title = _LEAD_RE.sub("", match["title"]).strip(" *_\"“”'")
            title = re.split(r"\*\*|__|[\"“”]", title)[-1].strip()
            if title:
                claims.append((title, int(match["year"])))
        for match in _EMPHASIS_RE.finditer(text):
            span = (match["a"] or match["b"] or match["c"]).strip()
            if re.search(r"\((?:18|19|20)\d{2}\)", span) or span.endswith(":"):
                continue
            before = text[: match.start()]
            at_head = not before.strip() or bool(_LIST_HEAD_RE.fullmatch(before))
            if _title_case(span) and at_head:
                claims.append((span, None))
        return claims

    def _judge(self, title: str, year: int | None, allowed: set[str]) -> str | None:
        """None when fine; else "unreturned" (a real movie) or "invented".

        "If you liked Heat, try Léon: The Professional (1994)": the words before a title are
        not part of it, so every suffix is tried, longest first.
        """
        words = title.split()
        verdict = "invented"
        for start in range(len(words)):
            suffix = " ".join(words[start:])
            if self._is_allowed(suffix, allowed):
                return None
            try:
                movie_id = self.nlu.catalog.resolve(f"{suffix} ({year})" if year else suffix)
            except MovieBotError:
                continue
            if self._is_allowed(self.nlu.catalog.movie(movie_id).title, allowed):
                return None
            verdict = "unreturned"
        return verdict

    @staticmethod
    def _is_allowed(title: str, allowed: set[str]) -> bool:
        key = title_key(title)
        return bool(key) and key in allowed


def _quoted(span: str | None, quoted: str) -> bool:
    """Are these words just what a tool returned (a tag like "fun", a phrase of a plot)?"""
    return span is not None and bool(quoted) and span.lower() in quoted


def _title_case(span: str) -> bool:
    words = [w for w in re.findall(r"[\w']+", span) if len(w) > 3]
    if not words or not span[:1].isupper() or len(span.split()) > 12:
        return False
    return sum(w[:1].isupper() or w[:1].isdigit() for w in words) >= max(1, len(words) / 2)


# --- claims of actions ----------------------------------------------------------------------

_DONE = (
    r"deleted|removed|erased|wiped|saved|rated|recorded|stored|updated|changed|reset|cleared|"
    r"added|noted|logged|marked|banned|granted|sent|transferred|emailed"
)
_DONE_TO = r"deleted|removed|erased|wiped|saved|recorded|stored|reset|cleared|banned|transferred"
_CLAIM_RE = re.compile(
    r"^\W*(?:done|all done|all set|finished)\b"  # "Done, all users deleted."
    rf"|\bI(?:'ve|\s+have|\s+just|\s+also)?\s+(?:\w+\s+)?(?:{_DONE})\b"  # "I've saved ..."
    rf"|\b(?:has|have|were|was|is|are)\s+(?:now\s+)?(?:been\s+)?(?:{_DONE_TO})\b",  # "was saved"
    re.IGNORECASE,
)
_USER_RE = re.compile(r"\b(?:user|account|profile)\s*(?:id\s*)?(?:#|no\.?|number)?\s*(\d+)", re.I)


def unperformed_claim(line: str, wrote: bool, viewing: int | None) -> str | None:
    """Why ``line`` must not be shown: it claims an action no tool performed this turn (only
    ratings are ever written, so with no rating saved every such claim is false), or it says
    it acted for or about a user other than the one this session views as."""
    if not wrote and _CLAIM_RE.search(line):
        return "claims an action no tool performed"
    for match in _USER_RE.finditer(line):
        if viewing is None or int(match.group(1)) != viewing:
            return f"speaks of user {match.group(1)}"
    return None
