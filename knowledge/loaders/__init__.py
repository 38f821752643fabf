"""Document loaders: one entry point per file (`load_file`) and per batch of files and folders (`load_paths`).

Suffix decides the loader: Markdown (law layout when it has the `<!-- INFO END -->` marker, else policy),
plain text, JSONL/JSON/YAML records, PDF, DOCX, HTML. Metadata written beside a file (`X.md.meta.yaml`) or
as YAML front matter overrides what the loader inferred. In a batch, a file that fails is listed and the rest load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.loaders.law_markdown import is_law_markdown, load_law_markdown
from knowledge.loaders.metadata import apply_metadata, is_sidecar, read_sidecar, split_front_matter
from knowledge.loaders.office import load_docx, load_html, load_pdf
from knowledge.loaders.policy_markdown import load_policy_markdown, load_policy_text
from knowledge.loaders.records import load_records
from minfu.domain import LoadedDocument
from minfu.errors import DocumentLoadError, UnsupportedFileError

__all__ = ["SUPPORTED_SUFFIXES", "LoadBatch", "load_file", "load_paths"]

logger = logging.getLogger(__name__)

_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
_HOUSEKEEPING = frozenset({"README", "SOURCES", "LICENSE", "LICENCE", "NOTICE", "COPYING", "CHANGELOG"})


@dataclass
class LoadBatch:
    documents: list[LoadedDocument] = field(default_factory=list)
    failures: list[DocumentLoadError] = field(default_factory=list)


def _markdown(path: Path) -> list[LoadedDocument]:
    front, text = split_front_matter(_read_text(path), path)
    item = load_law_markdown(path, text) if is_law_markdown(text) else load_policy_markdown(path, text)
    return [_with_metadata(item, front, path)]


def _text(path: Path) -> list[LoadedDocument]:
    return [load_policy_text(path, _read_text(path))]


def _records(path: Path) -> list[LoadedDocument]:
    return load_records(path, _read_text(path))


def _pdf(path: Path) -> list[LoadedDocument]:
    return [load_pdf(path)]


def _docx(path: Path) -> list[LoadedDocument]:
    return [load_docx(path)]


def _html(path: Path) -> list[LoadedDocument]:
    return [load_html(path, _read_bytes(path))]


_LOADERS: dict[str, Callable[[Path], list[LoadedDocument]]] = {
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _text,
    ".jsonl": _records,
    ".json": _records,
    ".yaml": _records,
    ".yml": _records,
    ".pdf": _pdf,
    ".docx": _docx,
    ".html": _html,
    ".htm": _html,
}
SUPPORTED_SUFFIXES = frozenset(_LOADERS)


def load_file(path: Path) -> list[LoadedDocument]:
    """The documents in one file (several for a records file), its sidecar metadata applied."""
    path = Path(path).resolve()
    loader = _loader_for(path)
    if not path.is_file():
        raise DocumentLoadError(str(path), "文件不存在" if not path.exists() else "这不是一个文件")
    sidecar = read_sidecar(path)
    return [_with_metadata(item, sidecar, path) for item in loader(path)]


def _loader_for(path: Path) -> Callable[[Path], list[LoadedDocument]]:
    if is_sidecar(path):
        raise UnsupportedFileError(str(path), "这是元数据文件（.meta.yaml），不是文档")
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        supported = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedFileError(str(path), f"不支持的文件类型“{path.suffix or '无扩展名'}”（支持：{supported}）")
    return loader


def _with_metadata(item: LoadedDocument, meta: dict[str, Any], path: Path) -> LoadedDocument:
    return LoadedDocument(apply_metadata(item.document, meta, path), item.sections) if meta else item


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DocumentLoadError(str(path), f"文件无法打开（{exc.strerror or type(exc).__name__}）") from exc


def _read_text(path: Path) -> str:
    data = _read_bytes(path)
    for encoding in _TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentLoadError(str(path), "文件编码无法识别（应为 UTF-8 或 GB18030）")


# ---------------------------------------------------------------------------------------------- batches
def load_paths(paths: Iterable[Path]) -> LoadBatch:
    """Load files and folders.

    Folders are walked recursively in sorted order, skipping hidden files, `*.meta.yaml` sidecars and a folder's
    own README / SOURCES / LICENSE files. A file that fails is listed in `failures` and the rest still load.
    """
    batch = LoadBatch()
    seen_ids: dict[str, str] = {}
    for path in _files(paths, batch):
        try:
            loaded = load_file(path)
        except DocumentLoadError as exc:
            batch.failures.append(exc)
            continue
        except Exception as exc:  # a loader bug on odd input must not stop the batch
            logger.warning("unexpected error loading %s", path, exc_info=True)
            batch.failures.append(DocumentLoadError(str(path), f"解析时出错（{type(exc).__name__}）"))
            continue
        _add(batch, loaded, seen_ids, path)
    return batch


def _add(batch: LoadBatch, loaded: list[LoadedDocument], seen_ids: dict[str, str], path: Path) -> None:
    for item in loaded:
        first = seen_ids.setdefault(item.document.id, item.document.source)
        if first != item.document.source:
            reason = f"文档编号 {item.document.id} 与 {first} 重复，已跳过"
            batch.failures.append(DocumentLoadError(str(path), reason))
        else:
            batch.documents.append(item)


def _files(paths: Iterable[Path], batch: LoadBatch) -> Iterator[Path]:
    seen: set[Path] = set()
    for given in paths:
        path = Path(given).resolve()
        if path.is_dir():
            candidates: Iterable[Path] = _walk(path)
        elif path.exists():
            candidates = [] if is_sidecar(path) else [path]
        else:
            batch.failures.append(DocumentLoadError(str(path), "文件或目录不存在"))
            continue
        for candidate in candidates:
            if candidate not in seen:
                seen.add(candidate)
                yield candidate


def _walk(root: Path) -> list[Path]:
    found = (p for p in root.rglob("*") if p.is_file() and not is_sidecar(p) and not _is_housekeeping(p))
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts))


def _is_housekeeping(path: Path) -> bool:
    """README, SOURCES, LICENSE … describe a folder, they are not knowledge (still loadable when named)."""
    return path.name.split(".")[0].upper() in _HOUSEKEEPING
