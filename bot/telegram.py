"""The Telegram bot: python-telegram-bot's async ``Application`` over the chat service.

One profile per chat (session ``telegram:<chat id>``), in the same store as the web page and
the terminal. Work runs in a thread (the engine and the LLM are blocking) while the chat shows
"typing...". Replies are HTML with everything escaped, split under Telegram's 4,096
characters; a ``RetryAfter`` is waited out. Each handler is one step with a one-line docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

# RetryAfter.retry_after as a timedelta (PTB's opt-in to its next major version's type).
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    BotCommand,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.cards import Card
from bot.events import Reply, plain
from bot.linking import linked_text
from bot.profiles import Mark
from bot.session import ChatService
from recommender.errors import MovieBotError

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.telegram.org"
MAX_CHARS = 4096
MAX_PICKS = 5
ONBOARDING = "onboarding"  # the step after /start: the next text names loved films
BUTTON_ACTIONS = {"l", "n", "s1", "s2", "s3", "s4", "s5"}  # 👍, 👎, 1-5⭐
MARK_ACTIONS: dict[str, Mark] = {"w": "watchlist", "v": "seen"}  # + Watchlist, Seen it
RETRIES = 3
TYPING_EVERY = 4.0  # seconds; Telegram shows "typing..." for about five
COMMANDS = [
    ("recommend", "Movies picked for you"),
    ("similar", "Movies like a title: /similar Heat"),
    ("rate", "Rate a movie: /rate Heat 4.5"),
    ("profile", "Your ratings and taste cluster"),
    ("watchlist", "The movies you kept for later"),
    ("group", "Start a group night: a code friends /join"),
    ("join", "Join a group night: /join K7Q-4XM"),
    ("groupnight", "Picks for everyone in your group"),
    ("reset", "Forget this chat's ratings and conversation"),
    ("link", "Link this chat to your account: /link TOKEN"),
    ("help", "What I can do"),
]
WELCOME = (
    "Hi! I'm <b>moviebot</b>. Tell me a few films you love (e.g. <i>Heat, Alien, Amélie</i>) "
    "or describe what you like (<i>slow-burn sci-fi with big ideas</i>), and I'll pick "
    "movies for you. /skip to go straight to popular picks."
)
HELP = (
    "Just write to me: <i>something like Arrival</i>, <i>a heist film with a twist</i>, "
    "<i>I loved Heat</i>, <i>what is my taste?</i>\n\n"
    + "\n".join(f"/{name} - {html.escape(text, quote=False)}" for name, text in COMMANDS)
    + "\n\nUnder each pick: 👍 / 👎 or 1-5 ⭐ to rate it; your next picks take it into account. "
    "<i>+ Watchlist</i> keeps it for later, <i>Seen it</i> stops it coming back, <i>IMDb</i> "
    "opens its page."
)
EMPTY_WATCHLIST = "Your watchlist is empty: tap <i>+ Watchlist</i> under a pick to keep it."
LINK_HOW = (
    "Send /link and the token from your account page, e.g. /link AbC123... "
    "(a token works once, for a few minutes)."
)
TEXT_ONLY = "I understand text only - tell me about movies you like, or send /help."
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
_RATE_RE = re.compile(r"^(?P<title>.+?)\s+(?P<stars>\d+(?:[.,]\d+)?)\s*(?:★|stars?|/5)?\s*$")


_escape = plain  # Telegram's HTML mode: quotes may stay as they are


def session_of(chat_id: int) -> str:
    return f"telegram:{chat_id}"


def _chat(update: Update) -> Chat:
    chat = update.effective_chat
    assert chat is not None  # the handlers here take messages and commands, all in a chat
    return chat


def _message(update: Update) -> Message:
    message = update.effective_message
    assert message is not None  # message, command and button updates all carry one
    return message


def _session(update: Update) -> str:
    return session_of(_chat(update).id)


class TelegramBot:
    """Handlers bound to one chat service; ``application()`` wires them."""

    def __init__(self, service: ChatService) -> None:
        self.service = service

    # --- onboarding -------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: greet and ask for a few loved films (a deep link's token links the chat)."""
        if context.args:  # https://t.me/<bot>?start=TOKEN from the platform's account page
            await self.link(update, context)
        session = _session(update)
        # The step waits in the shared store, so any worker behind a webhook takes the answer.
        await asyncio.to_thread(self.service.store.expect, session, ONBOARDING)
        await _reply(update.effective_message, WELCOME)

    async def onboard(self, update: Update) -> None:
        """The answer to the welcome: like the films named, or search by the description."""
        message = _message(update)
        reply = await self._work(update, self._first_picks, _chat(update).id, message.text)
        await self._send_reply(message, reply)

    async def skip(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/skip during onboarding: popular picks right away."""
        session = _session(update)
        await asyncio.to_thread(self.service.store.take_expected, session)
        await self._answer(update, "recommend me something")

    def _first_picks(self, chat_id: int, text: str) -> Reply:
        session = session_of(chat_id)
        named = self.service.nlu.parse(text or "").titles
        if not named:  # a description of a taste: the agent searches by it
            return self.service.send(session, text or "recommend me something")
        for match in named[:10]:
            self.service.rate(session, match.movie_id, 4.5)
        liked = ", ".join(self.service.engine.catalog.display(m.movie_id) for m in named[:10])
        reply = self.service.send(session, "recommend me something")
        return replace(reply, text=f"Noted: you love {liked}.\n\n{reply.text}")

    # --- commands ---------------------------------------------------------------------------

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help: what the bot does and its commands."""
        await _reply(update.effective_message, HELP)

    async def recommend(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/recommend: personal picks."""
        await self._answer(update, "recommend me something")

    async def similar(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/similar TITLE: movies like that one."""
        title = " ".join(context.args or []).strip()
        if not title:
            await _reply(update.effective_message, "Which movie? For example: /similar Heat")
            return
        await self._answer(update, f"movies like {title}")

    async def rate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/rate TITLE STARS: save a rating."""
        match = _RATE_RE.match(" ".join(context.args or []))
        if match is None:
            await _reply(update.effective_message, "Try: /rate Heat 4.5 (0.5 to 5 stars)")
            return
        stars = float(match["stars"].replace(",", "."))
        chat_id = _chat(update).id
        result = await self._work(
            update, self.service.rate, session_of(chat_id), match["title"], stars
        )
        text = result.get("error") or f"Saved: {result['title']}, {result['your_rating']:g}★."
        await _reply(update.effective_message, _escape(text))

    async def link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/link TOKEN: share the ratings of the platform account that issued the token."""
        token = " ".join(context.args or []).strip()
        if not token:
            await _reply(update.effective_message, LINK_HOW)
            return
        session = _session(update)
        try:
            text = linked_text(await self._work(update, self.service.link, session, token))
        except MovieBotError as err:
            text = str(err)
        await _reply(update.effective_message, _escape(text))

    async def profile(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/profile: the ratings given in this chat and the taste cluster."""
        session = _session(update)
        text = await self._work(update, self._profile_text, session)
        await _reply(update.effective_message, text)

    def _profile_text(self, session: str) -> str:
        lines = [_escape(self.service.me(session))]
        given = self.service.profile(session).get("given", [])
        if given or self.service.store.load(session).view_user is not None:
            info = self.service.taste_group(session)
            if "cluster" in info:
                loves = ", ".join(info["loves_genres"]) or "a bit of everything"
                lines.append(
                    f"\nYour taste cluster: <b>{_escape(info['cluster'])}</b> "
                    f"(they love {_escape(loves)})."
                )
        return "\n".join(lines)

    async def reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reset: forget this chat's ratings and conversation."""
        session = _session(update)
        await asyncio.to_thread(self.service.reset, session, True)
        await _reply(update.effective_message, "Done: I forgot everything about this chat.")

    # --- conversation -----------------------------------------------------------------------

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Free text: the answer to the welcome, or one turn of the agent."""
        session = _session(update)
        if await asyncio.to_thread(self.service.store.take_expected, session) == ONBOARDING:
            await self.onboard(update)
            return
        await self._answer(update, _message(update).text or "")

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice and the like: say what the bot understands."""
        await _reply(update.effective_message, TEXT_ONLY)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A tap on 👍, 👎 or ⭐ under a pick: save it, acknowledge, mark the row."""
        query = update.callback_query
        if query is None:
            return
        action, _, movie = (query.data or "").partition(":")
        session = _session(update)
        try:
            movie_id = int(movie)
        except ValueError:
            await query.answer("That button is out of date.")
            return
        if action == "i":  # the title row: a reminder of what to tap
            await query.answer("Rate it with 👍, 👎 or the stars just below it.")
            return
        if action in MARK_ACTIONS:
            await self._mark(query, session, movie_id, MARK_ACTIONS[action])
            return
        if action not in BUTTON_ACTIONS:
            await query.answer("That button is out of date.")
            return
        if action == "n":
            result = await asyncio.to_thread(self.service.not_for_me, session, movie_id)
            done = "👎 Not for me"
        else:
            stars = 4.5 if action == "l" else float(action.removeprefix("s"))
            result = await asyncio.to_thread(self.service.rate, session, movie_id, stars)
            done = f"{stars:g}⭐"
        if "error" in result:
            await query.answer(result["error"][:190], show_alert=True)
            return
        await query.answer(f"Saved: {result['title']}, {done}. Your next picks use it.")
        await _mark_rated(query.message, movie_id, f"✓ {result['title']}: {done}")

    async def _mark(self, query: Any, session: str, movie_id: int, mark: Mark) -> None:
        """+ Watchlist / Seen it under a pick: kept, and the button says so."""
        try:
            card = await asyncio.to_thread(self.service.mark, session, movie_id, mark)
        except MovieBotError as err:
            await query.answer(str(err)[:190], show_alert=True)
            return
        if mark == "watchlist":
            await query.answer(f"{card.display} is on your watchlist (/watchlist).")
        else:
            await query.answer(f"Marked {card.display} as seen: it won't be suggested again.")
        label = "✓ On watchlist" if mark == "watchlist" else "✓ Seen"
        await _relabel(query.message, f"{'w' if mark == 'watchlist' else 'v'}:{movie_id}", label)

    async def watchlist(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/watchlist: the movies kept for later, with their IMDb pages."""
        session = _session(update)
        cards = await self._work(update, self.service.watchlist, session)
        if not cards:
            await _reply(update.effective_message, EMPTY_WATCHLIST)
            return
        lines = ["<b>Your watchlist</b>"]
        for card in cards[:30]:
            link = f' (<a href="{card.links.imdb}">IMDb</a>)' if card.links.imdb else ""
            lines.append(f"• {_escape(card.display)}{link}")
        await _reply(update.effective_message, "\n".join(lines))

    async def group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/group: start a group night and get the code to share."""
        await self._answer(update, "start a group night")

    async def join(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/join CODE: join a friend's group night."""
        code = " ".join(context.args or []).strip()
        if not code:
            await _reply(update.effective_message, "Which group? For example: /join K7Q-4XM")
            return
        await self._answer(update, f"join {code}")

    async def groupnight(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/groupnight [wishes]: picks for everyone in the group."""
        wishes = " ".join(context.args or []).strip()
        await self._answer(update, f"group night {wishes}".strip())

    async def failed(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any error: log it and apologise in the chat, never silence."""
        log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(Exception):
                await context.bot.send_message(_chat(update).id, SORRY)

    # --- helpers ----------------------------------------------------------------------------

    async def _answer(self, update: Update, text: str) -> None:
        session = _session(update)
        reply = await self._work(update, self.service.send, session, text)
        await self._send_reply(_message(update), reply)

    async def _work(self, update: Update, fn: Callable[..., Any], *args: Any) -> Any:
        """Run blocking work in a thread while the chat shows "typing..."."""
        typing = asyncio.create_task(_keep_typing(update))
        try:
            return await asyncio.to_thread(fn, *args)
        finally:
            typing.cancel()

    async def _send_reply(self, message: Message, reply: Reply) -> None:
        text = _escape(reply.text)
        notes = "".join(f"\n\n<i>{_escape(n)}</i>" for n in reply.notes)
        session = session_of(message.chat_id)
        picks = self.service.suggested(session, reply, MAX_PICKS)
        cards = await asyncio.to_thread(self.service.cards, session, [m for m, _ in picks])
        posters = [c for c in cards if c.details is not None and c.details.poster]
        plain_cards = [c for c in cards if c not in posters]
        await _reply(message, text + notes, _keyboard(plain_cards) if plain_cards else None)
        for card in posters:  # a photo card: the poster, a caption, the same buttons
            await _photo_card(message, card)

    def application(self, token: str, api_base: str | None = None) -> Application:
        builder = ApplicationBuilder().token(token).concurrent_updates(16)
        if api_base:
            root = api_base.rstrip("/")
            builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
        app = builder.post_init(_register_commands).build()
        app.add_handler(CommandHandler("start", self.start))
        app.add_handler(CommandHandler("skip", self.skip))
        for name, handler in [
            ("help", self.help),
            ("recommend", self.recommend),
            ("similar", self.similar),
            ("rate", self.rate),
            ("profile", self.profile),
            ("watchlist", self.watchlist),
            ("group", self.group),
            ("join", self.join),
            ("groupnight", self.groupnight),
            ("reset", self.reset),
            ("link", self.link),
        ]:
            app.add_handler(CommandHandler(name, handler))
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.text))
        app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, self.not_text))
        app.add_error_handler(self.failed)
        return app


async def _register_commands(app: Application) -> None:
    """The command menu people see in Telegram."""
    await app.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS])


async def _keep_typing(update: Update) -> None:
    with contextlib.suppress(Exception):
        while True:
            await _chat(update).send_action(ChatAction.TYPING)
            await asyncio.sleep(TYPING_EVERY)


def _keyboard(cards: list[Card]) -> InlineKeyboardMarkup:
    """Per pick: its title (with its predicted stars), then 👍 👎 1⭐ ... 5⭐, then its IMDb
    page, + Watchlist and Seen it."""
    rows = []
    for card in cards:
        movie_id = card.movie_id
        title = card.display
        if card.predicted_stars is not None:
            title = f"{title} · ~{card.predicted_stars:.1f}⭐ for you"
        rows.append([InlineKeyboardButton(title[:60], callback_data=f"i:{movie_id}")])
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=f"l:{movie_id}"),
                InlineKeyboardButton("👎", callback_data=f"n:{movie_id}"),
                *(
                    InlineKeyboardButton(f"{s}⭐", callback_data=f"s{s}:{movie_id}")
                    for s in range(1, 6)
                ),
            ]
        )
        actions = [
            InlineKeyboardButton("+ Watchlist", callback_data=f"w:{movie_id}"),
            InlineKeyboardButton("Seen it", callback_data=f"v:{movie_id}"),
        ]
        if card.links.imdb:
            actions.insert(0, InlineKeyboardButton("IMDb", url=card.links.imdb))
        rows.append(actions)
    return InlineKeyboardMarkup(rows)


async def _photo_card(message: Message, card: Card) -> None:
    """The poster with the card as its caption; the card as text when Telegram refuses it."""
    assert card.details is not None and card.details.poster
    poster = card.details.poster
    try:
        await _retrying(
            lambda: message.reply_photo(
                poster, caption=_caption(card), parse_mode="HTML", reply_markup=_keyboard([card])
            )
        )
    except BadRequest:  # an image Telegram cannot fetch: the card still arrives, as text
        await _reply(message, _caption(card), _keyboard([card]))


def _caption(card: Card) -> str:
    """A card in Telegram HTML, under the 1,024 characters a caption takes."""
    extra = card.details
    head = f"<b>{_escape(card.display)}</b>"
    if card.genres:
        head += " · " + _escape(", ".join(card.genres))
    if extra is not None and extra.runtime:
        head += f" · {extra.runtime // 60}h {extra.runtime % 60:02d}m"
    lines = [head]
    if card.predicted_stars is not None:
        lines.append(f"Predicted for you: {card.predicted_stars:.1f}⭐")
    if card.why:
        lines.append(_escape(card.why))
    if extra is not None and extra.providers:
        kinds = extra.providers.items()
        watch = " · ".join(f"{kind.capitalize()}: {', '.join(names[:3])}" for kind, names in kinds)
        lines.append(f"{_escape(watch)} (JustWatch)")
    if extra is not None and extra.trailer:
        lines.append(f'<a href="{html.escape(extra.trailer)}">▶ Trailer</a>')
    lines.append("<i>Details: TMDB</i>")
    return "\n".join(lines)[:1024]


async def _relabel(message: Any, data: str, label: str) -> None:
    """Rename the button that sent ``data`` (it keeps working: a second tap is harmless)."""
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return
    rows = [
        [
            InlineKeyboardButton(label, callback_data=data) if b.callback_data == data else b
            for b in row
        ]
        for row in markup.inline_keyboard
    ]
    with contextlib.suppress(BadRequest):
        await _retrying(lambda: message.edit_reply_markup(InlineKeyboardMarkup(rows)))


async def _mark_rated(message: Any, movie_id: int, label: str) -> None:
    """Replace the pick's buttons with what was given (the other picks keep theirs)."""
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return
    rows, skip = [], False
    for row in markup.inline_keyboard:
        if skip:
            skip = False
            continue
        if row and row[0].callback_data == f"i:{movie_id}":
            rows.append([InlineKeyboardButton(label[:60], callback_data=f"i:{movie_id}")])
            skip = True
            continue
        rows.append(list(row))
    with contextlib.suppress(BadRequest):  # "message is not modified" and the like
        await _retrying(lambda: message.edit_reply_markup(InlineKeyboardMarkup(rows)))


def split_message(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Pieces under ``limit``: at paragraph, then line, then word breaks; never inside a tag
    or an HTML entity (the text is escaped HTML with only simple inline tags)."""
    pieces, rest = [], text
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


def _cut_point(text: str, limit: int) -> int:
    window = text[:limit]
    for sep in ("\n\n", "\n", " "):
        at = window.rfind(sep)
        if at > limit // 2:
            return _outside_markup(text, at + len(sep))
    return _outside_markup(text, limit)


def _outside_markup(text: str, cut: int) -> int:
    """Move a cut back so it splits neither an entity (&amp;) nor a tag."""
    amp, semi = text.rfind("&", 0, cut), text.rfind(";", 0, cut)
    if amp > semi:
        cut = amp
    lt, gt = text.rfind("<", 0, cut), text.rfind(">", 0, cut)
    if lt > gt:
        cut = lt
    return max(cut, 1)


def _balanced(pieces: list[str]) -> Iterator[str]:
    """Close <b>/<i> left open at a split and reopen them in the next piece."""
    carry = ""
    for piece in pieces:
        piece = carry + piece
        open_tags = [t for t in ("b", "i") if piece.count(f"<{t}>") > piece.count(f"</{t}>")]
        carry = "".join(f"<{t}>" for t in open_tags)
        yield piece + "".join(f"</{t}>" for t in reversed(open_tags))


async def _reply(
    message: Message | None, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send HTML, split under Telegram's limit; the buttons go on the last piece."""
    if message is None:
        return
    pieces = list(_balanced(split_message(text)))
    for n, piece in enumerate(pieces):
        buttons = markup if n == len(pieces) - 1 else None
        await _retrying(
            functools.partial(message.reply_html, piece, reply_markup=buttons, do_quote=False)
        )


async def _retrying(send: Callable[[], Awaitable[Any]]) -> Any:
    """Call Telegram, waiting out flood control (``RetryAfter``) a few times."""
    for attempt in range(RETRIES + 1):
        try:
            return await send()
        except RetryAfter as err:
            if attempt == RETRIES:
                raise
            delay = err.retry_after
            seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
            log.warning("Telegram asked to wait %.1f s", seconds)
            await asyncio.sleep(seconds)
    return None


def webhook_options(url: str, port: int, listen: str = "0.0.0.0") -> dict[str, Any]:
    """How to listen for Telegram's calls to ``url`` (a public HTTPS URL ending in a path)."""
    return {
        "listen": listen,
        "port": port,
        "url_path": urlsplit(url).path.strip("/"),
        "webhook_url": url,
        "secret_token": secrets.token_urlsafe(32),  # Telegram echoes it; others are refused
        "allowed_updates": Update.ALL_TYPES,
    }


def run(
    service: ChatService,
    token: str,
    api_base: str | None,
    webhook: str | None,
    webhook_port: int = 8443,
) -> None:
    """Run until interrupted: long polling, or a webhook at ``webhook``."""
    app = TelegramBot(service).application(token, api_base)
    if webhook:
        app.run_webhook(**webhook_options(webhook, webhook_port))
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
