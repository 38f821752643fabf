"""Suggested answers over the policy fixture: grounded with sources and a confidence, a curated answer first, and
an honest zero when the knowledge base has nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.curated import CuratedMatcher
from agents.suggest import suggest
from minfu.errors import InvalidInputError
from tools.agent_tools import ToolServices
from tools.store import make_engine, session_factory, upgrade
from tools.store.curated import CuratedAnswerStore


@pytest.fixture
def matcher(fixture_services: ToolServices, tmp_path: Path) -> CuratedMatcher:
    engine = make_engine(f"sqlite:///{tmp_path / 'suggest.sqlite'}")
    upgrade(engine)
    return CuratedMatcher(CuratedAnswerStore(session_factory(engine)), fixture_services.knowledge.catalog)


def test_a_grounded_suggestion_cites_the_chunks_it_rests_on(
    fixture_services: ToolServices, matcher: CuratedMatcher
) -> None:
    suggestion = suggest("涉企报表怎么共享复用？", fixture_services, matcher)
    assert suggestion.grounded and suggestion.reason == "grounded" and "涉企报表" in suggestion.answer
    assert 0.4 <= suggestion.confidence <= 1.0 and suggestion.curated_id is None
    catalog = fixture_services.knowledge.catalog
    for citation, source in zip(suggestion.citations, suggestion.sources, strict=True):
        chunk = catalog.chunk(citation["chunk_id"])
        assert chunk is not None and source == {"chunk_id": chunk.id, "content_hash": chunk.content_hash}


def test_a_question_the_texts_do_not_answer_gets_no_answer_and_no_confidence(
    fixture_services: ToolServices, matcher: CuratedMatcher
) -> None:
    suggestion = suggest("火星上开店要交什么税", fixture_services, matcher)
    assert not suggestion.grounded and suggestion.confidence == 0.0
    assert suggestion.citations == [] and suggestion.sources == [] and "转人工" in suggestion.answer


def test_a_matching_curated_answer_is_suggested_first(fixture_services: ToolServices, matcher: CuratedMatcher) -> None:
    generated = suggest("涉企报表怎么共享复用？", fixture_services, matcher)
    sources = matcher.sources_of(generated.citations)
    adopted = matcher.store.add("涉企报表怎么共享复用？", "修改后的答复", generated.citations, sources, "mk_staff")
    suggestion = suggest("请问涉企报表要怎么共享复用呢", fixture_services, matcher)
    assert (suggestion.curated_id, suggestion.answer, suggestion.reason) == (adopted.id, "修改后的答复", "curated")
    assert suggestion.sources == generated.sources and 0.88 <= suggestion.confidence <= 1.0


def test_an_empty_question_is_refused(fixture_services: ToolServices, matcher: CuratedMatcher) -> None:
    with pytest.raises(InvalidInputError):
        suggest("   ", fixture_services, matcher)
