"""Linking a chat to a platform account with short-lived, single-use, signed tokens.

The platform's backend knows who is signed in; moviebot does not. It asks for a token with the
shared secret (``MOVIEBOT_LINK_SECRET``): ``POST /api/link-token {"account": "..."}`` with
``Authorization: Bearer <secret>``, and hands the token to its signed-in user, who redeems it
in a session: the web page at ``/?link=TOKEN``, Telegram's ``/link TOKEN`` (or the deep link
``https://t.me/<bot>?start=TOKEN``), or ``POST /api/link``. From then on the session's ratings
are the account's, shared by every session linked to it; conversations stay per session.

A token is 16 random characters and their HMAC under the link secret (38 characters, letters,
digits, ``-`` and ``_``, so it fits a Telegram deep link). It is stored when issued, so it can
be used only once and only until it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from bot.profiles import ProfileStore
from recommender.errors import MovieBotError

DEFAULT_TTL = 600  # seconds
MAX_TTL = 3600
ACCOUNT_PATTERN = r"^[A-Za-z0-9_.@:+-]{1,128}$"
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{38}")
_NONCE = 16


class LinkError(MovieBotError):
    """A link token that cannot be redeemed (the message says what to do instead)."""


@dataclass(frozen=True)
class LinkToken:
    """An issued token, for the platform to hand to its user."""

    token: str
    account: str
    expires_at: float


@dataclass(frozen=True)
class Linked:
    """A redeemed token: the session now shares this account's ratings."""

    account: str
    ratings: int
    fresh: bool = True  # False: this session had redeemed the token before


class LinkTokens:
    """Issues link tokens for the platform and redeems them for sessions."""

    def __init__(self, secret: str, store: ProfileStore) -> None:
        self._key = hashlib.sha256(b"moviebot link tokens\0" + secret.encode()).digest()
        self.store = store

    def issue(self, account: str, ttl: int = DEFAULT_TTL) -> LinkToken:
        """A new token for ``account``, valid for ``ttl`` seconds (at most ``MAX_TTL``)."""
        if not re.fullmatch(ACCOUNT_PATTERN, account):
            raise LinkError("account: 1-128 letters, digits or . _ @ : + -")
        nonce = secrets.token_urlsafe(12)
        expires = time.time() + min(max(ttl, 1), MAX_TTL)
        self.store.keep_link_token(nonce, account, expires)
        return LinkToken(nonce + self._mac(nonce), account, expires)

    def redeem(self, token: str, session_id: str) -> Linked:
        """Link ``session_id`` to the token's account; the token is spent."""
        token = token.strip()
        nonce = token[:_NONCE]
        if not TOKEN_RE.fullmatch(token) or not hmac.compare_digest(
            token[_NONCE:], self._mac(nonce)
        ):
            raise LinkError(
                "That is not a link token from this service. Copy the whole token your account "
                "page gave you, or ask it for a new one."
            )
        state, account = self.store.take_link_token(nonce, session_id)
        if state == "again" and account is not None:
            return Linked(account, len(self.store.load(session_id).given), fresh=False)
        if state == "used":
            raise LinkError("That link token was used already; ask your account page for another.")
        if state == "expired":
            raise LinkError("That link token has expired; ask your account page for a new one.")
        if state != "ok" or account is None:
            raise LinkError("That link token is unknown here; ask your account page for a new one.")
        return Linked(account, self.store.link(session_id, account))

    def _mac(self, nonce: str) -> str:
        digest = hmac.new(self._key, nonce.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def linked_text(linked: Linked) -> str:
    """What a person is told once their session is linked."""
    held = f"{linked.ratings} rating{'s' if linked.ratings != 1 else ''}"
    return (
        f"Linked to your account ({linked.account}). Your ratings now follow you there and on "
        f"every other linked chat: {held} so far."
    )
