"""The regression gate for retrieval: the development set on the bundled corpus, lexical side (what `make test` can
afford without the model). The threshold lives in eval/datasets/thresholds.yaml; the e5 figures are in the README."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from eval.datasets import load_retrieval_dataset
from eval.metrics import Targets, first_relevant_rank, hit_at
from knowledge.base import KnowledgeBase
from minfu.domain import SearchFilters

DATASETS = Path(__file__).parents[2] / "eval" / "datasets"


def _threshold(key: str) -> float:
    value = yaml.safe_load((DATASETS / "thresholds.yaml").read_text(encoding="utf-8"))["retrieval"][key]
    assert isinstance(value, float) and 0.3 <= value <= 1.0
    return value


def test_the_development_set_keeps_its_hit_rate(bundled_knowledge: KnowledgeBase) -> None:
    loaded = load_retrieval_dataset(DATASETS / "dev_policy_qa.jsonl")
    assert loaded.problems == [] and len(loaded.items) >= 80
    misses = []
    for item in loaded.items:
        targets = Targets.of(item.docid, item.reference_contexts)
        hits = bundled_knowledge.retriever.retrieve(item.question, k=5, filters=SearchFilters(on=date.today()))
        rank = first_relevant_rank([targets.found_by(hit.document.id, hit.chunk.text) for hit in hits])
        if not hit_at(rank, 5):
            misses.append(item.id)
    rate = 1 - len(misses) / len(loaded.items)
    print(f"dev-set hit@5 (lexical, bundled corpus): {rate:.3f}")
    assert rate >= _threshold("min_dev_hit_at_5_lexical"), misses
