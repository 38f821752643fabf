"""Chroma server mode: the VectorIndex contract through `ChromaVectorIndex.http` against a `chroma run` server
started on a free loopback port for this module."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from knowledge.vectorstore import ChromaVectorIndex, MinfuEmbeddingFunction
from minfu.errors import ConfigurationError
from tests.knowledge.vector_index_contract import EMBEDDER, TEXTS, VectorIndexContract, make_items

pytestmark = pytest.mark.network_services

STARTUP_SECONDS = 60


def _chroma_executable() -> str | None:
    beside_python = Path(sys.executable).with_name("chroma")
    return str(beside_python) if beside_python.is_file() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_heartbeat(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chroma run exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"chroma run did not answer at {url} within {STARTUP_SECONDS}s")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    executable = _chroma_executable()
    if executable is None:
        pytest.skip("the `chroma` executable is not installed (pip install chromadb)")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("wb")
    process = subprocess.Popen(
        [executable, "run", "--path", str(path / "data"), "--port", str(port), "--host", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_heartbeat(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class TestHttpIndex(VectorIndexContract):
    @pytest.fixture
    def make_index(self, chroma_server):
        return lambda name: ChromaVectorIndex.http(chroma_server, collection=name, embedder=EMBEDDER)


def test_server_collection_keeps_data_and_our_embedding_function(chroma_server):
    name = f"server-{uuid.uuid4().hex[:10]}"
    first = ChromaVectorIndex.http(chroma_server, collection=name, embedder=EMBEDDER)
    first.upsert(make_items(TEXTS), EMBEDDER.embed_documents(TEXTS))
    again = ChromaVectorIndex.http(chroma_server, collection=name, embedder=EMBEDDER)
    assert again.count() == len(TEXTS)
    assert again.query(EMBEDDER.embed_query("广告 虚假"), 1)[0].chunk_id == "c2"
    assert isinstance(again.embedding_function, MinfuEmbeddingFunction)
    assert again.stored_configuration()["embedding_function"]["name"] == "minfu"


def test_server_refuses_a_collection_of_another_embedder(chroma_server):
    from knowledge.embedders import HashingEmbedder

    name = f"server-{uuid.uuid4().hex[:10]}"
    ChromaVectorIndex.http(chroma_server, collection=name, embedder=EMBEDDER)
    with pytest.raises(ConfigurationError):
        ChromaVectorIndex.http(chroma_server, collection=name, embedder=HashingEmbedder(128))


def test_server_stale_id_list_after_another_writer_deleted(chroma_server):
    name = f"server-{uuid.uuid4().hex[:10]}"
    first = ChromaVectorIndex.http(chroma_server, collection=name, embedder=EMBEDDER)
    first.upsert(make_items(TEXTS), EMBEDDER.embed_documents(TEXTS))
    query = EMBEDDER.embed_query("广告 虚假")
    assert first.query(query, 2, allowed=frozenset({"c2", "c5"}))[0].chunk_id == "c2"
    ChromaVectorIndex.http(chroma_server, collection=name, embedder=EMBEDDER).delete(["c2"])
    assert [h.chunk_id for h in first.query(query, 2, allowed=frozenset({"c2", "c5"}))] == ["c5"]
