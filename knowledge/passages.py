"""Passages: the units the lexical index scores, each a sentence of a chunk under the chunk's heading.

A chunk of 400 characters can hold several unrelated provisions (an action plan paragraph lists five measures);
scored whole by BM25, the one sentence that answers a question is diluted by the rest, while a question's words
spread over unrelated sentences add up. The lexical index therefore scores each sentence (with the title and
heading path, which carry the law's or policy's name) and gives a chunk the score of its best sentence.
The index blends the best sentence's score with the whole chunk's (`chunk_weight`, knowledge/lexical.py), so a
chunk that keeps to the subject still wins a tie. Against the whole-chunk index it replaced, with e5 and the fusion
(`minfu eval retrieval`, one machine): development set hit@1 0.535 -> 0.578, hit@5 0.768 -> 0.845, MRR 0.629 -> 0.680;
NCPPolicies hit@5 0.962 -> 0.973, MRR 0.903 -> 0.917; the lexical index alone on the development set 0.725 -> 0.746.
"""

from __future__ import annotations

from collections.abc import Callable

from knowledge.chunking import split_sentences
from minfu.ports import IndexedChunk

MIN_SENTENCE = 6  # shorter pieces ("（一）", a lone heading line) join the sentence after them

Passages = Callable[[IndexedChunk], list[str]]


def whole_chunk(item: IndexedChunk) -> list[str]:
    """The chunk's indexed text as its only passage (chunk-level scoring)."""
    return [item.text]


def sentence_passages(item: IndexedChunk) -> list[str]:
    """Each sentence of the chunk prefixed by its heading (the indexed text before the chunk's own text)."""
    heading, body = _heading_and_body(item)
    parts = _joined_short([s.strip() for s in split_sentences(body)])
    if len(parts) <= 1:
        return [item.text]
    return [f"{heading}\n{part}" if heading else part for part in parts]


def _heading_and_body(item: IndexedChunk) -> tuple[str, str]:
    text, own = item.text, item.chunk.text
    if own and text.endswith(own):
        return text[: len(text) - len(own)].strip(), own
    return "", text


def _joined_short(pieces: list[str]) -> list[str]:
    """Non-empty pieces; those shorter than MIN_SENTENCE join the next full one (trailing ones the one before)."""
    out: list[str] = []
    carry = ""
    for piece in pieces:
        carry += piece
        if len(piece) >= MIN_SENTENCE:
            out.append(carry)
            carry = ""
    if carry:
        if out:
            out[-1] += carry
        else:
            out.append(carry)
    return out
