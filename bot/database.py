"""Where profiles live: SQLite in the user-data folder (one app process), or PostgreSQL shared
by several app workers (``MOVIEBOT_DATABASE_URL=postgresql://...``).

Both answer the few calls the profile store makes: ``execute`` with ``?`` placeholders
(returning a cursor), ``writing()`` for one write transaction, and ``secret()``, the key
behind session ids and page tokens. A write transaction holds the database's single writer
lock (SQLite's ``BEGIN IMMEDIATE``; a transaction-level advisory lock in PostgreSQL), so a
check-then-write such as "is this group full?" is as safe across workers as within one.
Once ``writing()`` returns, the write is durable: SQLite in WAL mode with ``synchronous=FULL``,
PostgreSQL with its default ``synchronous_commit``.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from recommender.errors import MovieBotError

log = logging.getLogger(__name__)

_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open
WRITER_LOCK = 0x6D6F7669  # any constant: the advisory lock every writer takes ("movi")
SECRET_FILE = "web_secret"


class Database(Protocol):
    """What the profile store needs from a database."""

    url: str  # where it is, for messages (no password)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any: ...

    def writing(self) -> Any: ...  # a context manager yielding self, one transaction

    def setup(self, schema: str) -> None: ...

    def secret(self) -> str: ...

    def close(self) -> None: ...


class SQLiteDatabase:
    """One file under ``MOVIEBOT_HOME/userdata``; the secret in a private file beside it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.url = f"sqlite:///{path}"
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, params)

    @contextmanager
    def writing(self) -> Iterator[SQLiteDatabase]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def setup(self, schema: str) -> None:
        self._db.executescript(schema)

    def secret(self) -> str:
        return file_secret(self.path.parent)

    def close(self) -> None:
        self._db.close()


class PostgresDatabase:
    """A PostgreSQL database several app workers share (psycopg 3, one connection per store,
    reconnected when the server restarted)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.url = _without_password(url)
        self._conn = self._connect()

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as err:
            raise MovieBotError(
                f"Cannot reach the profile database at {self.url}: {_first_line(err)}. "
                "Check MOVIEBOT_DATABASE_URL and that PostgreSQL is running."
            ) from None

    def _alive(self) -> Any:
        if self._conn.closed or self._conn.broken:
            log.warning("the profile database connection was lost; reconnecting")
            self._conn = self._connect()
        return self._conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        query = sql.replace("?", "%s")
        if self._conn.info.transaction_status != _IDLE:  # inside writing(): no retry
            return self._conn.execute(query, params)
        try:
            return self._alive().execute(query, params)
        except self._lost:  # the server restarted since the last call: once more, anew
            return self._alive().execute(query, params)

    @contextmanager
    def writing(self) -> Iterator[PostgresDatabase]:
        try:
            self._alive().execute("SELECT 1")
        except self._lost:
            self._alive()
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
            yield self

    @property
    def _lost(self) -> type[Exception]:
        import psycopg

        return psycopg.OperationalError

    def setup(self, schema: str) -> None:
        postgres = schema.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
        postgres = postgres.replace(" REAL", " DOUBLE PRECISION")
        with self.writing():  # two workers starting at once: one creates, the other sees it
            self._conn.execute(postgres)
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )

    def secret(self) -> str:
        """One key for every worker: session ids one issues, the others accept."""
        with self.writing():
            self._conn.execute(
                "INSERT INTO secrets (name, value) VALUES ('web', %s) ON CONFLICT DO NOTHING",
                (secrets.token_urlsafe(32),),
            )
            row = self._conn.execute("SELECT value FROM secrets WHERE name = 'web'").fetchone()
        return str(row[0])

    def close(self) -> None:
        self._conn.close()


def open_database(userdata: Path, url: str | None = None) -> Database:
    """PostgreSQL when a URL is given (``MOVIEBOT_DATABASE_URL``), else SQLite in ``userdata``."""
    url = url if url is not None else os.environ.get("MOVIEBOT_DATABASE_URL") or None
    if url is None:
        return SQLiteDatabase(userdata / "profiles.sqlite3")
    if not url.startswith(("postgresql://", "postgres://")):
        raise MovieBotError(
            f"MOVIEBOT_DATABASE_URL must be a postgresql:// URL, not {_without_password(url)!r}."
        )
    return PostgresDatabase(url)


def file_secret(userdata: Path) -> str:
    """The key behind browser tokens, API session ids and link tokens; made once, kept private."""
    path = userdata / SECRET_FILE
    if path.exists() and (secret := path.read_text().strip()):
        return secret
    userdata.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret)
    return secret


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
