"""ChromaVectorIndex: the VectorIndex contract in memory and on disk, plus what only Chroma has to get right."""

from __future__ import annotations

import uuid
from pathlib import Path

import chromadb
import numpy as np
import pytest

from knowledge.embedders import HashingEmbedder
from knowledge.vectorstore import ChromaVectorIndex, HnswParams, MinfuEmbeddingFunction, chroma_settings
from minfu.errors import ConfigurationError, IndexUnavailableError
from tests.knowledge.vector_index_contract import EMBEDDER, TEXTS, VectorIndexContract, make_items


class TestEphemeralIndex(VectorIndexContract):
    @pytest.fixture
    def make_index(self):
        return lambda name: ChromaVectorIndex.ephemeral(collection=name, embedder=EMBEDDER)


class TestPersistentIndex(VectorIndexContract):
    @pytest.fixture
    def make_index(self, tmp_path):
        return lambda name: ChromaVectorIndex.persistent(tmp_path / "chroma", collection=name, embedder=EMBEDDER)


def _name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "chroma"


def _filled(path: Path, name: str, hnsw: HnswParams | None = None) -> ChromaVectorIndex:
    index = ChromaVectorIndex.persistent(path, collection=name, embedder=EMBEDDER, hnsw=hnsw)
    index.upsert(make_items(TEXTS), EMBEDDER.embed_documents(TEXTS))
    return index


def test_reopened_persistent_index_keeps_vectors_documents_and_metadata(path):
    name = _name()
    _filled(path, name)
    again = ChromaVectorIndex.persistent(path, collection=name, embedder=EMBEDDER)
    assert again.count() == len(TEXTS)
    ids, vectors = again.vectors(["c3", "c1"])
    assert sorted(ids) == ["c1", "c3"]
    assert vectors.dtype == np.float32
    expected = EMBEDDER.embed_documents(TEXTS)
    for chunk_id, vector in zip(ids, vectors, strict=True):
        np.testing.assert_allclose(vector, expected[int(chunk_id[1:])], atol=1e-6)
    all_ids, all_vectors = again.vectors()
    assert sorted(all_ids) == sorted(f"c{i}" for i in range(len(TEXTS))) and all_vectors.shape == (len(TEXTS), 64)
    raw = chromadb.PersistentClient(path=str(path), settings=chroma_settings()).get_collection(name)
    stored = raw.get(ids=["c3"], include=["documents", "metadatas"])
    assert stored["documents"] == [TEXTS[3]]
    assert stored["metadatas"] == [{"kind": "law", "ordinal": 3, "weight": 0.5, "current": False}]


def test_collection_records_embedder_and_refuses_another(path):
    name = _name()
    _filled(path, name)
    raw = chromadb.PersistentClient(path=str(path), settings=chroma_settings()).get_collection(name)
    assert raw.metadata["embedder"] == EMBEDDER.name
    assert raw.metadata["dimension"] == EMBEDDER.dimension
    with pytest.raises(ConfigurationError, match="hashing-64"):
        ChromaVectorIndex.persistent(path, collection=name, embedder=HashingEmbedder(32))


def test_refuses_a_collection_made_with_chromas_default_embedding_function(path):
    name = _name()
    client = chromadb.PersistentClient(path=str(path), settings=chroma_settings())
    client.create_collection(name)  # Chroma's default (downloading) embedding function
    with pytest.raises(ConfigurationError, match="其他向量函数"):
        ChromaVectorIndex.persistent(path, collection=name, embedder=EMBEDDER)


def test_collection_is_created_with_our_embedding_function_and_hnsw_settings(path):
    hnsw = HnswParams(m=24, ef_construction=150, ef_search=120)
    index = ChromaVectorIndex.persistent(path, collection=_name(), embedder=EMBEDDER, hnsw=hnsw)
    assert isinstance(index.embedding_function, MinfuEmbeddingFunction)
    config = index.stored_configuration()
    assert config["embedding_function"]["name"] == "minfu"
    assert config["embedding_function"]["config"] == {"embedder": "hashing-64", "dimension": 64}
    assert {key: config["hnsw"][key] for key in ("space", "max_neighbors", "ef_construction", "ef_search")} == {
        "space": "cosine",
        "max_neighbors": 24,
        "ef_construction": 150,
        "ef_search": 120,
    }


def test_reopening_applies_a_new_ef_search(path):
    name = _name()
    _filled(path, name, hnsw=HnswParams(ef_search=50))
    again = ChromaVectorIndex.persistent(path, collection=name, embedder=EMBEDDER, hnsw=HnswParams(ef_search=300))
    assert again.stored_configuration()["hnsw"]["ef_search"] == 300
    raw = chromadb.PersistentClient(path=str(path), settings=chroma_settings()).get_collection(name)
    assert raw.configuration_json["hnsw"]["ef_search"] == 300
    assert again.query(EMBEDDER.embed_query("广告"), 1)[0].chunk_id == "c2"


def test_stale_id_list_after_another_writer_deleted(path):
    name = _name()
    first = _filled(path, name)
    query = EMBEDDER.embed_query("广告 虚假")
    assert first.query(query, 2, allowed=frozenset({"c2", "c5"}))[0].chunk_id == "c2"  # loads the id list
    ChromaVectorIndex.persistent(path, collection=name, embedder=EMBEDDER).delete(["c2"])
    assert [h.chunk_id for h in first.query(query, 2, allowed=frozenset({"c2", "c5"}))] == ["c5"]


def test_upserts_in_batches_below_the_limit():
    client = chromadb.EphemeralClient(settings=chroma_settings())
    index = ChromaVectorIndex(client, collection=_name(), embedder=EMBEDDER, hnsw=HnswParams(), batch_size=5)
    index.upsert(make_items(TEXTS), EMBEDDER.embed_documents(TEXTS))
    assert index.count() == len(TEXTS)
    index.delete([f"c{i}" for i in range(len(TEXTS) - 1)])
    assert index.ids() == {f"c{len(TEXTS) - 1}"}


def test_ephemeral_index_starts_empty_when_its_name_is_reused():
    name = _name()
    ChromaVectorIndex.ephemeral(collection=name, embedder=EMBEDDER).upsert(
        make_items(TEXTS[:2]), EMBEDDER.embed_documents(TEXTS[:2])
    )
    assert ChromaVectorIndex.ephemeral(collection=name, embedder=EMBEDDER).count() == 0


@pytest.mark.parametrize("space", ["cosine", "ip", "l2"])
def test_scores_are_cosine_similarity_in_every_space(space):
    index = ChromaVectorIndex.ephemeral(collection=_name(), embedder=EMBEDDER, hnsw=HnswParams(space=space))
    vectors = EMBEDDER.embed_documents(TEXTS)
    index.upsert(make_items(TEXTS), vectors)
    query = EMBEDDER.embed_query("中小企业 贷款")
    for hit in index.query(query, 5):
        assert hit.score == pytest.approx(float(vectors[int(hit.chunk_id[1:])] @ query), abs=1e-4)


def test_bad_collection_name_and_url_are_configuration_errors():
    with pytest.raises(ConfigurationError):
        ChromaVectorIndex.ephemeral(collection="x", embedder=EMBEDDER)
    with pytest.raises(ConfigurationError):
        ChromaVectorIndex.http("ftp://example", collection=_name(), embedder=EMBEDDER)


def test_unreachable_server_is_index_unavailable(unused_tcp_port):
    with pytest.raises(IndexUnavailableError):
        ChromaVectorIndex.http(f"http://127.0.0.1:{unused_tcp_port}", collection=_name(), embedder=EMBEDDER)


@pytest.fixture
def unused_tcp_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ids_added_by_another_writer_are_seen_once_the_id_list_expires(path, monkeypatch):
    from knowledge import vectorstore

    name = _name()
    first = _filled(path, name)
    query = EMBEDDER.embed_query("跨境电商 出口退税")
    assert first.query(query, 1, allowed=frozenset({"c0", "n0"}))[0].chunk_id == "c0"
    new = make_items(["跨境电商 出口退税"], prefix="n")
    ChromaVectorIndex.persistent(path, collection=name, embedder=EMBEDDER).upsert(
        new, EMBEDDER.embed_documents(["跨境电商 出口退税"])
    )
    monkeypatch.setattr(vectorstore, "_KNOWN_IDS_TTL", 0.0)
    assert first.query(query, 1, allowed=frozenset({"c0", "n0"}))[0].chunk_id == "n0"
