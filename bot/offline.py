"""The offline mode: a deterministic conversation over the same tools, no LLM needed.

Each message is parsed (:mod:`bot.nlu`), references like "the first one" are resolved against
the picks shown last, constraints ("something lighter", "from the 2000s", "nothing violent")
build up over turns in the dialogue state, the tools are called, and the reply is written from
templates that use the reasons the tools return. One handler per intent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.dialogue import DialogueState, RequestFilters
from bot.groups import join_code, read_group
from bot.nlu import QUESTION_INTENTS, Intent, Parse, Understander
from bot.opinions import Sentiment
from bot.registry import quoted
from bot.tools import Toolbox
from recommender.described import FIND_ONE_RE, Described, read_request
from recommender.engine import NOTHING_RATED

SHOWN = 5
# Intents whose whole point is the opinions in the message; they are answered by storing them.
OPINION_INTENTS = frozenset(
    {Intent.RATE, Intent.LIKE, Intent.DISLIKE, Intent.SEEN, Intent.RECOMMEND}
)
MARK_INTENTS = frozenset({Intent.SAVE, Intent.SEEN})  # lists, not stars
# Intents where naming a movie without a word about it still means liking it ("Heat, Ronin").
TASTE_INTENTS = frozenset(
    {Intent.RECOMMEND, Intent.LIKE, Intent.SIMILAR, Intent.TASTE, Intent.GROUP}
)
DESCRIBED_WORDS = 1  # content words that make a message a description of what is wanted
# Looking for one particular film ("what's that movie where..."): a faithful search.
_FIND_ONE_RE = re.compile(
    r"\b(?:what'?s|what is|whats)\s+(?:the|that)\s+(?:movie|film|one)\b|"
    r"^\W*(?:the|that|a)?\s*(?:movie|film|one)\s+(?:where|with|about|in which)\b|"
    r"\b(?:the|that)\s+(?:one|movie|film)\s+(?:where|with|in which)\b|"
    r"\bwhat'?s it called\b|\bsearch\b|\bname of (?:the|that|a) (?:movie|film)\b|"
    r"\b(?:trying to|can'?t|cannot|help me)\s+(?:find|remember|recall)\b|"
    r"\bwhich (?:movie|film) (?:has|is|was)\b|" + FIND_ONE_RE.pattern,  # "the pixar one with"
    re.IGNORECASE,
)
_THEN_ASKS = frozenset({Intent.RATE, Intent.DISLIKE, Intent.SEEN, Intent.DETAILS})
_FURTHER_ASK_RE = re.compile(
    r"(^|[.!?;]\s*|,\s*|\bthen\s+|\band\s+)(?:now\s+)?(?:anything|something|what about|"
    r"any (?:other|more)|recommend|suggest|show me|got any|give me)\b",
    re.IGNORECASE,
)
_ASKS_RE = re.compile(
    r"\b(?:recommend\w*|suggest\w*|what (?:should|else|next|now)|anything|something|ideas?|"
    r"more|others?|next|tips?|help|watch)\b|\?",
    re.IGNORECASE,
)

HELP = (
    "I recommend movies and tell you why. Try:\n"
    '- "recommend something" (add "sci-fi", "from the 90s", "nothing violent"...)\n'
    '- "more like Arrival" or "a heist film with a clever twist"\n'
    '- "I loved Amélie", "rate Toy Story 4 stars", "not for me"\n'
    '- "would I like Inception?", "what do people say about Fight Club?"\n'
    '- "what\'s my taste?", "who am I like?", "I\'m user 414" to see a MovieLens user\'s view'
)
LLM_HINT = (
    "(I'm in offline mode. For freer conversation, connect an LLM: set OPENAI_API_KEY, or "
    "OPENAI_BASE_URL for a local server such as Ollama; see the README.)"
)


@dataclass
class TurnResult:
    """The offline reply: its text and the notes shown beside it."""

    text: str
    notes: list[str] = field(default_factory=list)


_ABOUT_FOCUS = frozenset(  # intents that are about "it" when they name nothing
    {Intent.DISLIKE, Intent.LIKE, Intent.RATE, Intent.PREDICT, Intent.SENTIMENT, Intent.EXPLAIN}
)
Handler = Callable[[Toolbox, DialogueState, Parse], str]


class OfflineAgent:
    """Answers one message using the tools and the session's dialogue state."""

    def __init__(self, understander: Understander) -> None:
        self.nlu = understander
        self._handlers: dict[Intent, Handler] = {
            Intent.RECOMMEND: self._on_recommend,
            Intent.RATE: self._on_rate,
            Intent.LIKE: self._on_like,
            Intent.DISLIKE: self._on_dislike,
            Intent.SEEN: self._on_seen,
            Intent.SAVE: self._on_save,
            Intent.WATCHLIST: self._on_watchlist,
            Intent.GROUP: self._on_group,
            Intent.JOIN_GROUP: self._on_join_group,
            Intent.START_GROUP: self._on_start_group,
            Intent.PREDICT: self._on_predict,
            Intent.EXPLAIN: self._on_explain,
            Intent.SENTIMENT: self._on_sentiment,
            Intent.DETAILS: self._on_details,
            Intent.COMPARE: self._on_compare,
            Intent.SIMILAR: self._on_similar,
            Intent.SEARCH: self._on_search,
            Intent.TASTE: self._on_taste,
            Intent.PEOPLE: self._on_people,
            Intent.PROFILE: self._on_profile,
            Intent.GREETING: self._on_greeting,
            Intent.THANKS: self._on_thanks,
            Intent.BYE: self._on_bye,
            Intent.HELP: self._on_help,
            Intent.REFUSE: self._on_refuse,
            Intent.FOREIGN: self._on_foreign,
            Intent.EMPTY: self._on_empty,
            Intent.NONSENSE: self._on_nonsense,
            Intent.UNKNOWN: self._on_nonsense,
        }

    def respond(self, tools: Toolbox, state: DialogueState, message: str) -> TurnResult:
        parse = self.nlu.parse(message)
        saved, liked_any = self._save_opinions(tools, state, parse)
        if saved is not None and parse.intent in OPINION_INTENTS:
            text = self._after_opinions(tools, state, parse, saved, liked_any)
        else:
            text = self._handlers[parse.intent](tools, state, parse)
            if saved:
                text = f"{saved}\n{text}"
            if parse.intent in MARK_INTENTS and parse.has_constraints:
                # "save the second one for later, and something older please": then picks
                asked = replace(parse, mood=None, raw="")  # its words are about the saving
                text = f"{text}\n{self._on_recommend(tools, state, asked)}"
            elif parse.intent in _THEN_ASKS and self._asks_further(parse):
                # "seen that one, gave it a 4. what about a murder mystery but funny": then picks
                ask = _FURTHER_ASK_RE.search(parse.raw)
                words = parse.raw[ask.end(1) if ask else 0 :].strip(" .,;!")
                asked = replace(parse, refs=[], focus=False, titles=[], raw=words)
                text = f"{text}\n{self._on_recommend(tools, state, asked)}"
        text = self._ask_which(parse, text)
        state.last_intent = str(parse.intent)
        notes = ["Your message was very long, so I read its beginning."] if parse.truncated else []
        return TurnResult(text, notes)

    @staticmethod
    def _asks_further(parse: Parse) -> bool:
        """Does a message about one film go on to ask for picks of a kind ("the third one looks
        fun. anything a bit more recent though?")?"""
        return bool(_FURTHER_ASK_RE.search(parse.raw)) and (
            parse.has_constraints or parse.mood is not None
        )

    @staticmethod
    def _ask_which(parse: Parse, text: str) -> str:
        """A title the catalogue holds more than once ("Hamlet") is never guessed: the reply
        asks which one (alone when nothing else in the message was understood); a listed
        title it does not know is asked about after the known ones were used."""
        if parse.unknown_title and parse.titles and "I don't know" not in text:
            hint = f" Did you mean {_or(parse.suggestions)}?" if parse.suggestions else ""
            return f'{text}\nI don\'t know a movie called "{parse.unknown_title}".{hint}'
        if not parse.ambiguous:
            return text
        ask = f"Which one do you mean: {_or(parse.ambiguous)}? Tell me with the year."
        if ask.split("?")[0] in text:
            return text
        if not parse.titles and parse.intent in {Intent.NONSENSE, Intent.UNKNOWN}:
            return ask
        return f"{text}\n{ask}"

    # --- what the message says of movies ---------------------------------------------------

    def _save_opinions(
        self, tools: Toolbox, state: DialogueState, parse: Parse
    ) -> tuple[str | None, bool]:
        """Store every like, dislike and rating the message gives: what to say about it (None
        when it gives none) and whether anything was liked."""
        if parse.intent in QUESTION_INTENTS or not parse.opinions:
            return None, False
        liked, disliked, rated, errors = [], [], [], []
        liked_any = False
        for opinion in parse.opinions:
            stars = opinion.stored_stars
            if stars is None or not (opinion.explicit or parse.intent in TASTE_INTENTS):
                continue
            saved = tools.rate_movie(opinion.movie_id, stars)  # type: ignore[arg-type]
            if "error" in saved:
                errors.append(str(saved["error"]))
                continue
            liked_any = liked_any or saved["your_rating"] >= 4
            state.focus = opinion.movie_id
            if opinion.stars is not None:
                rated.append(f"{saved['title']}, {_stars(saved['your_rating'])}")
            elif opinion.sentiment is Sentiment.LIKE:
                liked.append(saved["title"])
            else:
                disliked.append(saved["title"])
        if parse.refs and parse.stars is not None and all(o.stars is None for o in parse.opinions):
            # "I'd give the first one 4/5, and Zodiac was great": the stars go to the pick
            shown = state.shown
            for movie_id in [shown[r] for r in parse.refs if -len(shown) <= r < len(shown)]:
                saved = tools.rate_movie(movie_id, parse.stars)  # type: ignore[arg-type]
                if "error" in saved:
                    errors.append(str(saved["error"]))
                else:
                    rated.append(f"{saved['title']}, {_stars(saved['your_rating'])}")
        parts = [f"Saved: {r}." for r in rated]
        if liked:
            parts.append(f"Noted: you liked {_and(liked)}.")
        if disliked:
            verb = "is" if len(disliked) == 1 else "are"
            parts.append(f"Noted: {_and(disliked)} {verb} not for you.")
        if not parts and not errors:
            return None, False
        return " ".join([*parts, *errors]), liked_any

    def _after_opinions(
        self, tools: Toolbox, state: DialogueState, parse: Parse, saved: str, liked_any: bool
    ) -> str:
        """After storing what was said: picks when something was liked or asked for."""
        asks = bool(_ASKS_RE.search(parse.raw)) or parse.has_constraints
        if asks or (liked_any and parse.intent != Intent.RATE):
            return f"{saved}\n{self._on_recommend(tools, state, parse)}"
        return f"{saved} {self._next_hint(tools, state)}"

    # --- targets -------------------------------------------------------------------------

    def _targets(self, state: DialogueState, parse: Parse) -> list[int] | str:
        """Movie ids the message is about, or a reply asking what is meant."""
        if parse.titles:
            return parse.movie_ids
        if parse.ambiguous:
            return f"Which one do you mean: {_or(parse.ambiguous)}?"
        if parse.unknown_title:
            hint = (
                f" Did you mean {_or(parse.suggestions)}?"
                if parse.suggestions
                else " Tell me a film or two from before then that you loved and I'll start there."
            )
            span = f" (my catalogue runs to {self.nlu.newest_year})"
            return f'I don\'t know a movie called "{parse.unknown_title}"{span}.{hint}'
        shown = state.shown
        if parse.refs:
            if not shown:
                return "I haven't suggested anything yet. Ask me for recommendations first!"
            picked = []
            for ref in parse.refs:
                if -len(shown) <= ref < len(shown):
                    picked.append(shown[ref])
                else:
                    return (
                        f"I only showed {len(shown)} movies; pick a number from 1 to {len(shown)}."
                    )
            return picked
        implicit = parse.intent in _ABOUT_FOCUS
        if (parse.focus or implicit) and state.focus:
            return [state.focus]
        return "Which movie do you mean? Tell me its title."

    def _for_each(
        self,
        state: DialogueState,
        parse: Parse,
        call: Callable[[int], dict[str, Any]],
        line: Callable[[dict[str, Any]], str],
        sep: str = " ",
    ) -> str:
        """Call a tool for every movie the message is about; one line per answer.

        A question back ("which one?") or the first tool error is the whole reply.
        """
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        lines = []
        for movie_id in targets:
            result = call(movie_id)
            if "error" in result:
                return str(result["error"])
            state.focus = movie_id
            lines.append(line(result))
        return sep.join(lines)

    # --- recommendations -----------------------------------------------------------------

    def _on_recommend(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        request = read_request(parse.raw)
        wanted = request.wanted  # "nothing violent" only refines the last one
        if not parse.titles and self._describes(request, parse):
            # a new description of what they want: its own words, and a fresh request
            parse.mood, parse.clear_filters = parse.raw, True
        elif not wanted.strip() and request.ruled_out and state.filters.mood:
            # "not too stupid though": what it rules out joins the request's words
            parse.mood = f"{state.filters.mood}; {parse.raw}"
        filters = self._merge_filters(state, parse)
        exclude = state.shown if parse.more and not parse.has_constraints else []
        result = tools.recommend_for_me(
            genres=filters.genres,
            exclude_genres=filters.exclude_genres,
            year_from=filters.year_min,
            year_to=filters.year_max,
            mood=filters.mood,
            k=SHOWN,
            exclude=[*exclude, *state.seen, *self._ruled_out(parse)],
            all_genres=filters.all_genres,
            no_subtitles=filters.no_subtitles,
        )
        if "error" in result:
            return result["error"]
        return self._picks_reply(tools, state, result, filters)

    def _ruled_out(self, parse: Parse) -> list[int]:
        """The films an "anything but X" names, with X's franchise ("anything but Star Wars")."""
        ruled = [o for o in parse.opinions if o.ruled_out]
        return [
            movie_id
            for o in ruled
            for movie_id in (o.movie_id, *self.nlu.spotter.franchise(o.words))
        ]

    def _describes(self, request: Described, parse: Parse) -> bool:
        """Whether the message describes a film of its own: words beyond filler and genres,
        or a kind of film with what it must not be ("a scary movie that isn't just jump
        scares"), where "nothing violent" alone only refines the last request."""
        if len(self.nlu.descriptive(request.wanted)) >= DESCRIBED_WORDS:
            return True
        ruled = [w for phrase in request.ruled_out for w in self.nlu.descriptive(phrase)]
        return bool(parse.genres and ruled)

    def _merge_filters(self, state: DialogueState, parse: Parse) -> RequestFilters:
        """Constraints build up over turns; new genres replace old ones; "start over" clears."""
        old = RequestFilters() if parse.clear_filters else state.filters
        merged = RequestFilters(
            genres=parse.genres or old.genres,
            exclude_genres=sorted(
                (set(old.exclude_genres) - set(parse.genres)) | set(parse.exclude_genres)
            ),
            year_min=parse.year_min if parse.year_min is not None else old.year_min,
            year_max=parse.year_max if parse.year_max is not None else old.year_max,
            mood=parse.mood or old.mood,
            all_genres=parse.all_genres if parse.genres else old.all_genres,
            no_subtitles=parse.no_subtitles or old.no_subtitles,
        )
        if parse.year_min is not None and parse.year_max is None and old.year_max:
            merged.year_max = None if old.year_max < parse.year_min else old.year_max
        merged.genres = [g for g in merged.genres if g not in merged.exclude_genres]
        state.filters = merged
        return merged

    def _picks_reply(
        self, tools: Toolbox, state: DialogueState, result: dict[str, Any], filters: RequestFilters
    ) -> str:
        picks = result["picks"]
        notes = [n for n in result.get("notes", []) if n != NOTHING_RATED]  # said by the opening
        if not picks:
            return (
                " ".join(notes) or 'Nothing fits all of that. Say "start over" to drop the filters.'
            )
        state.shown = [tools.engine.resolve(p["title"]) for p in picks]
        state.focus = state.shown[0]
        lines = [self._opening(result, filters)]
        lines += [f"{i}. {_pick_line(p)}" for i, p in enumerate(picks, 1)]
        lines += notes
        lines.append(self._follow_up(result))
        return _blocks(lines)

    @staticmethod
    def _opening(result: dict[str, Any], filters: RequestFilters) -> str:
        wanted = _describe_filters(filters)
        suffix = f" ({wanted})" if wanted else ""
        basis = result["basis"]
        if basis == "popular":
            return f"You're new here, so here are well-loved crowd favourites{suffix}:"
        if basis == "steered":
            return f"Here are well-loved picks, steering clear of what you didn't like{suffix}:"
        if basis == "text":
            return f"Going by what you described{suffix}, try these:"
        if basis == "known user":
            return f"From everything you've rated, these should suit you{suffix}:"
        return f"Based on what you've told me, I think you'll like these{suffix}:"

    @staticmethod
    def _follow_up(result: dict[str, Any]) -> str:
        if result["basis"] in {"popular", "steered"}:
            return "Tell me two or three movies you love and I'll make it personal."
        return 'Rate any of them ("the first one: 4 stars") or say "not for me" and I\'ll adjust.'

    # --- opinions and ratings --------------------------------------------------------------

    def _on_rate(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        stars = parse.stars if parse.stars is not None else float("nan")
        reply = self._for_each(
            state,
            parse,
            lambda movie_id: tools.rate_movie(movie_id, stars),
            lambda saved: f"Saved: {saved['title']}, {_stars(saved['your_rating'])}.",
        )
        if not reply.startswith("Saved:") or self._asks_further(parse):
            return reply  # picks follow when the message asks for more
        return reply + " " + self._next_hint(tools, state)

    def _on_like(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        titles = []
        for movie_id in targets:
            saved = tools.rate_movie(movie_id, 4.5)
            if "error" in saved:
                return saved["error"]
            titles.append(saved["title"])
        state.focus = targets[-1]
        result = tools.recommend_for_me(k=SHOWN, exclude=state.seen)
        head = f"Noted: you liked {_and(titles)}."
        if "error" in result or not result["picks"]:
            return head
        return head + " " + self._picks_reply(tools, state, result, RequestFilters())

    def _on_dislike(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        titles = []
        for movie_id in targets:
            saved = tools.not_for_me(movie_id)
            if "error" in saved:
                return saved["error"]
            titles.append(saved["title"])
        state.shown = [m for m in state.shown if m not in targets]
        hint = "" if self._asks_further(parse) else " " + self._next_hint(tools, state)
        return (
            f"Got it, {_and(titles)} is not for you. I won't suggest it again, and movies like "
            "it will rank lower." + hint
        )

    def _on_seen(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        after_list = state.last_intent in _LISTING and len(state.shown) > 1
        if after_list and _ALL_SHOWN_RE.search(parse.raw):
            n = len(state.shown)
            for movie_id in state.shown:
                tools.mark_seen(movie_id)
            state.seen = sorted(set(state.seen) | set(state.shown))
            fresh = replace(parse, raw="", mood=None, more=True)
            return f"OK, you've seen all {n}; I'll leave them out.\n" + self._on_recommend(
                tools, state, fresh
            )
        if not (parse.titles or parse.refs) and after_list:
            return (
                'Which one have you seen? Say "the second one" or its title, and I\'ll leave it '
                "out from now on."
            )
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        state.seen = sorted(set(state.seen) | set(targets))
        titles = [tools.mark_seen(m)["title"] for m in targets]
        return (
            f"OK, you've seen {_and(titles)}; I'll leave it out from now on. Did you like it? "
            'Give it stars ("4 stars") and your picks will sharpen.'
        )

    def _on_save(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        titles = [tools.save_for_later(m)["title"] for m in targets]
        state.shown = [m for m in state.shown if m not in targets]
        n = len(tools.store.load(tools.session_id).watchlist)
        return (
            f"Saved {_and(titles)} for later: {n} movie{'s' if n != 1 else ''} on your "
            'watchlist. Ask "what\'s on my list?" when you want them ranked for tonight.'
        )

    def _on_watchlist(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        result = tools.my_watchlist()
        listed = result["watchlist"]
        if not listed:
            return (
                'Your watchlist is empty. Say "save that one for later" after a suggestion, '
                "or press + Watchlist under it."
            )
        state.shown = [tools.engine.movie(m["title"]).movieId for m in listed[:SHOWN]]
        lines = [
            "From your watchlist, best first for you:"
            if result["personal"]
            else "Your watchlist (rate a few movies and I'll rank it for you):"
        ]
        for n, movie in enumerate(listed, 1):
            stars = f": ~{movie['predicted_stars']:.1f}★ for you" if result["personal"] else ""
            lines.append(f"{n}. {movie['title']}{stars}")
        lines.append('Seen one? Say "I\'ve seen the first one" and it leaves the list.')
        return _blocks(lines)

    # --- group nights ------------------------------------------------------------------------

    def _on_group(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        ask = read_group(parse.raw, self.nlu.title_spans(parse.raw, parse))
        people = [{"name": m.name, "likes": m.words} for m in ask.members if not m.speaker]
        mine = " ".join(m.taste_words for m in ask.members if m.speaker)
        result = tools.group_picks(people, my_words=mine, request=ask.rest)
        if "error" in result:
            return str(result["error"])
        picks = result["picks"]
        if not picks:
            return " ".join(result["notes"]) or "Nothing fits everyone's constraints together."
        state.shown = [p["movieId"] for p in picks]
        state.focus = state.shown[0]
        names = _and([_name(n) for n in result["members"]])
        rules = f" ({result['constraints']})" if result["constraints"] else ""
        lines = [f"For {names}{rules}, these should suit all of you:"]
        lines += [f"{i}. {_group_line(p)}" for i, p in enumerate(picks, 1)]
        if ask.count and ask.count > len(result["members"]):
            lines.append(
                f"You said you're {ask.count}; I only know about {len(result['members'])}. "
                "Tell me about the others and I'll include them."
            )
        lines += result["notes"]
        lines.append("Rate any of them for yourself, or tell me more about anyone's taste.")
        return _blocks(lines)

    def _on_start_group(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        group = tools.start_group()
        if "error" in group:
            return str(group["error"])
        return (
            f"Your group code is **{group['code']}** (it works for a week). Friends join by "
            f'saying "join {group["code"]}" here, on the page\'s Group night tab, or with '
            f'/join {group["code"]} on Telegram. Then say "group night" and I\'ll pick for '
            "everyone, from each person's own ratings."
        )

    def _on_join_group(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        group = tools.join_group(join_code(parse.raw) or "")
        if "error" in group:
            return str(group["error"])
        others = [m["name"] for m in group["members"] if not m["you"]]
        you = next(m["name"] for m in group["members"] if m["you"])
        with_whom = f" with {_and(others)}" if others else ""
        return (
            f'You\'re in group {group["code"]} as {you}{with_whom}. Say "group night" for picks '
            "that suit everyone; your own ratings count for you."
        )

    @staticmethod
    def _next_hint(tools: Toolbox, state: DialogueState) -> str:
        n = len(tools.store.load(tools.session_id).given)
        return (
            f"You've rated {n} movie{'s' if n != 1 else ''} so far; "
            "ask for recommendations whenever you like."
        )

    # --- questions about a movie -----------------------------------------------------------

    def _on_predict(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return self._for_each(state, parse, tools.predict_my_rating, _prediction_line)

    def _on_explain(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        movie_id = targets[0]
        state.focus = movie_id
        prediction = tools.predict_my_rating(movie_id)
        sentiment = tools.tag_sentiment(movie_id)
        if "error" in prediction:
            return prediction["error"]
        reasons = [f"I predict you'd give it {_stars(prediction['predicted_stars'])}"]
        if prediction.get("avg_rating"):
            reasons.append(
                f"{prediction['n_ratings']} MovieLens users rate it "
                f"{prediction['avg_rating']:.1f} on average"
            )
        if sentiment.get("tags_praise"):
            reasons.append(f'people tag it "{_and(sentiment["tags_praise"][:3])}"')
        return f"Why {prediction['title']}? " + "; ".join(reasons) + "."

    def _on_sentiment(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return self._for_each(state, parse, tools.tag_sentiment, _sentiment_line, "\n")

    def _on_details(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        result = tools.movie_details(targets[0])
        if "error" in result:
            return result["error"]
        state.focus = targets[0]
        parts = [f"{result['title']} ({', '.join(result['genres'])})."]
        if result.get("description"):
            parts.append(result["description"])
        credits = []
        if result.get("director"):
            credits.append(f"Directed by {result['director']}")
        if result.get("actors"):
            credits.append(f"with {result['actors']}")
        if credits:
            parts.append(" ".join(credits) + ".")
        if result.get("avg_rating"):
            parts.append(
                f"MovieLens users rate it {result['avg_rating']:.1f}/5 "
                f"({result['n_ratings']} ratings)."
            )
        if result.get("top_tags"):
            parts.append(f"Tagged: {', '.join(result['top_tags'][:5])}.")
        parts.append("Would you like to know if it suits you, or movies like it?")
        return " ".join(parts)

    def _on_compare(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        rows = []
        for movie_id in targets[:3]:
            details = tools.movie_details(movie_id)
            if "error" in details:
                return details["error"]
            predicted = tools.predict_my_rating(movie_id)
            rows.append((details, predicted))
        rated = [r for r in rows if r[0].get("avg_rating")]
        lines = []
        for details, predicted in rows:
            line = f"- {details['title']}: "
            if details.get("avg_rating"):
                line += f"{details['avg_rating']:.2f}/5 from {details['n_ratings']} ratings"
            else:
                line += "no ratings yet"
            line += f", tag sentiment {details['tag_sentiment']:+.2f}"
            if "note" not in predicted and "predicted_stars" in predicted:
                line += f"; for you ~{predicted['predicted_stars']:.1f}★"
            lines.append(line)
        if len(rated) >= 2:
            ranked = sorted(rated, key=lambda r: (r[0]["avg_rating"], r[0]["n_ratings"]))
            best, runner = ranked[-1][0], ranked[-2][0]
            if best["avg_rating"] - runner["avg_rating"] < 0.05:
                lines.insert(
                    0,
                    f"They're about equally loved; {best['title']} has more ratings and "
                    f"the warmer tags decide the rest:",
                )
            else:
                lines.insert(0, f"{best['title']} is the better loved:")
        state.focus = targets[0]
        return _blocks(lines)

    # --- discovery -------------------------------------------------------------------------

    def _on_similar(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        targets = self._targets(state, parse)
        if isinstance(targets, str):
            return targets
        result = tools.similar_movies(targets[0], k=SHOWN)
        if "error" in result:
            return result["error"]
        liked = result["people_who_liked_it_also_liked"]
        story = result.get("similar_stories", [])
        shown = []
        lines = []
        if liked:
            lines.append(f"People who liked {result['movie']} also liked:")
            for movie in liked[:SHOWN]:
                shown.append(movie["title"])
                lines.append(f"{len(shown)}. {movie['title']}{_avg(movie)}")
        fresh = [m for m in story if m["title"] not in shown][:3]
        if fresh:
            lines.append("With a similar story:")
            for movie in fresh:
                shown.append(movie["title"])
                lines.append(f"{len(shown)}. {movie['title']}{_avg(movie)}")
        if not shown:
            return f"I couldn't find movies like {result['movie']} yet."
        state.shown = [tools.engine.resolve(t) for t in shown]
        state.focus = targets[0]
        return _blocks(lines)

    def _on_search(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        if not _FIND_ONE_RE.search(parse.raw):  # describing what they want: recommend
            return self._on_recommend(tools, state, parse)
        query = parse.raw
        result = tools.search_by_description(  # the plot's words are no filters ("the kid")
            query,
            genres=[],
            exclude_genres=[],
            year_from=parse.year_min,
            year_to=parse.year_max,
            k=SHOWN,
        )
        if "error" in result:
            return result["error"]
        hits = result["results"]
        if not hits:
            return " ".join(result.get("notes", [])) or "Nothing matched that description."
        state.shown = [tools.engine.resolve(h["title"]) for h in hits]
        state.focus = state.shown[0]
        lines = ["These match your description best:"]
        lines += [f"{i}. {h['title']}{_avg(h)}: {h['snippet']}" for i, h in enumerate(hits, 1)]
        lines += result.get("notes", [])
        return _blocks(lines)

    def _on_taste(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        result = tools.my_taste_cluster()
        if "error" in result:
            return result["error"]
        if result["based_on"].startswith("nothing"):
            return (
                "I don't know your taste yet. Tell me a few movies you love, or rate some, "
                "and I'll tell you which group of viewers you belong to."
            )
        return (
            f'You\'re in the "{result["cluster"]}" group ({result["share_of_users"]:.0%} of '
            f"viewers). They love {_and(result['loves_genres'])} and are cool on "
            f"{_and(result['cool_on_genres'])}. Their signature films: "
            f"{_and(result['signature_movies'][:4])}. (Based on {result['based_on']}.)"
        )

    def _on_people(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        result = tools.people_like_me()
        if "error" in result:
            return result["error"]
        if not result["similar_users"]:
            return (
                "I need a few more of your ratings to find people with your taste: rate "
                "three or four movies you've seen."
            )
        loved = result["they_loved"]
        n = result["similar_users"]
        lines = [
            f"I found {n} MovieLens user{'s' if n != 1 else ''} who rated at least three of "
            f"your movies and agree with you on them (up to {result['most_in_common']} in common)."
        ]
        if loved:
            lines.append("Movies they loved that you haven't rated:")
            lines += [
                f"{i}. {m['title']} (loved by {m['loved_by']} of them)"
                for i, m in enumerate(loved[:SHOWN], 1)
            ]
            state.shown = [tools.engine.resolve(m["title"]) for m in loved[:SHOWN]]
        return _blocks(lines)

    def _on_profile(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return describe_profile(tools.my_profile())

    # --- small talk and the rest -----------------------------------------------------------

    def _on_greeting(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return (
            "Hi! I'm moviebot. Tell me a movie you love, describe what you're in the mood "
            'for, or just say "recommend something".'
        )

    def _on_thanks(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return "You're welcome! Enjoy the movie, and tell me how you liked it."

    def _on_bye(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return "Bye! Your ratings are saved for next time."

    def _on_help(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return HELP

    def _on_refuse(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return (
            "I can't do that: I only see and change your own profile, and my instructions "
            "stay as they are. I'm happy to recommend you a movie, though!"
        )

    def _on_foreign(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return (
            "Sorry, I only speak English for now. Could you ask me in English? For example: "
            '"recommend a comedy from the 90s".'
        )

    def _on_empty(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return 'Say something and I\'ll find you a movie, for example "recommend something".'

    def _on_nonsense(self, tools: Toolbox, state: DialogueState, parse: Parse) -> str:
        return (
            "Sorry, I didn't get that. You can name a movie you like, describe a story, or "
            'say "help" to see what I can do.'
        )


def describe_profile(profile: dict[str, Any]) -> str:
    """A person's profile in a few lines (for "what do you know about me" and /me)."""
    lines = []
    if profile["viewing_as_movielens_user"] is not None:
        lines.append(
            f"You're viewing as MovieLens user {profile['viewing_as_movielens_user']} "
            "(their ratings are read-only; ratings you give go to your own profile)."
        )
    given = profile["given"]
    if not given:
        lines.append("You haven't rated anything here yet.")
    else:
        lines.append(f"You've rated {len(given)} movie{'s' if len(given) != 1 else ''}:")
        lines += [
            f"- {g['title']}: " + ("not for me" if g["kind"] == "dislike" else _stars(g["stars"]))
            for g in given[-15:]
        ]
    return "\n".join(lines)


# --- wording helpers --------------------------------------------------------------------

_ITEM_RE = re.compile(r"^(?:\d+\.|-) ")


def _blocks(lines: list[str]) -> str:
    """Lines as Markdown: a blank line after a list, so what follows is not part of its last
    item (renderers put "Rate any of them..." inside item 5 otherwise)."""
    out: list[str] = []
    for line in lines:
        if out and _ITEM_RE.match(out[-1]) and not _ITEM_RE.match(line):
            out.append("")
        out.append(line)
    return "\n".join(out)


def _pick_line(pick: dict[str, Any]) -> str:
    """One pick and its best reasons, in a line."""
    why = [f"~{pick['predicted_stars']:.1f}★ for you"]
    if pick.get("because_you_liked"):
        why.append(f"like {_and(pick['because_you_liked'][:2])}, which you enjoyed")
    if pick.get("similar_users_who_loved_it"):
        n = pick["similar_users_who_loved_it"]
        why.append(f"{n} viewer{'s' if n != 1 else ''} with your taste loved it")
    elif pick.get("watched_by_people_like_you") and not pick.get("because_you_liked"):
        why.append("people with a viewing history like yours watch it")
    if pick.get("matches_mood") is not None and pick["matches_mood"] > 0.3:
        why.append("fits what you described")
    if pick.get("tags_praise"):
        why.append(f'tagged "{_and(pick["tags_praise"][:2])}"')
    elif pick.get("avg_rating") and not pick.get("because_you_liked"):
        n = pick["n_ratings"]
        why.append(f"rated {pick['avg_rating']:.1f}/5 by {n:,} {'person' if n == 1 else 'people'}")
    return f"{pick['title']}: " + "; ".join(why[:3])


def _name(name: str) -> str:
    return "you" if name == "you" else name


def _group_line(pick: dict[str, Any]) -> str:
    """A group pick and how it suits each person, in a line."""
    parts = []
    for fit in pick["for_each"]:
        who = fit["name"]
        if "predicted_stars" in fit:
            why = f"~{fit['predicted_stars']:.1f}★"
            if fit.get("because_they_liked"):
                why += f", like {fit['because_they_liked'][0]}"
        elif fit.get("matches_their_words"):
            why = f"fits {quoted(fit['matches_their_words'])} (top {fit['top_percent']}%)"
        else:
            n = pick.get("n_ratings", 0)
            why = (
                f"well loved ({pick.get('avg_rating', 0):.1f}/5 from {n:,})" if n else "a safe bet"
            )
        parts.append(f"{who}: {why}")
    return f"{pick['title']}: " + "; ".join(parts)


def _prediction_line(result: dict[str, Any]) -> str:
    if "you_rated" in result:
        return f"You rated {result['title']} {_stars(result['you_rated'])} already."
    if "note" in result:
        return (
            f"I can't personalize yet: everyone gives {result['title']} about "
            f"{_stars(result['predicted_stars'])} on average. Rate a few movies and ask again."
        )
    return (
        f"I'd guess you'd give {result['title']} about "
        f"{_stars(result['predicted_stars'])}: {_verdict(result['predicted_stars'])}."
    )


def _sentiment_line(result: dict[str, Any]) -> str:
    if not result["n_tags"]:
        return f"Nobody has tagged {result['title']} yet, so I can't say what people think."
    score = result["tag_sentiment"]
    mood = (
        "warmly"
        if score > 0.2
        else "mostly kindly"
        if score > 0.05
        else ("harshly" if score < -0.2 else "with mixed feelings")
    )
    line = (
        f"People tag {result['title']} {mood} (sentiment {score:+.2f} over {result['n_tags']} tags)"
    )
    if result["tags_praise"]:
        line += f"; praise: {_and(result['tags_praise'][:3])}"
    if result["tags_criticize"]:
        line += f"; complaints: {_and(result['tags_criticize'][:3])}"
    return line + "."


_ALL_SHOWN_RE = re.compile(
    r"\b(?:all|each|every one|both) of (?:these|them|those)\b|\b(?:seen|watched) (?:them|these|"
    r"those) all\b|\bseen (?:all|every) (?:these|them|those)\b",
    re.I,
)
_LISTING = frozenset({Intent.RECOMMEND.value, Intent.SIMILAR.value, Intent.SEARCH.value})


def _describe_filters(filters: RequestFilters) -> str:
    parts = []
    if filters.genres:
        parts.append(" or ".join(filters.genres).lower())
    if filters.year_min and filters.year_max:
        parts.append(f"{filters.year_min}-{filters.year_max}")
    elif filters.year_min:
        parts.append(f"from {filters.year_min} on")
    elif filters.year_max:
        parts.append(f"up to {filters.year_max}")
    if filters.exclude_genres:
        parts.append("no " + ", ".join(g.lower() for g in filters.exclude_genres))
    if filters.no_subtitles:
        parts.append("in English")
    if filters.mood:
        parts.append(filters.mood)
    return "; ".join(parts)


def _avg(movie: dict[str, Any]) -> str:
    return f" (MovieLens average {movie['avg_rating']:.1f}/5)" if movie.get("avg_rating") else ""


def _stars(value: float) -> str:
    return f"{value:g} star{'s' if value != 1 else ''}"


def _verdict(stars: float) -> str:
    if stars >= 4.2:
        return "I think you'll love it"
    if stars >= 3.6:
        return "likely a good match"
    if stars >= 3.0:
        return "could go either way"
    return "probably not your thing"


def _and(items: list[str]) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
