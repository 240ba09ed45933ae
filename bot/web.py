"""The web page: chat with visible steps, rate what was suggested, my taste, explore the data.

A thin layer over :class:`~bot.session.ChatService`. Each browser keeps a random session token
in ``localStorage`` (Gradio's ``BrowserState``, encrypted with a secret kept in the user-data
folder, so it survives reloads and restarts); the page maps it to the session ``web:<token>``.
Clients without a browser (gradio_client) get a session per connection the same way.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import gradio as gr
import pandas as pd

from bot.cards import Card, card_markdown
from bot.events import Reply, plain
from bot.linking import linked_text
from bot.profiles import Mark
from bot.session import ChatService
from bot.tastemap import taste_map_html
from recommender.engine import MIN_PLACED
from recommender.errors import MovieBotError
from recommender.tmdb import ATTRIBUTION

log = logging.getLogger(__name__)

STORAGE_KEY = "moviebot-session"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_PICKS = 8
WATCHLIST_SHOWN = 20
STAR_CHOICES = [
    (f"{int(v) if v >= 1 else ''}{'½' if v % 1 else ''}★", v)
    for v in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
]  # ½★ 1★ 1½★ ... 5★: the chat takes half stars, so does the page
WATCHLIST, ON_WATCHLIST, SEEN, WAS_SEEN = "+ Watchlist", "✓ On watchlist", "Seen it", "✓ Seen"
EXAMPLES = [
    "I loved Inception and Arrival",
    "something cosy for a rainy evening",
    "what is my taste?",
    "a heist film with a twist",
]
VIEW_AS_EXAMPLE = "I'm user 414"  # offered only where viewing as a dataset user is on
YOU = "★ You are here"
PALETTE = [  # Tableau 10, minus the black-ish grey kept for "you"
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
]
CSS = """
.taste-map .map-title { font-weight: 600; margin-bottom: 4px; }
.taste-map .map-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 6px;
  font-size: 0.9em; }
.taste-map .swatch { display: inline-block; width: 11px; height: 11px; border-radius: 50%;
  margin-right: 5px; vertical-align: -1px; }
.pick-row { gap: 4px; padding: 8px 12px; border: 1px solid var(--border-color-primary);
  border-radius: 10px; margin-bottom: 8px; }
.pick-row .pick-title p { margin: 0 0 2px 0; }
.pick-row .pick-title img { float: left; width: 92px; height: auto; margin: 0 12px 4px 0;
  border-radius: 6px; }  /* the TMDB poster beside the card's lines */
.pick-row .pick-actions { clear: both; }
.pick-actions { align-items: center; gap: 6px; flex-wrap: wrap !important; }
.pick-stars .wrap { gap: 2px !important; }
.pick-stars label { padding: 2px 6px !important; min-width: 0 !important; }
#banner { padding: 6px 12px; border-radius: 8px; }
@media (max-width: 640px) {  /* phones: the title on a line of its own, never letter by letter */
  .pick-row .pick-title { flex: 1 1 100% !important; min-width: 100% !important; }
  .pick-actions .pick-stars { flex: 1 1 100% !important; }
}
"""
Outputs = tuple[Any, ...]
NOT_FOR_ME = "not for me"


def web_session(token: str) -> str:
    return f"web:{token}"


def new_token() -> str:
    return secrets.token_urlsafe(18)


class WebPage:
    """Builds the Gradio page; every handler is a short method over the chat service."""

    def __init__(self, service: ChatService, secret: str) -> None:
        self.service = service
        self.engine = service.engine
        self.secret = secret

    @property
    def _examples(self) -> list[str]:
        return [*EXAMPLES, VIEW_AS_EXAMPLE] if self.service.view_as_users else EXAMPLES

    # --- identity ---------------------------------------------------------------------------

    def on_load(self, token: str | None, request: gr.Request | None = None) -> Outputs:
        """Pick up this browser's session (or start one), restore its conversation, open the box.

        The message box and Send start disabled: a message sent before the session is restored
        would be answered and then overwritten by the restored (older) conversation. A page
        opened at ``/?link=TOKEN`` (from a platform's account page) links this browser first.
        """
        if not token or not _TOKEN_RE.fullmatch(str(token)):
            token = new_token()
        link = request.query_params.get("link") if request is not None else None
        if link:
            self._link(web_session(token), link)
        history = [
            {"role": role, "content": plain(content)}
            for role, content in self.service.store.history(web_session(token))
        ]
        ready = gr.update(interactive=True)
        return (token, token, history, ready, ready)

    def _link(self, session: str, link: str) -> None:
        """Redeem a link token; the outcome is said in the conversation."""
        try:
            linked = self.service.link(session, link)
        except MovieBotError as err:
            self.service.store.append(session, "assistant", str(err))
            return
        if linked.fresh:  # not again on every reload of the same address
            self.service.store.append(session, "assistant", linked_text(linked))

    def _session(self, token: str | None) -> tuple[str, str]:
        token = token if token and _TOKEN_RE.fullmatch(str(token)) else new_token()
        return token, web_session(token)

    # --- chat -------------------------------------------------------------------------------

    def respond(
        self, message: str, history: list[dict[str, Any]] | None, token: str | None
    ) -> Iterator[Outputs]:
        """Stream one turn: a live "working" step, the text as it comes, then the steps."""
        token, session = self._session(token)
        history = [*(history or []), {"role": "user", "content": plain(message or "")}]
        work: dict[str, Any] = {
            "role": "assistant",
            "content": "",
            "metadata": {"title": "Thinking...", "status": "pending"},
        }
        text, reply = "", None
        yield [*history, work], "", token, gr.skip()
        for event in self.service.stream(session, message or ""):
            if event.kind == "status":
                work["metadata"]["title"] = plain(event.text)
            elif event.kind == "text":
                text += plain(event.text)
            elif event.kind == "done":
                reply = event.reply
                continue
            shown = [{"role": "assistant", "content": text}] if text else []
            yield [*history, work, *shown], "", token, gr.skip()
        assert reply is not None
        picks = [list(p) for p in self.service.suggested(session, reply, MAX_PICKS)]
        yield [*history, *_finished(reply)], "", token, picks

    def example(self, data: gr.SelectData) -> str:
        """An example prompt clicked: put it in the box (the chain then sends it)."""
        value = data.value
        return str(value.get("text", "") if isinstance(value, dict) else value)

    def new_conversation(self, token: str | None) -> Outputs:
        """Clear the conversation; ratings stay."""
        token, session = self._session(token)
        self.service.reset(session)
        return [], [], token

    def start_over(self, token: str | None) -> Outputs:
        """Forget everything this browser told the bot."""
        token, session = self._session(token)
        self.service.reset(session, everything=True)
        gr.Info("Started over: your ratings and conversation are gone.")
        return ([], [], token, *self.taste_view(token))

    # --- ratings ----------------------------------------------------------------------------

    def rate_pick(self, movie_id: int, stars: float | None, token: str | None) -> Outputs:
        """Stars clicked under a pick."""
        token, session = self._session(token)
        if stars is None:
            return self.taste_view(token)
        result = self.service.rate(session, movie_id, float(stars))
        _toast(result, f"Saved: {result.get('title')}, {stars:g}★. Your next picks use it.")
        return self.taste_view(token)

    def reject_pick(self, movie_id: int, picks: list[list[Any]], token: str | None) -> Outputs:
        """ "Not for me" under a pick: it leaves the list and never comes back."""
        token, session = self._session(token)
        result = self.service.not_for_me(session, movie_id)
        _toast(result, f"Got it: {result.get('title')} won't come back, nor much like it.")
        kept = [p for p in picks or [] if int(p[0]) != movie_id]
        return (kept, *self.taste_view(token))

    def toggle_mark(self, movie_id: int, mark: Mark, marked: int, token: str | None) -> Outputs:
        """ "+ Watchlist" / "Seen it" under a pick: on, or off again."""
        token, session = self._session(token)
        profile = self.service.store.load(session)
        on = movie_id not in (profile.watchlist if mark == "watchlist" else profile.seen)
        card = self.service.mark(session, movie_id, mark, on)
        done = {
            ("watchlist", True): f"{card.display} is on your watchlist.",
            ("watchlist", False): f"{card.display} is off your watchlist.",
            ("seen", True): f"Marked {card.display} as seen: it won't be suggested again.",
            ("seen", False): f"{card.display} is no longer marked as seen.",
        }[(mark, on)]
        gr.Info(done)
        return (int(marked or 0) + 1, *self.taste_view(token))

    def rate_form(self, title: str, stars: float, token: str | None) -> Outputs:
        """Rate any movie by title from the taste tab."""
        token, session = self._session(token)
        if not (title or "").strip():
            return ("Type a movie title first.", token, *self.taste_view(token))
        result = self.service.rate(session, title.strip(), stars)
        message = result.get("error") or f"Saved: {result['title']}, {result['your_rating']:g}★."
        return (message, token, *self.taste_view(token))

    def forget_form(self, title: str, token: str | None) -> Outputs:
        """Remove one of my ratings by title."""
        token, session = self._session(token)
        try:
            movie = self.engine.movie((title or "").strip())
            removed = self.service.forget(session, movie.movieId)
        except MovieBotError as err:
            return (str(err), token, *self.taste_view(token))
        message = f"Removed {movie.display}." if removed else f"You hadn't rated {movie.display}."
        return (message, token, *self.taste_view(token))

    def edit_table(self, table: pd.DataFrame, token: str | None) -> Outputs:
        """Stars edited in the ratings table: save changes; an empty or 0 cell removes it."""
        token, session = self._session(token)
        given = self.service.store.load(session).given
        by_title = {self.engine.catalog.display(m): m for m in given}
        problems = []
        for _, row in (table if table is not None else pd.DataFrame()).iterrows():
            movie_id = by_title.get(str(row.get("Movie", "")))
            if movie_id is None:
                continue
            cell = row.get("Stars")
            if _cleared(cell):
                self.service.forget(session, movie_id)
                continue
            if str(cell).strip().lower() == NOT_FOR_ME.lower():
                continue  # left as it was
            stars = pd.to_numeric(pd.Series([str(cell).replace(",", ".")]), errors="coerce").iloc[0]
            if pd.isna(stars):  # a typo keeps the rating as it was
                problems.append(f"{row['Movie']}: {cell!r} is not a number of stars (0.5 to 5).")
            elif float(stars) != given[movie_id].stars:
                result = self.service.rate(session, movie_id, float(stars))
                if "error" in result:
                    problems.append(result["error"])
        message = " ".join(problems) or "Saved your changes."
        return (message, token, *self.taste_view(token))

    # --- my taste ---------------------------------------------------------------------------

    def taste_view(self, token: str | None) -> Outputs:
        """Summary, ratings table, cluster, map, people like me and the watchlist."""
        token, session = self._session(token)
        profile = self.service.profile(session)
        given = profile.get("given", [])
        placement = self.service.taste_map(session)
        points = placement.points[["x", "y", "cluster", "userId"]].assign(
            cluster=lambda d: d["cluster"].map(self._legend_names)
        )
        colours = {n: c for n, c in self._cluster_colours().items() if n != YOU}
        you = placement.you if placement.placed else None
        return (
            _summary(profile, placement),
            _ratings_table(given),
            self._cluster_text(session, placement.placed),
            taste_map_html(points, colours, you),
            self._people_text(session, placement.placed),
            self._kept_text(session),
            self._kept_ids(session),
        )

    def _kept_ids(self, session: str) -> list[list[Any]]:
        """The watchlist, best first for this person (predicted stars; newest first before
        they rated anything), as the cards panel takes it."""
        cards = self.service.watchlist(session)
        ranked = sorted(cards, key=lambda c: -(c.predicted_stars or 0.0))
        return [[c.movie_id, c.display] for c in ranked]

    def _kept_text(self, session: str) -> str:
        """The watchlist (with links) and how many movies are marked seen."""
        profile = self.service.store.load(session)
        lines = ["**My watchlist**"]
        if not profile.watchlist:
            lines.append("Nothing yet: press **+ Watchlist** under a suggestion to keep it.")
        for card in self.service.cards(session, profile.watchlist[:WATCHLIST_SHOWN]):
            links = [f"[{n}]({u})" for n, u in (("IMDb", card.links.imdb),) if u]
            lines.append(f"- {plain(card.display)}" + (f" ({links[0]})" if links else ""))
        if len(profile.watchlist) > WATCHLIST_SHOWN:
            lines.append(f"- and {len(profile.watchlist) - WATCHLIST_SHOWN} more")
        if profile.seen:
            n = len(profile.seen)
            lines.append(f"\nMarked as seen: {n} movie{'s' if n != 1 else ''} (never suggested).")
        return "\n".join(lines)

    def _cluster_text(self, session: str, placed: bool) -> str:
        if not placed:
            given = len(self.service.store.load(session).given)
            more = MIN_PLACED - given
            if 0 < given < MIN_PLACED:
                return (
                    f"Not enough ratings yet to find your taste cluster: rate {more} more "
                    f"movie{'s' if more != 1 else ''} ({given} say too little)."
                )
            if self.service.view_as_users:
                return "Rate a few movies (or say *I'm user 414*) and I'll find your taste cluster."
            return "Rate a few movies and I'll find your taste cluster."
        info = self.service.taste_group(session)
        if "error" in info:
            return info["error"]
        loves = ", ".join(info["loves_genres"]) or "a bit of everything"
        cool = ", ".join(info["cool_on_genres"])
        lines = [
            f"### {html.escape(info['cluster'])}",
            f"About {100 * (info.get('share_of_users') or 0):.0f}% of MovieLens users are here. "
            f"They love **{loves}**" + (f" and are cool on **{cool}**." if cool else "."),
            "Signature movies: " + ", ".join(info["signature_movies"]),
        ]
        return "\n\n".join(lines)

    def _people_text(self, session: str, placed: bool) -> str:
        if not placed:
            return ""
        info = self.service.people_like_me(session)
        if "error" in info or not info.get("similar_users"):
            return info.get("error") or (
                "Nobody in MovieLens rated three of your movies the way you did yet: rate a few "
                "more to find people like you."
            )
        loved = "\n".join(f"- {m['title']} (loved by {m['loved_by']})" for m in info["they_loved"])
        n = info["similar_users"]
        return (
            f"**{n} MovieLens user{'s' if n != 1 else ''}** rated at least three of your movies "
            f"and agree with you on them (up to {info['most_in_common']} in common). "
            f"They loved:\n\n{loved}"
        )

    # --- the page ---------------------------------------------------------------------------

    def blocks(self) -> gr.Blocks:
        with gr.Blocks(title="moviebot", analytics_enabled=False) as page:
            identity = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=self.secret)
            token = gr.State(None)
            picks = gr.State([])
            self._marked = gr.State(0)  # bumped when a card's marks change: the cards redraw
            self._token = token
            gr.Markdown(_banner(self.service), elem_id="banner")
            building = not self.engine.has_index
            indexing = gr.Markdown(self.index_text(), elem_id="index-status", visible=building)
            timer = gr.Timer(2.0, active=building)
            timer.tick(self.index_tick, None, [indexing, timer], api_visibility="private")
            with gr.Tabs():
                with gr.Tab("Chat", id="chat"):
                    chat = self._chat_tab(token, picks)
                with gr.Tab("My taste", id="taste"):
                    taste = self._taste_tab(token)
                with gr.Tab("Watchlist", id="watchlist"):
                    taste["kept_ids"] = self._watchlist_tab(token)
                self._taste_outputs = [
                    taste[name]
                    for name in ("summary", "table", "cluster", "map", "people", "kept", "kept_ids")
                ]
                with gr.Tab("Group night", id="group"):
                    group = self._group_tab()
                with gr.Tab("Explore the data", id="explore"):
                    self._explore_tab()
            self._wire(page, identity, token, picks, chat, taste)
            self._wire_group(token, group)
        return page

    def _chat_tab(self, token: gr.State, picks: gr.State) -> dict[str, Any]:
        chatbot = gr.Chatbot(
            label="moviebot",
            height="62vh",  # the height the window has, not a fixed 480 px box
            examples=[{"text": e} for e in self._examples],
            placeholder="**Tell me what you like** - a few films, a mood, or a plot.",
            buttons=["copy"],
        )
        with gr.Row():
            box = gr.Textbox(
                placeholder="e.g. I loved Heat and Ronin, something like that but newer",
                show_label=False,
                scale=8,
                autofocus=True,
                elem_id="message",
                interactive=False,  # until on_load has restored this browser's session
            )
            send = gr.Button("Send", variant="primary", scale=1, elem_id="send", interactive=False)
        with gr.Row():
            clear = gr.Button("New conversation", size="sm")
            over = gr.Button("Start over (forget my ratings)", size="sm", variant="stop")

        @gr.render(inputs=[picks, token], triggers=[picks.change, self._marked.change])
        def _picks_panel(shown: list[list[Any]], tok: str | None) -> None:
            self._picks_panel(shown, tok, picks)

        return {"chatbot": chatbot, "box": box, "send": send, "clear": clear, "over": over}

    def _watchlist_tab(self, token: gr.State) -> gr.State:
        kept = gr.State([])
        gr.Markdown(
            "The movies you kept for later, **best first for you**. Seen one? Rate it or press "
            "Seen it; ✓ On watchlist takes it off.",
            elem_id="watchlist-intro",
        )

        with gr.Column(elem_id="watchlist-cards"):

            @gr.render(inputs=[kept, token], triggers=[kept.change])
            def _kept_panel(shown: list[list[Any]], tok: str | None) -> None:
                if not shown:
                    gr.Markdown("Nothing yet: press **+ Watchlist** under a suggestion to keep it.")
                self._picks_panel(shown, tok, kept, heading="", rejectable=False)

        return kept

    def _picks_panel(
        self,
        shown: list[list[Any]],
        tok: str | None,
        picks: gr.State,
        heading: str = "**Rate what I suggested** - your next answer takes it into account.",
        rejectable: bool = True,
    ) -> None:
        """One card per movie (the chat's suggestions, or the watchlist): the detail the chat
        text leaves out, and actions."""
        if not shown or not tok:
            return
        session = web_session(tok)
        cards = self.service.cards(session, [int(p[0]) for p in shown])
        if heading:
            gr.Markdown(heading)
        for card in cards:
            movie_id = card.movie_id
            with gr.Column(elem_classes="pick-row", key=f"card-{movie_id}"):
                gr.Markdown(_card_text(card), elem_classes="pick-title")
                with gr.Row(elem_classes="pick-actions"):
                    stars = gr.Radio(
                        STAR_CHOICES,
                        value=card.your_stars,
                        show_label=False,
                        container=False,
                        elem_classes="pick-stars",
                        key=f"stars-{movie_id}",
                        scale=3,
                    )
                    nope = (
                        gr.Button("👎 Not for me", size="sm", scale=0, min_width=110)
                        if rejectable
                        else None
                    )
                    marks = {
                        mark: gr.Button(
                            done if on else label,
                            size="sm",
                            scale=0,
                            min_width=width,
                            key=f"{mark}-{movie_id}-{on}",
                        )
                        for mark, on, label, done, width in (
                            ("watchlist", card.watchlist, WATCHLIST, ON_WATCHLIST, 120),
                            ("seen", card.seen, SEEN, WAS_SEEN, 80),
                        )
                    }
            stars.input(_bind(self.rate_pick, movie_id), [stars, self._token], self._taste_outputs)
            if nope is not None:
                nope.click(
                    _bind(self.reject_pick, movie_id),
                    [picks, self._token],
                    [picks, *self._taste_outputs],
                )
            for mark, button in marks.items():
                button.click(
                    _bind(self.toggle_mark, movie_id),
                    [gr.State(mark), self._marked, self._token],
                    [self._marked, *self._taste_outputs],
                )
        if any(card.details is not None for card in cards):
            gr.Markdown(f"<small>{ATTRIBUTION}</small>")

    def _taste_tab(self, token: gr.State) -> dict[str, Any]:
        summary = gr.Markdown()
        with gr.Row():
            with gr.Column(scale=3):
                table = gr.Dataframe(
                    headers=["Movie", "Stars"],
                    datatype=["str", "str"],  # half stars, or "not for me"
                    interactive=True,
                    static_columns=[0],
                    label="My ratings (edit the stars; clear a cell to remove)",
                    elem_id="my-ratings",
                )
            with gr.Column(scale=2):
                title = gr.Textbox(label="Movie", placeholder="e.g. Heat (1995)")
                stars = gr.Slider(0.5, 5.0, value=4.0, step=0.5, label="Stars")
                with gr.Row():
                    save = gr.Button("Save rating", variant="primary")
                    forget = gr.Button("Remove")
                status = gr.Markdown()
                kept = gr.Markdown(elem_id="my-watchlist")
        with gr.Row():
            with gr.Column(scale=3):
                tmap = gr.HTML(elem_id="taste-map")
            with gr.Column(scale=2):
                cluster = gr.Markdown()
                people = gr.Markdown()
        return {
            "summary": summary,
            "table": table,
            "title": title,
            "stars": stars,
            "save": save,
            "forget": forget,
            "status": status,
            "map": tmap,
            "cluster": cluster,
            "people": people,
            "kept": kept,
        }

    def _group_tab(self) -> dict[str, Any]:
        gr.Markdown(
            "Picks for everyone watching. Start a group and share its code: each person who "
            "joins (here or with /join on Telegram) counts with their own ratings. Or just say "
            "who else is watching and what they like."
        )
        with gr.Row():
            with gr.Column(scale=2):
                status = gr.Markdown("You're not in a group yet.", elem_id="group-status")
                with gr.Row():
                    start = gr.Button("Start a group", elem_id="group-start")
                    leave = gr.Button("Leave the group", elem_id="group-leave")
                with gr.Row():
                    code = gr.Textbox(
                        label="Group code", placeholder="K7Q-4XM", elem_id="group-code"
                    )
                    name = gr.Textbox(label="Your name", placeholder="Ana", elem_id="group-name")
                join = gr.Button("Join", elem_id="group-join")
            with gr.Column(scale=3):
                people = gr.Textbox(
                    label="Who else is watching?",
                    placeholder="Ana (loves horror) and Ben (hates subtitles)",
                    elem_id="group-people",
                )
                pick = gr.Button("Pick for the group", variant="primary", elem_id="group-pick")
                picks = gr.Markdown(elem_id="group-picks")
        return {
            "status": status,
            "start": start,
            "leave": leave,
            "code": code,
            "name": name,
            "join": join,
            "people": people,
            "pick": pick,
            "picks": picks,
        }

    def _wire_group(self, token: gr.State, group: dict[str, Any]) -> None:
        status = [group["status"], token]
        group["start"].click(
            self.group_start, [group["name"], token], status, api_name="group_start"
        )
        group["join"].click(
            self.group_join, [group["code"], group["name"], token], status, api_name="group_join"
        )
        group["leave"].click(self.group_leave, token, status, api_name="group_leave")
        group["pick"].click(
            self.group_pick,
            [group["people"], token],
            [group["picks"], token],
            api_name="group_pick",
        )
        token.change(self.group_status, token, group["status"], api_visibility="private")

    def index_text(self) -> str:
        """What the description index is doing, when it is not simply there."""
        progress = self.engine.index_progress
        if self.engine.has_index or progress is None:
            return ""
        if progress.state == "failed":
            return "⚠️ The description index could not be built; search by description is off."
        done = f", {progress.percent}% of the movies" if progress.total else ""
        step = progress.step or "starting"
        return (
            f"⏳ Building the description index ({step}{done}). Recommendations work now; "
            "searching by description starts when this is done."
        )

    def index_tick(self) -> tuple[Any, Any]:
        """Every two seconds while the index builds: the progress line; hidden when done."""
        text = self.index_text()
        progress = self.engine.index_progress
        going = progress is not None and progress.state in {"waiting", "running"}
        return gr.update(value=text, visible=bool(text)), gr.Timer(active=going)

    def group_status(self, token: str | None) -> str:
        """Who is in this person's group, and its code."""
        _, session = self._session(token)
        info = self.service.group(session)
        if info is None:
            return "You're not in a group yet."
        names = ", ".join(
            f"**{plain(m['name'])}**" + (" (you)" if m["you"] else "") for m in info["members"]
        )
        return f"Group code **{info['code']}** (share it; it works for a week). In it: {names}."

    def group_start(self, name: str, token: str | None) -> tuple[str, str]:
        """Start a group night."""
        token, session = self._session(token)
        self.service.start_group(session, (name or "").strip()[:40] or None)
        return self.group_status(token), token

    def group_join(self, code: str, name: str, token: str | None) -> tuple[str, str]:
        """Join a group by its code."""
        token, session = self._session(token)
        try:
            self.service.join_group(session, code or "", (name or "").strip()[:40] or None)
        except MovieBotError as err:
            return str(err), token
        return self.group_status(token), token

    def group_leave(self, token: str | None) -> tuple[str, str]:
        token, session = self._session(token)
        left = self.service.leave_group(session)
        return ("You left the group." if left else "You weren't in a group."), token

    def group_pick(self, people: str, token: str | None) -> tuple[str, str]:
        """Picks for the group: its members and the people described."""
        token, session = self._session(token)
        described = (people or "").strip()
        message = f"group night with {described}" if described else "group night"
        return self.service.send(session, message).text, token

    @cached_property
    def _legend_names(self) -> dict[str, str]:
        """Each cluster's name as the map's legend shows it: the part before the comma
        ("Horror & Mystery fans"), so every cluster fits in the legend; the whole name when
        two clusters would share it."""
        names = [c.name for c in self.engine.models.clusters.clusters]
        short = {n: n.split(",")[0].strip() for n in names}
        clash = {v for v in short.values() if list(short.values()).count(v) > 1}
        return {n: (n if v in clash else v) for n, v in short.items()}

    def _cluster_colours(self) -> dict[str, str]:
        """A colour per cluster (a full map: Vega draws unmapped groups invisibly) and black
        for "you"."""
        names = [self._legend_names[c.name] for c in self.engine.models.clusters.clusters]
        return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)} | {YOU: "#000000"}

    def _explore_tab(self) -> None:
        data = self.engine.overview
        c = data.counts
        gr.Markdown(
            f"**{c['dataset']}**: {c['ratings']:,} ratings of {c['movies']:,} movies by "
            f"{c['users']:,} people, {c['first_year']}-{c['last_year']}; {c['tags']:,} tags. "
            f"Mean rating {c['mean_rating']}; the rating matrix is {100 * float(c['density']):.2f}"
            "% filled."
        )
        with gr.Row():
            gr.BarPlot(
                data.rating_distribution,
                x="stars",
                y="ratings",
                y_lim=_from_zero(data.rating_distribution["ratings"]),
                title="How people rate",
                sort="x",
                tooltip="all",
            )
            gr.LinePlot(
                data.ratings_over_time,
                x="year",
                y="ratings",
                title="Ratings per year",
                x_label_angle=-45,  # 1996...2018 side by side ran together
                tooltip="all",
            )
        with gr.Row():
            gr.BarPlot(
                data.genre_popularity,
                x="genre",
                y="ratings",
                y_lim=_from_zero(data.genre_popularity["ratings"]),
                title="Ratings per genre",
                sort="-y",
                x_label_angle=-45,
                tooltip="all",
            )
            gr.BarPlot(
                data.genre_popularity,
                x="genre",
                y="mean_rating",
                title="Mean rating per genre",
                sort="-y",
                x_label_angle=-45,
                y_lim=[0, 5],  # from zero: 3.4 against 3.9 is not a 1:6 difference
                tooltip="all",
            )
        with gr.Row():
            for who in ("users", "movies"):
                gr.BarPlot(
                    data.activity,
                    x="ratings",
                    y=who,
                    y_lim=_from_zero(data.activity[who]),
                    title=f"The long tail: {who} by how many ratings they have",
                    sort=list(data.activity["ratings"]),
                    tooltip="all",
                )
        with gr.Row():
            sizes = data.cluster_sizes.assign(  # "Horror & Mystery fans, cool on ..." was cut off
                cluster=data.cluster_sizes["cluster"].str.split(",").str[0]
            )
            gr.BarPlot(
                sizes,
                x="cluster",
                y="users",
                y_lim=_from_zero(sizes["users"]),
                title="Taste clusters (users in each)",
                x_label_angle=-20,
                tooltip="all",
            )
            self._lift_chart(data.cluster_lifts)
        with gr.Row():
            gr.BarPlot(
                data.tag_sentiment,
                x="score",
                y="movies",
                y_lim=_from_zero(data.tag_sentiment["movies"]),
                sort=list(data.tag_sentiment["score"]),
                x_label_angle=-45,
                title="Tag sentiment per movie (VADER, shrunk to neutral)",
                tooltip="all",
            )
            with gr.Column():
                gr.Dataframe(data.most_positive, label="Warmest tags", interactive=False)
                gr.Dataframe(data.most_negative, label="Coldest tags", interactive=False)

    def _lift_chart(self, lifts: pd.DataFrame) -> None:
        names = list(dict.fromkeys(lifts["cluster"]))
        with gr.Column():
            pick = gr.Dropdown(names, value=names[0] if names else None, label="Cluster")
            chart = gr.BarPlot(
                lifts[lifts["cluster"] == (names[0] if names else "")],
                x="genre",
                y="lift",
                y_lim=_from_zero(lifts["lift"]),  # the same scale for every cluster
                title="What the cluster likes, relative to everyone (1 = same)",
                sort="-y",
                x_label_angle=-45,
                tooltip="all",
            )
        pick.change(lambda n: lifts[lifts["cluster"] == n], pick, chart, api_visibility="private")

    def _wire(
        self,
        page: gr.Blocks,
        identity: gr.BrowserState,
        token: gr.State,
        picks: gr.State,
        chat: dict[str, Any],
        taste: dict[str, Any],
    ) -> None:
        outs = self._taste_outputs
        page.load(
            self.on_load,
            identity,
            [token, identity, chat["chatbot"], chat["box"], chat["send"]],
            api_visibility="private",
        ).then(self.taste_view, token, outs, api_visibility="private")
        turn = ([chat["box"], chat["chatbot"], token], [chat["chatbot"], chat["box"], token, picks])
        gr.on(
            [chat["box"].submit, chat["send"].click],
            self.respond,
            *turn,
            api_name="chat",
            concurrency_limit=None,
        ).then(self.taste_view, token, outs, api_visibility="private")
        chat["chatbot"].example_select(
            self.example, None, chat["box"], api_visibility="private"
        ).then(self.respond, *turn, api_visibility="private", concurrency_limit=None).then(
            self.taste_view, token, outs, api_visibility="private"
        )
        chat["clear"].click(
            self.new_conversation,
            token,
            [chat["chatbot"], picks, token],
            api_name="new_conversation",
        )
        chat["over"].click(
            self.start_over, token, [chat["chatbot"], picks, token, *outs], api_name="start_over"
        )
        form = [taste["status"], token, *outs]
        taste["save"].click(
            self.rate_form, [taste["title"], taste["stars"], token], form, api_name="rate"
        )
        taste["forget"].click(self.forget_form, [taste["title"], token], form, api_name="forget")
        taste["table"].input(
            self.edit_table, [taste["table"], token], form, api_visibility="private"
        )
        token.change(lambda t: t, token, identity, api_visibility="private")


def _bind(handler: Callable[..., Outputs], movie_id: int) -> Callable[..., Outputs]:
    def bound(*args: Any) -> Outputs:
        return handler(movie_id, *args)

    bound.__name__ = handler.__name__
    return bound


def _card_text(card: Card) -> str:
    """A card's Markdown with the catalogue's words escaped (links are ours)."""
    return card_markdown(card)


def _cleared(cell: Any) -> bool:
    """An emptied (or zeroed) stars cell: the person removed that rating."""
    text = "" if cell is None else str(cell).strip().lower()
    return text in {"", "nan", "none"} or text.replace(".", "").strip("0") == ""


def _toast(result: dict[str, Any], ok: str) -> None:
    if "error" in result:
        gr.Warning(result["error"])
    else:
        gr.Info(ok)


def _finished(reply: Reply) -> list[dict[str, Any]]:
    """The answer, its notes, then one collapsed step per tool call."""
    text = plain(reply.text) + "".join(f"\n\n*{plain(note)}*" for note in reply.notes)
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": text}]
    for step in reply.steps:
        more = f" and {len(step.found) - 8} more" if len(step.found) > 8 else ""
        messages.append(
            {
                "role": "assistant",
                "content": plain(" · ".join(step.found[:8]) + more) or "Done.",
                "metadata": {"title": f"🔧 {plain(step.text)}", "status": "done"},
            }
        )
    return messages


def _summary(profile: dict[str, Any], placement: Any) -> str:
    given = profile.get("given", [])
    view = profile.get("viewing_as_movielens_user")
    parts = [f"You have rated **{len(given)}** movie{'s' if len(given) != 1 else ''} here."]
    if view is not None:
        parts.append(f"You're viewing as **MovieLens user {view}** (their ratings count too).")
    if placement.placed:
        parts.append(f"Your taste cluster: **{html.escape(placement.cluster)}**.")
    elif given:
        parts.append(f"Rate at least {MIN_PLACED} to see where you stand among everyone's taste.")
    else:
        parts.append("Rate a few movies to see where you stand among everyone's taste.")
    return " ".join(parts)


def _from_zero(values: pd.Series) -> list[float | None]:
    """A bar chart's y range from zero (bars that start at 80 make 87 vs 165 look like 1:8)."""
    return [0, float(values.max()) * 1.05 if len(values) else 1.0]


def _ratings_table(given: list[dict[str, Any]]) -> pd.DataFrame:
    """A "not for me" shows as that, not as the low stars it is stored at."""
    rows = [
        {"Movie": g["title"], "Stars": NOT_FOR_ME if g["kind"] == "dislike" else f"{g['stars']:g}"}
        for g in given
    ]
    return pd.DataFrame(rows, columns=["Movie", "Stars"])


def _banner(service: ChatService) -> str:
    if service.llm is not None:
        return f"🧠 **LLM mode**: replies come from **{html.escape(service.backend)}**."
    return (
        "📴 **Offline mode**: replies come from moviebot's own understanding, no language model. "
        "To connect one, set `OPENAI_API_KEY` (and `OPENAI_BASE_URL` for Ollama, vLLM or "
        "llama.cpp) and restart; see the README."
    )
