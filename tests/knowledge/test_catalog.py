from datetime import date

from knowledge.catalog import Catalog
from minfu.domain import Chunk, Document, DocumentKind, SearchFilters


def _doc(doc_id: str, **fields) -> Document:
    return Document(
        id=doc_id, kind=fields.pop("kind", DocumentKind.LAW), title=doc_id, source=f"/{doc_id}.md", **fields
    )


def _chunks(doc_id: str, n: int) -> list[Chunk]:
    return [
        Chunk(
            id=f"{doc_id}#{i}",
            document_id=doc_id,
            ordinal=i,
            text=f"第{i}条",
            section_path=("第一章",),
            article=f"第{i}条",
            content_hash=str(i),
        )
        for i in range(n)
    ]


def test_put_replaces_chunks_and_survives_reopen(tmp_path):
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    catalog.put(_doc("a", published=date(2020, 1, 2), extra={"history": "x"}), _chunks("a", 3))
    catalog.put(_doc("a", published=date(2020, 1, 2), extra={"history": "x"}), _chunks("a", 2))
    catalog.close()
    reopened = Catalog(path)
    assert reopened.document("a") == _doc("a", published=date(2020, 1, 2), extra={"history": "x"})
    assert [c.id for c in reopened.chunks_of("a")] == ["a#0", "a#1"]
    assert reopened.chunk("a#1") == _chunks("a", 2)[1]
    assert reopened.chunk("a#2") is None


def test_remove_forgets_document_and_chunks(tmp_path):
    catalog = Catalog(tmp_path / "c.sqlite")
    catalog.put(_doc("a"), _chunks("a", 2))
    catalog.put(_doc("b"), _chunks("b", 1))
    catalog.remove("a")
    assert catalog.document("a") is None
    assert catalog.chunk_ids() == {"b#0"}
    assert [c.id for c, _ in catalog.resolve(["a#0", "b#0", "zzz"])] == ["b#0"]


def test_admitted_chunk_ids_is_none_when_everything_passes_and_filters_otherwise():
    catalog = Catalog(None)
    catalog.put(_doc("old", superseded_by="new"), _chunks("old", 1))
    catalog.put(_doc("new", supersedes=("old",)), _chunks("new", 2))
    catalog.put(_doc("plan", kind=DocumentKind.POLICY, expires_on=date(2020, 1, 1)), _chunks("plan", 1))
    today = date(2026, 11, 27)
    assert catalog.admitted_chunk_ids(SearchFilters(include_history=True), today) is None
    assert catalog.admitted_chunk_ids(SearchFilters(), today) == frozenset({"new#0", "new#1"})
    assert catalog.admitted_chunk_ids(
        SearchFilters(kinds=frozenset({DocumentKind.POLICY}), include_history=True), today
    ) == frozenset({"plan#0"})


def test_admitted_chunk_ids_follow_every_write_although_they_are_cached():
    catalog = Catalog(None)
    today = date(2026, 11, 27)
    catalog.put(_doc("old"), _chunks("old", 1))
    catalog.put(_doc("plan", expires_on=date(2020, 1, 1)), _chunks("plan", 1))
    current = SearchFilters()
    assert catalog.admitted_chunk_ids(current, today) == frozenset({"old#0"})
    assert catalog.admitted_chunk_ids(current, today) is catalog.admitted_chunk_ids(current, today)  # cached
    catalog.put(_doc("new", supersedes=("old",)), _chunks("new", 1))
    assert catalog.admitted_chunk_ids(current, today) == frozenset({"old#0", "new#0"})
    catalog.update_documents([_doc("old", superseded_by="new")])
    assert catalog.admitted_chunk_ids(current, today) == frozenset({"new#0"})
    catalog.remove("new")
    assert catalog.admitted_chunk_ids(current, today) == frozenset()
    assert catalog.admitted_chunk_ids(current, date(2019, 1, 1)) == frozenset({"plan#0"})  # another day, another set


def test_update_documents_rewrites_metadata_only(tmp_path):
    catalog = Catalog(tmp_path / "c.sqlite")
    catalog.put(_doc("old"), _chunks("old", 2))
    catalog.update_documents([_doc("old", superseded_by="new")])
    assert Catalog(tmp_path / "c.sqlite").document("old") == _doc("old", superseded_by="new")
    assert len(catalog.chunks_of("old")) == 2
