"""Movie details from TMDB, optional: posters, runtime, trailer, credits, keywords, where to watch.

``python app.py enrich`` fetches, for every movie with a ``tmdbId`` in ``links.csv``, one
request: ``GET /movie/{id}?append_to_response=keywords,credits,videos,watch/providers``. What
comes back is cached per movie in ``MOVIEBOT_HOME/tmdb/details.sqlite3`` (found, missing or
failed, with when), so a run can stop and resume, and a later run fetches only what is new or
older than ``max_age_days``. Requests are spaced to ``rate`` per second; a 429 waits the
``Retry-After`` it names; timeouts and 5xx are retried with backoff. Nothing here is needed for
the app to work, and serving never waits for it: cards show what the cache holds.

Posters are linked from TMDB's image CDN, never stored. Where-to-watch data comes from
JustWatch through TMDB and must be shown with that attribution.
"""

from __future__ import annotations

import json
import locale
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

ATTRIBUTION = (
    "Movie details from TMDB (themoviedb.org); this product uses the TMDB API but is not "
    "endorsed or certified by TMDB. Where to watch: JustWatch, via TMDB."
)
Status = Literal["ok", "missing", "failed"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS details (
    tmdb_id INTEGER PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('ok', 'missing', 'failed')),
    fetched REAL NOT NULL,
    body TEXT NOT NULL DEFAULT '{}'
);
"""


def default_region() -> str:
    """``MOVIEBOT_REGION``, else the country of the locale (``en_GB`` -> GB), else US."""
    if region := os.environ.get("MOVIEBOT_REGION", "").strip():
        return region.upper()
    name = locale.getlocale()[0] or os.environ.get("LANG", "")
    country = name.split(".")[0].split("_")[-1] if "_" in name else ""
    return country.upper() if len(country) == 2 else "US"


class TMDBConfig(BaseModel):
    """Credentials and manners. ``from_env`` reads ``TMDB_API_KEY`` or ``TMDB_READ_TOKEN``,
    ``TMDB_API_BASE``, ``TMDB_IMAGE_BASE`` and ``MOVIEBOT_REGION``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: str | None = None
    read_token: str | None = None
    api_base: str = "https://api.themoviedb.org/3"
    image_base: str = "https://image.tmdb.org/t/p"
    region: str = Field(default_factory=default_region, pattern=r"^[A-Z]{2}$")
    rate: float = Field(20.0, gt=0, le=50, description="requests per second at most")
    max_age_days: float = Field(30.0, ge=0)
    timeout: float = Field(10.0, gt=0)
    retries: int = Field(4, ge=0, le=10)

    @classmethod
    def from_env(cls, **overrides: Any) -> TMDBConfig:
        env = {
            "api_key": os.environ.get("TMDB_API_KEY") or None,
            "read_token": os.environ.get("TMDB_READ_TOKEN") or None,
            "api_base": os.environ.get("TMDB_API_BASE"),
            "image_base": os.environ.get("TMDB_IMAGE_BASE"),
        }
        given = {k: v for k, v in {**env, **overrides}.items() if v is not None}
        return cls(**given)

    @property
    def configured(self) -> bool:
        return bool(self.api_key or self.read_token)


@dataclass(frozen=True)
class Details:
    """What a card shows from TMDB (every field optional)."""

    poster: str | None = None  # full image URL (w342)
    thumb: str | None = None  # the poster, small (w92), for cards
    backdrop: str | None = None
    runtime: int | None = None  # minutes
    overview: str | None = None
    keywords: list[str] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)
    director: str | None = None
    trailer: str | None = None  # a YouTube watch URL
    providers: dict[str, list[str]] = field(default_factory=dict)  # stream/rent/buy -> names
    providers_link: str | None = None


def parse_details(body: dict[str, Any], config: TMDBConfig) -> Details:
    """TMDB's movie JSON (with the appended parts) as ``Details``; odd fields are skipped."""

    def image(path: Any, size: str) -> str | None:
        return f"{config.image_base.rstrip('/')}/{size}{path}" if isinstance(path, str) else None

    credits = body.get("credits") or {}
    crew = [c for c in credits.get("crew") or [] if isinstance(c, dict)]
    videos = [v for v in (body.get("videos") or {}).get("results") or [] if isinstance(v, dict)]
    trailers = [
        v
        for v in videos
        if v.get("site") == "YouTube" and v.get("type") == "Trailer" and v.get("key")
    ]
    trailers.sort(key=lambda v: not v.get("official", False))
    region = ((body.get("watch/providers") or {}).get("results") or {}).get(config.region) or {}
    providers = {
        kind: [str(p["provider_name"]) for p in region.get(key) or [] if "provider_name" in p]
        for kind, key in (("stream", "flatrate"), ("rent", "rent"), ("buy", "buy"))
    }
    runtime = body.get("runtime")
    return Details(
        poster=image(body.get("poster_path"), "w342"),
        thumb=image(body.get("poster_path"), "w92"),
        backdrop=image(body.get("backdrop_path"), "w780"),
        runtime=runtime if isinstance(runtime, int) and runtime > 0 else None,
        overview=body.get("overview") or None,
        keywords=[
            str(k["name"])
            for k in (body.get("keywords") or {}).get("keywords") or []
            if isinstance(k, dict) and "name" in k
        ],
        cast=[str(c["name"]) for c in (credits.get("cast") or [])[:5] if "name" in c],
        director=next((str(c["name"]) for c in crew if c.get("job") == "Director"), None),
        trailer=f"https://www.youtube.com/watch?v={trailers[0]['key']}" if trailers else None,
        providers={k: v for k, v in providers.items() if v},
        providers_link=region.get("link"),
    )


class DetailsCache:
    """The per-movie cache (SQLite; every write its own transaction, so a kill loses nothing)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_home(cls, home: Path) -> DetailsCache:
        return cls(cls.file_in(home))

    @staticmethod
    def file_in(home: Path) -> Path:
        return home / "tmdb" / "details.sqlite3"

    def put(self, tmdb_id: int, status: Status, body: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO details (tmdb_id, status, fetched, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(tmdb_id) DO UPDATE SET status = excluded.status, "
                "fetched = excluded.fetched, body = excluded.body",
                (tmdb_id, status, time.time(), json.dumps(body or {})),
            )

    def status(self, tmdb_id: int) -> tuple[Status, float] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT status, fetched FROM details WHERE tmdb_id = ?", (tmdb_id,)
            ).fetchone()
        return None if row is None else (row[0], float(row[1]))

    def body(self, tmdb_id: int) -> dict[str, Any] | None:
        """The stored JSON of a movie TMDB answered for (None: not fetched, missing, failed)."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM details WHERE tmdb_id = ? AND status = 'ok'", (tmdb_id,)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def state(self) -> dict[str, float]:
        """How many movies TMDB answered for and when the newest came: what a build of the
        descriptions depends on."""
        with self._lock:
            n, latest = self._db.execute(
                "SELECT count(*), coalesce(max(fetched), 0) FROM details WHERE status = 'ok'"
            ).fetchone()
        return {"ok": int(n), "latest": round(float(latest), 3)}

    def description_rows(self) -> pd.DataFrame:
        """Per tmdbId the overview and what goes with it (tagline, keywords, director, cast,
        original language), in the columns description files have."""
        with self._lock:
            rows = self._db.execute("SELECT tmdb_id, body FROM details WHERE status = 'ok'")
            bodies = [(int(t), json.loads(b)) for t, b in rows.fetchall()]
        records = []
        for tmdb_id, body in bodies:
            if not isinstance(body, dict) or not body.get("overview"):
                continue
            details = parse_details(body, TMDBConfig())
            records.append(
                {
                    "tmdbId": tmdb_id,
                    "overview": str(body["overview"]),
                    "tagline": str(body.get("tagline") or ""),
                    "keywords": ", ".join(details.keywords),
                    "director": details.director or "",
                    "actors": ", ".join(details.cast),
                    "original_language": str(body.get("original_language") or ""),
                }
            )
        columns = ["tmdbId", "overview", "tagline", "keywords", "director", "actors"]
        return pd.DataFrame(records, columns=[*columns, "original_language"])

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, count(*) FROM details GROUP BY status")
            return {status: int(n) for status, n in rows.fetchall()}

    def close(self) -> None:
        with self._lock:
            self._db.close()


class DetailsSource:
    """The read side for cards: ``source(tmdb_id)`` -> ``Details`` or None. The cache is
    opened once ``enrich`` has made it, so a running server picks up a first run's results."""

    def __init__(self, home: Path, config: TMDBConfig | None = None) -> None:
        self.path = home / "tmdb" / "details.sqlite3"
        self.config = config or TMDBConfig.from_env()
        self._cache: DetailsCache | None = None
        self._lock = threading.Lock()

    def __call__(self, tmdb_id: int | None) -> Details | None:
        if tmdb_id is None:
            return None
        with self._lock:
            if self._cache is None:
                if not self.path.exists():
                    return None
                self._cache = DetailsCache(self.path)
        body = self._cache.body(int(tmdb_id))
        return None if body is None else parse_details(body, self.config)


class TMDBError(Exception):
    """A request that failed after its retries (the movie is cached as failed)."""


class TMDBClient:
    """GET one movie's details, politely: spaced requests, Retry-After, retries."""

    def __init__(self, config: TMDBConfig, sleep: Any = time.sleep) -> None:
        if not config.configured:
            raise ValueError("set TMDB_API_KEY or TMDB_READ_TOKEN to fetch movie details")
        self.config = config
        self._sleep = sleep
        self._next = 0.0
        headers = {"Accept": "application/json"}
        if config.read_token:
            headers["Authorization"] = f"Bearer {config.read_token}"
        self._http = httpx.Client(base_url=config.api_base, headers=headers, timeout=config.timeout)

    def close(self) -> None:
        self._http.close()

    def movie(self, tmdb_id: int) -> dict[str, Any] | None:
        """The movie's JSON, or None when TMDB does not know it (404)."""
        params = {"append_to_response": "keywords,credits,videos,watch/providers"}
        if self.config.api_key and not self.config.read_token:
            params["api_key"] = self.config.api_key
        problem = ""
        for attempt in range(self.config.retries + 1):
            self._pace()
            try:
                response = self._http.get(f"/movie/{tmdb_id}", params=params)
            except httpx.TransportError as err:  # timeouts, refused connections
                problem = f"{type(err).__name__}"
                self._sleep(min(2.0**attempt, 30.0))
                continue
            if response.status_code == 404:
                return None
            if response.status_code == 429:
                problem = "429 Too Many Requests"
                self._sleep(_retry_after(response.headers.get("Retry-After"), attempt))
                continue
            if response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                self._sleep(min(2.0**attempt, 30.0))
                continue
            if response.status_code != 200:
                raise TMDBError(f"HTTP {response.status_code}: {response.text[:200]}")
            try:
                body = response.json()
            except ValueError as err:
                raise TMDBError(f"not JSON ({err})") from err
            if not isinstance(body, dict):
                raise TMDBError("not a JSON object")
            return body
        raise TMDBError(f"gave up after {self.config.retries + 1} tries ({problem})")

    def _pace(self) -> None:
        now = time.monotonic()
        if now < self._next:
            self._sleep(self._next - now)
        self._next = max(now, self._next) + 1.0 / self.config.rate


def _retry_after(value: str | None, attempt: int) -> float:
    try:
        return min(max(float(value or ""), 0.0), 120.0)
    except ValueError:
        return min(2.0**attempt, 30.0)


@dataclass
class EnrichReport:
    """What a run did."""

    fetched: int = 0
    missing: int = 0
    failed: int = 0
    fresh: int = 0  # cached and young enough: skipped
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors[:20]}


def enrich(
    tmdb_ids: Iterable[int],
    cache: DetailsCache,
    client: TMDBClient,
    progress: bool = False,
    now: float | None = None,
) -> EnrichReport:
    """Fetch what the cache lacks or holds for longer than ``max_age_days`` (resumable)."""
    from tqdm.auto import tqdm

    report = EnrichReport()
    limit = (now or time.time()) - client.config.max_age_days * 86400
    todo = []
    for tmdb_id in dict.fromkeys(int(t) for t in tmdb_ids):
        known = cache.status(tmdb_id)
        if known is not None and known[0] != "failed" and known[1] >= limit:
            report.fresh += 1
        else:
            todo.append(tmdb_id)
    for tmdb_id in tqdm(todo, desc="TMDB details", unit="movie", disable=not progress):
        try:
            body = client.movie(tmdb_id)
        except TMDBError as err:
            cache.put(tmdb_id, "failed")
            report.failed += 1
            report.errors.append(f"{tmdb_id}: {err}")
            continue
        if body is None:
            cache.put(tmdb_id, "missing")
            report.missing += 1
        else:
            cache.put(tmdb_id, "ok", body)
            report.fetched += 1
    return report
