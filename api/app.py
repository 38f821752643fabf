"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import health, search
from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from minfu import __version__
from minfu.settings import Settings, get_settings

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
        if fill_dense and not kb.status()["dense_complete"]:
            _fill_dense_in_background(kb, settings)
        yield

    app = FastAPI(title="闵服 minfu API", version=__version__, lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(search.router, prefix="/v1")
    return app


def _fill_dense_in_background(kb: KnowledgeBase, settings: Settings) -> None:
    """Embed what the dense index lacks while the service already answers (lexically) — see DESIGN.md."""

    def fill() -> None:
        try:
            added = Ingestor(kb, Chunker(settings.chunk_size)).fill_dense()
            log.info("dense index filled: %d chunks added", added)
        except Exception:  # a failed fill must not take the service down; search stays lexical
            log.exception("dense index fill failed")

    threading.Thread(target=fill, name="minfu-dense-fill", daemon=True).start()
