"""Where the bundled default corpus lives (package data, so a fresh install has it)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def bundled_corpus_path() -> Path:
    return Path(str(files("knowledge") / "corpus"))
