"""The superior law goes before a lower-level text that restates it; nothing else moves."""

from __future__ import annotations

from knowledge.authority import SUPERIOR_FIRST, authority_level, restates, superior_first
from minfu.domain import Chunk, Document, DocumentKind, Hit

NATIONAL = (
    "经营者提供商品或者服务有欺诈行为的，应当按照消费者的要求增加赔偿其受到的损失，增加赔偿的金额为消费者购买商品的价款"
    "或者接受服务的费用的三倍；增加赔偿的金额不足五百元的，为五百元。法律另有规定的，依照其规定。"
)
LOCAL = NATIONAL.replace("。法律另有规定", "，依照《中华人民共和国消费者权益保护法》执行。法律另有规定")
OTHER = "经营者应当保证其提供的商品或者服务符合保障人身、财产安全的要求。"


def document(doc_id: str, *, kind: DocumentKind = DocumentKind.LAW, issuer: str | None = None) -> Document:
    return Document(id=doc_id, kind=kind, title=doc_id, source=f"{doc_id}.md", issuer=issuer)


def hit(doc: Document, text: str, score: float) -> Hit:
    return Hit(Chunk(id=f"{doc.id}#0", document_id=doc.id, ordinal=0, text=text), doc, score)


LAW = document("消费者权益保护法", issuer="全国人民代表大会常务委员会")
STATE_COUNCIL = document("实施条例", issuer="国务院")
SHANGHAI = document("上海市消费者权益保护条例")  # a local regulation whose issuer the loader did not find
POLICY = document("行动方案", kind=DocumentKind.POLICY, issuer="闵行区人民政府办公室")


def test_levels_follow_the_legislation_law():
    assert [authority_level(d) for d in (LAW, STATE_COUNCIL, SHANGHAI, POLICY)] == [0, 1, 3, 4]
    assert authority_level(document("上海市条例", issuer="上海市人民代表大会常务委员会")) == 2


def test_restatement_is_near_identical_text():
    assert restates(NATIONAL, LOCAL) and restates(LOCAL, NATIONAL)
    assert not restates(NATIONAL, OTHER)
    assert not restates("", NATIONAL)


def test_the_national_law_moves_before_the_local_restatement_and_is_marked():
    hits = [hit(SHANGHAI, LOCAL, 0.9), hit(POLICY, OTHER, 0.8), hit(LAW, NATIONAL, 0.7)]
    ordered = superior_first(hits)
    assert [h.document.id for h in ordered] == ["消费者权益保护法", "上海市消费者权益保护条例", "行动方案"]
    assert SUPERIOR_FIRST in ordered[0].why and SUPERIOR_FIRST not in ordered[1].why
    assert ordered[0].fused_score == 0.7  # scores are reported as they were


def test_other_orders_are_left_alone():
    already = [hit(LAW, NATIONAL, 0.9), hit(SHANGHAI, LOCAL, 0.8)]
    assert superior_first(already) == already
    different = [hit(SHANGHAI, OTHER, 0.9), hit(LAW, NATIONAL, 0.8)]  # a superior text that says something else
    assert superior_first(different) == different
    assert superior_first([]) == []


def test_superior_restatements_go_highest_first_and_only_within_the_window():
    hits = [hit(SHANGHAI, LOCAL, 0.9), hit(STATE_COUNCIL, NATIONAL, 0.8), hit(LAW, NATIONAL, 0.7)]
    assert [h.document.id for h in superior_first(hits)] == ["消费者权益保护法", "实施条例", "上海市消费者权益保护条例"]
    far = [hit(SHANGHAI, LOCAL, 0.9), *[hit(document(f"d{i}"), f"无关条文{i}号", 0.5) for i in range(3)]]
    far.append(hit(LAW, NATIONAL, 0.1))
    assert superior_first(far, window=3) == far
