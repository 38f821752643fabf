"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from agents.factory import build_assistant
from agents.services import build_tool_services
from api.cors import install_site_cors
from api.errors import install_error_handlers
from api.identity import open_identity
from api.limits import install_limits
from api.observability import install_observability
from api.openapi import install_openapi
from api.routes import admin, chat, dev, health, pages, search, staff
from api.staff import open_staff_desk
from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from minfu import __version__
from minfu.settings import Settings, get_settings
from tools.store import make_engine, session_factory
from tools.store.conversations import ConversationStore

log = logging.getLogger("minfu.api")


def create_app(
    settings: Settings | None = None, *, knowledge: KnowledgeBase | None = None, fill_dense: bool = True
) -> FastAPI:
    """The app; `fill_dense=False` leaves an incomplete dense index as it is (tests, read-only replicas)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kb = knowledge or KnowledgeBase.open(settings)
        app.state.knowledge = kb
        app.state.settings = settings
        app.state.identity = open_identity(settings)  # sites and API keys (api/deps.py); the dev site in development
        services = build_tool_services(settings, knowledge=kb)
        app.state.assistant = build_assistant(settings, services=services)
        app.state.conversations = ConversationStore(session_factory(make_engine(settings.database_url)))
        app.state.staff = open_staff_desk(settings, kb, app.state.assistant)  # handoffs, curated answers
        _fill_lexical(kb, settings)
        if fill_dense and not kb.status()["dense_complete"]:
            _fill_dense_in_background(kb, settings)
        yield

    app = FastAPI(title="闵服 minfu API", version=__version__, lifespan=lifespan)
    install_error_handlers(app)
    install_openapi(app)  # every operation's error answers in /openapi.json
    install_limits(app, settings)  # body size, timeout, rate limiter (before observability: see its docstring)
    install_observability(app, settings)  # JSON logs with request ids, /metrics
    install_site_cors(app)  # last, so outermost: the widget's cross-origin calls, refusals included
    app.include_router(health.router)
    app.include_router(search.router, prefix="/v1")
    app.include_router(chat.router, prefix="/v1")
    app.include_router(admin.router, prefix="/v1")
    staff.install(app)  # /v1/staff: handoff queue, suggestions, curated answers, figures (X-API-Key)
    app.include_router(pages.router)  # /widget.js; the demo portal page / in development
    if settings.environment == "development":
        app.include_router(dev.router, prefix="/v1")  # POST /v1/dev/token: demo login; 404 in test and production
    return app


def _fill_lexical(kb: KnowledgeBase, settings: Settings) -> None:
    """Before serving: re-index what the lexical index lacks (it loads empty after its format changed)."""
    added = Ingestor(kb, Chunker(settings.chunk_size)).fill_lexical()
    if added:
        log.info("lexical index rebuilt: %d chunks added", added)


def _fill_dense_in_background(kb: KnowledgeBase, settings: Settings) -> None:
    """Embed what the dense index lacks while the service already answers (lexically) — see DESIGN.md."""

    def fill() -> None:
        try:
            added = Ingestor(kb, Chunker(settings.chunk_size)).fill_dense()
            log.info("dense index filled: %d chunks added", added)
        except Exception:  # a failed fill must not take the service down; search stays lexical
            log.exception("dense index fill failed")

    threading.Thread(target=fill, name="minfu-dense-fill", daemon=True).start()
