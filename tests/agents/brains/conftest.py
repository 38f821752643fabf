"""Fixtures of the brain tests: a scripted OpenAI-compatible server (`tests.agents.brains.stub`) and real services
(hashing knowledge base over the fixture policies, SQLite in tmp)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.services import build_tool_services
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.settings import Settings
from tests.agents.brains.stub import StubLLM, serving
from tools.agent_tools import ToolServices

FIXTURES = Path(__file__).parents[2] / "knowledge" / "fixtures"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubLLM]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # a proxy set on the machine must not take loopback calls
    with serving() as server:
        yield server
    assert server.overdrawn == 0, f"the model asked {server.overdrawn} more time(s) than the test scripted"
    assert not server.replies, f"{len(server.replies)} scripted replies were never requested"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolServices]:
    root = tmp_path_factory.mktemp("brains")
    settings = Settings(data_dir=root / "data", embedder="hashing", database_url=f"sqlite:///{root / 'm.sqlite'}")
    built = build_tool_services(settings)
    Ingestor(built.knowledge, Chunker(400)).ingest(load_paths([FIXTURES / "policies"]))
    yield built
