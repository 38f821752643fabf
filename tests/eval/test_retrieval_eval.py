"""run_retrieval_eval end to end on tiny corpora, with the hashing embedder (never e5 or MiniLM)."""

import json
import math
from pathlib import Path

import pytest

from eval.metrics import RetrievalMetrics
from eval.pipelines import plain_splits, plain_text
from eval.retrieval import PipelineReport, render_table, report_notes, report_to_json, run_retrieval_eval
from knowledge.loaders import load_paths
from minfu.errors import InvalidInputError
from minfu.settings import Settings

TEA = """# 奶茶店开办指引

## 一、证照办理

开办奶茶店需要先办理营业执照，再申请食品经营许可证，门店须配备健康证明齐全的从业人员。
"""

PARKING = """# 停车场收费管理办法

## 一、收费标准

机动车停放服务收费实行分时段计价，夜间停车按次收取费用，新能源汽车享受两小时免费停放。
"""

# two long headed paragraphs: with an 80-character target they become two chunks of one document
LOANS = """# 小微企业贷款续贷办法

## 一、无还本续贷

贷款到期后小微企业暂时无法归还本金的，银行可以通过无还本续贷方式继续提供贷款支持，企业不必先筹集资金归还本金，从而缓解资金周转压力和过桥融资成本。

## 二、贷款利率

银行对符合条件的小微企业贷款适当降低贷款利率，减免部分服务收费，降低综合融资成本，并为首次贷款的企业开辟绿色通道和专门审批流程安排。
"""

RENEWAL = "无还本续贷方式继续提供贷款支持"
RATE = "适当降低贷款利率"


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in (("tea.md", TEA), ("parking.md", PARKING), ("loans.md", LOANS)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def dataset(tmp_path):
    lines = [
        {
            "id": "tea",
            "question": "开奶茶店要办营业执照和食品经营许可证吗",
            "reference_contexts": ["申请食品经营 许可证"],
        },
        {"id": "parking", "question": "停车场夜间停车怎么收费", "docid": "policy:停车场收费管理办法"},
        {"id": "missing", "question": "外国人来华工作许可怎么办", "reference_contexts": ["外国人工作许可证"]},
        {"id": "loans", "question": "小微企业贷款无还本续贷和降低贷款利率", "reference_contexts": [RENEWAL, RATE]},
    ]
    path = tmp_path / "dataset.jsonl"
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    path.write_text(text + '\n{"id": "tea", "question": "重复"}\n', encoding="utf-8")
    return path


def settings_for(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", embedder="hashing", chunk_size=80)


ALL = ["default", "dense-e5", "naive", "lexical"]


def metrics_of(pipeline: PipelineReport) -> RetrievalMetrics:
    assert pipeline.metrics is not None, pipeline.error
    return pipeline.metrics


def test_every_pipeline_scores_the_hand_computed_case(tmp_path, corpus, dataset):
    report = run_retrieval_eval(
        dataset,
        corpus=corpus,
        pipelines=ALL,
        k=10,
        embedder_override="hashing",
        settings=settings_for(tmp_path),
        cache_path=tmp_path / "cache.sqlite",
    )
    assert report.questions == 4
    assert [(p.line, p.field) for p in report.problems] == [(5, "reference_contexts")]
    by_name = {p.name: p for p in report.pipelines}
    assert list(by_name) == ALL
    for name in ("default", "lexical"):  # ours: "loans" is two chunks, one per reference, found at ranks 1 and 2
        metrics = metrics_of(by_name[name])
        ranks = {item.id: item.first_relevant_rank for item in by_name[name].items}
        assert ranks == {"tea": 1, "parking": 1, "missing": None, "loans": 1}, name
        assert metrics.hit_at == {1: 0.75, 3: 0.75, 5: 0.75, 10: 0.75}
        assert metrics.mrr == pytest.approx(0.75)
        assert metrics.ndcg == pytest.approx(0.75)  # loans: gains (1, 1) over an ideal of two targets = 1
        assert metrics.unreachable == 1
        assert by_name[name].items[3].gains[:2] == (1, 1)
    for name in ("dense-e5", "naive"):  # plain splits hold each short document whole: both references in one chunk
        loans = by_name[name].items[3]
        assert loans.first_relevant_rank == 1 and loans.gains[0] == 2 and loans.retrievable == 2
        assert metrics_of(by_name[name]).ndcg == pytest.approx(0.75)  # capped at 1 for loans
        assert by_name[name].embedder == "hashing-256"
    assert by_name["lexical"].embedder is None
    assert all(not math.isnan(metrics_of(p).latency_p95_ms) for p in report.pipelines)


def test_report_renders_as_table_and_json(tmp_path, corpus, dataset):
    report = run_retrieval_eval(
        dataset,
        corpus=corpus,
        pipelines=["lexical"],
        embedder_override="hashing",
        settings=settings_for(tmp_path),
        cache_path=tmp_path / "cache.sqlite",
        k=3,
    )
    table = render_table(report)
    assert [c.header for c in table.columns][:5] == ["流水线", "hit@1", "hit@3", "hit@5", "hit@10"]
    assert table.row_count == 1
    data = json.loads(json.dumps(report_to_json(report), ensure_ascii=False))
    metrics = data["pipelines"][0]["metrics"]
    assert metrics["hit@1"] == 0.75 and metrics["hit@5"] is None  # k = 3: cutoffs beyond k are not reported
    assert metrics["mrr@3"] == 0.75
    assert data["problems"][0]["line"] == 5
    assert data["pipelines"][0]["items"][1]["retrieved"][0]["document_id"] == "policy:停车场收费管理办法"
    assert any("第 5 行" in line for line in report_notes(report))


def test_progress_reports_embedding_and_questions(tmp_path, corpus, dataset):
    seen = []
    run_retrieval_eval(
        dataset,
        corpus=corpus,
        pipelines=["default"],
        embedder_override="hashing",
        settings=settings_for(tmp_path),
        cache_path=tmp_path / "cache.sqlite",
        progress=lambda label, done, total: seen.append((label, done, total)),
    )
    embedding = [s for s in seen if s[0] == "default：向量化"]
    asking = [s for s in seen if s[0] == "default：检索"]
    assert embedding and embedding[-1][1] == embedding[-1][2] > 0
    assert asking[-1] == ("default：检索", 4, 4)


NCP_CONTEXTS = {
    "d1": "某市出台支持企业措施 为帮助中小企业渡过难关，对承租国有房产的企业减免三个月房租。",
    "d2": "某区开通线上登记服务 即日起个体工商户可以在网上办理注册登记，无需到窗口排队。",
    "d3": "农业部门开展法治宣传 各级农业农村部门大力宣传动物防疫法和野生动物保护法。",
}


def write_ncp(path: Path) -> None:
    questions = [
        ("q1", "d1", "承租国有房产的企业减免几个月房租？", "三个月"),
        ("q2", "d2", "个体工商户在网上办理注册登记吗？", "网上"),
        ("q3", "d3", "农业农村部门宣传哪些法律？", "动物防疫法和野生动物保护法"),
    ]
    lines = []
    for qid, docid, question, answer in questions:
        start = NCP_CONTEXTS[docid].index(answer)
        lines.append(
            json.dumps(
                {
                    "id": qid,
                    "docid": docid,
                    "context": NCP_CONTEXTS[docid],
                    "question": question,
                    "answer": {"text": answer, "span": [start, start + len(answer)]},
                },
                ensure_ascii=False,
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_ncp_shaped_file_brings_its_own_corpus(tmp_path):
    path = tmp_path / "local_dev_with_context.jsonl"
    write_ncp(path)
    report = run_retrieval_eval(
        path,
        corpus=None,
        pipelines=["default", "lexical"],
        embedder_override="hashing",
        settings=settings_for(tmp_path),
        cache_path=tmp_path / "cache.sqlite",
    )
    assert report.benchmark == "NCPPolicies" and "3 篇" in report.corpus
    for pipeline in report.pipelines:
        assert metrics_of(pipeline).hit_at[1] == 1.0 and metrics_of(pipeline).document_hit_at_5 == 1.0
        assert [item.document_rank for item in pipeline.items] == [1, 1, 1]
    with pytest.raises(InvalidInputError):
        run_retrieval_eval(path, corpus=tmp_path, pipelines=["lexical"], settings=settings_for(tmp_path))


def test_the_persistent_knowledge_base_is_used_when_no_corpus_is_given(tmp_path, dataset, monkeypatch, corpus):
    from knowledge.base import KnowledgeBase
    from knowledge.chunking import Chunker
    from knowledge.ingest import Ingestor

    settings = settings_for(tmp_path)
    kb = KnowledgeBase.open(settings)
    Ingestor(kb, Chunker(target_size=80)).ingest(load_paths([corpus]))
    kb.catalog.close()
    monkeypatch.setattr("knowledge.bundled.bundled_corpus_path", lambda: corpus)
    report = run_retrieval_eval(
        dataset, corpus=None, pipelines=["default"], settings=settings, cache_path=tmp_path / "cache.sqlite"
    )
    pipeline = report.pipelines[0]
    assert pipeline.error is None and "默认知识库" in pipeline.notes[0]
    assert metrics_of(pipeline).hit_at[1] == 0.75


def test_a_lexical_only_persistent_knowledge_base_is_flagged(tmp_path, dataset, monkeypatch, corpus):
    from knowledge.base import KnowledgeBase
    from knowledge.chunking import Chunker
    from knowledge.ingest import Ingestor

    settings = settings_for(tmp_path)
    kb = KnowledgeBase.open(settings)
    Ingestor(kb, Chunker(target_size=80)).ingest(load_paths([corpus]), dense=False)
    kb.catalog.close()
    monkeypatch.setattr("knowledge.bundled.bundled_corpus_path", lambda: corpus)
    report = run_retrieval_eval(
        dataset, corpus=None, pipelines=["default"], settings=settings, cache_path=tmp_path / "cache.sqlite"
    )
    assert any("向量索引尚未完成（0/4）" in note for note in report.pipelines[0].notes)
    assert all(item.degraded for item in report.pipelines[0].items)
    assert "default：4 题向量检索不可用，只用了词法索引" in report_notes(report)


def test_an_empty_persistent_knowledge_base_is_reported_not_raised(tmp_path, dataset, monkeypatch, corpus):
    monkeypatch.setattr("knowledge.bundled.bundled_corpus_path", lambda: corpus)
    report = run_retrieval_eval(
        dataset,
        corpus=None,
        pipelines=["default", "lexical"],
        settings=settings_for(tmp_path),
        cache_path=tmp_path / "cache.sqlite",
    )
    assert all("minfu ingest" in (p.error or "") for p in report.pipelines)
    assert "未运行" in str(render_table(report).columns[-1]._cells[0])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"pipelines": ["bm25"]}, "pipeline"), ({"pipelines": []}, "pipeline"), ({"k": 0}, "k")],
)
def test_bad_arguments_are_invalid_input(tmp_path, corpus, dataset, kwargs, field):
    arguments = {"corpus": corpus, "pipelines": ["lexical"], "settings": settings_for(tmp_path)} | kwargs
    with pytest.raises(InvalidInputError) as info:
        run_retrieval_eval(dataset, **arguments)
    assert info.value.field == field


def test_plain_text_reads_like_the_file_and_splits_by_length(corpus):
    documents = load_paths([corpus]).documents
    loans = next(d for d in documents if d.document.title == "小微企业贷款续贷办法")
    text = plain_text(loans)
    assert text.startswith("小微企业贷款续贷办法\n\n一、无还本续贷\n\n贷款到期后")
    assert "\n\n二、贷款利率\n\n银行对" in text
    pieces = plain_splits([loans], chunk_size=60, overlap=10, tag="t")
    assert len(pieces) > 2 and all(len(p.chunk.text) <= 60 for p in pieces)
    assert pieces[0].indexed.text == pieces[0].chunk.text  # the split text alone is embedded
