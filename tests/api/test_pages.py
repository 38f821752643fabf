"""The widget script and the demo portal page: served from package data, with the right types, caching and policy."""

import re
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from knowledge.base import KnowledgeBase
from minfu.settings import Settings

STATIC = resources.files("api") / "static"


def _client(tmp_path: Path, environment: str) -> TestClient:
    settings = Settings(
        environment=environment,  # type: ignore[arg-type]
        data_dir=tmp_path / environment,
        embedder="hashing",
        database_url=f"sqlite:///{tmp_path / (environment + '.sqlite')}",
        secret_key=SecretStr("a-test-secret-key-that-is-long-enough-for-production"),
    )
    return TestClient(create_app(settings, knowledge=KnowledgeBase.open(settings), fill_dense=False))


@pytest.fixture(scope="module")
def dev_client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with _client(tmp_path_factory.mktemp("pages"), "development") as client:
        yield client


def test_widget_script_is_served_as_javascript_with_short_cache_and_etag(dev_client: TestClient) -> None:
    response = dev_client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.content == (STATIC / "widget.js").read_bytes()
    assert "max-age=300" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])


def test_an_unchanged_widget_script_is_a_304(dev_client: TestClient) -> None:
    etag = dev_client.get("/widget.js").headers["etag"]
    again = dev_client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    stale = dev_client.get("/widget.js", headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.content


def test_demo_page_embeds_the_widget_for_the_development_site(dev_client: TestClient) -> None:
    response = dev_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    page = response.text
    assert '<meta charset="utf-8">' in page and '<html lang="zh-CN">' in page
    assert re.search(r'<script src="/widget\.js" data-site-key="site_dev"', page)
    assert "模拟登录" in page and '<script src="/demo.js">' in page


def test_demo_page_runs_under_a_policy_without_inline_script(dev_client: TestClient) -> None:
    response = dev_client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "unsafe-eval" not in policy
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, flags=re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)


def test_demo_script_asks_for_a_development_token_and_hands_it_to_the_widget(dev_client: TestClient) -> None:
    response = dev_client.get("/demo.js")
    assert response.status_code == 200 and response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "/v1/dev/token" in response.text and "MinfuWidget.setToken" in response.text


@pytest.mark.parametrize("environment", ["test", "production"])
def test_demo_page_exists_only_in_development_but_the_widget_everywhere(tmp_path: Path, environment: str) -> None:
    with _client(tmp_path, environment) as client:
        assert client.get("/").status_code == 404
        assert client.get("/demo.js").status_code == 404
        assert client.get("/widget.js").status_code == 200


# the widget puts model, document and staff text on the page: never through an HTML parser
HTML_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "srcdoc")


@pytest.mark.parametrize("name", ["widget.js", "demo.js", "console.js"])
def test_scripts_never_parse_text_as_html(name: str) -> None:
    source = (STATIC / name).read_text(encoding="utf-8")
    assert [sink for sink in HTML_SINKS if sink in source] == []


def test_widget_reads_its_site_key_and_exposes_the_documented_api() -> None:
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    assert "attachShadow" in source and "data-site-key" in source
    for method in ("setToken:", "open:", "close:", "toggle:", "ask:"):
        assert method in source
    for path in ("/v1/chat/stream", "/v1/chat", "/v1/conversations/", "/v1/feedback"):
        assert path in source


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_staff_console_is_served_in_every_environment_without_inline_script(tmp_path: Path, environment: str) -> None:
    with _client(tmp_path, environment) as client:
        page = client.get("/console")
        script = client.get("/console.js")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.content == (STATIC / "console.html").read_bytes() and page.headers["cache-control"] == "no-cache"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert scripts == [(' src="/console.js"', "")]
    assert script.status_code == 200 and script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.content == (STATIC / "console.js").read_bytes()


def test_console_signs_in_against_the_staff_api_and_keeps_the_key_in_the_tab_only() -> None:
    page = (STATIC / "console.html").read_text(encoding="utf-8")
    source = (STATIC / "console.js").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and 'type="password"' in page
    assert "sessionStorage" in source and "localStorage" not in source and "X-API-Key" in source
    for path in ("/stats", "/handoffs?status=waiting", "/reply", "/claim", "/close", "/suggest", "/curated"):
        assert path in source
    assert "采纳" in page and "修改后采纳" in page
