"""Mapping the words investors use to the canonical industry, facility and town names.

Lookup is case-insensitive: first the canonical name or an alias equal to the input, then the longest canonical
name or alias contained in the input ("创新药研发" → 生物医药). Unknown words return None; the caller decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tools.investment.catalog import bundled_synonyms
from tools.investment.models import TOWNS

_TOWN_SUFFIXES = ("街道", "地区", "镇")


def canonical_industry(text: str) -> str | None:
    return _lookup(text, bundled_synonyms()["industries"])


def canonical_facility(text: str) -> str | None:
    return _lookup(text, bundled_synonyms()["facilities"])


def canonical_town(text: str) -> str | None:
    """ "莘庄镇" → 莘庄, "江川路街道" → 江川路, "古美路街道" → 古美; the 莘庄工业区 is kept apart from 莘庄."""
    name = text.strip()
    if name in TOWNS:
        return name
    for suffix in _TOWN_SUFFIXES:
        stem = name.removesuffix(suffix)
        if stem in TOWNS:
            return stem
        if stem.endswith("路") and stem[:-1] in TOWNS:
            return stem[:-1]
    return None


def _lookup(text: str, table: Mapping[str, Sequence[str]]) -> str | None:
    query = "".join(text.split()).casefold()
    if not query:
        return None
    pairs = [(canonical.casefold(), canonical) for canonical in table]
    pairs += [(alias.casefold(), canonical) for canonical, aliases in table.items() for alias in aliases]
    for word, canonical in pairs:
        if word == query:
            return canonical
    contained = [(word, canonical) for word, canonical in pairs if word in query]
    return max(contained, key=lambda pair: len(pair[0]))[1] if contained else None
