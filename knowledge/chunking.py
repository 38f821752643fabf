"""Chinese-aware chunking: laws by article, policies by heading and paragraph, records as a whole.

- Law: one chunk per article (or numbered item of a decision); an article longer than `max_size` is cut at
  sentence ends (。！？； and line breaks) into pieces of about `target_size`, each keeping the article number
  and section path.
- Policy, FAQ, guide: the paragraphs of one heading path; consecutive short paragraphs are merged up to
  `target_size`; a paragraph longer than `max_size` is cut at sentence ends. A sentence longer than `max_size`
  alone is cut at commas, then by length.
- Service matter: the whole record when it fits in `max_size`, else its field groups packed up to `target_size`.

Chunk ids hash the text that is embedded (title + heading path + text), so an unchanged chunk keeps its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from minfu.domain import Chunk, Document, DocumentKind, LoadedDocument, Section, content_hash
from minfu.errors import InvalidInputError

SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*|\n")
_CLAUSE_END = re.compile(r"[，、：,:]+[”’」』）)]*")
MIN_TARGET = 20


@dataclass(frozen=True, slots=True)
class _Piece:
    path: tuple[str, ...]
    text: str
    article: str | None = None


def split_after(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Cut the text after each match; the pieces concatenate back to the text."""
    pieces, start = [], 0
    for match in pattern.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p]


def split_sentences(text: str) -> list[str]:
    """The text cut after each sentence end (。！？；!?; and line breaks); the pieces concatenate back to it."""
    return split_after(text, SENTENCE_END)


class Chunker:
    def __init__(self, target_size: int = 400, *, max_size: int | None = None, overlap_sentences: int = 0) -> None:
        if target_size < MIN_TARGET:
            raise InvalidInputError(f"目标块长度至少为 {MIN_TARGET} 字", field="target_size")
        self.target_size = target_size
        self.max_size = max_size if max_size is not None else target_size * 3 // 2
        if self.max_size < target_size:
            raise InvalidInputError("最大块长度不能小于目标块长度", field="max_size")
        if overlap_sentences < 0:
            raise InvalidInputError("重叠句数不能为负数", field="overlap_sentences")
        self.overlap_sentences = overlap_sentences

    def chunk(self, loaded: LoadedDocument) -> list[Chunk]:
        document = loaded.document
        if document.kind is DocumentKind.LAW:
            pieces = list(self._law_pieces(loaded.sections))
        elif document.kind is DocumentKind.SERVICE_MATTER:
            pieces = list(self._record_pieces(loaded.sections))
        else:
            pieces = list(self._policy_pieces(loaded.sections))
        return _numbered(document, [p for p in pieces if p.text.strip()])

    # ------------------------------------------------------------------------------------------ strategies
    def _law_pieces(self, sections: Sequence[Section]) -> Iterator[_Piece]:
        for section in sections:
            for text in self.split(section.text):
                yield _Piece(section.path, text, section.article)

    def _policy_pieces(self, sections: Sequence[Section]) -> Iterator[_Piece]:
        for run in _runs(sections):
            first = run[0]
            for text in self._merge([s.text for s in run]):
                yield _Piece(first.path, text, first.article)

    def _record_pieces(self, sections: Sequence[Section]) -> Iterator[_Piece]:
        rendered = [_labelled(s) for s in sections]
        if sum(len(text) + 1 for text in rendered) <= self.max_size + 1:
            yield _Piece((), "\n".join(rendered))
            return
        for group in self._pack_sections(sections):
            if len(group) == 1:
                yield from (_Piece(group[0].path, text) for text in self.split(group[0].text))
            else:
                yield _Piece((), "\n".join(_labelled(s) for s in group))

    # ------------------------------------------------------------------------------------------ sizes
    def split(self, text: str) -> list[str]:
        """The text if it fits in max_size, else pieces of about target_size cut at sentence ends."""
        text = text.strip()
        if len(text) <= self.max_size:
            return [text] if text else []
        sentences = [s for sentence in split_after(text, SENTENCE_END) for s in self._fit(sentence)]
        return [piece for piece in self._pack(sentences) if piece]

    def _fit(self, sentence: str) -> list[str]:
        """A sentence longer than max_size cut at commas, and a clause still too long cut by length."""
        if len(sentence) <= self.max_size:
            return [sentence]
        pieces: list[str] = []
        for clause in self._pack_texts(split_after(sentence, _CLAUSE_END)):
            if len(clause) <= self.max_size:
                pieces.append(clause)
            else:
                pieces.extend(clause[i : i + self.target_size] for i in range(0, len(clause), self.target_size))
        return pieces

    def _pack(self, sentences: list[str]) -> list[str]:
        """Greedy packing up to target_size, a short tail merged back, optional sentence overlap."""
        groups: list[list[str]] = []
        for sentence in sentences:
            if groups and _length(groups[-1]) + len(sentence) <= self.target_size:
                groups[-1].append(sentence)
            else:
                groups.append([sentence])
        short_tail = len(groups) > 1 and _length(groups[-1]) < self.target_size // 3
        if short_tail and _length(groups[-2]) + _length(groups[-1]) <= self.max_size:
            groups[-2].extend(groups.pop())
        return ["".join(self._overlap(groups, i) + group).strip() for i, group in enumerate(groups)]

    def _overlap(self, groups: list[list[str]], index: int) -> list[str]:
        if index == 0 or self.overlap_sentences == 0:
            return []
        return groups[index - 1][-self.overlap_sentences :]

    def _pack_texts(self, texts: list[str]) -> list[str]:
        packed: list[str] = []
        for text in texts:
            if packed and len(packed[-1]) + len(text) <= self.target_size:
                packed[-1] += text
            else:
                packed.append(text)
        return packed

    def _merge(self, paragraphs: list[str]) -> Iterator[str]:
        """Consecutive short paragraphs merged up to target_size; a long one split on its own."""
        buffer: list[str] = []
        for paragraph in paragraphs:
            pieces = self.split(paragraph)
            if len(pieces) > 1 or (buffer and _joined_length(buffer) + 1 + len(paragraph) > self.target_size):
                yield from _flush(buffer)
            if len(pieces) > 1:
                yield from pieces
            else:
                buffer.extend(pieces)
        yield from _flush(buffer)

    def _pack_sections(self, sections: Sequence[Section]) -> list[list[Section]]:
        groups: list[list[Section]] = []
        for section in sections:
            size = len(_labelled(section))
            if groups and sum(len(_labelled(s)) + 1 for s in groups[-1]) + size <= self.target_size:
                groups[-1].append(section)
            else:
                groups.append([section])
        return groups


# ---------------------------------------------------------------------------------------------- helpers
def _runs(sections: Sequence[Section]) -> Iterator[list[Section]]:
    """Consecutive paragraphs of one heading path; an article is a run of its own."""
    run: list[Section] = []
    for section in sections:
        if run and (section.article or run[0].article or section.path != run[0].path):
            yield run
            run = []
        run.append(section)
    if run:
        yield run


def _labelled(section: Section) -> str:
    """A record's field group as it reads inside a whole-record chunk: 受理条件：… / 办理时限：⏎法定办结时限：…"""
    if not section.path or section.text.startswith(section.path[-1]):
        return section.text
    separator = "\n" if "\n" in section.text else ""
    return f"{section.path[-1]}：{separator}{section.text}"


def _length(sentences: list[str]) -> int:
    return sum(len(s) for s in sentences)


def _joined_length(paragraphs: list[str]) -> int:
    return sum(len(p) for p in paragraphs) + len(paragraphs) - 1


def _flush(buffer: list[str]) -> Iterator[str]:
    if buffer:
        yield "\n".join(buffer)
        buffer.clear()


def _numbered(document: Document, pieces: list[_Piece]) -> list[Chunk]:
    """Chunks with content-hash ids: `{document id}#{hash[:12]}`, `-2`, `-3` … on repeats."""
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for ordinal, piece in enumerate(pieces):
        draft = Chunk(
            id="",
            document_id=document.id,
            ordinal=ordinal,
            text=piece.text.strip(),
            section_path=piece.path,
            article=piece.article,
        )
        digest = content_hash(draft.embedding_text(document.title))
        base = f"{document.id}#{digest[:12]}"
        seen[base] = seen.get(base, 0) + 1
        chunk_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
        chunks.append(Chunk(chunk_id, document.id, ordinal, draft.text, piece.path, piece.article, digest))
    return chunks
