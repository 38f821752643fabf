"""Find a matter from what an enterprise says: exact name, alias, synonym table, fuzzy match and bigram overlap.

Scores are in [0, 1]. Strong signals (exact name 1.0, alias 0.97, a name contained in the question, a synonym of the
operators' table) set a floor; fuzzy (rapidfuzz) and character-bigram overlap add a small tie-breaker and find the rest.
Only the candidates that share a bigram with the question, or that a strong signal names, are scored fuzzily, so a
lookup stays in milliseconds over thousands of matters.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from rapidfuzz import fuzz

from minfu.errors import DocumentLoadError, InvalidInputError
from minfu.ports import Embedder
from tools.dictionary.loader import data_path
from tools.dictionary.models import ServiceMatter

How = Literal["exact", "alias", "contains", "synonym", "fuzzy", "bigram", "meaning"]
SYNONYMS_NAME = "matter_synonyms.yaml"
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_FILLERS = re.compile(
    r"怎么样|怎么|如何|哪里|在哪|什么|要不要|需不需要|需要|可以|能不能|能否|是否|请问|我想|我要|想要|咱们|我们|我|想|吗|呢|吧|啊|了|的|一下"
)
_CANDIDATES = 60
_EXACT, _ALIAS, _CONTAINS, _SYNONYM = 1.0, 0.97, 0.86, 0.84
_RANK_STEP, _MULTI_HIT, _SOFT_BONUS = 0.03, 0.03, 0.05
_MIN_CONTAINED = 3  # a two-character alias (表彰, 许可) inside a question says little
_MEANING_WEIGHT = 0.1  # share of the score given to embedding similarity when an embedder is supplied
_MEANING_CANDIDATES = 10


@dataclass(frozen=True)
class Match:
    matter: ServiceMatter
    score: float
    how: How


@dataclass(frozen=True)
class _Key:
    """One searchable string of a matter (its name or an alias)."""

    matter: int
    text: str
    grams: frozenset[str]


def normalize(text: str) -> str:
    """Lower-case, without spaces and punctuation."""
    return _PUNCT.sub("", text).lower()


def strip_fillers(text: str) -> str:
    """The question without 怎么/如何/什么/吗 … (applied to questions only, never to matter names)."""
    return _FILLERS.sub("", text)


def bigrams(text: str) -> frozenset[str]:
    if len(text) < 2:
        return frozenset({text}) if text else frozenset()
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


class ServiceDictionary:
    """Lookup over a list of matters; `synonyms_path` replaces the bundled colloquial-word table."""

    def __init__(
        self,
        matters: Sequence[ServiceMatter],
        *,
        synonyms_path: Path | str | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self._matters = list(matters)
        self._embedder = embedder
        self._vectors = embedder.embed_documents([_meaning_text(m) for m in self._matters]) if embedder else None
        self._by_code = {m.code: m for m in self._matters}
        self._index = {m.code: i for i, m in enumerate(self._matters)}
        self._keys = [_Key(i, key, bigrams(key)) for i, m in enumerate(self._matters) for key in _keys_of(m)]
        self._exact = _first_index((normalize(m.name), i) for i, m in enumerate(self._matters))
        self._alias = _first_index((normalize(a), i) for i, m in enumerate(self._matters) for a in m.aliases)
        self._keys_by_matter: dict[int, list[int]] = defaultdict(list)
        self._postings: dict[str, list[int]] = defaultdict(list)
        for key_id, key in enumerate(self._keys):
            self._keys_by_matter[key.matter].append(key_id)
            for gram in key.grams:
                self._postings[gram].append(key_id)
        table = load_synonyms(Path(synonyms_path) if synonyms_path else data_path(SYNONYMS_NAME))
        self._synonyms = self._resolve(table)

    def __len__(self) -> int:
        return len(self._matters)

    @property
    def matters(self) -> list[ServiceMatter]:
        return list(self._matters)

    def get(self, code: str) -> ServiceMatter | None:
        return self._by_code.get(code)

    def bundle_members(self, code: str) -> list[ServiceMatter]:
        """The member matters of a 一件事 bundle, in bundle order ([] when `code` is not a bundle)."""
        matter = self._by_code.get(code)
        if matter is None:
            raise InvalidInputError(f"没有编码为 {code} 的事项", field="code")
        return [self._by_code[member] for member in matter.bundle_members if member in self._by_code]

    def find(self, query: str, k: int = 5) -> list[Match]:
        """The k best matters for a name or a question, best first."""
        text = normalize(query)
        if not text or k <= 0:
            return []
        strong = self._strong_signals(text)
        question = strip_fillers(text) or text
        soft = self._soft_scores(question, set(strong))
        ranked = [self._combine(i, strong.get(i), soft.get(i, (0.0, "bigram"))) for i in set(strong) | set(soft)]
        ranked = self._with_meaning(query, ranked)
        ranked.sort(key=lambda match: (-match.score, match.matter.code))
        return ranked[:k]

    def _with_meaning(self, query: str, ranked: list[Match]) -> list[Match]:
        """Blend in embedding similarity (relative to this query's median) and add the closest matters by meaning."""
        if self._embedder is None or self._vectors is None:
            return ranked
        similarity = self._vectors @ self._embedder.embed_query(query)
        median, top = float(np.median(similarity)), float(similarity.max())
        relative = np.clip((similarity - median) / (top - median + 1e-9), 0.0, 1.0)
        found = {self._index_of(m): m for m in ranked}
        for index in np.argsort(-similarity)[:_MEANING_CANDIDATES]:
            found.setdefault(int(index), Match(self._matters[int(index)], 0.0, "meaning"))
        w = _MEANING_WEIGHT
        return [Match(m.matter, round((1 - w) * m.score + w * float(relative[i]), 4), m.how) for i, m in found.items()]

    def _index_of(self, match: Match) -> int:
        return self._index[match.matter.code]

    def _combine(self, index: int, strong: tuple[float, How] | None, soft: tuple[float, How]) -> Match:
        matter = self._matters[index]
        if strong is None:
            return Match(matter, round(soft[0] * 0.8, 4), soft[1])
        return Match(matter, round(min(1.0, strong[0] + _SOFT_BONUS * soft[0]), 4), strong[1])

    def _strong_signals(self, text: str) -> dict[int, tuple[float, How]]:
        signals: dict[int, tuple[float, How]] = {}
        hits: Counter[int] = Counter()
        for index, score in self._synonym_hits(text):
            hits[index] += 1
            _keep_best(signals, index, score, "synonym")
        for index, count in hits.items():
            signals[index] = (signals[index][0] + _MULTI_HIT * (count - 1), "synonym")
        for matter_index, score in self._contained_names(text):
            _keep_best(signals, matter_index, score, "contains")
        if (alias_index := self._alias.get(text)) is not None:
            _keep_best(signals, alias_index, _ALIAS, "alias")
        if (exact_index := self._exact.get(text)) is not None:
            _keep_best(signals, exact_index, _EXACT, "exact")
        return signals

    def _contained_names(self, text: str) -> Iterable[tuple[int, float]]:
        """Matters whose name or alias (3+ characters) occurs in the text; more coverage scores higher."""
        for key_id in self._candidate_keys(text):
            key = self._keys[key_id]
            if len(key.text) >= _MIN_CONTAINED and key.text in text:
                yield key.matter, _CONTAINS + 0.1 * len(key.text) / len(text)

    def _synonym_hits(self, text: str) -> Iterable[tuple[int, float]]:
        """(matter, score) for each target of each word in the text; longer words, earlier targets score higher."""
        for word, targets in self._synonyms:
            if word in text:
                weight = min(1.0, len(word) / len(text))
                for rank, index in enumerate(targets):
                    yield index, _SYNONYM + 0.08 * weight - _RANK_STEP * rank

    def _soft_scores(self, question: str, extra: set[int]) -> dict[int, tuple[float, How]]:
        grams = bigrams(question)
        scores: dict[int, tuple[float, How]] = {}
        key_ids = self._candidate_keys(question)
        key_ids += [key_id for index in extra for key_id in self._keys_by_matter[index]]
        for key_id in set(key_ids):
            key = self._keys[key_id]
            overlap = 2 * len(grams & key.grams) / (len(grams) + len(key.grams)) if grams and key.grams else 0.0
            fuzzy = max(fuzz.ratio(question, key.text), fuzz.partial_ratio(question, key.text)) / 100
            how: How = "fuzzy" if fuzzy >= overlap else "bigram"
            _keep_best(scores, key.matter, (max(fuzzy, overlap) + overlap) / 2, how)
        return scores

    def _candidate_keys(self, text: str) -> list[int]:
        counts: Counter[int] = Counter()
        for gram in bigrams(text):
            counts.update(self._postings.get(gram, ()))
        return [key_id for key_id, _ in counts.most_common(_CANDIDATES)]

    def _resolve(self, table: Mapping[str, list[str]]) -> list[tuple[str, list[int]]]:
        """Synonym targets (codes or names) to matter indices; targets missing from this dictionary are skipped."""
        by_name = {normalize(m.name): i for i, m in reversed(list(enumerate(self._matters)))}
        by_code = {m.code: i for i, m in enumerate(self._matters)}
        resolved = []
        for word, targets in table.items():
            indices = [by_code.get(t, by_name.get(normalize(t))) for t in targets]
            found = list(dict.fromkeys(i for i in indices if i is not None))
            if found:
                resolved.append((normalize(word), found))
        return sorted(resolved, key=lambda item: -len(item[0]))


def load_synonyms(path: Path) -> dict[str, list[str]]:
    """A YAML mapping colloquial word -> list of matter codes or official names (operators may pass their own)."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DocumentLoadError(str(path), f"无法读取同义词表：{exc}") from exc
    if not isinstance(data, dict):
        raise DocumentLoadError(str(path), "同义词表应为“口语词: [事项编码或名称, …]”的映射")
    table: dict[str, list[str]] = {}
    for word, targets in data.items():
        values = [targets] if isinstance(targets, str) else targets
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise DocumentLoadError(str(path), f"同义词“{word}”的目标应为非空字符串列表")
        table[str(word)] = values
    return table


def _meaning_text(matter: ServiceMatter) -> str:
    """What a matter means, for the embedder: its names and the start of its conditions."""
    return f"{matter.name}；{'、'.join(matter.aliases)}；{'；'.join(matter.conditions)[:120]}"


def _keys_of(matter: ServiceMatter) -> list[str]:
    return list(dict.fromkeys(key for key in (normalize(n) for n in matter.names()) if key))


def _first_index(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    index: dict[str, int] = {}
    for key, position in pairs:
        index.setdefault(key, position)
    return index


def _keep_best(scores: dict[int, tuple[float, How]], index: int, score: float, how: How) -> None:
    if index not in scores or score > scores[index][0]:
        scores[index] = (score, how)
