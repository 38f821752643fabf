"""Cross-origin calls from the widget: an Origin is allowed when an enabled embedding site lists it.

The widget runs inside a portal's page, so its calls are cross-origin and carry custom headers (X-Site-Key,
Authorization): browsers ask first (preflight) and need Access-Control-Allow-Origin on every answer. The union of
the enabled sites' origins is re-read every `refresh_s` seconds rather than per request (the check runs on the event
loop); SiteDep still checks the request's own site and Origin on every request, so this cache only decides what
browsers may send, not what is accepted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.identity import IdentityStores
from minfu.errors import InvalidInputError
from tools.store.sites import normalize_origin

ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = ("Authorization", "X-Site-Key", "Idempotency-Key", "Last-Event-ID", "X-Request-ID")
EXPOSED_HEADERS = ("X-Request-ID", "Retry-After")
REFRESH_S = 30.0


class SiteOriginCors(CORSMiddleware):
    def __init__(self, app: ASGIApp, *, refresh_s: float = REFRESH_S, clock: Callable[[], float] = time.monotonic):
        super().__init__(
            app, allow_methods=ALLOWED_METHODS, allow_headers=ALLOWED_HEADERS, expose_headers=EXPOSED_HEADERS
        )
        self._refresh_s = refresh_s
        self._clock = clock
        self._origins: frozenset[str] = frozenset()
        self._loaded_at = -math.inf
        self._stores: IdentityStores | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._stores is None:
            self._stores = getattr(scope["app"].state, "identity", None)  # set by the lifespan, once
        await super().__call__(scope, receive, send)

    def is_allowed_origin(self, origin: str) -> bool:
        try:
            return normalize_origin(origin) in self._allowed_origins()
        except InvalidInputError:
            return False

    def _allowed_origins(self) -> frozenset[str]:
        if self._stores is not None and self._clock() - self._loaded_at >= self._refresh_s:
            sites = self._stores.sites.list_all()
            self._origins = frozenset(o for site in sites if not site.disabled for o in site.allowed_origins)
            self._loaded_at = self._clock()
        return self._origins


def install_site_cors(app: FastAPI, *, refresh_s: float = REFRESH_S) -> None:
    """Add last, so that it is the outermost middleware and refusals (413, 429, 504) carry CORS headers too."""
    app.add_middleware(SiteOriginCors, refresh_s=refresh_s)
