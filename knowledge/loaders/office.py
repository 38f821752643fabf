"""Operators' own files: PDF (pypdf), DOCX (python-docx) and HTML (beautifulsoup4), read as policy documents."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from knowledge.loaders._structure import Block, line_blocks
from knowledge.loaders._text import clean_line
from knowledge.loaders.policy_markdown import build_policy
from minfu.domain import LoadedDocument
from minfu.errors import DocumentLoadError

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_HTML_DROP = ("script", "style", "noscript", "template", "nav", "footer", "aside", "form", "button", "iframe")
_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "tr", "dt", "dd")
_HTML_CONTAINERS = ("div", "section", "table", "td", "th", "ul", "ol", "center", *_HTML_BLOCKS)
MIN_CAPTURED_SHARE = 0.5


# ---------------------------------------------------------------------------------------------- PDF
def load_pdf(path: Path) -> LoadedDocument:
    """Text of every page; wrapped lines and page breaks are joined by the policy pipeline."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentLoadError(str(path), "PDF 已加密，无法读取")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentLoadError:
        raise
    except Exception as exc:  # pypdf raises many exception types on damaged files
        raise DocumentLoadError(str(path), f"PDF 文件已损坏或无法解析（{type(exc).__name__}）") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentLoadError(str(path), "PDF 中没有可提取的文字（可能是扫描件）")
    return build_policy(path, line_blocks(text))


# ---------------------------------------------------------------------------------------------- DOCX
def load_docx(path: Path) -> LoadedDocument:
    """Paragraphs and table rows in document order; Heading N / 标题 N / Title styles become headings."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
        blocks = list(_docx_blocks(document))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentLoadError(str(path), f"DOCX 文件已损坏或无法解析（{type(exc).__name__}）") from exc
    return build_policy(path, blocks)


def _docx_blocks(document: Any) -> Iterator[Block]:
    from docx.table import Table

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            yield from _table_blocks(item)
        else:
            block = _docx_paragraph(item)
            if block is not None:
                yield block


def _docx_paragraph(paragraph: Any) -> Block | None:
    text = clean_line(paragraph.text)
    if not text:
        return None
    style = paragraph.style.name if paragraph.style is not None else ""
    if style == "Title":
        return Block("heading", text, 1)
    level = _HEADING_STYLE.match(style)
    return Block("heading", text, int(level.group(1))) if level else Block("paragraph", text)


def _table_blocks(table: Any) -> Iterator[Block]:
    for row in table.rows:
        cells = _unique(clean_line(cell.text) for cell in row.cells)
        if cells:
            yield Block("paragraph", " | ".join(cells))


def _unique(values: Iterator[str]) -> list[str]:
    """Cell texts without blanks and without the repeats that merged cells produce."""
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


# ---------------------------------------------------------------------------------------------- HTML
def load_html(path: Path, data: bytes) -> LoadedDocument:
    """Headings h1-h6 and paragraphs of the main content; scripts, styles and navigation dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = _html_blocks(root)
    page_title = clean_line(soup.title.get_text()) if soup.title else ""
    if not blocks:
        raise DocumentLoadError(str(path), "网页中没有可读取的正文")
    has_heading = any(b.kind == "heading" for b in blocks)
    return build_policy(path, blocks, title=None if has_heading else page_title or None)


def _html_blocks(root: Any) -> list[Block]:
    blocks: list[Block] = []
    for element in root.find_all(_HTML_BLOCKS):
        if element.find_parent(_HTML_BLOCKS) is not None:
            continue  # its text is already part of the enclosing block
        blocks.extend(_element_blocks(element))
    captured = sum(len(b.text) for b in blocks)
    total = len(clean_line(root.get_text("")))
    if captured < MIN_CAPTURED_SHARE * total:  # text sits in bare <div>s: read it line by line
        levels = {b.text: b.level for b in blocks if b.kind == "heading"}
        for tag in root.find_all(_HTML_CONTAINERS):
            tag.insert_before("\n")
            tag.insert_after("\n")
        lines = line_blocks(root.get_text(""))
        return [Block("heading", b.text, levels[b.text]) if b.text in levels else b for b in lines]
    return blocks


def _element_blocks(element: Any) -> Iterator[Block]:
    name = element.name
    separator = " | " if name == "tr" else ""
    text = element.get_text(separator)
    if name.startswith("h") and name[1:].isdigit():
        if clean_line(text):
            yield Block("heading", clean_line(text), int(name[1:]))
        return
    for line in text.split("\n"):
        if clean_line(line):
            yield Block("paragraph", clean_line(line))
