from __future__ import annotations

from knowledge.passages import sentence_passages, whole_chunk
from minfu.domain import Chunk
from minfu.ports import IndexedChunk


def test_sentence_passages_keep_the_heading_and_join_fragments():
    text = "第三条\n（一）\n订立书面合同。支付劳动报酬；\n缴纳社保"
    chunk = Chunk(id="law#3", document_id="law", ordinal=3, text=text)
    passages = sentence_passages(IndexedChunk(chunk, "劳动合同法 第一章\n" + chunk.text, {}))
    assert passages == [
        "劳动合同法 第一章\n第三条（一）订立书面合同。",  # 第三条 and （一） are too short alone
        "劳动合同法 第一章\n支付劳动报酬；缴纳社保",  # a short tail joins the sentence before it
    ]
    one = Chunk(id="a#1", document_id="a", ordinal=1, text="只有一句话。")
    assert sentence_passages(IndexedChunk(one, "标题\n只有一句话。", {})) == ["标题\n只有一句话。"]
    headless = IndexedChunk(one, "这是别的文本。第二句话在这里。", {})  # not ending in the chunk's own text
    assert sentence_passages(headless) == ["这是别的文本。", "第二句话在这里。"]


def test_whole_chunk_is_the_indexed_text():
    chunk = Chunk(id="a#1", document_id="a", ordinal=1, text="第一句。第二句话。")
    assert whole_chunk(IndexedChunk(chunk, "标题\n第一句。第二句话。", {})) == ["标题\n第一句。第二句话。"]
