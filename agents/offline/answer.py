"""Grounded extractive answers: sentences copied verbatim from retrieved chunks, each with a numbered citation.

No chat model is involved. The composer never rewrites legal text; it only chooses sentences and frames them.

Evidence (measured on the question's content bigrams, i.e. character bigrams without question words):
- a hit's *coverage* is the share of the question's bigrams found in the hit's title, heading path and text (a
  bigram of an everyday word also counts when an official term it stands for is there: 辞职 → 解除劳动合同);
- evidence is strong when some usable hit has coverage >= `min_evidence` (default 0.4), or coverage >=
  AGREED_FACTOR * min_evidence (0.24) and both retrievers agreed on it (Hit.why holds "dense+lexical agree") or,
  with the dense index unavailable, it is the lexical index's first hit,
  or the question names an article (第九条) that a hit of a title named in the question carries;
- the best quotable sentence must cover >= MIN_BEST_SENTENCE (0.25) of the question; every other quoted sentence
  >= max(MIN_SENTENCE_OVERLAP 0.1, RELATIVE_OVERLAP 0.5 * best). A named article (第八条 of a title in the question)
  narrows the evidence to that article and lifts the sentence limits. Weak evidence or no eligible sentence gives
  an "I don't know" answer (grounded=False) naming up to 3 nearest titles and offering a human.
Hits that are not in force (superseded, expired, not yet effective) are skipped when any current hit is usable;
when only such hits exist the answer says so plainly and is not marked grounded.
Sentences that read like instructions to the assistant (prompt injection inside a document) are never copied.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from knowledge.bundled import display_source
from knowledge.query import QueryExpander
from knowledge.retrieval import AGREE, DENSE_UNAVAILABLE
from minfu.domain import Hit, Validity

DEFAULT_MIN_EVIDENCE = 0.4
AGREED_FACTOR = 0.6  # both retrievers agreeing lowers the coverage needed to 0.6 * min_evidence
MIN_SENTENCE_OVERLAP = 0.1
MIN_BEST_SENTENCE = 0.25  # the best quotable sentence must itself cover this share of the question
RELATIVE_OVERLAP = 0.5  # every other quoted sentence covers at least half of what the best one covers
MIN_SENTENCE_CHARS = 8  # word characters (CJK, letters, digits) a sentence needs to be worth quoting
RANK_WEIGHT = 0.15  # sentence score = overlap + 0.5 * hit coverage + RANK_WEIGHT / hit rank
MAX_RELATED = 3

HUMAN_OFFER = "如需进一步帮助，可以转人工服务（帮办专员），或拨打12345热线咨询。"
NOT_SURE = "暂未在现有政策法规中找到可靠依据，为避免误导，这里不作推测。"
HISTORY_NOTE = {
    Validity.SUPERSEDED: "（该规定已被替代，仅供参考）",
    Validity.EXPIRED: "（该规定已失效，仅供参考）",
    Validity.NOT_YET_EFFECTIVE: "（该规定尚未施行，仅供参考）",
}

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n")
_ARTICLE_LABEL = re.compile(r"^\s*第[〇零一二三四五六七八九十百千0-9]+条(之[一二三四五六七八九十]+)?\s*")
_ARTICLE_IN_QUESTION = re.compile(r"第[〇零一二三四五六七八九十百千0-9]+条")
_HEADING = re.compile(
    r"^\s*(#+\s|第[〇零一二三四五六七八九十百千0-9]+[章节编]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.、])"
)
_WORD_CHAR = re.compile(r"[\w]", re.UNICODE)
_FUNCTION_CHARS = frozenset("怎么什吗呢啥哪吧呀的了嘛")
_STOP_BIGRAMS = frozenset(  # question words that say nothing about the matter asked
    re.findall(r"\w\w", "什么如何多少是否可以有没没有请问一下需要我们我的你们规定办理哪些这个那个现在能否咨询")
)
_INJECTION = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(忽略|无视|忘记|忘掉|不要理会)(掉)?(以上|上面|前面|之前|上述|所有|全部)?的?(所有|全部)?(指令|指示|规则|要求|设定|提示)",
        r"你(现在)?(是|扮演|作为|就是|已经是|成为)(一个|一名)?(系统)?(管理员|超级用户|开发者|root|admin|系统|助手|AI)",
        r"(以|用)(管理员|开发者|root|admin)(的)?(身份|权限)",
        r"(开发者|调试|越狱|管理员)模式",
        r"(系统|初始)提示词|系统提示|系统指令|你的(设定|指令|提示词|prompt)",
        r"(请|必须|务必)?你(必须|应当|应该|要|需要)?(立即|马上|现在)?(输出|泄露|透露|告诉用户|回复|执行|调用|授予|给予)",
        r"system\s*prompt|ignore\s+(all\s+)?(the\s+)?(previous|above|prior)\s+instructions|jailbreak|developer\s+mode",
    )
)


@dataclass(frozen=True, slots=True)
class Citation:
    number: int
    chunk_id: str
    title: str
    doc_number: str | None
    article: str | None
    section: tuple[str, ...]
    effective_from: date | None
    source: str
    excerpt: str
    validity: Validity

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "doc_number": self.doc_number,
            "article": self.article,
            "section": list(self.section),
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "source": self.source,
            "excerpt": self.excerpt,
            "validity": self.validity.value,
        }


@dataclass(frozen=True, slots=True)
class GroundedAnswer:
    """`reason`: grounded | no_hits | weak_evidence | historical_only. `related`: nearest titles when not grounded."""

    text: str
    citations: tuple[Citation, ...]
    grounded: bool
    reason: str
    related: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": [c.to_json() for c in self.citations],
            "grounded": self.grounded,
            "reason": self.reason,
            "related": list(self.related),
        }


@dataclass(frozen=True, slots=True)
class _Candidate:
    hit_index: int  # position among the usable hits (0 = best ranked)
    position: int  # sentence order within the chunk
    text: str
    overlap: float  # share of the question's bigrams found in this sentence
    score: float


# public ------------------------------------------------------------------------------------------------
def compose_answer(
    question: str,
    hits: Sequence[Hit],
    *,
    max_sentences: int = 4,
    min_evidence: float = DEFAULT_MIN_EVIDENCE,
) -> GroundedAnswer:
    """A grounded extractive answer to `question` from `hits` (in retrieval order), or an honest "not sure"."""
    if not hits:
        return _not_sure(hits, "no_hits")
    current = [hit for hit in hits if hit.validity is Validity.CURRENT]
    usable = current or list(hits)
    chosen = _choose(question, usable, max_sentences, min_evidence)
    if not chosen:
        return _not_sure(hits, "weak_evidence")
    return _compose(chosen, usable, historical=not current)


def looks_like_instruction(text: str) -> bool:
    """True when the text addresses the assistant (prompt injection) rather than stating a rule."""
    folded = unicodedata.normalize("NFKC", text)
    return any(pattern.search(folded) for pattern in _INJECTION)


def split_sentences(text: str) -> list[str]:
    """Sentences cut after 。！？； (and at line breaks), each stripped of surrounding blanks."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


# evidence ----------------------------------------------------------------------------------------------
def _bigrams(text: str) -> frozenset[str]:
    folded = unicodedata.normalize("NFKC", text).lower()
    runs = re.findall(r"\w+", folded)
    return frozenset(run[i : i + 2] for run in runs for i in range(len(run) - 1))


@dataclass(frozen=True, slots=True)
class _Question:
    """The question's content bigrams; a bigram of an everyday word (辞职) also counts as found when one of the
    official terms it stands for (解除劳动合同) is in the text (the retriever's synonym table)."""

    grams: frozenset[str]
    aliases: dict[str, tuple[str, ...]]

    def __bool__(self) -> bool:
        return bool(self.grams)


def _question_bigrams(question: str) -> _Question:
    grams = frozenset(g for g in _bigrams(question) if g not in _STOP_BIGRAMS and not (set(g) & _FUNCTION_CHARS))
    aliases: dict[str, tuple[str, ...]] = {}
    for word, terms in _expander().aliases(question).items():
        for gram in _bigrams(word) & grams:
            aliases[gram] = aliases.get(gram, ()) + tuple(terms)
    return _Question(grams, aliases)


@cache
def _expander() -> QueryExpander:
    return QueryExpander.bundled()


def _coverage(question: _Question, text: str) -> float:
    if not question:
        return 0.0
    found = _bigrams(text)
    covered = sum(1 for g in question.grams if g in found or any(t in text for t in question.aliases.get(g, ())))
    return covered / len(question.grams)


def _hit_text(hit: Hit) -> str:
    return " ".join((hit.document.title, *hit.chunk.section_path, hit.chunk.article or "", hit.chunk.text))


def _named_article(question: str, hit: Hit) -> bool:
    """The question names this hit's article and its title (e.g. 《…条例》第八条)."""
    article = hit.chunk.article
    if not article or article not in _ARTICLE_IN_QUESTION.findall(question):
        return False
    return _coverage(_question_bigrams(question), hit.document.title) > 0 or hit.document.title in question


def _strong(hit: Hit, rank: int, coverage: float, named: bool, min_evidence: float) -> bool:
    if named or coverage >= min_evidence:
        return True
    # with the dense index down, the lexical index's own first hit is the best agreement there can be
    agreed = AGREE in hit.why or (rank == 0 and DENSE_UNAVAILABLE in hit.why)
    return agreed and coverage >= AGREED_FACTOR * min_evidence


# choosing sentences ------------------------------------------------------------------------------------
def _choose(question: str, hits: Sequence[Hit], limit: int, min_evidence: float) -> list[_Candidate]:
    grams = _question_bigrams(question)
    coverages = [_coverage(grams, _hit_text(hit)) for hit in hits]
    named = [_named_article(question, hit) for hit in hits]
    strong = [_strong(h, i, c, n, min_evidence) for i, (h, c, n) in enumerate(zip(hits, coverages, named, strict=True))]
    if limit <= 0 or not any(strong):
        return []
    indexes = [i for i, n in enumerate(named) if n] or range(len(hits))  # a named article narrows the evidence
    candidates = [c for i in indexes for c in _candidates(grams, i, hits[i], coverages[i], named[i])]
    if not candidates:
        return []
    best_overlap = max(c.overlap for c in candidates)
    if best_overlap < MIN_BEST_SENTENCE and not any(named):
        return []
    floor = max(MIN_SENTENCE_OVERLAP, RELATIVE_OVERLAP * best_overlap)
    kept = [c for c in candidates if c.overlap >= floor or named[c.hit_index]]
    ranked = sorted(kept, key=lambda c: (-c.score, c.hit_index, c.position))
    return _dedupe(ranked, {(c.hit_index, c.position): c for c in candidates}, limit)


def _candidates(grams: _Question, index: int, hit: Hit, coverage: float, named: bool) -> list[_Candidate]:
    found: list[_Candidate] = []
    for position, sentence in enumerate(split_sentences(hit.chunk.text)):
        text = _ARTICLE_LABEL.sub("", sentence)
        if _quotable(text, hit):
            overlap = _coverage(grams, text)
            score = overlap + 0.5 * coverage + RANK_WEIGHT / (index + 1) + (1.0 if named else 0.0)
            found.append(_Candidate(index, position, text, overlap, score))
    return found


def _quotable(text: str, hit: Hit) -> bool:
    if len(_WORD_CHAR.findall(text)) < MIN_SENTENCE_CHARS or looks_like_instruction(text):
        return False
    return (
        not (_HEADING.match(text) and not text.endswith(("。", "；", "！", "？")))
        and text not in hit.chunk.section_path
    )


def _dedupe(ranked: list[_Candidate], every: dict[tuple[int, int], _Candidate], limit: int) -> list[_Candidate]:
    """The best candidates, each with the clauses that complete it (a sentence ending in ； and what follows)."""
    chosen: dict[tuple[int, int], _Candidate] = {}
    for candidate in ranked:
        parts = [p for p in _with_continuation(candidate, every) if (p.hit_index, p.position) not in chosen]
        texts = {other.text for other in chosen.values()}
        if parts and len(chosen) + len(parts) <= limit and not any(p.text in texts for p in parts):
            chosen.update(((p.hit_index, p.position), p) for p in parts)
    return sorted(chosen.values(), key=lambda c: (c.hit_index, c.position))


def _with_continuation(candidate: _Candidate, every: dict[tuple[int, int], _Candidate]) -> list[_Candidate]:
    """A clause cut at ； is completed by the next ones up to the sentence end (a proviso is never dropped)."""
    parts = [candidate]
    while parts[-1].text.endswith(("；", ";")):
        following = every.get((candidate.hit_index, parts[-1].position + 1))
        if following is None:
            break
        parts.append(following)
    return parts


# composing ---------------------------------------------------------------------------------------------
def _compose(chosen: list[_Candidate], hits: Sequence[Hit], *, historical: bool) -> GroundedAnswer:
    numbers: dict[int, int] = {}
    body: list[str] = []
    for candidate in chosen:
        number = numbers.setdefault(candidate.hit_index, len(numbers) + 1)
        body.append(f"{candidate.text}[{number}]")
    cited = [hits[index] for index in numbers]
    quoted = {index: "…".join(c.text for c in chosen if c.hit_index == index) for index in numbers}
    citations = tuple(_citation(number, hits[index], quoted[index]) for index, number in numbers.items())
    lines = [_framing(cited, historical), "".join(body)]
    if historical:
        lines.append(HUMAN_OFFER)
    reason = "historical_only" if historical else "grounded"
    return GroundedAnswer("\n".join(lines), citations, not historical, reason)


def _framing(cited: Sequence[Hit], historical: bool) -> str:
    titles = list(dict.fromkeys(hit.document.title for hit in cited))
    note = "".join(dict.fromkeys(HISTORY_NOTE[hit.validity] for hit in cited)) if historical else ""
    if len(titles) > 1:
        return f"根据{'、'.join(f'《{t}》' for t in titles)}{note}："
    articles = list(dict.fromkeys(hit.chunk.article for hit in cited if hit.chunk.article))
    where = "、".join(articles) if articles and len(articles) == len(cited) else ""
    return f"根据《{titles[0]}》{where}{'' if where else '的相关内容'}{note}："


def _citation(number: int, hit: Hit, excerpt: str) -> Citation:
    """The excerpt is what was quoted from the chunk, never the rest of it (which may hold an injection)."""
    document, chunk = hit.document, hit.chunk
    return Citation(
        number=number,
        chunk_id=chunk.id,
        title=document.title,
        doc_number=document.doc_number,
        article=chunk.article,
        section=chunk.section_path,
        effective_from=document.effective_from,
        source=display_source(document.source),
        excerpt=excerpt,
        validity=hit.validity,
    )


def _not_sure(hits: Sequence[Hit], reason: str) -> GroundedAnswer:
    related = _related(hits)
    lines = [NOT_SURE]
    if related:
        lines.append(f"可能相关：{'、'.join(f'《{t}》' for t in related)}（仅供查阅，具体内容请以原文为准）。")
    lines.append(HUMAN_OFFER)
    return GroundedAnswer("\n".join(lines), (), False, reason, related)


def _related(hits: Sequence[Hit]) -> tuple[str, ...]:
    ordered = sorted(hits, key=lambda hit: hit.validity is not Validity.CURRENT)  # stable: current first
    titles = dict.fromkeys(hit.document.title for hit in ordered if not looks_like_instruction(hit.document.title))
    return tuple(titles)[:MAX_RELATED]
