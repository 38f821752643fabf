from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from knowledge.chunking import split_sentences
from knowledge.lexical import (
    CHARS,
    WORDS,
    ChineseLexicalIndex,
    TokenStream,
    char_ngrams,
    jieba_words,
    matched_terms,
)
from knowledge.passages import whole_chunk
from minfu.domain import Chunk
from minfu.errors import IndexUnavailableError
from minfu.ports import IndexedChunk

TEXTS = {
    "pay#1": "机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项。",
    "pay#2": "大型企业从中小企业采购货物、工程、服务，应当按照行业规范、交易习惯合理约定付款期限并及时支付款项。",
    "labour#1": "用人单位自用工之日起即与劳动者建立劳动关系。建立劳动关系，应当订立书面劳动合同。",
    "ad#1": "广告不得含有虚假或者引人误解的内容，不得欺骗、误导消费者。广告主应当对广告内容的真实性负责。",
    "data#1": "处理个人信息应当具有明确、合理的目的，并应当与处理目的直接相关，采取对个人权益影响最小的方式。",
    "safety#1": "生产经营单位的主要负责人是本单位安全生产第一责任人，对本单位的安全生产工作全面负责。",
}


def item(chunk_id: str, text: str) -> IndexedChunk:
    chunk = Chunk(id=chunk_id, document_id=chunk_id.split("#")[0], ordinal=0, text=text)
    return IndexedChunk(chunk, text, {"document_id": chunk.document_id})


def items(texts: dict[str, str] = TEXTS) -> list[IndexedChunk]:
    return [item(cid, text) for cid, text in texts.items()]


@pytest.fixture
def index() -> ChineseLexicalIndex:
    built = ChineseLexicalIndex()
    built.add(items())
    return built


def results(index: ChineseLexicalIndex, text: str, k: int = 10, **kw) -> list[tuple[str, float]]:
    return [(s.chunk_id, s.score) for s in index.query(text, k, **kw)]


# tokenizers ----------------------------------------------------------------------------------------------
def test_char_ngrams_cjk_unigrams_bigrams_and_whole_ascii_words():
    assert char_ngrams("中小企业 GDP增长５%") == [
        "中",
        "小",
        "企",
        "业",
        "中小",
        "小企",
        "企业",
        "gdp",
        "增",
        "长",
        "增长",
        "5",
    ]
    assert char_ngrams("第三条，款项") == ["第", "三", "条", "第三", "三条", "款", "项", "款项"]  # no bigram across ，
    assert char_ngrams("。！？ ") == []


def test_jieba_words_search_mode_drops_punctuation():
    words = jieba_words("保障中小企业款项支付条例，自2025年6月1日起施行。")
    assert {"中小", "企业", "中小企业", "款项", "支付", "条例", "2025"} <= set(words)
    assert not any(w in {"，", "。", " "} for w in words)


def test_jieba_dictionary_cache_goes_to_the_configured_directory(tmp_path: Path):
    code = "from knowledge.lexical import jieba_words; print(jieba_words('中小企业款项'))"
    env = {**os.environ, "MINFU_JIEBA_CACHE_DIR": str(tmp_path / "jieba")}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert "中小企业" in run.stdout
    assert "Building prefix dict" not in run.stderr  # initialised quietly
    assert [p.name for p in (tmp_path / "jieba").iterdir()] == ["jieba.cache"]


# BM25 ----------------------------------------------------------------------------------------------------
def brute_force_bm25(texts: dict[str, str], query: str, k1: float, b: float) -> dict[str, float]:
    """Textbook BM25 over character n-grams, normalised like the index: Σ qtf·idf·(k1+1) is the ceiling."""
    docs = {cid: Counter(char_ngrams(text)) for cid, text in texts.items()}
    n, avgdl = len(docs), sum(sum(c.values()) for c in docs.values()) / len(docs)
    q = Counter(char_ngrams(query))
    idf = {
        t: math.log(1 + (n - sum(t in d for d in docs.values()) + 0.5) / (sum(t in d for d in docs.values()) + 0.5))
        for t in q
    }
    ceiling = sum(qtf * idf[t] * (k1 + 1) for t, qtf in q.items())
    out = {}
    for cid, tf in docs.items():
        dl = sum(tf.values())
        s = sum(qtf * idf[t] * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * dl / avgdl)) for t, qtf in q.items())
        if s > 0:
            out[cid] = s / ceiling
    return out


@pytest.mark.parametrize(("k1", "b"), [(1.2, 0.75), (0.9, 0.4), (2.0, 1.0)])
def test_whole_chunk_scores_match_textbook_bm25(k1, b):
    index = ChineseLexicalIndex(streams=[CHARS], k1=k1, b=b, passages=whole_chunk, chunk_weight=0.0)
    index.add(items())
    query = "中小企业的款项多久内支付？劳动合同"
    expected = brute_force_bm25(TEXTS, query, k1, b)
    got = dict(results(index, query, k=10))
    assert got.keys() == expected.keys()
    for cid, score in expected.items():
        assert got[cid] == pytest.approx(score, rel=1e-5)


@pytest.mark.parametrize(
    ("k1", "b", "weight", "chunk_b"), [(1.2, 0.3, 0.0, 0.75), (0.9, 0.75, 0.25, 0.75), (1.2, 0.3, 0.5, 1.0)]
)
def test_a_chunk_scores_its_best_sentence_blended_with_the_whole_chunk_under_textbook_bm25(k1, b, weight, chunk_b):
    index = ChineseLexicalIndex(streams=[CHARS], k1=k1, b=b, chunk_weight=weight, chunk_b=chunk_b)
    index.add(items())
    sentences = {f"{cid}@{i}": s for cid, text in TEXTS.items() for i, s in enumerate(split_sentences(text))}
    query = "劳动关系要订立书面合同吗？广告主负责什么"
    best: dict[str, float] = {}
    for key, score in brute_force_bm25(sentences, query, k1, b).items():
        cid = key.rsplit("@", 1)[0]
        best[cid] = max(best.get(cid, 0.0), score)
    whole = brute_force_bm25(TEXTS, query, k1, chunk_b)
    expected = {cid: (1 - weight) * best.get(cid, 0.0) + weight * whole.get(cid, 0.0) for cid in {*best, *whole}}
    got = dict(results(index, query, k=10))
    assert got.keys() == expected.keys()
    for cid, score in expected.items():
        assert got[cid] == pytest.approx(score, rel=1e-5)


def test_stream_weights_add_up():
    plain_words = TokenStream("words", jieba_words)
    chars, words = ChineseLexicalIndex(streams=[CHARS]), ChineseLexicalIndex(streams=[plain_words])
    both = ChineseLexicalIndex(streams=[TokenStream("chars", char_ngrams, 2.0), TokenStream("words", jieba_words, 0.5)])
    for index in (chars, words, both):
        index.add(items())
    query = "签订书面劳动合同"
    c, w, cw = dict(results(chars, query)), dict(results(words, query)), dict(results(both, query))
    for cid in cw:
        assert cw[cid] == pytest.approx(2.0 * c.get(cid, 0.0) + 0.5 * w.get(cid, 0.0), rel=1e-5)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("政府机关拖欠中小企业货款多少天内要付？", "pay#1"),
        ("招了员工要不要签劳动合同", "labour#1"),
        ("广告里能不能夸大宣传", "ad#1"),
        ("收集用户个人信息有什么要求", "data#1"),
        ("安全生产谁是第一责任人", "safety#1"),
    ],
)
def test_finds_the_matching_chunk_first(index, question, expected):
    assert results(index, question)[0][0] == expected


def test_results_sorted_positive_bounded_and_k_respected(index):
    found = results(index, "中小企业款项支付", k=10)
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s < CHARS.weight + WORDS.weight for s in scores)
    assert len(results(index, "中小企业款项支付", k=1)) == 1
    assert results(index, "中小企业款项支付", k=0) == []


def test_matched_terms_strongest_first_without_contained_fragments():
    index = ChineseLexicalIndex(b=0.75, passages=whole_chunk)
    index.add(items())
    top = index.query("事业单位拖欠中小企业的款项", 1)[0]
    assert top.chunk_id == "pay#1"
    # each term weighs its own part plus that of the terms it contains (中小, 企业, 中 …), which are not repeated
    assert top.terms == ("事业单位", "中小企业", "款项")  # 事业单位 only in pay#1: the rarest, so the heaviest
    assert all(term in TEXTS["pay#1"] for term in top.terms)


@pytest.mark.parametrize(
    ("contributions", "runs", "limit", "expected"),
    [
        ({"免申": 1.0, "申即": 1.0, "即享": 1.0, "政策": 2.0, "策": 0.5}, ["免申即享的政策"], 5, ("免申即享", "政策")),
        ({"免申": 1.0, "即享": 1.0}, ["免申即享"], 5, ("免申", "即享")),  # 申即 unmatched: no span across it
        ({"中小企业": 1.0, "企业": 1.0, "中小": 1.0, "款项": 2.5}, ["中小企业款项"], 5, ("中小企业", "款项")),
        ({"a": 1.0, "b": 2.0, "c": 3.0}, [], 2, ("c", "b")),
        ({}, ["款项"], 5, ()),
    ],
)
def test_matched_terms_table(contributions, runs, limit, expected):
    assert matched_terms(contributions, runs, limit) == expected


# passages ------------------------------------------------------------------------------------------------
SPREAD = "用人单位应当建立劳动规章制度。单位不得向劳动者收取财物。书面材料应当存档备查。"  # 书面 … 合同 apart
TOGETHER = "用人单位与劳动者应当订立书面劳动合同。"


def test_words_in_one_sentence_beat_words_spread_over_a_chunk():
    query = "单位和劳动者要订立书面劳动合同吗"
    chunks = [item("spread#1", SPREAD), item("together#1", TOGETHER)]
    by_chunk, by_sentence = ChineseLexicalIndex(passages=whole_chunk), ChineseLexicalIndex()
    by_chunk.add(chunks)
    by_sentence.add(chunks)
    assert index_order(by_sentence, query)[0] == "together#1"
    sentence_scores, chunk_scores = dict(results(by_sentence, query)), dict(results(by_chunk, query))
    lead = sentence_scores["together#1"] - sentence_scores["spread#1"]
    assert lead > chunk_scores["together#1"] - chunk_scores["spread#1"]  # the spread chunk no longer adds up


def index_order(index: ChineseLexicalIndex, query: str) -> list[str]:
    return [cid for cid, _ in results(index, query)]


def test_terms_come_from_the_best_sentence():
    index = ChineseLexicalIndex()
    index.add([item("mixed#1", "广告不得含有虚假内容。用人单位应当订立书面劳动合同。")])
    top = index.query("书面劳动合同和虚假广告", 1)[0]
    assert top.chunk_id == "mixed#1"
    assert all(term in "用人单位应当订立书面劳动合同。" for term in top.terms)


def test_no_match_and_empty_index():
    assert ChineseLexicalIndex().query("劳动合同", 5) == []
    index = ChineseLexicalIndex()
    index.add(items())
    assert index.query("zzz ！？", 5) == []


def test_allowed_restricts_results(index):
    assert results(index, "中小企业款项支付", allowed=frozenset({"pay#2", "ad#1"}))[0][0] == "pay#2"
    assert {cid for cid, _ in results(index, "中小企业款项支付", allowed=frozenset({"pay#2"}))} == {"pay#2"}
    assert results(index, "中小企业款项支付", allowed=frozenset()) == []
    assert results(index, "中小企业款项支付", allowed=frozenset({"unknown"})) == []


# incremental changes ----------------------------------------------------------------------------------------
def test_incremental_adds_and_deletes_equal_a_fresh_build():
    index = ChineseLexicalIndex()
    index.add(items({k: TEXTS[k] for k in ("pay#1", "labour#1")}))
    index.query("款项", 3)  # builds the matrices once
    index.add(items({k: TEXTS[k] for k in ("pay#2", "ad#1", "data#1", "safety#1")}))
    index.delete(["labour#1", "not-there"])
    index.add([item("pay#1", "中小企业款项应当在六十日内支付。")])  # replaces pay#1
    final = {**TEXTS, "pay#1": "中小企业款项应当在六十日内支付。"}
    del final["labour#1"]
    fresh = ChineseLexicalIndex()
    fresh.add(items(final))
    assert index.ids() == fresh.ids() == set(final)
    for query in ("中小企业款项支付", "劳动合同", "个人信息", "六十日"):
        got, want = results(index, query), results(fresh, query)
        assert [cid for cid, _ in got] == [cid for cid, _ in want]
        assert [score for _, score in got] == pytest.approx([score for _, score in want])
    assert "labour#1" not in {cid for cid, _ in results(index, "劳动合同")}


def test_adds_in_batches_and_replaces_ids_across_batches(monkeypatch):
    monkeypatch.setattr("knowledge.lexical.ADD_BATCH", 2)
    index = ChineseLexicalIndex()
    index.add([*items(), item("pay#1", "外商投资企业享受国民待遇")])  # the later pay#1 wins
    assert index.ids() == set(TEXTS)
    assert index.query("外商投资", 1)[0].chunk_id == "pay#1"
    assert "pay#1" not in {s.chunk_id for s in index.query("采购货物", 5)}


def test_queries_while_another_thread_adds():
    index = ChineseLexicalIndex()
    index.add(items())
    more = [item(f"extra#{i}", f"第{i}号 外商投资企业登记与知识产权保护") for i in range(300)]
    errors: list[BaseException] = []

    def writer():
        try:
            for start in range(0, len(more), 20):
                index.add(more[start : start + 20])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        assert index.query("劳动合同", 1)[0].chunk_id == "labour#1"
    thread.join()
    assert not errors
    assert len(index.query("外商投资", 500)) == 300


def test_delete_everything():
    index = ChineseLexicalIndex()
    index.add(items())
    index.delete(list(TEXTS))
    assert index.query("款项", 5) == []
    assert index.ids() == set()


# persistence -------------------------------------------------------------------------------------------------
def test_save_and_reload(tmp_path: Path, index):
    index.path = tmp_path / "lexical"
    index.delete(["ad#1"])
    index.save()
    reloaded = ChineseLexicalIndex(tmp_path / "lexical")
    assert reloaded.ids() == set(TEXTS) - {"ad#1"}
    for query in ("中小企业款项支付", "劳动合同", "广告"):
        assert reloaded.query(query, 5) == index.query(query, 5)
    files = sorted(p.name for p in (tmp_path / "lexical").iterdir())
    assert files[1] == "manifest.json" and files[0].startswith("lexical-") and len(files) == 2


def test_save_again_replaces_files_and_keeps_working(tmp_path: Path):
    index = ChineseLexicalIndex(tmp_path)
    index.add(items())
    index.save()
    index.add([item("new#1", "外商投资企业享受国民待遇")])
    index.save()
    assert len(list(tmp_path.glob("lexical-*.npz"))) == 1
    assert not list(tmp_path.glob(".*"))  # no temp files left behind
    reloaded = ChineseLexicalIndex(tmp_path)
    assert reloaded.query("外商投资", 1)[0].chunk_id == "new#1"
    reloaded.add([item("more#1", "知识产权保护")])  # a reloaded index keeps growing
    assert reloaded.query("知识产权", 1)[0].chunk_id == "more#1"
    assert reloaded.query("外商投资", 1)[0].chunk_id == "new#1"


def test_save_in_memory_is_a_no_op(index):
    index.save()
    assert index.path is None


def test_reload_with_other_streams_or_broken_files_is_a_clear_error(tmp_path: Path, index):
    index.path = tmp_path
    index.save()
    with pytest.raises(IndexUnavailableError, match="词法索引"):
        ChineseLexicalIndex(tmp_path, streams=[CHARS])
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    (tmp_path / manifest["arrays"]).write_bytes(b"not a zip")
    with pytest.raises(IndexUnavailableError, match="minfu ingest"):
        ChineseLexicalIndex(tmp_path)


def test_an_index_saved_in_an_older_format_loads_empty_for_re_ingest(tmp_path: Path, index, caplog):
    index.path = tmp_path
    index.save()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "format": 1}), encoding="utf-8")
    with caplog.at_level("WARNING"):
        reloaded = ChineseLexicalIndex(tmp_path)
    assert reloaded.ids() == set() and "older format" in caplog.text
    assert ChineseLexicalIndex(tmp_path, passages=whole_chunk).ids() == set()  # other passages: also rebuilt
    reloaded.add(items())
    reloaded.save()
    assert ChineseLexicalIndex(tmp_path).query("劳动合同", 1)[0].chunk_id == "labour#1"


def test_k1_and_b_can_change_after_reload(tmp_path: Path):
    index = ChineseLexicalIndex(tmp_path, streams=[CHARS], passages=whole_chunk, chunk_weight=0.0)
    index.add(items())
    index.save()
    reloaded = ChineseLexicalIndex(tmp_path, streams=[CHARS], k1=0.9, b=0.4, passages=whole_chunk, chunk_weight=0.0)
    expected = brute_force_bm25(TEXTS, "款项支付", 0.9, 0.4)
    assert dict(results(reloaded, "款项支付")) == pytest.approx(expected, rel=1e-5)
