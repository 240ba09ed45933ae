"""How well new users are understood: first messages and described tastes, scored end to end.

**First messages.** Each message goes to the chat service in a fresh session (the same call
``POST /api/chat`` makes); the session's stored ratings and the reply's movies are then
judged. A message is *fully understood* when

- every liked title is stored at 4 stars or more, every disliked one at 2.5 or less, every
  explicit rating within 0.25 of its stars, and nothing else is stored;
- every movie the reply is about (the named titles aside) has all of the message's genres,
  none of its excluded genres, and a year within its bounds; a recommend, similar or search
  message gets at least one movie;
- a "similar" request's reply is about movies other than its titles;
- a "search" message's reply includes one of its targets.

**Described tastes.** Precision@10 (and hit@10) against the ``acceptable`` lists of
``recommend --text``, of ``search``, of the chat's first five movies (denominator 5: fewer
picks count as misses), and of three baselines computed in the same run: MiniLM alone
(cosine over the index's vectors), TF-IDF over the index's documents, and the "five-line
baseline": MiniLM over ``"Title (Year). Genres. description. Tags: 8 most frequent tags."``
plus ``0.05 · log(1 + number of ratings)``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.session import ChatService
from recommender.catalog import Catalog
from recommender.engine import Engine, Taste

LIKED_MIN = 4.0
DISLIKED_MAX = 2.5
STARS_TOLERANCE = 0.25
NEEDS_MOVIES = {"recommend", "similar", "search"}
CHAT_PICKS = 5
K = 10


@dataclass(frozen=True)
class FirstMessage:
    """A first message of a new user and what understanding it means (dev file fields)."""

    id: str
    category: str
    text: str
    intent: str
    liked: tuple[int, ...] = ()
    disliked: tuple[int, ...] = ()
    rated: tuple[tuple[int, float], ...] = ()
    genres: tuple[str, ...] = ()
    exclude_genres: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    target: tuple[int, ...] = ()

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> FirstMessage:
        return cls(
            id=row["id"],
            category=row.get("category", ""),
            text=row["text"],
            intent=row.get("intent", ""),
            liked=tuple(row.get("liked") or ()),
            disliked=tuple(row.get("disliked") or ()),
            rated=tuple((int(m), float(s)) for m, s in row.get("rated") or ()),
            genres=tuple(row.get("genres") or ()),
            exclude_genres=tuple(row.get("exclude_genres") or ()),
            year_min=row.get("year_min"),
            year_max=row.get("year_max"),
            target=tuple(row.get("target") or ()),
        )

    @property
    def named(self) -> set[int]:
        return {*self.liked, *self.disliked, *(m for m, _ in self.rated), *self.target}


@dataclass(frozen=True)
class DescribedTaste:
    """A description of what someone wants, and the films a knowledgeable friend would accept."""

    id: str
    text: str
    acceptable: frozenset[int]
    kind: str = ""

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> DescribedTaste:
        notes = row.get("notes") or ""
        kind = notes.removeprefix("kind: ").split(".")[0] if notes.startswith("kind:") else ""
        return cls(row["id"], row["text"], frozenset(row["acceptable"]), kind)

    @property
    def topical(self) -> bool:
        return self.kind.startswith("topical")


@dataclass
class Verdict:
    """One first message judged: understood or not, and why not."""

    id: str
    category: str
    text: str
    ok: bool
    problems: list[str] = field(default_factory=list)


def load_cases(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8")))


# --- first messages -----------------------------------------------------------------------


def judge_first_message(service: ChatService, case: FirstMessage) -> Verdict:
    """Send the message in a fresh session and judge what was stored and what came back."""
    session = f"eval:{uuid.uuid4().hex}"
    try:
        reply = service.send(session, case.text)
    finally:
        stored = service.store.load(session).ratings
        service.store.reset(session)
    catalog = service.engine.catalog
    problems = _stored_problems(case, stored, catalog)
    problems += _reply_problems(case, list(reply.picks), catalog)
    return Verdict(case.id, case.category, case.text, not problems, problems)


def _stored_problems(case: FirstMessage, stored: dict[int, float], catalog: Catalog) -> list[str]:
    problems = []
    name = catalog.display
    for movie in case.liked:
        if stored.get(movie, 0.0) < LIKED_MIN:
            problems.append(f"liked {name(movie)} stored as {stored.get(movie)}")
    for movie in case.disliked:
        if movie not in stored or stored[movie] > DISLIKED_MAX:
            problems.append(f"disliked {name(movie)} stored as {stored.get(movie)}")
    for movie, stars in case.rated:
        if movie not in stored or abs(stored[movie] - stars) > STARS_TOLERANCE:
            problems.append(f"rated {name(movie)} {stars:g} stored as {stored.get(movie)}")
    expected = {*case.liked, *case.disliked, *(m for m, _ in case.rated)}
    for movie in stored.keys() - expected:
        problems.append(f"stored {name(movie)} at {stored[movie]:g}, not given")
    return problems


def _reply_problems(case: FirstMessage, movies: list[int], catalog: Catalog) -> list[str]:
    about = [m for m in movies if m not in case.named]
    problems = []
    if case.intent in NEEDS_MOVIES and not movies:
        problems.append("no movies in the reply")
    for movie_id in about:
        movie = catalog.movie(movie_id)
        if case.genres and not set(case.genres) <= set(movie.genres):
            problems.append(f"{movie.display} is not {'+'.join(case.genres)}")
        if set(case.exclude_genres) & set(movie.genres):
            problems.append(f"{movie.display} is an excluded genre")
        year = movie.year or 0
        if (case.year_min is not None and year < case.year_min) or (
            case.year_max is not None and year > case.year_max
        ):
            problems.append(f"{movie.display} is outside the years")
    if case.intent == "similar" and case.liked and not about:
        problems.append("a similar request answered with no other movie")
    if case.target and not set(case.target) & set(movies):
        problems.append("search target not found")
    return problems


def score_first_messages(
    service: ChatService, cases: Iterable[FirstMessage], progress: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Fully-understood count, overall and by category, with every failure's reasons."""
    verdicts = []
    for case in cases:
        verdicts.append(judge_first_message(service, case))
        if progress:
            progress()
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for verdict in verdicts:
        by_category[verdict.category][0] += verdict.ok
        by_category[verdict.category][1] += 1
    passed = sum(v.ok for v in verdicts)
    return {
        "n": len(verdicts),
        "understood": passed,
        "share": round(passed / max(1, len(verdicts)), 4),
        "by_category": {c: {"understood": a, "n": n} for c, (a, n) in sorted(by_category.items())},
        "failures": [asdict(v) for v in verdicts if not v.ok],
    }


# --- described tastes ---------------------------------------------------------------------

Ranker = Callable[[str], list[int]]


def precision(cases: list[DescribedTaste], rank: Ranker, k: int = K) -> dict[str, float]:
    """Mean precision@k (denominator k) and hit@k of ``rank`` over ``cases``."""
    if not cases:
        return {"precision": 0.0, "hit": 0.0, "n": 0}
    precisions, hits = [], []
    for case in cases:
        top = rank(case.text)[:k]
        good = sum(m in case.acceptable for m in top)
        precisions.append(good / k)
        hits.append(good > 0)
    return {
        "precision": round(float(np.mean(precisions)), 4),
        "hit": round(float(np.mean(hits)), 4),
        "n": len(cases),
    }


class Baselines:
    """The comparison rankers: MiniLM alone, TF-IDF, and the five-line baseline."""

    def __init__(self, engine: Engine, cache_dir: Path, progress: bool = True) -> None:
        self.engine = engine
        self.progress = progress
        self.semantic = engine.semantic
        self.item_ids = self.semantic.state.item_ids
        self.indexed = self.semantic.state.indexed
        self._cache_dir = cache_dir
        self._five_line: np.ndarray | None = None

    def _top(self, scores: np.ndarray, k: int = K) -> list[int]:
        scores = np.where(self.indexed, scores, -np.inf)
        top = np.argpartition(-scores, k)[:k]
        return [int(self.item_ids[c]) for c in top[np.argsort(-scores[top])]]

    def minilm(self, text: str) -> list[int]:
        return self._top(self.semantic.similarities(self.semantic.embed(text).vector))

    def tfidf(self, text: str) -> list[int]:
        lexical = self.semantic.state.lexical
        if lexical is None:
            return []
        return self._top(lexical.similarities([text])[0])

    def five_line(self, text: str) -> list[int]:
        vectors = self._five_line_vectors()
        query = self.semantic.embedder.encode([text])[0]
        counts = self.engine.models.stats.counts
        return self._top(vectors @ query + 0.05 * np.log1p(counts))

    def _five_line_vectors(self) -> np.ndarray:
        if self._five_line is not None:
            return self._five_line
        docs = five_line_docs(self.engine.catalog, self.item_ids)
        digest = hashlib.sha256("\n".join(docs).encode()).hexdigest()[:16]
        path = self._cache_dir / f"five-line-baseline-{digest}.npy"
        if path.exists():
            self._five_line = np.load(path)
        else:
            self._five_line = self.semantic.embedder.encode(docs, progress=self.progress)
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            np.save(path, self._five_line)
        return self._five_line


def five_line_docs(catalog: Catalog, item_ids: np.ndarray) -> list[str]:
    """'Title (Year). Genre, Genre. description. Tags: the 8 most frequent lower-cased tags.'"""
    tags: dict[int, Counter[str]] = defaultdict(Counter)
    for movie_id, tag in zip(catalog.tags["movieId"], catalog.tags["tag"], strict=True):
        tags[int(movie_id)][str(tag).lower()] += 1
    descriptions = catalog.descriptions["description"]
    docs = []
    for movie_id in item_ids:
        movie = catalog.movie(int(movie_id))
        described = descriptions.get(int(movie_id), "")
        top_tags = ", ".join(t for t, _ in tags[int(movie_id)].most_common(8))
        docs.append(
            f"{movie.display}. {', '.join(movie.genres)}. "
            f"{described if isinstance(described, str) else ''}. Tags: {top_tags}."
        )
    return docs


def score_described_tastes(
    service: ChatService, cases: list[DescribedTaste], cache_dir: Path, progress: bool = True
) -> dict[str, Any]:
    """Every ranker on every case: the product's three paths and the three baselines."""
    engine = service.engine
    baselines = Baselines(engine, cache_dir, progress)

    def recommend_text(text: str) -> list[int]:
        """As ``recommend --text`` does it: the stated genres and years, then the ranking."""
        described = service.nlu.read_described(text)
        taste = Taste(None, described.ratings)
        picks = engine.recommend(taste, text=text, filters=described.filters, k=K).picks
        return [p.movie.movieId for p in picks]

    def search(text: str) -> list[int]:
        return [h.movie.movieId for h in engine.search(text, k=K).hits]

    def chat(text: str) -> list[int]:
        session = f"eval:{uuid.uuid4().hex}"
        try:
            return list(service.send(session, text).picks)[:CHAT_PICKS]
        finally:
            service.store.reset(session)

    rankers: dict[str, Ranker] = {
        "recommend_text": recommend_text,
        "search": search,
        "five_line_baseline": baselines.five_line,
        "minilm": baselines.minilm,
        "tfidf": baselines.tfidf,
    }
    subsets = {"all": cases, "topical": [c for c in cases if c.topical]}
    result: dict[str, Any] = {}
    for subset, chosen in subsets.items():
        if not chosen:
            continue
        scores = {name: precision(chosen, rank) for name, rank in rankers.items()}
        scores["chat_first5"] = precision(chosen, chat, k=CHAT_PICKS)
        result[subset] = scores
    return result


# --- the whole run ---------------------------------------------------------------------------


def eval_files(folders: Iterable[Path]) -> list[Path]:
    """The first-message and described-taste files in ``folders``, in a stable order."""
    files: list[Path] = []
    for folder in folders:
        for pattern in ("first_messages*.json", "described_tastes*.json"):
            files += sorted(folder.glob(pattern))
    return files


def evaluate_understanding(
    service: ChatService, files: list[Path], cache_dir: Path, progress: bool = True
) -> dict[str, Any]:
    """Every eval file scored, keyed by its name ("first_messages.dev", ...)."""
    from tqdm import tqdm

    out: dict[str, Any] = {}
    for path in files:
        name = path.name.removesuffix(".json")
        rows = load_cases(path)
        if path.name.startswith("first_messages"):
            cases = [FirstMessage.from_json(r) for r in rows]
            with tqdm(total=len(cases), desc=name, disable=not progress, leave=False) as bar:
                out[name] = {
                    "kind": "first_messages",
                    **score_first_messages(service, cases, bar.update),
                }
        else:
            tastes = [DescribedTaste.from_json(r) for r in rows]
            out[name] = {
                "kind": "described_tastes",
                **score_described_tastes(service, tastes, cache_dir, progress),
            }
    return out


def markdown_section(result: dict[str, Any]) -> list[str]:
    """The understanding results as Markdown: one table per kind, failures listed after."""
    lines = ["## Understanding new users", ""]
    firsts = {n: r for n, r in result.items() if r["kind"] == "first_messages"}
    tastes = {n: r for n, r in result.items() if r["kind"] == "described_tastes"}
    if firsts:
        lines += ["| first messages | fully understood |", "| --- | ---: |"]
        lines += [
            f"| {n} | {r['understood']}/{r['n']} ({r['share']:.0%}) |" for n, r in firsts.items()
        ]
        lines.append("")
        for name, r in firsts.items():
            by_cat = ", ".join(
                f"{c} {v['understood']}/{v['n']}" for c, v in r["by_category"].items()
            )
            lines += [f"{name} by kind: {by_cat}", ""]
    if tastes:
        rankers = [
            "recommend_text",
            "chat_first5",
            "search",
            "five_line_baseline",
            "minilm",
            "tfidf",
        ]
        lines += [
            "| described tastes (precision / hit) | " + " | ".join(rankers) + " |",
            "| --- | " + " | ".join("---:" for _ in rankers) + " |",
        ]
        for name, r in tastes.items():
            for subset, scores in r.items():
                if subset == "kind":
                    continue
                cells = [f"{scores[k]['precision']:.2f} / {scores[k]['hit']:.2f}" for k in rankers]
                lines.append(
                    f"| {name} ({subset}, n={scores['search']['n']}) | " + " | ".join(cells) + " |"
                )
        lines.append("")
    return lines
