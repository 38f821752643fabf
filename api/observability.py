"""Records of what the service does: structured, masked logs with request ids, and Prometheus metrics."""

from __future__ import annotations

from fastapi import FastAPI

from api.logging_setup import RequestContextMiddleware, configure_logging
from api.metrics import install_metrics
from minfu.settings import Settings


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Logging as configured, `/metrics`, and the request-id middleware outermost so every answer carries an id.

    Call after `install_limits`: middleware added later wraps the earlier, so 413s and 504s are logged and counted.
    """
    configure_logging(settings)
    install_metrics(app)
    app.add_middleware(RequestContextMiddleware)
