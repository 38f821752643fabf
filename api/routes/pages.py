"""The embeddable widget (`/widget.js`, every environment) and the demo portal page (`/`, development only).

Files come from package data (api/static). A portal includes the widget with one tag,
`<script src="https://<minfu>/widget.js" data-site-key="…" defer></script>`, at a URL that never changes, so it is
cached briefly and revalidated by ETag: a new release reaches every portal within minutes, at the cost of a 304.
The demo page uses the development site (`site_dev`) and its 模拟登录 switch calls `POST /v1/dev/token`, both of
which exist only in development: elsewhere `/` answers 404 like any unknown path.
The staff console (`/console`, every environment) holds no secret: staff type their API key into it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, Request, Response
from starlette.exceptions import HTTPException

router = APIRouter(tags=["pages"])

WIDGET_CACHE = "public, max-age=300, stale-while-revalidate=86400"
DEMO_CACHE = "no-cache"
# the demo page runs no inline script: the widget must work under a strict policy like a careful portal's
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@lru_cache(maxsize=8)
def load_asset(name: str) -> Asset:
    """A file of api/static, read once per process."""
    body = (resources.files("api") / "static" / name).read_bytes()
    suffix = name[name.rfind(".") :]
    return Asset(body=body, media_type=MEDIA_TYPES[suffix], etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def asset_response(request: Request, asset: Asset, headers: dict[str, str]) -> Response:
    """The asset, or 304 when the browser already holds this version (If-None-Match)."""
    common = {"ETag": asset.etag, "X-Content-Type-Options": "nosniff", **headers}
    wanted = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if asset.etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=common)
    return Response(content=asset.body, media_type=asset.media_type, headers=common)


def _require_development(request: Request) -> None:
    if request.app.state.settings.environment != "development":
        raise HTTPException(status_code=404)


@router.get("/widget.js", include_in_schema=False)
def widget_script(request: Request) -> Response:
    # a portal on another origin may load it even under Cross-Origin-Embedder-Policy
    headers = {"Cache-Control": WIDGET_CACHE, "Cross-Origin-Resource-Policy": "cross-origin"}
    return asset_response(request, load_asset("widget.js"), headers)


@router.get("/", include_in_schema=False)
def demo_page(request: Request) -> Response:
    _require_development(request)
    headers = {"Cache-Control": DEMO_CACHE, "Content-Security-Policy": DEMO_CSP, "Referrer-Policy": "no-referrer"}
    return asset_response(request, load_asset("demo.html"), headers)


@router.get("/demo.js", include_in_schema=False)
def demo_script(request: Request) -> Response:
    _require_development(request)
    return asset_response(request, load_asset("demo.js"), {"Cache-Control": DEMO_CACHE})


@router.get("/console", include_in_schema=False)
def console_page(request: Request) -> Response:
    headers = {"Cache-Control": DEMO_CACHE, "Content-Security-Policy": DEMO_CSP, "Referrer-Policy": "no-referrer"}
    return asset_response(request, load_asset("console.html"), headers)


@router.get("/console.js", include_in_schema=False)
def console_script(request: Request) -> Response:
    return asset_response(request, load_asset("console.js"), {"Cache-Control": DEMO_CACHE})
