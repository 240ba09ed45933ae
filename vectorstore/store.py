"""The Chroma collection of movie documents: embedded (PersistentClient) or a Chroma server.

One document per movie; its id is the MovieLens id. Each carries a content hash, so a sync
embeds only new or changed documents and updates metadata in place. A manifest beside the
embedded store records the model and dimension; a store built with another model, or one
that cannot be opened, is rebuilt with a message. Chroma's default embedding function (which
downloads a model) is never used: the collection gets ours.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
from tqdm import tqdm

from vectorstore.embeddings import Embedder

log = logging.getLogger(__name__)

COLLECTION = "movies"
MANIFEST = "moviebot-index.json"
BATCH = 256


@dataclass(frozen=True)
class MovieDoc:
    """A document to index: the movie id, the text to embed, and metadata for filters."""

    movie_id: int
    text: str
    metadata: dict[str, Any]

    @property
    def hash(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass
class SyncReport:
    """What a sync did."""

    embedded: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    rebuilt: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    movie_id: int
    similarity: float
    document: str


def _embedding_function(embedder: Embedder) -> Any:
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class MovieBotEmbeddings(EmbeddingFunction[Documents]):
        """Chroma-facing wrapper of our offline embedder (never Chroma's downloading default)."""

        def __init__(self, inner: Embedder) -> None:
            self.inner = inner

        def __call__(self, input: Documents) -> Embeddings:
            return list(self.inner.encode(list(input)))

        @staticmethod
        def name() -> str:
            return "moviebot-minilm"

        def get_config(self) -> dict[str, Any]:
            return {"model": self.inner.name}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> MovieBotEmbeddings:
            return MovieBotEmbeddings(Embedder())

        def default_space(self) -> Any:
            return "cosine"

    return MovieBotEmbeddings(embedder)


class MovieStore:
    """A Chroma collection of movie documents with cosine similarity."""

    def __init__(
        self, embedder: Embedder, path: Path | None = None, url: str | None = None
    ) -> None:
        if path is None and url is None:
            raise ValueError("a store needs a path (embedded) or a url (server)")
        self.embedder = embedder
        self.path = path
        self.url = url
        self._client: Any = None
        self._collection: Any = None

    # --- opening --------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return self.url or str(self.path)

    def _make_client(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
        if self.url:
            parsed = urlparse(self.url)
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        assert self.path is not None
        self.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.path), settings=settings)

    def collection(self) -> Any:
        if self._collection is None:
            self._client = self._make_client()
            self._collection = self._client.get_or_create_collection(
                COLLECTION,
                embedding_function=_embedding_function(self.embedder),
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._collection

    def is_new(self) -> bool:
        """An embedded store never created here (a fresh home); a server's is never new."""
        return self.url is None and self.path is not None and not self.path.exists()

    def check(self, dimension: int) -> str:
        """'' when the store is usable with this model; otherwise why it must be rebuilt."""
        manifest = self._manifest()
        wanted = (self.embedder.name, dimension, self.embedder.max_tokens)
        if manifest is not None:
            found = (manifest.get("model"), manifest.get("dimension"), manifest.get("max_tokens"))
            if found != wanted:
                return f"it was built with {found[0]} ({found[1]} dims, {found[2]} tokens)"
        try:
            self.collection().count()
        except Exception as err:
            return f"it cannot be opened ({type(err).__name__}: {err})"
        return ""

    def reset(self, reason: str) -> None:
        """Throw the store away (embedded: the folder; server: the collection)."""
        log.warning("the vector index at %s is unusable (%s); rebuilding it", self.where, reason)
        self._collection = None
        if self.url:
            client = self._make_client()
            try:
                client.delete_collection(COLLECTION)
            except Exception:
                log.debug("no collection to delete", exc_info=True)
        else:
            self._client = None
            assert self.path is not None
            forget_cached_store(self.path)
            shutil.rmtree(self.path, ignore_errors=True)

    def _manifest(self) -> dict[str, Any] | None:
        if self.url or self.path is None:
            return None
        try:
            return json.loads((self.path / MANIFEST).read_text())
        except (OSError, ValueError):
            return None

    def _write_manifest(self, dimension: int, count: int) -> None:
        if self.url or self.path is None:
            return
        (self.path / MANIFEST).write_text(
            json.dumps(
                {
                    "model": self.embedder.name,
                    "dimension": dimension,
                    "max_tokens": self.embedder.max_tokens,
                    "collection": COLLECTION,
                    "count": count,
                }
            )
        )

    # --- building -------------------------------------------------------------------------

    def sync(
        self,
        docs: Sequence[MovieDoc],
        progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> SyncReport:
        """Make the collection hold exactly ``docs``, embedding only what is new or changed;
        ``on_progress(done, total)`` after each batch embedded."""
        report = SyncReport()
        dimension = self.embedder.dimension
        if problem := self.check(dimension):
            self.reset(problem)
            report.rebuilt = problem
        collection = self.collection()
        # Written first: an interrupted sync must still say which model made its vectors.
        self._write_manifest(dimension, len(docs))
        existing = self._existing(collection)
        wanted = {str(d.movie_id): d for d in docs}
        stale = [i for i in existing if i not in wanted]
        if stale:
            for start in range(0, len(stale), BATCH):
                collection.delete(ids=stale[start : start + BATCH])
            report.removed = len(stale)
        to_embed = [d for d in docs if existing.get(str(d.movie_id), {}).get("hash") != d.hash]
        to_embed.sort(key=lambda d: len(d.text))  # similar lengths per batch: less padding
        embedding = {d.movie_id for d in to_embed}
        to_update = [
            d
            for d in docs
            if str(d.movie_id) in existing
            and d.movie_id not in embedding
            and _differs(existing[str(d.movie_id)], {**d.metadata, "hash": d.hash})
        ]
        report.unchanged = len(docs) - len(to_embed) - len(to_update)
        with tqdm(
            total=len(to_embed), desc="embedding movies", unit="doc", disable=not progress
        ) as bar:
            for start in range(0, len(to_embed), BATCH):
                batch = to_embed[start : start + BATCH]
                vectors = self.embedder.encode([d.text for d in batch])
                collection.upsert(
                    ids=[str(d.movie_id) for d in batch],
                    embeddings=vectors,
                    documents=[d.text for d in batch],
                    metadatas=[{**d.metadata, "hash": d.hash} for d in batch],
                )
                bar.update(len(batch))
                if on_progress is not None:
                    on_progress(min(start + BATCH, len(to_embed)), len(to_embed))
        report.embedded = len(to_embed)
        for start in range(0, len(to_update), BATCH):
            batch = to_update[start : start + BATCH]
            collection.update(
                ids=[str(d.movie_id) for d in batch],
                metadatas=[{**d.metadata, "hash": d.hash} for d in batch],
            )
        report.updated = len(to_update)
        self._write_manifest(dimension, len(docs))
        return report

    @staticmethod
    def _existing(collection: Any) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        total = collection.count()
        for offset in range(0, total, 5000):
            page = collection.get(include=["metadatas"], limit=5000, offset=offset)
            out.update(zip(page["ids"], page["metadatas"], strict=True))
        return out

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(movie ids, normalized vectors) of everything in the collection."""
        collection = self.collection()
        ids, vectors = [], []
        for offset in range(0, collection.count(), 5000):
            page = collection.get(include=["embeddings"], limit=5000, offset=offset)
            ids += [int(i) for i in page["ids"]]
            vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(
                (0, self.embedder.dimension), dtype=np.float32
            )
        return np.array(ids, dtype=np.int64), np.vstack(vectors)

    # --- querying -------------------------------------------------------------------------

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` nearest documents to ``vector`` that pass ``where``."""
        collection = self.collection()
        result = collection.query(
            query_embeddings=[vector],
            n_results=max(1, min(k, collection.count())),
            where=where,
            include=["distances", "documents"],
        )
        return [
            Hit(int(i), 1.0 - float(d), doc)
            for i, d, doc in zip(
                result["ids"][0], result["distances"][0], result["documents"][0], strict=True
            )
        ]

    def vector_of(self, movie_id: int) -> np.ndarray | None:
        page = self.collection().get(ids=[str(movie_id)], include=["embeddings"])
        if not page["ids"]:
            return None
        return np.asarray(page["embeddings"][0], dtype=np.float32)


def _differs(stored: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return any(stored.get(k) != v for k, v in wanted.items())


def forget_cached_store(path: Path) -> None:
    """Drop this process's cached Chroma system for ``path``.

    Chroma keeps one system per persist directory for the life of the process, so a store
    deleted or replaced on disk would still be served from memory; this makes the next client
    read the folder afresh.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    if system is not None:
        try:
            system.stop()
        except Exception:
            log.debug("stopping the cached chroma system failed", exc_info=True)
