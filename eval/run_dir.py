"""Read a run directory written by `minfu eval run` (run.json, summary.json, results.jsonl) into typed objects.

The report, `minfu eval compare` and the notebook all read runs through `load_run`. A run that was interrupted may
lack summary.json and may end with a half-written line in results.jsonl: the line is skipped and remembered, any
other malformed line is an error naming the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from minfu.errors import InvalidInputError

SUPPORTED_VERSION = 1
UNCATEGORISED = "未分类"

M = TypeVar("M", bound=BaseModel)
# a text the runner may leave null (a citation of a chunk it never retrieved has no document id)
Text = Annotated[str, BeforeValidator(lambda value: "" if value is None else value)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DatasetProblem(_Record):
    line: int | None = None
    field: str | None = None
    message_zh: str


class DatasetInfo(_Record):
    name: str
    path: Text = ""
    items: int = 0
    problems: tuple[DatasetProblem, ...] = ()


class RunInfo(_Record):
    version: int
    started_at: datetime
    finished_at: datetime | None = None
    brain: str
    pipelines: tuple[str, ...]
    datasets: tuple[DatasetInfo, ...] = ()
    corpus: Text = ""
    embedder: Text = ""
    judge: str | None = None
    minfu_version: Text = ""

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class RetrievedContext(_Record):
    rank: int
    chunk_id: Text = ""
    document_id: Text = ""
    title: Text = ""
    section: Text = ""
    text: Text = ""
    relevant: bool | None = None
    current: bool | None = None


class Citation(_Record):
    chunk_id: Text = ""
    document_id: Text = ""
    title: Text = ""
    section: Text = ""
    text: Text = ""
    supported: bool | None = None
    current: bool | None = None


class ToolCall(_Record):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    ok: bool | None = None


class Turn(_Record):
    user: str
    answer: Text = ""
    agent: str | None = None
    failures: tuple[str, ...] = ()


class ItemResult(_Record):
    """One line of results.jsonl: one item run through one pipeline."""

    pipeline: str
    dataset: str
    id: str
    kind: Literal["single", "dialogue"] = "single"
    category: str = UNCATEGORISED
    question: str
    answer: Text = ""
    reference_answer: str | None = None
    expected_refusal: bool | None = None
    refused: bool = False
    contexts: tuple[RetrievedContext, ...] = ()
    citations: tuple[Citation, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    expected_tool_calls: tuple[ToolCall, ...] = ()
    turns: tuple[Turn, ...] = ()
    failures: tuple[str, ...] = ()
    metrics: dict[str, float] = Field(default_factory=dict)
    latency_ms: float | None = None
    error: str | None = None
    judge_error: str | None = None  # the judge model could not score this item (its other metrics stand)

    @field_validator("metrics", mode="before")
    @classmethod
    def _drop_absent(cls, value: Any) -> Any:
        return {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.pipeline, self.dataset, self.id)

    @property
    def failed(self) -> bool:
        return bool(self.error or self.failures)


class Aggregate(_Record):
    """Metric means (sums for counts) over a set of items; `items` is absent from a pipeline's overall block."""

    items: int | None = None
    metrics: dict[str, float | None] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_items(cls, data: Any) -> Any:
        if isinstance(data, dict) and "metrics" not in data:
            return {"items": data.get("items"), "metrics": {k: v for k, v in data.items() if k != "items"}}
        return data

    def value(self, metric: str) -> float | None:
        return self.metrics.get(metric)


class PipelineSummary(_Record):
    items: int
    errors: int = 0
    judge_errors: int = 0
    overall: Aggregate
    by_category: dict[str, Aggregate] = Field(default_factory=dict)
    by_dataset: dict[str, Aggregate] = Field(default_factory=dict)


class Summary(_Record):
    run: RunInfo
    metrics: dict[str, dict[str, Any]] = Field(default_factory=dict)  # the catalog as the runner knew it
    pipelines: dict[str, PipelineSummary]


@dataclass(frozen=True, slots=True)
class Run:
    path: Path
    info: RunInfo
    summary: Summary | None
    results: tuple[ItemResult, ...]
    truncated_line: int | None  # the half-written last line of results.jsonl that was skipped, if any

    @property
    def pipelines(self) -> tuple[str, ...]:
        """Pipelines in the order the run declared them, then any only the summary or the results know."""
        seen = dict.fromkeys(self.info.pipelines)
        if self.summary is not None:
            seen.update(dict.fromkeys(self.summary.pipelines))
        seen.update(dict.fromkeys(item.pipeline for item in self.results))
        return tuple(seen)

    def items_of(self, pipeline: str) -> tuple[ItemResult, ...]:
        return tuple(item for item in self.results if item.pipeline == pipeline)

    def require_summary(self) -> Summary:
        if self.summary is None:
            raise InvalidInputError(
                f"{self.path} 中没有 summary.json：这次运行尚未完成或被中断，请先用 minfu eval run 续跑完成",
                field="run_dir",
            )
        return self.summary


def load_run(path: Path) -> Run:
    """The run in `path`; InvalidInputError (Chinese) when it is missing, not a run directory or corrupt."""
    if not path.exists():
        raise InvalidInputError(f"找不到评测运行目录：{path}", field="run_dir")
    if not path.is_dir():
        raise InvalidInputError(f"{path} 不是目录：请给出 minfu eval run 的输出目录", field="run_dir")
    run_file = path / "run.json"
    if not run_file.is_file():
        raise InvalidInputError(f"{path} 不是评测运行目录：缺少 run.json", field="run_dir")
    info = _parse(RunInfo, _read_json(run_file), run_file)
    if info.version != SUPPORTED_VERSION:
        raise InvalidInputError(
            f"{run_file} 的格式版本为 {info.version}，本程序只能读取版本 {SUPPORTED_VERSION}", field="run_dir"
        )
    summary_file = path / "summary.json"
    summary = _parse(Summary, _read_json(summary_file), summary_file) if summary_file.is_file() else None
    results, truncated = _read_results(path / "results.jsonl")
    return Run(path=path, info=info, summary=summary, results=results, truncated_line=truncated)


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{file} 不是 UTF-8 编码的文本", field="run_dir") from None
    except OSError as error:
        raise InvalidInputError(f"无法读取 {file}：{error.strerror or error}", field="run_dir") from None


def _read_json(file: Path) -> Any:
    try:
        return json.loads(_read_text(file))
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"{file} 不是有效的 JSON（第 {error.lineno} 行第 {error.colno} 列附近），文件可能已损坏", field="run_dir"
        ) from None


def _parse(model: type[M], data: Any, where: str | Path) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidInputError(f"{where} 不符合运行目录的格式：{_describe(error)}", field="run_dir") from None


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    place = ".".join(str(part) for part in first["loc"]) or "（顶层）"
    if first["type"] == "missing":
        return f"缺少字段 {place}"
    return f"字段 {place} 的值无效（{str(first.get('input'))[:60]}）"


def _read_results(file: Path) -> tuple[tuple[ItemResult, ...], int | None]:
    """The items of results.jsonl (a later line for the same pipeline, dataset and id replaces an earlier one)."""
    if not file.is_file():
        return (), None
    by_key: dict[tuple[str, str, str], ItemResult] = {}
    truncated: int | None = None
    lines = list(_numbered_lines(_read_text(file)))
    for position, (number, line) in enumerate(lines):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            if position == len(lines) - 1:  # an interrupted append: the run resumes from the item before
                truncated = number
                break
            raise InvalidInputError(f"{file} 第 {number} 行不是有效的 JSON，文件可能已损坏", field="run_dir") from None
        item = _parse(ItemResult, data, f"{file} 第 {number} 行")
        by_key[item.key] = item
    return tuple(by_key.values()), truncated


def _numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line
