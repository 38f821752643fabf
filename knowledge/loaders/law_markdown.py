"""Laws and regulations in the LawRefBook Markdown layout.

    # 保障中小企业款项支付条例
    2020年7月5日 中华人民共和国国务院令第728号公布
    2025年3月17日 中华人民共和国国务院令第802号修订
    <!-- INFO END -->
    ## 第一章 总 则
    第一条 为了促进……

The lines before the marker are the promulgation and amendment history; the body has chapters (##), sections
(节) and articles (第X条). The version is the date in the file name `名称(YYYY-MM-DD).md`, else the latest date
of the history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.loaders._structure import ARTICLE, SectionBuilder, heading_text, markdown_blocks
from knowledge.loaders._text import clean_line, effective_date, effective_on_publication, find_dates, parse_date
from knowledge.loaders.metadata import document_id
from minfu.domain import Document, DocumentKind, LoadedDocument
from minfu.errors import DocumentLoadError

INFO_END = "<!-- INFO END -->"
_NAME_DATE = re.compile(r"[(（](\d{4})-(\d{2})-(\d{2})[)）]\s*$")
_DECREE = re.compile(r"(?:中华人民共和国)?([\u4e00-\u9fff]{2,20}?)令(第[\d〇零一二三四五六七八九十百千]+号)")
_CONGRESS = re.compile(r"([\u4e00-\u9fff]{0,12}?)第[一二三四五六七八九十]+届(全国)?人民代表大会(常务委员会|常委会)?")
_COUNCIL = re.compile(r"国务院第\d+次常务会议")


@dataclass(frozen=True, slots=True)
class HistoryLine:
    text: str
    on: date | None

    @property
    def in_force_line(self) -> bool:
        """A line that only states when the text takes effect ("2020年1月1日 施行")."""
        return self.on is not None and re.sub(r"[\d年月日\s）)]", "", self.text) == "施行"


_INFO_END_LINE = re.compile(rf"^\s*{re.escape(INFO_END)}\s*$", re.MULTILINE)


def is_law_markdown(text: str) -> bool:
    """The marker on a line of its own (a text that only mentions it, in backticks, is not a law)."""
    return _INFO_END_LINE.search(text) is not None


def load_law_markdown(path: Path, text: str) -> LoadedDocument:
    marker = _INFO_END_LINE.search(text)
    head, body = (text[: marker.start()], text[marker.end() :]) if marker else ("", text)
    title, history = _parse_head(head, path)
    version = _version(path, history)
    builder = SectionBuilder(title=title, items_as_units=not _has_articles(body))
    sections = builder.build(markdown_blocks(body.splitlines()))
    if not sections:
        raise DocumentLoadError(str(path), "法规正文为空")
    published = _published(history) or parse_date(version)
    document = Document(
        id=document_id(DocumentKind.LAW, title, version),
        kind=DocumentKind.LAW,
        title=title,
        source=str(path),
        version=version,
        series=title,
        published=published,
        effective_from=_effective(history, body, published),
        issuer=_issuer(history),
        doc_number=_doc_number(history),
        extra=_extra(history),
    )
    return LoadedDocument(document, sections)


def _parse_head(head: str, path: Path) -> tuple[str, list[HistoryLine]]:
    title = ""
    lines: list[str] = []
    for raw in head.splitlines():
        line = clean_line(raw)
        if line.startswith("# ") and not title:
            title = heading_text(line[2:])
        elif line and not line.startswith("#"):
            _add_history_line(lines, line)
    title = title or re.sub(_NAME_DATE, "", path.stem).strip()
    return title, [HistoryLine(line, next(iter(find_dates(line)), None)) for line in lines]


def _add_history_line(lines: list[str], line: str) -> None:
    """A line that does not start with a date continues the previous one (a wrapped long line)."""
    if lines and not find_dates(line[:12]):
        lines[-1] += line
    else:
        lines.append(line)


def _has_articles(body: str) -> bool:
    return any(ARTICLE.match(clean_line(line)) for line in body.splitlines())


def _version(path: Path, history: list[HistoryLine]) -> str | None:
    named = _NAME_DATE.search(path.stem)
    if named:
        return "-".join(named.groups())
    dates = [line.on for line in history if line.on is not None]
    return max(dates).isoformat() if dates else None


def _published(history: list[HistoryLine]) -> date | None:
    dates = [line.on for line in history if line.on is not None and not line.in_force_line]
    return max(dates) if dates else None


def _effective(history: list[HistoryLine], body: str, published: date | None) -> date | None:
    """When this version took effect: a 施行 history line, else the 自…起施行 sentence, else publication.

    A stated date before the publication of this version is the original text's, kept by an amendment; the
    amendment itself applies from its publication.
    """
    stated = [line.on for line in history if line.on is not None and line.in_force_line]
    if stated and (published is None or max(stated) >= published):
        return max(stated)
    in_body = effective_date(body)
    if in_body is not None and (published is None or in_body >= published):
        return in_body
    if effective_on_publication(body) or in_body is not None:
        # An amended text keeps the original date in its last article; the amendment applies from publication.
        return published or in_body
    return None


def _issuer(history: list[HistoryLine]) -> str | None:
    for line in reversed(history):
        issuer = _issuer_of(line.text)
        if issuer:
            return issuer
    return None


def _issuer_of(text: str) -> str | None:
    decree = _DECREE.search(text)
    if decree and decree.group(1) != "主席":
        return decree.group(1)
    congress = _CONGRESS.search(text)
    if congress:
        place = "全国" if congress.group(2) else congress.group(1)
        body = "人民代表大会常务委员会" if congress.group(3) else "人民代表大会"
        return f"{place}{body}"
    return "国务院" if _COUNCIL.search(text) else None


def _doc_number(history: list[HistoryLine]) -> str | None:
    for line in reversed(history):
        decree = _DECREE.search(line.text)
        if decree:
            return f"{decree.group(1)}令{decree.group(2)}"
    return None


def _extra(history: list[HistoryLine]) -> dict[str, str]:
    return {"history": "\n".join(line.text for line in history)} if history else {}
