"""Cross-origin calls: browsers may call from the origins of enabled sites, and refusals carry CORS headers too."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.cors import install_site_cors
from api.deps import SiteDep
from api.errors import install_error_handlers
from api.identity import IdentityStores, open_identity
from minfu.settings import Settings

PORTAL = "https://qyfw.example.gov.cn"


@pytest.fixture
def stores(tmp_path: Path) -> IdentityStores:
    return open_identity(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'minfu.sqlite'}"))


def _client(stores: IdentityStores, *, refresh_s: float = 0.0) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.state.identity = stores

    @app.post("/ask")
    def ask(site: SiteDep) -> dict[str, str]:
        return {"site": site.site_key}

    install_site_cors(app, refresh_s=refresh_s)
    return TestClient(app)


def _preflight(client: TestClient, origin: str) -> Any:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, x-site-key, content-type",
    }
    return client.options("/ask", headers=headers)


def test_a_listed_origin_passes_the_preflight_and_reads_the_answer(stores: IdentityStores) -> None:
    site, _ = stores.sites.create("门户", [PORTAL])
    client = _client(stores)
    preflight = _preflight(client, PORTAL)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == PORTAL
    answer = client.post("/ask", headers={"Origin": PORTAL, "X-Site-Key": site.site_key})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == PORTAL


def test_an_unlisted_origin_gets_no_cors_headers(stores: IdentityStores) -> None:
    stores.sites.create("门户", [PORTAL])
    client = _client(stores)
    preflight = _preflight(client, "https://evil.example")
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers


def test_refusals_carry_cors_headers_so_the_widget_can_show_them(stores: IdentityStores) -> None:
    stores.sites.create("门户", [PORTAL])
    answer = _client(stores).post("/ask", headers={"Origin": PORTAL, "X-Site-Key": "site_unknown"})
    assert answer.status_code == 401 and answer.headers["access-control-allow-origin"] == PORTAL
    assert "站点" in answer.json()["message"]


def test_sites_are_reread_after_the_refresh_interval(stores: IdentityStores) -> None:
    client = _client(stores, refresh_s=3600)
    assert _preflight(client, PORTAL).status_code == 400
    site, _ = stores.sites.create("门户", [PORTAL])
    assert _preflight(client, PORTAL).status_code == 400  # cached for an hour
    fresh = _client(stores)
    assert _preflight(fresh, PORTAL).status_code == 200
    stores.sites.disable(site.site_key)
    assert _preflight(fresh, PORTAL).status_code == 400
