"""Semantic search over movie descriptions, and the text signal of the hybrid ranker.

``search`` is a faithful description search: the Chroma collection's nearest documents to
the query, with filters. Recommending from words is not searching: ``recommend --text``
blends the similarity with what people rate well (popularity, quality, tag sentiment),
with weights chosen on data, so "a zombie film" gives good zombie films first.

**Choosing the text weights without hand-tuning.** MovieLens users' own tags are natural
queries: a tag used on several movies ("time travel", "heist", "dystopia") is a query
whose relevant movies are the ones people tagged with it. The weights of popularity,
quality and sentiment next to the text similarity (fixed at 1) maximize NDCG@10 over these
tag queries; the weight of the text next to a person's own profile is chosen the same way on
(user, tag) pairs: the tagger's other ratings as the profile, the movies they gave that tag as
the relevant ones.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.matrix import Profile
from recommender.metrics import ndcg_at_k, top_k
from recommender.ranking import WEIGHT_GRID, Filters, RankerWeights, combine, standardize
from vectorstore.documents import genre_flag
from vectorstore.embeddings import MAX_CHARS, Embedder
from vectorstore.store import MovieDoc, MovieStore

log = logging.getLogger(__name__)

META_TAGS = frozenset(
    {
        "in netflix queue",
        "netflix",
        "dvd",
        "bd-r",
        "dvd-video",
        "seen",
        "to see",
        "watched",
        "tivo",
        "owned",
        "library",
        "clv",
        "might like",
        "need to own",
    }
)
MAX_TAG_QUERIES = 200
PERSONAL_TEXT_GRID = (0.0, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0)
_WORD_RE = re.compile(r"[a-z0-9']+")
STOP = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "with",
        "for",
        "to",
        "from",
        "by",
        "at",
        "is",
        "it",
        "its",
        "that",
        "this",
        "movie",
        "film",
        "films",
        "movies",
        "about",
        "like",
        "some",
        "something",
    }
)


@dataclass
class TextIndexState:
    """The index stage's payload: vectors aligned with the catalogue's columns, docs and weights."""

    model: str
    dimension: int
    item_ids: np.ndarray
    vectors: np.ndarray  # (n_items, dim), zero rows for movies not indexed
    indexed: np.ndarray  # bool per column
    docs: list[MovieDoc]
    text_weights: RankerWeights
    personal_text_weight: float
    lexical: LexicalIndex | None = None
    lexical_weight: float = 0.0  # text score = z(dense) + lexical_weight · z(lexical)
    text_gate: int | None = None  # text-only requests rank the top-N text matches only
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class LexicalIndex:
    """TF-IDF over the same documents, rows aligned with the catalogue's columns."""

    vectorizer: Any
    matrix: Any  # sparse (n_items, vocabulary), zero rows for movies not indexed

    @classmethod
    def fit(cls, docs: list[MovieDoc], item_ids: np.ndarray) -> LexicalIndex:
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32)
        rows = vectorizer.fit_transform([d.text for d in docs]).tocoo()
        cols = np.searchsorted(item_ids, np.array([d.movie_id for d in docs]))
        matrix = sp.csr_matrix(
            (rows.data, (cols[rows.row], rows.col)), shape=(len(item_ids), rows.shape[1])
        )
        return cls(vectorizer, matrix)

    def similarities(self, texts: list[str]) -> np.ndarray:
        """(len(texts), n_items) cosine similarities."""
        return np.asarray((self.vectorizer.transform(texts) @ self.matrix.T).todense())


def text_score(
    dense: np.ndarray, lexical: np.ndarray | None, weight: float, indexed: np.ndarray
) -> np.ndarray:
    """z(dense) + weight · z(lexical) over the indexed movies; 0 for the others."""
    score = standardize(dense, indexed)
    if lexical is not None and weight:
        score = score + weight * standardize(lexical, indexed)
    return np.where(indexed, score, 0.0)


@dataclass(frozen=True)
class Query:
    """An embedded query and whether it had to be shortened."""

    text: str
    vector: np.ndarray
    truncated: bool
    also: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


class SemanticIndex:
    """Engine-side access to the text index: similarities in numpy, search through Chroma."""

    def __init__(self, state: TextIndexState, store: MovieStore, embedder: Embedder) -> None:
        self.state = state
        self.store = store
        self.embedder = embedder
        self._store_checked = False
        self._store_lock = threading.Lock()  # the first queries may come from several threads

    def embed(self, text: str, *also: str) -> Query:
        """``text`` embedded; ``also`` texts ride in the same forward pass (``Query.also``)."""
        clean = [" ".join(t.split()) for t in (text, *also)]
        vectors = self.embedder.encode(clean)
        return Query(clean[0], vectors[0], len(clean[0]) > MAX_CHARS, vectors[1:])

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every catalogue movie to ``vector`` (0 for unindexed movies)."""
        return self.state.vectors @ vector

    def text_scores(self, query: Query) -> np.ndarray:
        """The ranker's text signal: dense and lexical similarity, mixed as fitted."""
        state = self.state
        lexical = state.lexical.similarities([query.text])[0] if state.lexical is not None else None
        return text_score(
            self.similarities(query.vector), lexical, state.lexical_weight, state.indexed
        )

    def vector_of(self, col: int) -> np.ndarray | None:
        return self.state.vectors[col] if self.state.indexed[col] else None

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None) -> list[Any]:
        self.ensure_store()
        return self.store.query(vector, k, where)

    def ensure_store(self) -> None:
        """Reopen the Chroma store; restore it from the payload when missing or corrupt."""
        if self._store_checked:
            return
        with self._store_lock:
            if self._store_checked:
                return
            if self.store.is_new():  # a fresh home with a built index: fill it, quietly
                self.restore()
                log.info("filled the vector index at %s from the built artifact", self.store.where)
                self._store_checked = True
                return
            problem = self.store.check(self.state.dimension)
            if not problem:
                count = self.store.collection().count()
                if count != len(self.state.docs):
                    problem = f"it holds {count} documents instead of {len(self.state.docs)}"
            if problem:
                self.store.reset(problem)
                self.restore()
                where = self.store.where
                log.warning("restored the vector index at %s from the built artifact", where)
            self._store_checked = True

    def restore(self) -> None:
        """Refill the collection from the stored vectors (no re-embedding)."""
        collection = self.store.collection()
        by_id = {int(m): c for c, m in enumerate(self.state.item_ids)}
        for start in range(0, len(self.state.docs), 256):
            batch = self.state.docs[start : start + 256]
            collection.upsert(
                ids=[str(d.movie_id) for d in batch],
                embeddings=self.state.vectors[[by_id[d.movie_id] for d in batch]],
                documents=[d.text for d in batch],
                metadatas=[{**d.metadata, "hash": d.hash} for d in batch],
            )
        self.store._write_manifest(self.state.dimension, len(self.state.docs))


def chroma_where(filters: Filters) -> dict[str, Any] | None:
    """A Chroma ``where`` clause for the filters (None when there are none)."""
    clauses: list[dict[str, Any]] = []
    if filters.genres:
        flags = [{genre_flag(g): True} for g in filters.genres]
        if filters.all_genres:
            clauses += flags
        else:
            clauses.append(flags[0] if len(flags) == 1 else {"$or": flags})
    clauses += [{genre_flag(g): False} for g in filters.exclude_genres]
    if filters.year_min is not None:
        clauses.append({"year": {"$gte": filters.year_min}})
    if filters.year_max is not None:
        clauses += [{"year": {"$lte": filters.year_max}}, {"year": {"$gt": 0}}]
    if filters.min_ratings:
        clauses.append({"n_ratings": {"$gte": filters.min_ratings}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def snippet(document: str, query: str, limit: int = 160) -> str:
    """The document's sentence sharing most words with the query (the first one on a tie)."""
    words = {w for w in _WORD_RE.findall(query.lower()) if w not in STOP}
    text = document.split("\n", 1)[-1]  # the body, after the "Title (Year). Genres." header
    body = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()] or [text]
    best = max(body, key=lambda s: (len(words & set(_WORD_RE.findall(s.lower()))), -body.index(s)))
    return best if len(best) <= limit else best[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- choosing the weights on tag queries -------------------------------------------------


def tag_queries(
    tags: pd.DataFrame, item_ids: np.ndarray, indexed: np.ndarray
) -> list[tuple[str, set[int]]]:
    """Tags used on 3 to 100 indexed movies, as (query, relevant columns), most used first."""
    if tags.empty:
        return []
    frame = tags.assign(key=tags["tag"].astype(str).str.strip().str.lower())
    frame = frame[~frame["key"].isin(META_TAGS) & (frame["key"].str.len() >= 3)]
    frame = frame.assign(col=np.searchsorted(item_ids, frame["movieId"].to_numpy()))
    frame = frame[indexed[frame["col"].to_numpy()]]
    groups = frame.groupby("key")["col"].agg(lambda c: set(c.tolist()))
    groups = groups[groups.map(len).between(3, 100)]
    ordered = groups.map(len).sort_values(ascending=False, kind="stable").index[:MAX_TAG_QUERIES]
    return [(key, groups[key]) for key in ordered]


LEXICAL_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
GATE_GRID = (20, 50, 100, 300, None)


@dataclass
class TextFit:
    """What ``fit_text_weights`` chose, and the tag-query scores behind the choice."""

    weights: RankerWeights
    personal: float
    lexical_weight: float
    gate: int | None
    scores: dict[str, float]


def ips_ndcg(scores: np.ndarray, relevant: list[set[int]], gain: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k where a relevant movie i gains ``gain[i]`` (inverse propensity), not 1."""
    out = []
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    for row, rel in zip(scores, relevant, strict=True):
        ranked = top_k(row, k)
        dcg = sum(gain[i] * discount[r] for r, i in enumerate(ranked) if i in rel)
        ideal = np.sort(gain[list(rel)])[::-1][:k]
        out.append(dcg / float(ideal @ discount[: len(ideal)]) if len(ideal) else 0.0)
    return float(np.mean(out)) if out else 0.0


def fit_text_weights(
    models: Any,
    vectors: np.ndarray,
    indexed: np.ndarray,
    embedder: Embedder,
    tags: pd.DataFrame,
    lexical: LexicalIndex | None,
) -> TextFit:
    """The lexical mix, the priors' weights and the gate for text-only requests, and the text
    weight next to a personal profile, by NDCG@10 on tag queries.

    Tags are missing not at random: popular movies get tagged far more, so plain NDCG on tags
    would reward popularity for itself. Each tagged movie therefore gains the inverse of its
    propensity, taken as ``sqrt(1 + number of ratings)`` (Steck 2011, popularity-stratified
    evaluation), which judges how well the text finds what it asks for, good films first.
    """
    queries = tag_queries(tags, models.matrix.item_ids, indexed)
    base = RankerWeights(
        ease=0.0,
        ials=0.0,
        knn=0.0,
        stars=0.0,
        cluster=0.0,
        text=1.0,
        pop=0.0,
        quality=0.0,
        sentiment=0.0,
    )
    if len(queries) < 5:
        log.info(
            "too few tag queries (%d) to fit text weights; using similarity alone", len(queries)
        )
        return TextFit(base, 1.0, 0.0, None, {"tag_queries": len(queries)})
    texts = [q for q, _ in queries]
    relevant = [rel for _, rel in queries]
    gain = 1.0 / np.sqrt(1.0 + models.stats.counts)
    dense = embedder.encode(texts) @ vectors.T
    lexical_sims = lexical.similarities(texts) if lexical is not None else None

    def mixed(weight: float) -> np.ndarray:
        return np.array(
            [
                text_score(
                    dense[q], None if lexical_sims is None else lexical_sims[q], weight, indexed
                )
                for q in range(len(queries))
            ],
            dtype=np.float32,
        )

    def judge(scores: np.ndarray) -> float:
        return ips_ndcg(np.where(indexed, scores, -np.inf), relevant, gain)

    lexical_scores = {
        w: judge(mixed(w)) for w in (LEXICAL_GRID if lexical_sims is not None else (0.0,))
    }
    lexical_weight = max(lexical_scores, key=lambda w: (lexical_scores[w], -w))
    text = mixed(lexical_weight)
    order = np.sort(np.where(indexed, text, -np.inf), axis=1)
    priors = np.stack(
        [
            standardize(np.log1p(models.stats.counts), indexed),
            standardize(models.stats.quality, indexed),
            standardize(models.sentiment.scores, indexed),
        ]
    ).astype(np.float32)

    def evaluate(w: np.ndarray, gate: int | None) -> float:
        total = text + (w @ priors)[None, :]
        if gate is not None:
            total = np.where(text >= order[:, -gate][:, None], total, -np.inf)
        return judge(total)

    w, gate = np.zeros(3), None
    best = evaluate(w, gate)
    for _ in range(2):  # coordinate ascent over the three prior weights and the gate
        for c in range(3):
            for value in WEIGHT_GRID:
                trial = w.copy()
                trial[c] = value
                if (score := evaluate(trial, gate)) > best + 1e-6:
                    best, w = score, trial
        for candidate in GATE_GRID:
            if (score := evaluate(w, candidate)) > best + 1e-6:
                best, gate = score, candidate
    weights = base.model_copy(
        update={"pop": float(w[0]), "quality": float(w[1]), "sentiment": float(w[2])}
    )
    personal, personal_ndcg = _fit_personal(models, tags, queries, text, indexed)
    scores = {
        "tag_queries": len(queries),
        "ips_ndcg@10_dense_only": round(lexical_scores[0.0], 4),
        "ips_ndcg@10_dense_and_lexical": round(lexical_scores[lexical_weight], 4),
        "ips_ndcg@10_with_priors_and_gate": round(best, 4),
        "personal_pairs": personal_ndcg[0],
        "personal_ndcg@10": round(personal_ndcg[1], 4),
    }
    log.debug(
        "text: lexical weight %s, priors %s, gate %s, personal text weight %s (%s)",
        lexical_weight,
        weights.model_dump(),
        gate,
        personal,
        scores,
    )
    return TextFit(weights, personal, lexical_weight, gate, scores)


def _fit_personal(
    models: Any,
    tags: pd.DataFrame,
    queries: list[tuple[str, set[int]]],
    sims: np.ndarray,
    indexed: np.ndarray,
) -> tuple[float, tuple[int, float]]:
    """The text weight next to a profile, by NDCG@10 on (tagger, tag) pairs."""
    index = {q: i for i, (q, _) in enumerate(queries)}
    frame = tags.assign(key=tags["tag"].astype(str).str.strip().str.lower())
    frame = frame[frame["key"].isin(index)]
    pairs = []
    for (user, key), group in frame.groupby(["userId", "key"]):
        row = models.matrix.user_row(int(user))
        if row is None:
            continue
        cols = set(models.matrix.item_cols(group["movieId"].to_numpy()).tolist()) & set(
            np.flatnonzero(indexed)
        )
        if cols:
            pairs.append((row, index[key], cols))
    pairs = pairs[:300]
    if not pairs:
        return 1.0, (0, 0.0)
    scored = []
    for row, q, relevant in pairs:
        full = models.matrix.profile(row)
        keep = ~np.isin(full.items, list(relevant))
        profile = Profile(full.items[keep], full.ratings[keep])
        comps = models.components(None, profile, sims[q])
        mask = np.ones(len(indexed), dtype=bool)
        mask[profile.items] = False
        scored.append((comps, mask, relevant))
    best = (1.0, -1.0)
    for w in PERSONAL_TEXT_GRID:
        weights = models.weights.model_copy(update={"text": w})
        ndcg = float(
            np.mean(
                [
                    ndcg_at_k(top_k(combine(c, weights, m), 10).tolist(), rel, 10)
                    for c, m, rel in scored
                ]
            )
        )
        if ndcg > best[1] + 1e-6:
            best = (w, ndcg)
    return best[0], (len(pairs), best[1])
