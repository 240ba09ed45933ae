"""Profiles and conversations: SQLite under ``MOVIEBOT_HOME/userdata``, or PostgreSQL shared by
several app workers (``MOVIEBOT_DATABASE_URL``; see ``bot.database``).

One row per session (who is viewing: a newcomer or a MovieLens user id, and the dialogue state),
the ratings, likes and dislikes given in this product, and a bounded message history. One
transaction per write: once a write returns, it survives a ``kill -9`` of the process (and a
power cut). Rebuilding artifacts never touches this data.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.database import Database, SQLiteDatabase, open_database
from recommender.errors import MovieBotError

Kind = Literal["rating", "like", "dislike"]
Mark = Literal["watchlist", "seen"]  # kept for later / watched, without stars
HISTORY_LIMIT = 40  # messages kept per session

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    view_user INTEGER,            -- a MovieLens user this session views the product as
    state TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ratings (
    session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
    movie_id INTEGER NOT NULL,
    stars REAL NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rating', 'like', 'dislike')),
    at REAL NOT NULL,
    PRIMARY KEY (session_id, movie_id)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session_id, id);
CREATE TABLE IF NOT EXISTS links (
    session_id TEXT PRIMARY KEY REFERENCES sessions(session_id) ON DELETE CASCADE,
    account TEXT NOT NULL,        -- a platform account: its ratings live under 'account:<id>'
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS marks (
    session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
    movie_id INTEGER NOT NULL,
    mark TEXT NOT NULL CHECK (mark IN ('watchlist', 'seen')),
    at REAL NOT NULL,
    PRIMARY KEY (session_id, movie_id, mark)
);
CREATE TABLE IF NOT EXISTS groups (
    code TEXT PRIMARY KEY,        -- the share code people type to join
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS group_members (
    code TEXT NOT NULL REFERENCES groups(code) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    joined REAL NOT NULL,
    PRIMARY KEY (code, session_id)
);
CREATE TABLE IF NOT EXISTS pending (
    session_id TEXT PRIMARY KEY REFERENCES sessions(session_id) ON DELETE CASCADE,
    step TEXT NOT NULL,           -- what the next message answers (Telegram's onboarding)
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS link_tokens (
    nonce TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    expires REAL NOT NULL,
    used REAL,                    -- when it was redeemed: a token links one session, once
    used_by TEXT
);
"""

TokenState = Literal["ok", "again", "unknown", "used", "expired"]
GROUP_TTL = 7 * 86400  # a group code works for a week after it was made
GROUP_LIMIT = 8  # people in one group
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L to misread
CODE_LENGTH = 6


@dataclass(frozen=True)
class GroupMemberRow:
    """A session in a group and the name the others see."""

    session_id: str
    name: str


@dataclass(frozen=True)
class Group:
    """A group night: its share code and the sessions that joined it, first joiner first."""

    code: str
    members: list[GroupMemberRow]
    expires: float

    @property
    def display_code(self) -> str:
        return f"{self.code[:3]}-{self.code[3:]}"


class GroupError(MovieBotError):
    """A group code that is unknown, expired or full; the message says which."""


def normalize_code(text: str) -> str:
    """'k7q-4xm', 'K7Q 4XM' -> 'K7Q4XM'."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


@dataclass(frozen=True)
class Given:
    """A rating given in this product: stars, and whether it came as a like or a dislike."""

    movie_id: int
    stars: float
    kind: Kind


@dataclass
class Profile:
    """One session's person: whom they view as, what they rated, and the dialogue state."""

    session_id: str
    view_user: int | None = None
    given: dict[int, Given] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    account: str | None = None  # the platform account this session is linked to
    watchlist: list[int] = field(default_factory=list)  # newest first
    seen: list[int] = field(default_factory=list)  # newest first

    @property
    def ratings(self) -> dict[int, float]:
        return {m: g.stars for m, g in self.given.items()}

    @property
    def disliked(self) -> list[int]:
        return [m for m, g in self.given.items() if g.kind == "dislike"]


class ProfileStore:
    """Thread-safe access to the user-data database; every write is its own transaction."""

    def __init__(self, where: Path | Database) -> None:
        """A store in the SQLite file ``where``, or in the database given."""
        self._db = SQLiteDatabase(where) if isinstance(where, Path) else where
        self._lock = threading.Lock()
        self._db.setup(_SCHEMA)

    @classmethod
    def in_folder(cls, userdata: Path, url: str | None = None) -> ProfileStore:
        """SQLite in ``userdata``, or PostgreSQL at ``url`` / ``MOVIEBOT_DATABASE_URL``."""
        return cls(open_database(userdata, url))

    @property
    def url(self) -> str:
        return self._db.url

    def secret(self) -> str:
        """The key behind session ids and page tokens, the same for every worker sharing this
        store (a private file beside SQLite, a table in PostgreSQL)."""
        with self._lock:
            return self._db.secret()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        with self._lock, self._db.writing() as db:
            yield db

    def _owner(self, db: Database, session_id: str) -> str:
        """Whose ratings a session reads and writes: its linked account's, or its own."""
        row = db.execute("SELECT account FROM links WHERE session_id = ?", (session_id,)).fetchone()
        return session_id if row is None else account_key(row[0])

    def _ensure(self, db: Database, session_id: str) -> None:
        now = time.time()
        db.execute(
            "INSERT INTO sessions (session_id, created, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(session_id) DO UPDATE SET updated = excluded.updated",
            (session_id, now, now),
        )

    def load(self, session_id: str) -> Profile:
        """The profile of a session (an empty one for a session never seen)."""
        with self._lock:
            row = self._db.execute(
                "SELECT view_user, state, account FROM sessions "
                "LEFT JOIN links USING (session_id) WHERE session_id = ?",
                (session_id,),
            ).fetchone()
            owner = session_id if row is None or row[2] is None else account_key(row[2])
            given = self._db.execute(
                "SELECT movie_id, stars, kind FROM ratings WHERE session_id = ? ORDER BY at",
                (owner,),
            ).fetchall()
            marks = self._db.execute(
                "SELECT movie_id, mark FROM marks WHERE session_id = ? ORDER BY at DESC",
                (owner,),
            ).fetchall()
        if row is None:
            return Profile(session_id)
        return Profile(
            session_id,
            row[0],
            {m: Given(m, s, k) for m, s, k in given},
            json.loads(row[1]),
            row[2],
            [m for m, kind in marks if kind == "watchlist"],
            [m for m, kind in marks if kind == "seen"],
        )

    def mark(self, session_id: str, movie_id: int, mark: Mark, on: bool = True) -> None:
        """Put a movie on (or take it off) this person's watchlist or seen list."""
        with self._write() as db:
            self._ensure(db, session_id)
            owner = self._owner(db, session_id)
            if on:
                db.execute(
                    "INSERT INTO marks (session_id, movie_id, mark, at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(session_id, movie_id, mark) DO UPDATE SET at = excluded.at",
                    (owner, movie_id, mark, time.time()),
                )
            else:
                db.execute(
                    "DELETE FROM marks WHERE session_id = ? AND movie_id = ? AND mark = ?",
                    (owner, movie_id, mark),
                )

    def give(self, session_id: str, movie_id: int, stars: float, kind: Kind = "rating") -> None:
        """Record (or replace) this session's rating of a movie."""
        with self._write() as db:
            self._ensure(db, session_id)
            db.execute(
                "INSERT INTO ratings (session_id, movie_id, stars, kind, at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(session_id, movie_id) DO UPDATE SET stars = excluded.stars, "
                "kind = excluded.kind, at = excluded.at",
                (self._owner(db, session_id), movie_id, stars, kind, time.time()),
            )

    def forget(self, session_id: str, movie_id: int) -> bool:
        """Take back a rating; True when there was one."""
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM ratings WHERE session_id = ? AND movie_id = ?",
                (self._owner(db, session_id), movie_id),
            )
            return cursor.rowcount > 0

    def set_view(self, session_id: str, user_id: int | None) -> None:
        """View the product as a MovieLens user (read-only), or as oneself again (None)."""
        with self._write() as db:
            self._ensure(db, session_id)
            db.execute(
                "UPDATE sessions SET view_user = ? WHERE session_id = ?", (user_id, session_id)
            )

    def save_state(self, session_id: str, state: dict[str, Any]) -> None:
        """The dialogue state (constraints, last picks): JSON, replaced whole."""
        with self._write() as db:
            self._ensure(db, session_id)
            db.execute(
                "UPDATE sessions SET state = ? WHERE session_id = ?",
                (json.dumps(state), session_id),
            )

    def append(self, session_id: str, role: str, content: str) -> None:
        """Add a message to the history, keeping the newest ``HISTORY_LIMIT``."""
        with self._write() as db:
            self._ensure(db, session_id)
            db.execute(
                "INSERT INTO messages (session_id, role, content, at) VALUES (?, ?, ?, ?)",
                (session_id, role, content, time.time()),
            )
            db.execute(
                "DELETE FROM messages WHERE session_id = ? AND id NOT IN (SELECT id FROM messages "
                "WHERE session_id = ? ORDER BY id DESC LIMIT ?)",
                (session_id, session_id, HISTORY_LIMIT),
            )

    def history(self, session_id: str, limit: int = HISTORY_LIMIT) -> list[tuple[str, str]]:
        """The newest ``limit`` messages as (role, content), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT role, content FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [(r, c) for r, c in reversed(rows)]

    def clear_conversation(self, session_id: str) -> None:
        """Start the conversation afresh (history and dialogue state); ratings stay."""
        with self._write() as db:
            db.execute("DELETE FROM messages WHERE session_id = ?", (session_id,))
            db.execute("UPDATE sessions SET state = '{}' WHERE session_id = ?", (session_id,))

    def reset(self, session_id: str) -> None:
        """Forget everything about a session: ratings, history, state, view, link.

        A linked account's ratings stay: they belong to the account, not to this session.
        """
        with self._write() as db:
            db.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))

    def expect(self, session_id: str, step: str) -> None:
        """Remember that this session's next message answers ``step`` (any worker sees it)."""
        with self._write() as db:
            self._ensure(db, session_id)
            db.execute(
                "INSERT INTO pending (session_id, step, at) VALUES (?, ?, ?) "
                "ON CONFLICT(session_id) DO UPDATE SET step = excluded.step, at = excluded.at",
                (session_id, step, time.time()),
            )

    def take_expected(self, session_id: str) -> str | None:
        """The step this session's message answers, if one was waiting (it waits no more).
        Read first, so the usual message, with nothing waiting, writes nothing."""
        with self._lock:
            row = self._db.execute(
                "SELECT step FROM pending WHERE session_id = ?", (session_id,)
            ).fetchone()
        if row is None:
            return None
        with self._write() as db:
            taken = db.execute(
                "DELETE FROM pending WHERE session_id = ? AND step = ?", (session_id, row[0])
            ).rowcount
        return str(row[0]) if taken else None  # another worker took it first: not twice

    # --- group nights -------------------------------------------------------------------------

    def create_group(self, session_id: str, name: str) -> Group:
        """A new group with this session in it (it leaves any group it was in)."""
        now = time.time()
        with self._write() as db:
            self._ensure(db, session_id)
            db.execute("DELETE FROM groups WHERE expires < ?", (now,))
            db.execute("DELETE FROM group_members WHERE session_id = ?", (session_id,))
            while True:
                code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if db.execute("SELECT 1 FROM groups WHERE code = ?", (code,)).fetchone() is None:
                    break
            db.execute(
                "INSERT INTO groups (code, created, expires) VALUES (?, ?, ?)",
                (code, now, now + GROUP_TTL),
            )
            db.execute(
                "INSERT INTO group_members (code, session_id, name, joined) VALUES (?, ?, ?, ?)",
                (code, session_id, name, now),
            )
        return self._group(code)

    def join_group(self, code: str, session_id: str, name: str | None = None) -> Group:
        """Join a group by its share code (leaving any other); GroupError says why not.
        Without a name, a newcomer is called by when they came ("Guest 2")."""
        code, now = normalize_code(code), time.time()
        with self._write() as db:
            row = db.execute("SELECT expires FROM groups WHERE code = ?", (code,)).fetchone()
            if row is None:
                raise GroupError(f"No group has the code {code or '(empty)'}.")
            if row[0] < now:
                raise GroupError("That group code has expired (codes last a week).")
            inside = db.execute(
                "SELECT session_id FROM group_members WHERE code = ?", (code,)
            ).fetchall()
            if len(inside) >= GROUP_LIMIT and (session_id,) not in inside:
                raise GroupError(f"That group is full ({GROUP_LIMIT} people).")
            self._ensure(db, session_id)
            db.execute(
                "DELETE FROM group_members WHERE session_id = ? AND code != ?", (session_id, code)
            )
            if (session_id,) in inside and not name:
                return self._group_in(db, code)
            db.execute(
                "INSERT INTO group_members (code, session_id, name, joined) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(code, session_id) DO UPDATE SET name = excluded.name",
                (code, session_id, name or f"Guest {len(inside) + 1}", now),
            )
        return self._group(code)

    def group_of(self, session_id: str) -> Group | None:
        """The group this session is in, while its code lasts."""
        with self._lock:
            row = self._db.execute(
                "SELECT code FROM group_members JOIN groups USING (code) "
                "WHERE session_id = ? AND expires >= ?",
                (session_id, time.time()),
            ).fetchone()
        return None if row is None else self._group(row[0])

    def leave_group(self, session_id: str) -> bool:
        """Leave the group; True when the session was in one."""
        with self._write() as db:
            cursor = db.execute("DELETE FROM group_members WHERE session_id = ?", (session_id,))
            db.execute(
                "DELETE FROM groups WHERE code NOT IN (SELECT DISTINCT code FROM group_members)"
            )
            return cursor.rowcount > 0

    def _group(self, code: str) -> Group:
        with self._lock:
            return self._group_in(self._db, code)

    @staticmethod
    def _group_in(db: Database, code: str) -> Group:
        expires = db.execute("SELECT expires FROM groups WHERE code = ?", (code,)).fetchone()
        rows = db.execute(
            "SELECT session_id, name FROM group_members WHERE code = ? ORDER BY joined", (code,)
        ).fetchall()
        return Group(code, [GroupMemberRow(s, n) for s, n in rows], expires[0] if expires else 0.0)

    # --- platform accounts --------------------------------------------------------------------

    def keep_link_token(self, nonce: str, account: str, expires: float) -> None:
        """Remember an issued link token (and drop those expired a day ago or more)."""
        with self._write() as db:
            db.execute("DELETE FROM link_tokens WHERE expires < ?", (time.time() - 86400,))
            db.execute(
                "INSERT INTO link_tokens (nonce, account, expires) VALUES (?, ?, ?)",
                (nonce, account, expires),
            )

    def take_link_token(self, nonce: str, session_id: str) -> tuple[TokenState, str | None]:
        """Use a link token up: ("ok", its account) the first time, before it expires.

        The same session redeeming it again (a page reloaded with the token in its address)
        gets ("again", account); any other session gets ("used", account).
        """
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT account, expires, used_by FROM link_tokens WHERE nonce = ?", (nonce,)
            ).fetchone()
            if row is None:
                return "unknown", None
            if row[2] is not None:
                return ("again" if row[2] == session_id else "used"), row[0]
            if row[1] <= now:
                return "expired", row[0]
            db.execute(
                "UPDATE link_tokens SET used = ?, used_by = ? WHERE nonce = ?",
                (now, session_id, nonce),
            )
            return "ok", row[0]

    def link(self, session_id: str, account: str) -> int:
        """Link a session to an account; its own ratings join the account's (newest wins).

        Returns how many ratings the account holds now.
        """
        owner = account_key(account)
        with self._write() as db:
            self._ensure(db, session_id)
            self._ensure(db, owner)
            db.execute(
                "INSERT INTO ratings (session_id, movie_id, stars, kind, at) "
                "SELECT ?, movie_id, stars, kind, at FROM ratings WHERE session_id = ? AND true "
                "ON CONFLICT(session_id, movie_id) DO UPDATE SET stars = excluded.stars, "
                "kind = excluded.kind, at = excluded.at WHERE excluded.at > ratings.at",
                (owner, session_id),
            )
            db.execute("DELETE FROM ratings WHERE session_id = ?", (session_id,))
            db.execute(
                "INSERT INTO marks (session_id, movie_id, mark, at) "
                "SELECT ?, movie_id, mark, at FROM marks WHERE session_id = ? AND true "
                "ON CONFLICT(session_id, movie_id, mark) DO NOTHING",
                (owner, session_id),
            )
            db.execute("DELETE FROM marks WHERE session_id = ?", (session_id,))
            db.execute(
                "INSERT INTO links (session_id, account, at) VALUES (?, ?, ?) "
                "ON CONFLICT(session_id) DO UPDATE SET account = excluded.account, "
                "at = excluded.at",
                (session_id, account, time.time()),
            )
            (count,) = db.execute(
                "SELECT count(*) FROM ratings WHERE session_id = ?", (owner,)
            ).fetchone()
        return int(count)


def account_key(account: str) -> str:
    """The store's key for a platform account's ratings (no session id has this form)."""
    return f"account:{account}"
