"""A live minfu service on a loopback port and Debian's headless Chromium driven by Playwright.

The service is the real app (development environment, offline brain, hashing embedder) over the bundled corpus,
ingested lexical-only into a temporary data dir, plus one test document whose title, 文号 and text carry HTML: the
widget must show it as text. Chromium is /usr/bin/chromium (installed by .ci/run): Playwright never downloads one.
"""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from knowledge.base import KnowledgeBase
from knowledge.bundled import bundled_corpus_path
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
START_TIMEOUT_S = 60

HOSTILE_TITLE = '闵行区萤火虫夜市<img src=x onerror="window.minfuXss=1">扶持办法（测试）'
HOSTILE_DOC_NUMBER = "闵测〔2026〕<i>9</i>号"
HOSTILE_TEXT = f"""# {HOSTILE_TITLE}

## 第一章 总则

第一条 萤火虫夜市摊主可以申请夜市扶持补贴，补贴标准为每个摊位每年<b>三千元</b>\
<script>window.minfuXss=2</script>，由区商务委员会审核发放。

第二条 申请萤火虫夜市扶持补贴的摊主，应当在每年三月底前向所在街道提交申请。
"""
HOSTILE_META = f"""title: '{HOSTILE_TITLE}'
kind: policy
doc_number: '{HOSTILE_DOC_NUMBER}'
issuer: 测试机关
published: 2026-01-01
effective_from: 2026-01-01
sample: true
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _knowledge(settings: Settings, extra: Path) -> KnowledgeBase:
    extra.mkdir(parents=True)
    (extra / "firefly-night-market.md").write_text(HOSTILE_TEXT, encoding="utf-8")
    (extra / "firefly-night-market.md.meta.yaml").write_text(HOSTILE_META, encoding="utf-8")
    kb = KnowledgeBase.open(settings)
    batch = load_paths([bundled_corpus_path(), extra])
    assert not batch.failures, batch.failures
    Ingestor(kb, Chunker(settings.chunk_size)).ingest(batch, dense=False)
    return kb


@dataclass(frozen=True)
class LiveService:
    url: str
    app: FastAPI

    def staff_key(self) -> str:
        """A new staff API key, made as `minfu keys create` makes one (the desk's routes need it)."""
        _record, plaintext = self.app.state.identity.api_keys.create("浏览器测试坐席", "staff")
        return str(plaintext)


@pytest.fixture(scope="session")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The service, served by uvicorn in a thread on a free loopback port for the whole session."""
    import uvicorn

    root = tmp_path_factory.mktemp("browser-service")
    port = _free_port()
    settings = Settings(
        environment="development",  # the demo page, site_dev and the 模拟登录 endpoint
        data_dir=root / "data",
        embedder="hashing",
        database_url=f"sqlite:///{root / 'minfu.sqlite'}",
        port=port,  # the development site allows the demo page's origin at this port
        rate_limit_per_minute=0,  # one browser sends every test's requests from one address
        chat_rate_limit_per_minute=0,
        log_format="text",
        log_level="WARNING",
    )
    app = create_app(settings, knowledge=_knowledge(settings, root / "extra"), fill_dense=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="minfu-browser-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    yield LiveService(url=f"http://127.0.0.1:{port}", app=app)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("需要 Debian 的 chromium：apt-get install -y chromium fonts-noto-cjk")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, live_service: LiveService) -> Iterator[Page]:
    """A fresh browser context (no stored login or conversation) on the demo page; JavaScript errors fail the test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_service.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shoot(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """shoot(page, step): a screenshot of the step in tests/browser/artifacts/<test>/NN-<step>.png."""
    folder: Path = ARTIFACTS / str(request.node.name).replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = iter(range(1, 100))

    def take(page: Page, step: str) -> Path:
        path = folder / f"{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path))
        return path

    return take
