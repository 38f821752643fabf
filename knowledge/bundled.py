"""Where the bundled default corpus lives (package data, so a fresh install has it)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUNDLED_LABEL = "minfu 内置语料"


def bundled_corpus_path() -> Path:
    return Path(str(files("knowledge") / "corpus"))


def display_source(source: str) -> str:
    """A document's source as a citation shows it: bundled texts by their place in the corpus (an install path
    means nothing to a reader and differs per machine), URLs and operators' files as they are."""
    if "://" in source:
        return source
    root = bundled_corpus_path().resolve()
    try:
        relative = Path(source).resolve().relative_to(root)
    except (ValueError, OSError):
        return source
    return f"{BUNDLED_LABEL}/{relative.as_posix()}"
