"""Adapter for the external NCPPolicies benchmark (2020 DataFountain 疫情政务问答助手 competition).

Each line has `id`, `docid`, `context` (a policy passage, news item or notice), `question` and `answer`
(`text`, `span`). Following the benchmark's retrieval task, every distinct `docid` becomes one document (its first
context; the set has one context per docid) and every line one question, relevant when a retrieved chunk comes from
the same docid or contains the answer text.

The data is competition material for research only: it is read from a path given at run time and never copied into
the repository.

The contexts carry no metadata. Their paragraphs are separated by runs of spaces (there are no newlines), and most
open with a headline, so the document title is the text up to the first whitespace after six characters, at most
60 characters: a heuristic, not a recorded title. No issuer, date or document number is invented.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import RetrievalItem
from minfu.domain import Document, DocumentKind, LoadedDocument, Section
from minfu.errors import InvalidInputError

BENCHMARK = "NCPPolicies"
_REQUIRED = ("id", "docid", "context", "question", "answer")
_WHITESPACE_RUN = re.compile(r"\s+")
_TITLE_MIN = 6
_TITLE_MAX = 60


def document_id(docid: str) -> str:
    return f"ncp:{docid}"


def is_ncp_path(path: Path) -> bool:
    """True for an NCPPolicies folder or file: JSONL whose first record has `context` and `answer` fields."""
    files = _jsonl_files(path) if path.is_dir() else [path]
    return bool(files) and all(_looks_like_ncp(f) for f in files)


def load_ncppolicies(path: Path) -> tuple[list[LoadedDocument], list[RetrievalItem]]:
    """The benchmark's documents (one per docid) and questions, from its folder or one of its .jsonl files."""
    files = _jsonl_files(path) if path.is_dir() else [path]
    if not files:
        raise InvalidInputError(f"在 {path} 中找不到 NCPPolicies 的 .jsonl 文件", field="dataset")
    documents: dict[str, LoadedDocument] = {}
    items: list[RetrievalItem] = []
    for file in files:
        for record in _records(file):
            docid = record.docid
            if docid not in documents:
                documents[docid] = _document(docid, record.context, file)
            items.append(_item(record, file))
    return list(documents.values()), items


@dataclass(frozen=True, slots=True)
class _Record:
    id: str
    docid: str
    context: str
    question: str
    answer: str


def _jsonl_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.jsonl") if p.is_file())


def _looks_like_ncp(file: Path) -> bool:
    try:
        with file.open(encoding="utf-8") as fh:
            first = next((line for line in fh if line.strip()), "")
        data = json.loads(first) if first else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and "context" in data and "answer" in data


def _records(file: Path) -> Iterator[_Record]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"无法读取 NCPPolicies 文件 {file}：{exc}", field="dataset") from exc
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield _record(line, file, number)


def _record(line: str, file: Path, number: int) -> _Record:
    where = f"{file.name} 第 {number} 行"
    try:
        data: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{where} 不是合法的 JSON：{exc.msg}", field="dataset") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{where} 不是 JSON 对象", field="dataset")
    missing = [name for name in _REQUIRED if not data.get(name)]
    if missing:
        raise InvalidInputError(f"{where} 缺少字段 {'、'.join(missing)}", field=missing[0])
    answer = data["answer"]
    answer_text = answer.get("text", "") if isinstance(answer, dict) else ""
    return _Record(
        str(data["id"]), str(data["docid"]), str(data["context"]), str(data["question"]), str(answer_text or "")
    )


def _document(docid: str, context: str, file: Path) -> LoadedDocument:
    document = Document(
        id=document_id(docid),
        kind=DocumentKind.POLICY,
        title=context_title(context),
        source=f"{file}#{docid}",
        extra={"benchmark": BENCHMARK, "docid": docid},
    )
    sections = tuple(Section(path=(), text=p) for p in context_paragraphs(context))
    return LoadedDocument(document, sections)


def _item(record: _Record, file: Path) -> RetrievalItem:
    return RetrievalItem(
        id=record.id,
        question=record.question,
        reference_contexts=(record.answer,) if record.answer.strip() else (),
        docid=document_id(record.docid),
        category=file.stem.removesuffix("_with_context"),
    )


def context_paragraphs(context: str) -> list[str]:
    """The context split at whitespace runs, except a run between two ASCII letters or digits ("COVID 19")."""
    text = context.strip()
    paragraphs, start = [], 0
    for run in _WHITESPACE_RUN.finditer(text):
        if _ascii_word(text[run.start() - 1]) and _ascii_word(text[run.end()]):
            continue
        paragraphs.append(text[start : run.start()])
        start = run.end()
    paragraphs.append(text[start:])
    return [p for p in paragraphs if p]


def _ascii_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def context_title(context: str) -> str:
    text = context.strip()
    match = _WHITESPACE_RUN.search(text, _TITLE_MIN)
    title = text[: match.start()] if match else text
    return title if len(title) <= _TITLE_MAX else title[:_TITLE_MAX] + "…"
