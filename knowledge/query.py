"""Query expansion: everyday words an enterprise uses mapped to the terms the texts use.

"货款拖了半年" never shares a word with "支付中小企业款项"; the table in `knowledge/data/synonyms.yaml`
(operators extend it with their own file) adds the official terms to the lexical query, so BM25 can meet the
text half-way. Matching is by substring, longest key first, and each official term is added once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path

import yaml

from minfu.errors import ConfigurationError

BUNDLED_SYNONYMS = "data/synonyms.yaml"


class QueryExpander:
    def __init__(self, table: Mapping[str, Sequence[str]]) -> None:
        self._keys = sorted(table, key=len, reverse=True)
        self._table = {key: tuple(table[key]) for key in self._keys}

    @classmethod
    def bundled(cls, *extra: Path) -> QueryExpander:
        """The bundled table, extended (and overridden key by key) by operators' YAML files."""
        table = _parse(files("knowledge").joinpath(BUNDLED_SYNONYMS).read_text(encoding="utf-8"), BUNDLED_SYNONYMS)
        for path in extra:
            try:
                table.update(_parse(path.read_text(encoding="utf-8"), str(path)))
            except OSError as error:
                raise ConfigurationError(f"无法读取同义词表 {path}：{error.strerror}") from None
        return cls(table)

    def terms(self, query: str) -> list[str]:
        """The official terms the query's everyday words stand for, in table order, without repeats."""
        found: list[str] = []
        remaining = query
        for key in self._keys:
            if key in remaining:
                remaining = remaining.replace(key, " ")  # a longer key consumes its text: 开网店 is not also 开店
                found.extend(t for t in self._table[key] if t not in found and t not in query)
        return found

    def aliases(self, query: str) -> dict[str, tuple[str, ...]]:
        """Each everyday word in the query (longest first, as in `terms`) with the official terms it stands for."""
        found: dict[str, tuple[str, ...]] = {}
        remaining = query
        for key in self._keys:
            if key in remaining:
                remaining = remaining.replace(key, " ")
                found[key] = self._table[key]
        return found

    def expand(self, query: str) -> str:
        terms = self.terms(query)
        return f"{query} {' '.join(terms)}" if terms else query

    def __len__(self) -> int:
        return len(self._table)


def _parse(text: str, origin: str) -> dict[str, list[str]]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ConfigurationError(f"同义词表 {origin} 不是合法的 YAML：{error}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"同义词表 {origin} 应为“口语词: [规范词, …]”的映射")
    table: dict[str, list[str]] = {}
    for key, value in data.items():
        terms = [value] if isinstance(value, str) else value
        if not isinstance(key, str) or not key.strip() or not isinstance(terms, list) or not terms:
            raise ConfigurationError(f"同义词表 {origin} 中“{key}”的写法不对：应为 口语词: [规范词, …]")
        table[key.strip()] = [str(t).strip() for t in terms if str(t).strip()]
    return table
