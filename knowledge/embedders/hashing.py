"""A deterministic, dependency-free embedder for unit tests: signed feature hashing of characters and words.

Features are the character 1- and 2-grams of every run of non-ASCII word characters (Chinese) and the lowercase
ASCII words. Each feature is hashed with blake2b (stable across processes, unlike `hash()`) to a bucket and a sign.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from minfu.ports import Vectors

_CJK_RUN = re.compile(r"[^\W\da-zA-Z_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_EMPTY_FEATURE = "\x00empty"


def text_features(text: str) -> list[str]:
    """Character 1- and 2-grams of the non-ASCII runs plus lowercase ASCII words, each tagged by its kind."""
    features: list[str] = []
    for run in _CJK_RUN.findall(text):
        features.extend("c" + ch for ch in run)
        features.extend("b" + run[i : i + 2] for i in range(len(run) - 1))
    features.extend("w" + word for word in _ASCII_WORD.findall(text.lower()))
    return features


@lru_cache(maxsize=1 << 17)
def _bucket(feature: str, dimension: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    return digest % dimension, (1.0 if digest >> 63 else -1.0)


class HashingEmbedder:
    """Signed hashing of text features into `dimension` buckets, L2-normalised; same text, same vector, anywhere."""

    def __init__(self, dimension: int = 256) -> None:
        if dimension < 2:
            raise ValueError("dimension must be at least 2")
        self.dimension = dimension
        self.name = f"hashing-{dimension}"

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._embed(text)
        return out

    def embed_query(self, text: str) -> Vectors:
        return self._embed(text)

    def _embed(self, text: str) -> Vectors:
        counts = Counter(text_features(text)) or Counter([_EMPTY_FEATURE])
        vector = np.zeros(self.dimension, dtype=np.float64)
        for feature, count in counts.items():
            index, sign = _bucket(feature, self.dimension)
            vector[index] += sign * count
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:  # every feature cancelled out: fall back to the empty-text vector
            return self._embed("")
        return (vector / norm).astype(np.float32)
