"""Proof that building and querying the local index reaches no network: every non-loopback connection attempt
(and every name lookup of a non-local host) made from Python is recorded and refused."""

from __future__ import annotations

import ipaddress
import socket

import chromadb
import numpy as np
import pytest

from knowledge.vectorstore import ChromaVectorIndex, MinfuEmbeddingFunction, chroma_settings
from tests.knowledge.vector_index_contract import EMBEDDER, TEXTS, make_items

_LOCAL_NAMES = {"localhost", "localhost.localdomain", ""}


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str) or host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost


class NetworkAttempts(list[str]):
    pass


@pytest.fixture
def network_guard(monkeypatch):
    """Replaces socket connect/connect_ex/getaddrinfo: loopback and Unix sockets pass, anything else is recorded."""
    attempts = NetworkAttempts()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: str) -> OSError:
        attempts.append(what)
        return ConnectionRefusedError(f"network disabled in this test: {what}")

    def guarded_connect(sock, address):
        if sock.family == socket.AF_UNIX or _is_local(address[0]):
            return real_connect(sock, address)
        raise refuse(f"connect {address}")

    def guarded_connect_ex(sock, address):
        if sock.family == socket.AF_UNIX or _is_local(address[0]):
            return real_connect_ex(sock, address)
        raise refuse(f"connect_ex {address}")

    def guarded_getaddrinfo(host, *args, **kwargs):
        if _is_local(host):
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(f"lookup refused: {refuse(f'getaddrinfo {host}')}")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.delenv("ANONYMIZED_TELEMETRY", raising=False)  # our own settings must switch telemetry off
    return attempts


def test_the_guard_catches_outside_connections(network_guard):
    with pytest.raises(OSError), socket.create_connection(("203.0.113.7", 443), timeout=1):
        pass
    with pytest.raises(OSError):
        socket.getaddrinfo("huggingface.co", 443)
    assert len(network_guard) == 2


def test_persistent_index_builds_and_queries_offline(network_guard, tmp_path):
    index = ChromaVectorIndex.persistent(tmp_path / "chroma", collection="offline-proof", embedder=EMBEDDER)
    index.upsert(make_items(TEXTS), EMBEDDER.embed_documents(TEXTS))
    hits = index.query(EMBEDDER.embed_query("用人单位解除劳动合同"), 3, allowed=frozenset({"c3", "c4"}))
    assert hits[0].chunk_id == "c3"
    assert index.query(EMBEDDER.embed_query("广告"), 3)[0].chunk_id == "c2"
    assert isinstance(index.embedding_function, MinfuEmbeddingFunction)
    assert index.stored_configuration()["embedding_function"]["name"] == "minfu"
    assert network_guard == []


def test_text_queries_through_plain_chroma_use_our_embedding_function(network_guard, tmp_path):
    """Even a tool that opens our collection with Chroma directly and embeds text gets our function, not the
    default one that would download a model."""
    path = tmp_path / "chroma"
    index = ChromaVectorIndex.persistent(path, collection="offline-text", embedder=EMBEDDER)
    index.upsert(make_items(TEXTS), EMBEDDER.embed_documents(TEXTS))
    collection = chromadb.PersistentClient(path=str(path), settings=chroma_settings()).get_collection("offline-text")
    result = collection.query(query_texts=["广告法 广告不得含有虚假或者引人误解的内容"], n_results=1)
    assert result["ids"] == [["c2"]]
    assert result["distances"] is not None
    assert result["distances"][0][0] == pytest.approx(0.0, abs=1e-4)  # embedded by our hashing embedder
    collection.upsert(ids=["extra"], documents=["跨境电商 出口退税"])  # documents embedded by our function too
    stored = collection.get(ids=["extra"], include=["embeddings"])["embeddings"]
    assert stored is not None
    np.testing.assert_allclose(stored[0], EMBEDDER.embed_documents(["跨境电商 出口退税"])[0], atol=1e-6)
    assert network_guard == []


def test_without_our_function_chroma_would_reach_out(network_guard, monkeypatch, tmp_path):
    """The counterfactual: a collection created the default way downloads a model as soon as it embeds text."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    monkeypatch.setattr(ONNXMiniLM_L6_V2, "DOWNLOAD_PATH", tmp_path / "onnx")  # keep ~/.cache untouched
    client = chromadb.EphemeralClient(settings=chroma_settings())
    collection = client.get_or_create_collection("default-ef-counterfactual")
    with pytest.raises(Exception):  # noqa: B017 - whatever Chroma makes of the refused download
        collection.add(ids=["a"], documents=["任何文本"])
    client.delete_collection("default-ef-counterfactual")
    assert any("chroma-onnx-models" in attempt for attempt in network_guard)
