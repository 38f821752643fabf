"""Contract suite for minfu.ports.Retriever: subclass it and provide the `make_retriever` fixture.

`make_retriever` returns a factory `(documents: list[LoadedDocument], today: date) -> Retriever` that indexes the
documents (any chunking that keeps each Section's text in one chunk) and judges validity on `today`.
The fixture corpus: two versions of one regulation (2020 superseded by 2025), a law, a current district policy
and an expired city policy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from minfu.domain import Document, DocumentKind, LoadedDocument, SearchFilters, Section, Validity
from minfu.ports import Retriever

TODAY = date(2026, 3, 1)
MakeRetriever = Callable[[list[LoadedDocument], date], Retriever]

PAY_2020 = Document(
    id="pay-2020",
    kind=DocumentKind.LAW,
    title="保障中小企业款项支付条例",
    source="laws/national/保障中小企业款项支付条例(2020-07-05).md",
    doc_number="国务院令第728号",
    issuer="国务院",
    effective_from=date(2020, 9, 1),
    version="2020-07-05",
    series="保障中小企业款项支付条例",
    superseded_by="pay-2025",
)
PAY_2025 = Document(
    id="pay-2025",
    kind=DocumentKind.LAW,
    title="保障中小企业款项支付条例",
    source="laws/national/保障中小企业款项支付条例(2025-03-17).md",
    doc_number="国务院令第802号",
    issuer="国务院",
    effective_from=date(2025, 6, 1),
    version="2025-03-17",
    series="保障中小企业款项支付条例",
    supersedes=("pay-2020",),
)
LABOUR = Document(
    id="labour",
    kind=DocumentKind.LAW,
    title="中华人民共和国劳动合同法",
    source="laws/national/劳动合同法(2012-12-28).md",
    issuer="全国人民代表大会常务委员会",
    effective_from=date(2008, 1, 1),
)
MINHANG = Document(
    id="minhang-plan",
    kind=DocumentKind.POLICY,
    title="闵行区2026年优化营商环境行动方案",
    source="policies/minhang-2026-business-environment-action-plan.md",
    doc_number="闵府办发〔2026〕1号",
    issuer="闵行区人民政府",
    effective_from=date(2026, 1, 1),
)
RENT = Document(
    id="rent-relief",
    kind=DocumentKind.POLICY,
    title="上海市全力防控疫情支持服务企业平稳健康发展的若干政策措施",
    source="policies/rent-relief-2020.md",
    doc_number="沪府规〔2020〕3号",
    issuer="上海市人民政府",
    effective_from=date(2020, 2, 8),
    expires_on=date(2020, 12, 31),
)

DOCUMENTS = [
    LoadedDocument(
        PAY_2020,
        (
            Section(
                ("第二章 款项支付规定",),
                "机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项；"
                "合同另有约定的，付款期限最长不得超过60日。",
                "第八条",
            ),
            Section(
                ("第四章 监督管理",),
                "省级以上人民政府负责中小企业促进工作综合管理的部门应当建立便利畅通的渠道，受理对机关、事业单位"
                "和大型企业拒绝或者迟延支付中小企业款项的投诉。",
                "第十九条",
            ),
        ),
    ),
    LoadedDocument(
        PAY_2025,
        (
            Section(
                ("第二章 款项支付规定",),
                "机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项；"
                "合同另有约定的，从其约定，但付款期限最长不得超过60日。",
                "第九条",
            ),
            Section(
                ("第二章 款项支付规定",),
                "机关、事业单位和大型企业不得以法定代表人或者主要负责人变更，履行内部付款流程，或者在合同未作约定"
                "的情况下以等待竣工验收批复、决算审计等为由，拒绝或者迟延支付中小企业款项。",
                "第十五条",
            ),
        ),
    ),
    LoadedDocument(
        LABOUR,
        (
            Section(
                ("第二章 劳动合同的订立",),
                "建立劳动关系，应当订立书面劳动合同。已建立劳动关系，未同时订立书面劳动合同的，应当自用工之日起"
                "一个月内订立书面劳动合同。",
                "第十条",
            ),
            Section(
                ("第二章 劳动合同的订立",),
                "劳动合同期限三个月以上不满一年的，试用期不得超过一个月；劳动合同期限一年以上不满三年的，试用期"
                "不得超过二个月；三年以上固定期限和无固定期限的劳动合同，试用期不得超过六个月。",
                "第十九条",
            ),
        ),
    ),
    LoadedDocument(
        MINHANG,
        (
            Section(
                ("一、完善企业服务机制", "（一）推动政务服务智慧好办"),
                "迭代升级政策解答智能体3.0，推出招商智能体，实现企业边问边答边办。",
            ),
            Section(
                ("二、强化惠企政策落实", "（二）扩大免申即享范围"),
                "扩大惠企政策免申即享覆盖面，符合条件的企业无需申请即可直接享受政策资金。",
            ),
        ),
    ),
    LoadedDocument(
        RENT,
        (
            Section(
                ("一、减轻企业负担",),
                "对承租本市国有企业房产从事生产经营活动的中小企业，免收2020年2月和3月两个月房屋租金。",
                "（一）",
            ),
        ),
    ),
]

CURRENT_IDS = {"pay-2025", "labour", "minhang-plan"}
QUESTIONS = [
    ("试用期最长不得超过几个月？劳动合同期限三年以上", "labour", "试用期"),
    ("用工之日起多久内要订立书面劳动合同", "labour", "书面劳动合同"),
    ("政策解答智能体和招商智能体能边问边答边办吗", "minhang-plan", "智能体"),
    ("惠企政策免申即享，企业无需申请就能享受政策资金吗", "minhang-plan", "免申即享"),
    ("大型企业以等待竣工验收批复、决算审计为由迟延支付中小企业款项", "pay-2025", "决算审计"),
]


class RetrieverContract:
    """Every Retriever implementation must pass these."""

    @pytest.fixture
    def make_retriever(self) -> MakeRetriever:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def retriever(self, make_retriever: MakeRetriever) -> Retriever:
        return make_retriever(DOCUMENTS, TODAY)

    # ranking ---------------------------------------------------------------------------------------------
    @pytest.mark.parametrize(("question", "document_id", "phrase"), QUESTIONS)
    def test_finds_the_obvious_chunk_first(self, retriever: Retriever, question, document_id, phrase):
        top = retriever.retrieve(question, k=3)[0]
        assert top.document.id == document_id
        assert phrase in top.chunk.text

    def test_ranks_are_one_based_and_scores_sorted(self, retriever: Retriever):
        hits = retriever.retrieve("中小企业款项支付期限", k=10)
        assert hits
        fused = [hit.fused_score for hit in hits]
        assert fused == sorted(fused, reverse=True)
        for name in {name for hit in hits for name in hit.scores}:
            ranks = [hit.scores[name].rank for hit in hits if name in hit.scores]
            assert min(ranks) >= 1
            assert len(set(ranks)) == len(ranks)
        assert all(hit.scores for hit in hits)
        assert all(hit.chunk.document_id == hit.document.id for hit in hits)
        assert len({hit.chunk.id for hit in hits}) == len(hits)

    @pytest.mark.parametrize("k", [1, 2, 4])
    def test_respects_k(self, retriever: Retriever, k):
        assert len(retriever.retrieve("企业", k=k)) <= k
        assert len(retriever.retrieve("中小企业款项支付，劳动合同，智能体，政策资金", k=k)) == k

    def test_k_larger_than_the_corpus(self, retriever: Retriever):
        hits = retriever.retrieve("中小企业款项支付，劳动合同，智能体，政策资金", k=50)
        assert 1 <= len(hits) <= 6  # the current documents have six chunks
        assert {hit.document.id for hit in hits} <= CURRENT_IDS

    def test_empty_index(self, make_retriever: MakeRetriever):
        assert make_retriever([], TODAY).retrieve("劳动合同", k=5) == []

    # filters ---------------------------------------------------------------------------------------------
    def test_kind_filter(self, retriever: Retriever):
        hits = retriever.retrieve("企业款项和政策", k=10, filters=SearchFilters(kinds=frozenset({DocumentKind.POLICY})))
        assert hits
        assert {hit.document.kind for hit in hits} == {DocumentKind.POLICY}

    def test_issuer_filter(self, retriever: Retriever):
        hits = retriever.retrieve("企业", k=10, filters=SearchFilters(issuers=frozenset({"国务院"})))
        assert hits
        assert {hit.document.id for hit in hits} == {"pay-2025"}

    def test_doc_number_filter(self, retriever: Retriever):
        filters = SearchFilters(doc_numbers=frozenset({"闵府办发〔2026〕1号"}))
        hits = retriever.retrieve("试用期劳动合同", k=10, filters=filters)
        assert {hit.document.doc_number for hit in hits} <= {"闵府办发〔2026〕1号"}
        assert retriever.retrieve("智能体", k=10, filters=filters)[0].document.id == "minhang-plan"

    def test_date_filters(self, retriever: Retriever):
        after = retriever.retrieve("企业合同款项政策", k=10, filters=SearchFilters(effective_after=date(2025, 1, 1)))
        assert after
        assert {hit.document.id for hit in after} <= {"pay-2025", "minhang-plan"}
        before = retriever.retrieve("企业合同款项政策", k=10, filters=SearchFilters(effective_before=date(2020, 1, 1)))
        assert {hit.document.id for hit in before} == {"labour"}

    def test_filters_that_admit_nothing(self, retriever: Retriever):
        assert retriever.retrieve("劳动合同", k=5, filters=SearchFilters(issuers=frozenset({"无此机关"}))) == []

    # validity --------------------------------------------------------------------------------------------
    def test_superseded_and_expired_are_left_out_by_default(self, retriever: Retriever):
        for question in ("机关事业单位采购货物30日内支付款项，付款期限最长60日", "国有企业房产免收房屋租金"):
            hits = retriever.retrieve(question, k=10)
            assert {hit.document.id for hit in hits} <= CURRENT_IDS
            assert all(hit.validity is Validity.CURRENT and not hit.flagged for hit in hits)

    def test_history_comes_back_flagged(self, retriever: Retriever):
        history = SearchFilters(include_history=True)
        hits = retriever.retrieve("机关事业单位采购货物30日内支付款项，付款期限最长60日", k=10, filters=history)
        by_document = {hit.document.id: hit for hit in hits}
        assert {"pay-2020", "pay-2025"} <= set(by_document)
        assert by_document["pay-2020"].validity is Validity.SUPERSEDED and by_document["pay-2020"].flagged
        assert by_document["pay-2025"].validity is Validity.CURRENT
        rent = retriever.retrieve("国有企业房产免收房屋租金", k=3, filters=history)[0]
        assert rent.document.id == "rent-relief"
        assert rent.validity is Validity.EXPIRED and rent.flagged

    def test_validity_is_judged_on_the_filter_day(self, retriever: Retriever):
        hits = retriever.retrieve("国有企业房产免收房屋租金", k=3, filters=SearchFilters(on=date(2020, 6, 1)))
        assert hits[0].document.id == "rent-relief"
        assert hits[0].validity is Validity.CURRENT
