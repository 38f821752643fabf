"""A Chinese lexical index: BM25 over character n-grams and jieba words, in scipy sparse matrices.

Each token stream (by default character 1+2-grams and jieba search-mode words) has its own vocabulary,
term-frequency matrix and BM25 statistics. For a query q and a chunk d, stream s scores

    bm25_s(q, d) = Σ_t qtf(t) · idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))
    idf(t)       = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))

and the index returns  score(q, d) = Σ_s weight_s · bm25_s(q, d) / Σ_t qtf(t)·idf(t)·(k1+1).
The denominator is the most any chunk could score, so each stream's part lies in [0, 1): roughly "how much of the
query, weighted by rarity, the chunk contains". Scores are then comparable across queries (useful for fusion and
evidence thresholds). Query terms unknown to the index count in the denominator with the highest idf.

A chunk is indexed twice: as a whole, and cut into passages (by default each sentence under the chunk's heading,
see knowledge/passages.py), each level with its own BM25 statistics. A chunk scores

    score(q, chunk) = (1 − w) · max over its passages p of score(q, p)  +  w · score(q, whole chunk)

with w = `chunk_weight` (0.25): the best sentence decides (a question's words spread over unrelated sentences do not
add up), the whole chunk breaks ties in favour of a chunk that keeps to the subject.

Adds are tokenised at once and buffered; deletes only mark rows. The matrices are rebuilt (compacting deleted
rows and recomputing idf and avgdl) on the first query or save after a change. Raw term frequencies are what is
persisted, so k1, b and the stream weights can change without re-indexing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import jieba
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from knowledge.passages import Passages, sentence_passages
from minfu.errors import IndexUnavailableError
from minfu.ports import IndexedChunk, ScoredId

logger = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 3: passage rows ("ids": each row's chunk id) and whole-chunk rows ("chunk_ids")
MANIFEST = "manifest.json"
JIEBA_CACHE_ENV = "MINFU_JIEBA_CACHE_DIR"
ADD_BATCH = 1000  # texts tokenised per step of `add`

_TOKEN = re.compile(r"([\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([a-z0-9]+)")
_WORDLIKE = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffa-z0-9]")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# tokenizers --------------------------------------------------------------------------------------------
def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII) and lowercase."""
    return unicodedata.normalize("NFKC", text).lower()


def char_ngrams(text: str) -> list[str]:
    """Character 1-grams and 2-grams within each run of CJK characters; ASCII words and numbers whole."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(normalise(text)):
        run = match.group(1)
        if run is None:
            tokens.append(match.group(2))
            continue
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def jieba_words(text: str) -> list[str]:
    """jieba search-mode words (long words plus their sub-words), punctuation and spaces dropped."""
    words = _jieba().cut_for_search(normalise(text))
    return [word for word in (w.strip() for w in words) if word and _WORDLIKE.search(word)]


@lru_cache(maxsize=1)
def _jieba() -> jieba.Tokenizer:
    """The shared jieba tokenizer, initialised once, quietly, with its dictionary cache in a writable directory."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.dt
    if not tokenizer.initialized:
        cache_dir = Path(os.environ.get(JIEBA_CACHE_ENV) or Path(tempfile.gettempdir()) / "minfu-jieba")
        cache_dir.mkdir(parents=True, exist_ok=True)
        tokenizer.tmp_dir = str(cache_dir)
        tokenizer.initialize()
    return tokenizer


@dataclass(frozen=True, slots=True)
class TokenStream:
    """One way of cutting text into terms, with its weight in the combined score."""

    name: str
    tokenize: Callable[[str], list[str]]
    weight: float = 1.0


CHARS = TokenStream("chars", char_ngrams)
WORDS = TokenStream("words", jieba_words, weight=0.5)
DEFAULT_STREAMS: tuple[TokenStream, ...] = (CHARS, WORDS)


# per-stream state --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Postings:
    """BM25 weights of one stream, term-major (vocabulary × rows), ready for queries."""

    weights: sp.csr_matrix
    idf: FloatArray
    missing_idf: float  # idf of a term no chunk contains
    tf: sp.csr_matrix  # row-major term frequencies, to explain a few rows cheaply
    row_norm: npt.NDArray[np.float32]  # k1·(1 − b + b·|d|/avgdl) per row
    k1: float

    def explain(self, rows: IntArray, columns: IntArray) -> FloatArray:
        """BM25 weights of the given terms (columns) in the given rows, as a terms × rows array."""
        counts = self.tf[rows][:, columns].toarray().T.astype(np.float64)
        weights = self.idf[columns][:, None] * counts * (self.k1 + 1.0) / (counts + self.row_norm[rows][None, :])
        return np.asarray(weights, dtype=np.float64)


@dataclass
class _Rows:
    """Term frequencies of one level (passages or whole chunks): merged rows plus blocks appended since."""

    tf: sp.csr_matrix = field(default_factory=lambda: sp.csr_matrix((0, 0), dtype=np.float32))
    pending: list[sp.csr_matrix] = field(default_factory=list)

    def merge(self, width: int, keep: IntArray | None) -> None:
        blocks = [_widen(m, width) for m in (self.tf, *self.pending)]
        tf = sp.vstack(blocks, format="csr", dtype=np.float32) if len(blocks) > 1 else blocks[0]
        self.tf = tf if keep is None else tf[keep]
        self.pending = []


@dataclass
class _Stream:
    spec: TokenStream
    vocab: dict[str, int] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)
    passages: _Rows = field(default_factory=_Rows)
    chunks: _Rows = field(default_factory=_Rows)

    def columns(self, terms: Counter[str]) -> dict[int, int]:
        """Vocabulary column -> count, adding new terms to the vocabulary."""
        out: dict[int, int] = {}
        for term, count in terms.items():
            column = self.vocab.get(term)
            if column is None:
                column = self.vocab[term] = len(self.terms)
                self.terms.append(term)
            out[column] = count
        return out

    def append(self, level: _Rows, counted: Sequence[Counter[str]]) -> None:
        """Add counted texts as pending rows of one level."""
        rows = [self.columns(counts) for counts in counted]
        indptr = np.cumsum([0, *(len(r) for r in rows)])
        indices = np.fromiter((c for r in rows for c in r), dtype=np.int32, count=int(indptr[-1]))
        data = np.fromiter((n for r in rows for n in r.values()), dtype=np.float32, count=int(indptr[-1]))
        level.pending.append(sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(self.terms))))

    def merge(self, keep_passages: IntArray | None, keep_chunks: IntArray | None) -> None:
        self.passages.merge(len(self.terms), keep_passages)
        self.chunks.merge(len(self.terms), keep_chunks)


def _widen(matrix: sp.csr_matrix, width: int) -> sp.csr_matrix:
    return sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width))


def bm25_postings(tf: sp.csr_matrix, *, k1: float, b: float) -> _Postings:
    """BM25 weight of every (row, term) pair, returned term-major. Formula in the module docstring."""
    rows = tf.shape[0]
    lengths = np.asarray(tf.sum(axis=1), dtype=np.float64).ravel()
    average = float(lengths.mean()) if rows else 0.0
    df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float64)
    idf = np.log1p((rows - df + 0.5) / (df + 0.5))
    row_norm = (k1 * (1.0 - b + b * lengths / max(average, 1e-9))).astype(np.float32)
    norm = np.repeat(row_norm, np.diff(tf.indptr))
    data = tf.data * np.float32(k1 + 1.0)
    data /= tf.data + norm
    data *= idf.astype(np.float32)[tf.indices]
    weights = sp.csr_matrix((data, tf.indices, tf.indptr), shape=tf.shape)
    return _Postings(weights.T.tocsr(), idf, float(np.log1p((rows + 0.5) / 0.5)), tf, row_norm, k1)


@dataclass(frozen=True, slots=True)
class _Built:
    """An immutable snapshot queries read without holding the lock.

    Rows are grouped by chunk (a chunk's passages are contiguous): chunk i owns rows starts[i] .. ends[i] - 1.
    """

    chunk_ids: tuple[str, ...]  # also the order of the whole-chunk rows
    chunk_of: dict[str, int]  # chunk id -> its position in chunk_ids
    starts: IntArray
    ends: IntArray
    postings: tuple[_Postings, ...]  # passage rows, per stream
    chunk_postings: tuple[_Postings, ...]  # whole-chunk rows, per stream
    vocabularies: tuple[dict[str, int], ...]  # shared with the streams: append-only, columns past idf are newer
    masks: dict[frozenset[str], npt.NDArray[np.bool_]] = field(default_factory=dict)  # cache of `allowed` masks

    @property
    def rows(self) -> int:
        return int(self.ends[-1]) if len(self.ends) else 0

    def pooled(self, row_scores: FloatArray) -> FloatArray:
        """Each chunk's best passage score."""
        return np.maximum.reduceat(row_scores, self.starts) if len(self.starts) else row_scores[:0]

    def best_rows(self, chunks: IntArray, row_scores: FloatArray) -> IntArray:
        """For each given chunk, the row of its best passage."""
        best = [self.starts[c] + int(np.argmax(row_scores[self.starts[c] : self.ends[c]])) for c in chunks]
        return np.array(best, dtype=np.int64)

    def mask(self, allowed: frozenset[str]) -> npt.NDArray[np.bool_]:
        """Per chunk: is it among the allowed ids."""
        mask = self.masks.get(allowed)
        if mask is None:
            mask = np.zeros(len(self.chunk_ids), dtype=bool)
            rows = [row for chunk_id in allowed if (row := self.chunk_of.get(chunk_id)) is not None]
            mask[np.array(rows, dtype=np.int64)] = True
            if len(self.masks) >= 8:
                self.masks.clear()
            self.masks[allowed] = mask
        return mask


@dataclass(frozen=True, slots=True)
class _QueryTerms:
    stream: int
    terms: tuple[str, ...]
    columns: IntArray  # vocabulary columns of the known terms
    weights: FloatArray  # qtf · (stream weight) / denominator, per known term


class ChineseLexicalIndex:
    """BM25 over configurable token streams; implements minfu.ports.LexicalIndex.

    `path` is a directory holding `manifest.json` and one `.npz` of term frequencies; None keeps it in memory.
    `passages` cuts each chunk into the rows that are scored (`whole_chunk` scores chunks whole). An index saved
    in an older format or with other passages loads empty, with a warning: the next ingest fills it again
    (Ingestor.fill_lexical).
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        streams: Sequence[TokenStream] = DEFAULT_STREAMS,
        k1: float = 1.2,
        b: float = 0.3,
        max_terms: int = 5,
        passages: Passages = sentence_passages,
        chunk_weight: float = 0.25,
        chunk_b: float = 0.75,
    ) -> None:
        if not streams:
            raise ValueError("at least one token stream is needed")
        self.path = path
        self.k1, self.b, self.max_terms = k1, b, max_terms
        self.chunk_weight, self.chunk_b = chunk_weight, chunk_b
        self._streams = [_Stream(spec) for spec in streams]
        self._passages = passages
        self._ids: list[str] = []  # passage row -> chunk id
        self._rows: dict[str, list[int]] = {}  # chunk id -> its passage rows
        self._deleted: set[int] = set()
        self._chunk_ids: list[str] = []  # whole-chunk row -> chunk id
        self._chunk_row: dict[str, int] = {}  # chunk id -> its whole-chunk row
        self._deleted_chunks: set[int] = set()
        self._lock = threading.RLock()
        self._built: _Built | None = None
        if path is not None and (path / MANIFEST).exists():
            self._load(path)

    # LexicalIndex --------------------------------------------------------------------------------------
    def add(self, items: Sequence[IndexedChunk]) -> None:
        """Index the items; an id already present is replaced.

        Texts are tokenised outside the lock, a batch at a time (bounded memory); each batch is committed at once.
        """
        latest = list({item.chunk.id: item for item in items}.values())
        for start in range(0, len(latest), ADD_BATCH):
            batch = latest[start : start + ADD_BATCH]
            rows = [(item.chunk.id, passage) for item in batch for passage in (self._passages(item) or [item.text])]
            counted = [[Counter(s.spec.tokenize(text)) for _, text in rows] for s in self._streams]
            whole = [[Counter(s.spec.tokenize(item.text)) for item in batch] for s in self._streams]
            with self._lock:
                self._mark_deleted(item.chunk.id for item in batch)
                for stream, counts, chunk_counts in zip(self._streams, counted, whole, strict=True):
                    stream.append(stream.passages, counts)
                    stream.append(stream.chunks, chunk_counts)
                for chunk_id, _ in rows:
                    self._rows.setdefault(chunk_id, []).append(len(self._ids))
                    self._ids.append(chunk_id)
                for item in batch:
                    self._chunk_row[item.chunk.id] = len(self._chunk_ids)
                    self._chunk_ids.append(item.chunk.id)
                self._built = None

    def delete(self, chunk_ids: Iterable[str]) -> None:
        with self._lock:
            if self._mark_deleted(chunk_ids):
                self._built = None

    def ids(self) -> set[str]:
        with self._lock:
            return set(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def query(self, text: str, k: int, *, allowed: frozenset[str] | None = None) -> list[ScoredId]:
        """The k best chunks for `text` (score > 0, best sentence blended with the whole chunk as in the module
        docstring), restricted to `allowed` chunk ids when given."""
        built = self._snapshot()
        if k <= 0 or not built.chunk_ids:
            return []
        counts = [Counter(stream.spec.tokenize(text)) for stream in self._streams]  # tokenised once, for both levels
        parts = [self._query_terms(i, c, built.postings[i], built) for i, c in enumerate(counts)]
        row_scores = self._scores(built.postings, parts, built.rows)
        scores = (1.0 - self.chunk_weight) * built.pooled(row_scores)
        if self.chunk_weight:
            whole = [self._query_terms(i, c, built.chunk_postings[i], built) for i, c in enumerate(counts)]
            scores += self.chunk_weight * self._scores(built.chunk_postings, whole, len(built.chunk_ids))
        if allowed is not None:
            scores[~built.mask(allowed)] = 0.0
        top = _top_k(scores, k)
        matched = self._matched_terms(built, parts, built.best_rows(top, row_scores), _cjk_runs(text))
        return [ScoredId(built.chunk_ids[c], float(scores[c]), terms) for c, terms in zip(top, matched, strict=True)]

    def save(self) -> None:
        """Write term frequencies (npz) and ids and vocabularies (json) atomically; a no-op in memory."""
        if self.path is None:
            return
        with self._lock:
            self._snapshot()
            _write_files(self.path, self._manifest(), self._arrays())

    # building ------------------------------------------------------------------------------------------
    def _mark_deleted(self, chunk_ids: Iterable[str]) -> bool:
        gone = [chunk_id for chunk_id in chunk_ids if chunk_id in self._rows]
        self._deleted.update(row for chunk_id in gone for row in self._rows.pop(chunk_id))
        self._deleted_chunks.update(self._chunk_row.pop(chunk_id) for chunk_id in gone)
        return bool(gone)

    def _snapshot(self) -> _Built:
        built = self._built
        if built is not None:
            return built
        with self._lock:
            if self._built is None:
                self._built = self._rebuild()
            return self._built

    def _rebuild(self) -> _Built:
        keep_rows, keep_chunks = _kept(len(self._ids), self._deleted), _kept(len(self._chunk_ids), self._deleted_chunks)
        if keep_rows is not None:
            self._ids = [self._ids[row] for row in keep_rows]
            self._rows = _rows_of(self._ids)
        if keep_chunks is not None:
            self._chunk_ids = [self._chunk_ids[row] for row in keep_chunks]
            self._chunk_row = {chunk_id: row for row, chunk_id in enumerate(self._chunk_ids)}
        self._deleted, self._deleted_chunks = set(), set()
        for stream in self._streams:
            stream.merge(keep_rows, keep_chunks)
        starts = np.flatnonzero([i == 0 or self._ids[i] != self._ids[i - 1] for i in range(len(self._ids))])
        chunk_ids = tuple(self._ids[i] for i in starts)
        if chunk_ids != tuple(self._chunk_ids):  # both levels keep the chunks in the order they were added
            raise RuntimeError("lexical index: passage rows and chunk rows are out of step")
        ends = np.append(starts[1:], len(self._ids)).astype(np.int64)
        chunk_of = {chunk_id: i for i, chunk_id in enumerate(chunk_ids)}
        return _Built(
            chunk_ids,
            chunk_of,
            starts.astype(np.int64),
            ends,
            tuple(bm25_postings(s.passages.tf, k1=self.k1, b=self.b) for s in self._streams),
            tuple(bm25_postings(s.chunks.tf, k1=self.k1, b=self.chunk_b) for s in self._streams),
            tuple(s.vocab for s in self._streams),
        )

    # querying ------------------------------------------------------------------------------------------
    def _query_terms(self, index: int, counts: Counter[str], postings: _Postings, built: _Built) -> _QueryTerms:
        spec, vocab = self._streams[index].spec, built.vocabularies[index]
        known = [term for term in counts if vocab.get(term, len(postings.idf)) < len(postings.idf)]
        columns = np.array([vocab[term] for term in known], dtype=np.int64)
        idf = dict(zip(known, postings.idf[columns].tolist(), strict=True))
        ceiling = sum(count * idf.get(term, postings.missing_idf) for term, count in counts.items())
        scale = spec.weight / (ceiling * (self.k1 + 1.0)) if ceiling > 0 else 0.0
        weights = np.array([counts[term] * scale for term in known], dtype=np.float64)
        return _QueryTerms(index, tuple(known), columns, weights)

    @staticmethod
    def _scores(postings: Sequence[_Postings], parts: Sequence[_QueryTerms], size: int) -> FloatArray:
        """Per row of the given level: Σ over streams and query terms of weight · BM25 weight."""
        rows: list[IntArray] = []
        values: list[FloatArray] = []
        for part in parts:
            matrix = postings[part.stream].weights
            for column, weight in zip(part.columns, part.weights, strict=True):
                start, end = matrix.indptr[column], matrix.indptr[column + 1]
                rows.append(matrix.indices[start:end])
                values.append(matrix.data[start:end] * weight)
        if not rows:
            return np.zeros(size, dtype=np.float64)
        scores = np.bincount(np.concatenate(rows), np.concatenate(values), minlength=size)
        return scores.astype(np.float64, copy=False)

    def _matched_terms(
        self, built: _Built, parts: Sequence[_QueryTerms], top: IntArray, runs: Sequence[str]
    ) -> list[tuple[str, ...]]:
        """Per row: the query terms it matched, as `matched_terms` presents them."""
        terms = list(dict.fromkeys(t for part in parts for t in part.terms))
        if not terms or not len(top):
            return [() for _ in top]
        position = {term: i for i, term in enumerate(terms)}
        own = np.zeros((len(terms), len(top)))
        for part in parts:
            if len(part.columns):
                block = built.postings[part.stream].explain(top, part.columns) * part.weights[:, None]
                np.add.at(own, [position[t] for t in part.terms], block)
        out = []
        for j in range(len(top)):
            rows = np.flatnonzero(own[:, j])
            out.append(matched_terms({terms[i]: float(own[i, j]) for i in rows}, runs, self.max_terms))
        return out

    # persistence ---------------------------------------------------------------------------------------
    def _manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "passages": self._passages_name,
            "streams": [s.spec.name for s in self._streams],
            "ids": self._ids,
            "chunk_ids": self._chunk_ids,
            "vocabularies": {s.spec.name: s.terms for s in self._streams},
        }

    def _arrays(self) -> dict[str, npt.NDArray[Any]]:
        arrays: dict[str, npt.NDArray[Any]] = {}
        for stream in self._streams:
            for level, tf in (("passages", stream.passages.tf), ("chunks", stream.chunks.tf)):
                key = f"{stream.spec.name}.{level}"
                arrays |= {f"{key}.data": tf.data, f"{key}.indices": tf.indices, f"{key}.indptr": tf.indptr}
        return arrays

    def _load(self, path: Path) -> None:
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            if self._stale(manifest):
                logger.warning("lexical index %s was saved in an older format; it loads empty until re-ingested", path)
                return
            self._check(manifest)
            with np.load(path / manifest["arrays"], allow_pickle=False) as arrays:
                self._restore(manifest, arrays)
        except (OSError, ValueError, KeyError) as error:
            raise IndexUnavailableError(
                f"词法索引 {path} 无法读取（{error}），请重新运行 minfu ingest 重建索引"
            ) from error

    @property
    def _passages_name(self) -> str:
        return getattr(self._passages, "__name__", type(self._passages).__name__)

    def _stale(self, manifest: dict[str, Any]) -> bool:
        """Saved by an older release or with other passages: rebuilt from the catalog rather than refused."""
        return bool(manifest.get("format") != FORMAT_VERSION or manifest.get("passages") != self._passages_name)

    def _check(self, manifest: dict[str, Any]) -> None:
        names = [s.spec.name for s in self._streams]
        if manifest.get("streams") != names:
            raise ValueError(f"分词方式 {manifest.get('streams')} 与当前配置 {names} 不一致")

    def _restore(self, manifest: dict[str, Any], arrays: Any) -> None:
        self._ids = list(manifest["ids"])
        self._rows = _rows_of(self._ids)
        self._chunk_ids = list(manifest["chunk_ids"])
        self._chunk_row = {chunk_id: row for row, chunk_id in enumerate(self._chunk_ids)}
        for stream in self._streams:
            name = stream.spec.name
            stream.terms = list(manifest["vocabularies"][name])
            stream.vocab = {term: column for column, term in enumerate(stream.terms)}
            levels = (("passages", stream.passages, len(self._ids)), ("chunks", stream.chunks, len(self._chunk_ids)))
            for level_name, level, height in levels:
                key = f"{name}.{level_name}"
                parts = (arrays[f"{key}.data"], arrays[f"{key}.indices"], arrays[f"{key}.indptr"])
                level.tf = sp.csr_matrix(parts, shape=(height, len(stream.terms)))


def _kept(count: int, deleted: set[int]) -> IntArray | None:
    """The rows to keep when compacting (None: all of them)."""
    return np.array(sorted(set(range(count)) - deleted), dtype=np.int64) if deleted else None


def _rows_of(ids: Sequence[str]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for row, chunk_id in enumerate(ids):
        rows.setdefault(chunk_id, []).append(row)
    return rows


def _top_k(scores: FloatArray, k: int) -> IntArray:
    """Rows with a positive score, best first, at most k (ties by row order)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    order = np.lexsort((positive, -scores[positive]))
    return positive[order]


def _cjk_runs(text: str) -> list[str]:
    return [m.group(1) for m in _TOKEN.finditer(normalise(text)) if m.group(1)]


def matched_terms(contributions: dict[str, float], runs: Sequence[str], limit: int) -> tuple[str, ...]:
    """The few terms that explain a match, heaviest first.

    Candidates are the matched terms plus the maximal spans of the query whose consecutive character bigrams all
    matched (so 免申, 申即, 即享 read as 免申即享). A candidate weighs the contributions of every matched term inside
    it; a candidate inside one already chosen is skipped.
    """
    candidates = set(contributions) | set(_matched_spans(runs, contributions))
    weight = {c: sum(contributions.get(s, 0.0) for s in _substrings(c)) for c in candidates}
    chosen: list[str] = []
    for candidate in sorted(candidates, key=lambda c: (-weight[c], -len(c), c)):
        if not any(candidate in longer for longer in chosen):
            chosen.append(candidate)
            if len(chosen) == limit:
                break
    return tuple(chosen)


def _matched_spans(runs: Sequence[str], matched: Container[str]) -> Iterator[str]:
    for run in runs:
        start = 0
        for i in range(len(run)):
            if i + 1 >= len(run) or run[i : i + 2] not in matched:
                if i > start:
                    yield run[start : i + 1]
                start = i + 1


def _substrings(text: str) -> set[str]:
    return {text[i:j] for i in range(len(text)) for j in range(i + 1, len(text) + 1)}


def _write_files(directory: Path, manifest: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> None:
    """npz first under a fresh name, then the manifest that points to it (each via temp file + rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"lexical-{uuid.uuid4().hex[:12]}.npz"
    with _atomic(directory / name) as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]
    manifest["arrays"] = name
    with _atomic(directory / MANIFEST) as handle:
        handle.write(json.dumps(manifest, ensure_ascii=False).encode("utf-8"))
    for stale in directory.glob("lexical-*.npz"):
        if stale.name != name:
            stale.unlink(missing_ok=True)


@contextmanager
def _atomic(target: Path) -> Iterator[IO[bytes]]:
    """Write to a temp file in the same directory, fsync, then rename over `target`; no trace on failure."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
