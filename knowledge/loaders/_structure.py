"""From text blocks to sections: headings ranked by their numbering, articles, page-break repair.

Every loader first turns its input into a flat list of `Block`s (heading / paragraph / rule), then the functions
here give the headings a rank, join paragraphs that a page break cut in two and build the sections.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from knowledge.loaders._text import CN_NUM, DATE_LINE, DOC_NUMBER, clean_line, ends_sentence, glue, join_cjk
from minfu.domain import Section

BlockKind = Literal["heading", "paragraph", "rule"]


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str
    level: int = 0  # markup level of a heading (# count, Heading N style, hN); 0 when unknown


# Numbering styles in rank order: a smaller rank is a higher level. Unnumbered headings keep their markup level
# (1-6), so a numbered heading always sits below an unnumbered one of the same file.
_STYLES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"^第[{CN_NUM}\d]+编(?=\s|$)"), 7),
    (re.compile(rf"^第[{CN_NUM}\d]+分编(?=\s|$)"), 8),
    (re.compile(rf"^第[{CN_NUM}\d]+章(?=\s|$)"), 9),
    (re.compile(rf"^第[{CN_NUM}\d]+节(?=\s|$)"), 10),
    (re.compile(rf"^[{CN_NUM}]+、"), 11),
    (re.compile(rf"^[（(][{CN_NUM}]+[）)]"), 12),
    (re.compile(r"^\d{1,2}[.．、](?!\d)"), 13),
    (re.compile(r"^[（(]\d{1,2}[）)]"), 14),
)
_PART_LABEL = re.compile(rf"^(第[{CN_NUM}\d]+(?:分编|编|章|节|部分))\s*(.*)$")
ARTICLE = re.compile(rf"^(第[{CN_NUM}\d]+条(?:之[{CN_NUM}]+)?)(?:\s+|$)(.*)$", re.DOTALL)
_ITEM = re.compile(rf"^[{CN_NUM}]+、")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\s*([-*_])(?:\s*\1){2,}\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+\))\s+")
MAX_NUMBERED_HEADING = 50
MIN_BROKEN_PARAGRAPH = 16
_MID_SENTENCE = "，、,（(《“‘—-"


def numbering_rank(text: str) -> int | None:
    """The rank of the text's numbering style (第X章 9 … （1） 14), None when it is not numbered."""
    for pattern, rank in _STYLES:
        if pattern.match(text):
            return rank
    return None


def heading_rank(block: Block) -> int:
    return numbering_rank(block.text) or min(max(block.level, 1), 6)


def heading_text(text: str) -> str:
    """A heading as it should read in a section path: 第一章 总则, （一）推动政务服务智慧好办."""
    text = join_cjk(text.replace("**", ""))
    part = _PART_LABEL.match(text)
    return f"{part.group(1)} {part.group(2)}".strip() if part else text


# ---------------------------------------------------------------------------------------------- markdown
def markdown_blocks(lines: Iterable[str]) -> list[Block]:
    """Blocks of a Markdown body: ATX headings, rules, and paragraphs (lines joined up to a blank line)."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    for raw in lines:
        line = clean_line(raw)
        block = _markdown_line_block(line)
        if block is not None or not line:
            blocks.extend(_paragraph_block(paragraph))
            paragraph = []
        if block is not None:
            blocks.append(block)
        elif line:
            paragraph.append(_MD_LIST.sub("", line))
    blocks.extend(_paragraph_block(paragraph))
    return blocks


def _markdown_line_block(line: str) -> Block | None:
    heading = _MD_HEADING.match(line)
    if heading:
        return Block("heading", heading.group(2), len(heading.group(1)))
    return Block("rule", "") if _MD_RULE.match(line) else None


def _paragraph_block(lines: list[str]) -> Iterator[Block]:
    text = glue(*lines).replace("**", "").replace("__", "").strip()
    if text:
        yield Block("paragraph", text)


def line_blocks(text: str) -> list[Block]:
    """Blocks of plain or extracted text: one paragraph per non-blank line (joined later by `repair_breaks`)."""
    lines = (clean_line(line) for line in text.splitlines())
    return [Block("paragraph", line) for line in lines if line]


# ---------------------------------------------------------------------------------------------- repair
def looks_like_heading(text: str) -> bool:
    """A short numbered line without sentence punctuation: 一、总体要求 / （一）推动政务服务智慧好办."""
    if numbering_rank(text) is None or len(text) > MAX_NUMBERED_HEADING:
        return False
    return not re.search(r"[。；！？]", text) and text[-1] not in "，、：,:"


def promote_numbered_headings(blocks: Iterable[Block]) -> list[Block]:
    """Turn numbered short paragraphs into headings (policies written without `#` marks)."""
    return [Block("heading", b.text) if b.kind == "paragraph" and looks_like_heading(b.text) else b for b in blocks]


def repair_breaks(blocks: list[Block]) -> list[Block]:
    """Join a paragraph cut in mid-sentence (by a page break or a line wrap) with the paragraph that continues it."""
    repaired: list[Block] = []
    for block in blocks:
        previous = repaired[-1] if repaired else None
        if previous is not None and _continues(previous, block):
            repaired[-1] = replace(previous, text=glue(previous.text, block.text))
        else:
            repaired.append(block)
    return repaired


def _continues(previous: Block, block: Block) -> bool:
    if previous.kind != "paragraph" or block.kind != "paragraph":
        return False
    if ends_sentence(previous.text):
        return False
    if len(previous.text) < MIN_BROKEN_PARAGRAPH and previous.text[-1] not in _MID_SENTENCE:
        return False  # a short line ending in a word is a title or a signature, not a broken paragraph
    if looks_like_heading(previous.text) or _is_marker(previous.text):
        return False
    return not (_is_marker(block.text) or ARTICLE.match(block.text) or numbering_rank(block.text) is not None)


def _is_marker(text: str) -> bool:
    """A date line or a bare document number: never part of a running paragraph."""
    return bool(DATE_LINE.match(text) or DOC_NUMBER.fullmatch(text))


# ---------------------------------------------------------------------------------------------- sections
@dataclass
class _Unit:
    path: tuple[str, ...]
    label: str | None
    parts: list[str]


class SectionBuilder:
    """Walks blocks keeping the heading path; groups an article (or a numbered item) with its paragraphs."""

    def __init__(self, *, title: str = "", items_as_units: bool = False) -> None:
        self._title = join_cjk(title)
        self._items_as_units = items_as_units
        self._stack: list[tuple[int, str]] = []
        self._unit: _Unit | None = None
        self.sections: list[Section] = []

    def build(self, blocks: Iterable[Block]) -> tuple[Section, ...]:
        for block in blocks:
            if block.kind == "heading":
                self._heading(block)
            elif block.kind == "paragraph":
                self._paragraph(block.text)
        self._flush()
        return tuple(self.sections)

    @property
    def _path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self._stack)

    def _heading(self, block: Block) -> None:
        self._flush()
        text = heading_text(block.text)
        if text == self._title:
            self._stack.clear()
            return
        rank = heading_rank(block)
        while self._stack and self._stack[-1][0] >= rank:
            self._stack.pop()
        self._stack.append((rank, text))

    def _paragraph(self, text: str) -> None:
        article = ARTICLE.match(text)
        if article:
            self._flush()
            label = article.group(1)
            self._unit = _Unit(self._path, label, [f"{label} {article.group(2)}".strip()])
        elif self._items_as_units and _ITEM.match(text):
            self._flush()
            self._unit = _Unit(self._path, None, [text])
        elif self._unit is not None:
            self._unit.parts.append(text)
        else:
            self.sections.append(Section(self._path, text))

    def _flush(self) -> None:
        if self._unit is not None:
            self.sections.append(Section(self._unit.path, "\n".join(self._unit.parts), self._unit.label))
            self._unit = None
