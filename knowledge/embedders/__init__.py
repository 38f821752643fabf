"""Embedders: e5 (default, offline), any local sentence-transformers model, and a hashing embedder for tests.

`make_embedder(spec)` builds one from the `MINFU_EMBEDDER` setting:
"e5" | "hashing" | "hashing:<dim>" | "minilm" | "st:<local path>".
"""

from __future__ import annotations

from knowledge.embedders.e5 import E5Embedder
from knowledge.embedders.hashing import HashingEmbedder
from knowledge.embedders.sentence_transformer import MINILM_NAME, SentenceTransformerEmbedder, minilm_path
from minfu.errors import ConfigurationError
from minfu.ports import Embedder

__all__ = [
    "E5Embedder",
    "HashingEmbedder",
    "SentenceTransformerEmbedder",
    "make_embedder",
    "minilm_path",
]

_SPEC_HINT = '"e5"、"hashing"、"hashing:<维度>"、"minilm" 或 "st:<本地模型目录>"'


def make_embedder(spec: str) -> Embedder:
    """The embedder named by `spec`; an unknown spec is a ConfigurationError."""
    kind, _, arg = spec.strip().partition(":")
    if kind == "e5" and not arg:
        return E5Embedder()
    if kind == "hashing":
        return HashingEmbedder(_dimension(arg, spec)) if arg else HashingEmbedder()
    if kind == "minilm" and not arg:
        return SentenceTransformerEmbedder(minilm_path(), name=MINILM_NAME)
    if kind == "st" and arg.strip():
        return SentenceTransformerEmbedder(arg.strip())
    raise ConfigurationError(f"未知的向量模型配置：{spec!r}，可选 {_SPEC_HINT}")


def _dimension(arg: str, spec: str) -> int:
    if not arg.isdigit() or int(arg) < 2:
        raise ConfigurationError(f"哈希向量维度必须是不小于 2 的整数：{spec!r}")
    return int(arg)
