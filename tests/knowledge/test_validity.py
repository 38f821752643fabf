from datetime import date
from pathlib import Path

from knowledge.loaders import load_paths
from knowledge.validity import link_versions
from minfu.domain import Document, DocumentKind, Validity

LAWS = Path(__file__).parent / "fixtures" / "laws"


def _doc(doc_id: str, series: str | None = "条例", **fields) -> Document:
    return Document(
        id=doc_id,
        kind=fields.pop("kind", DocumentKind.LAW),
        title=series or doc_id,
        source=f"/{doc_id}.md",
        series=series,
        **fields,
    )


def test_revised_regulation_supersedes_the_2020_text():
    documents = [item.document for item in load_paths([LAWS]).documents]
    linked = {d.id: d for d in link_versions(documents)}
    old, new = linked["law:保障中小企业款项支付条例@2020-07-05"], linked["law:保障中小企业款项支付条例@2025-03-17"]
    assert new.supersedes == (old.id,) and new.superseded_by is None
    assert old.superseded_by == new.id and old.supersedes == ()
    assert old.validity(date(2026, 1, 1)) is Validity.SUPERSEDED
    assert new.validity(date(2026, 1, 1)) is Validity.CURRENT
    assert linked["law:中华人民共和国公司法@2023-12-29"] == next(d for d in documents if "公司法" in d.id)


def test_undated_file_is_ordered_by_the_dates_inferred_from_its_text():
    documents = [item.document for item in load_paths([LAWS]).documents]
    linked = {d.id: d for d in link_versions(documents)}
    assert linked["law:上海市未成年人保护条例"].superseded_by == "law:上海市未成年人保护条例@2024-12-31"
    assert linked["law:上海市未成年人保护条例@2024-12-31"].supersedes == ("law:上海市未成年人保护条例",)


def test_three_versions_chain_in_version_order_whatever_the_input_order():
    v1 = _doc("law:条例@2010-01-01", version="2010-01-01")
    v2 = _doc("law:条例@2015-06-30", version="2015-06-30")
    v3 = _doc("law:条例@2021-03-01", version="2021-03-01")
    linked = link_versions([v3, v1, v2])
    assert [d.id for d in linked] == [v3.id, v1.id, v2.id]  # input order kept
    by_id = {d.id: d for d in linked}
    assert by_id[v3.id].supersedes == (v2.id, v1.id)
    assert (by_id[v1.id].superseded_by, by_id[v2.id].superseded_by, by_id[v3.id].superseded_by) == (v2.id, v3.id, None)
    assert link_versions(linked) == linked  # idempotent


def test_effective_date_orders_versions_without_a_version_string():
    older = _doc("law:条例", effective_from=date(2005, 3, 1))
    newer = _doc("law:条例@2024-12-31", version="2024-12-31")
    undated = _doc("law:条例-草稿")
    linked = {d.id: d for d in link_versions([newer, older, undated])}
    assert linked[undated.id].superseded_by == older.id
    assert linked[newer.id].supersedes == (older.id, undated.id)


def test_documents_without_series_or_of_other_kinds_are_not_linked():
    lone = _doc("policy:a", series=None, kind=DocumentKind.POLICY)
    law = _doc("law:条例@2020-01-01", version="2020-01-01")
    same_name_policy = _doc("policy:条例@2024-01-01", version="2024-01-01", kind=DocumentKind.POLICY)
    assert link_versions([lone, law, same_name_policy]) == [lone, law, same_name_policy]


def test_stale_link_to_a_removed_version_is_dropped_and_written_links_are_kept():
    stale = _doc("law:条例@2020-01-01", version="2020-01-01", superseded_by="law:条例@2024-01-01")
    assert link_versions([stale])[0].superseded_by is None
    replaced = _doc("policy:旧办法", series="旧办法", kind=DocumentKind.POLICY)
    replacing = _doc("policy:新办法", series="新办法", kind=DocumentKind.POLICY, supersedes=("policy:旧办法",))
    linked = {d.id: d for d in link_versions([replaced, replacing])}
    assert linked[replaced.id].superseded_by == replacing.id
    assert linked[replacing.id].supersedes == ("policy:旧办法",)
    assert link_versions(list(linked.values())) == list(linked.values())
