"""Shared fixtures for agent tests: real services on SQLite in tmp, over the fixture texts or the bundled corpus.

The bundled corpus is indexed once per test session (`bundled_knowledge`, tests/conftest.py) and shared read-only;
every test module gets its own database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.assistant import Assistant
from agents.offline.brain import OfflineBrain
from agents.services import build_tool_services
from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.settings import Settings
from tools.agent_tools import EnterpriseIdentity, ToolServices
from tools.store.uscc import check_char

FIXTURES = Path(__file__).parents[1] / "knowledge" / "fixtures"


def make_uscc(n: int) -> str:
    first17 = f"91310112MA1{n:06d}"
    return first17 + check_char(first17)


MINE = EnterpriseIdentity(make_uscc(21), "上海甲科技有限公司", "张三", "13800138000")
OTHER = EnterpriseIdentity(make_uscc(22), "上海乙餐饮有限公司", "李四", "13900139000")
NO_CONTACT = EnterpriseIdentity(make_uscc(23), "上海丙贸易有限公司")


@pytest.fixture(scope="module")
def bundled_services(bundled_knowledge: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> ToolServices:
    root = tmp_path_factory.mktemp("bundled-db")
    settings = Settings(data_dir=root, embedder="hashing", database_url=f"sqlite:///{root / 'minfu.sqlite'}")
    return build_tool_services(settings, knowledge=bundled_knowledge)


@pytest.fixture(scope="module")
def fixture_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolServices]:
    root = tmp_path_factory.mktemp("fixture-kb")
    settings = Settings(data_dir=root / "data", embedder="hashing", database_url=f"sqlite:///{root / 'm.sqlite'}")
    built = build_tool_services(settings)
    Ingestor(built.knowledge, Chunker(400)).ingest(load_paths([FIXTURES / "policies"]))
    yield built


@pytest.fixture(scope="module")
def offline_assistant(bundled_services: ToolServices) -> Assistant:
    return Assistant(bundled_services, OfflineBrain(services=bundled_services))
