"""Test-wide settings (offline, no telemetry, one BLAS thread) and the bundled knowledge base shared by all tests."""

import os

for name, value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("RAGAS_DO_NOT_TRACK", "true"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("MINFU_ENVIRONMENT", "test"),
):
    os.environ[name] = value

# imported after the environment is set: chromadb and huggingface read it at import time
import pytest  # noqa: E402

from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.bundled import bundled_corpus_path  # noqa: E402
from knowledge.chunking import Chunker  # noqa: E402
from knowledge.ingest import Ingestor  # noqa: E402
from knowledge.loaders import load_paths  # noqa: E402
from minfu.settings import Settings  # noqa: E402


@pytest.fixture(scope="session")
def bundled_knowledge(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The bundled corpus, lexical side only (about 10 s once per session; the `model` tests cover the dense side)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("bundled-kb"), embedder="hashing")
    kb = KnowledgeBase.open(settings)
    Ingestor(kb, Chunker(settings.chunk_size)).ingest(load_paths([bundled_corpus_path()]), dense=False)
    return kb
