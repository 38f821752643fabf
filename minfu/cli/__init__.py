"""The `minfu` command. It sits on top of every layer (like api/) and imports them inside its commands."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from minfu.errors import MinfuError

# Offline by construction: no model hub, no telemetry; numpy's BLAS threads fight the embedder's OpenMP threads.
for _name, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("RAGAS_DO_NOT_TRACK", "true"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("OMP_WAIT_POLICY", "PASSIVE"),  # the embedder's OpenMP threads must not spin against other work
):
    os.environ.setdefault(_name, _value)

app = typer.Typer(help="闵服 minfu：政务智能体平台命令行", no_args_is_help=True, pretty_exceptions_enable=False)
eval_app = typer.Typer(help="评测：检索与回答质量", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
bench_app = typer.Typer(help="性能与质量基准：不带子命令时运行整套基准（导入、检索、对话、HTTP、内存）")
app.add_typer(bench_app, name="bench")
policies_app = typer.Typer(help="惠企政策：匹配与查询", no_args_is_help=True)
app.add_typer(policies_app, name="policies")
db_app = typer.Typer(help="关系数据库（办件、诉求、预约）", no_args_is_help=True)
app.add_typer(db_app, name="db")
matters_app = typer.Typer(help="办件：查询与推进（工作人员）", no_args_is_help=True)
app.add_typer(matters_app, name="matters")
keys_app = typer.Typer(help="API 密钥：工作人员与管理员", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
sites_app = typer.Typer(help="嵌入站点：站点标识、允许的来源与门户密钥", no_args_is_help=True)
app.add_typer(sites_app, name="sites")
token_app = typer.Typer(help="企业身份令牌（演示与联调）", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _fail(message: str) -> typer.Exit:
    typer.secho(f"错误：{message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    """Our errors end a command with their Chinese message and exit code 2, never a traceback."""
    try:
        yield
    except MinfuError as error:
        raise _fail(error.message) from None


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="要导入的文件或目录；缺省为内置知识库")] = None,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="索引已存在时什么也不做")] = False,
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="只建词法索引，向量稍后由服务后台补齐")] = False,
    prune: Annotated[bool, typer.Option(help="删除目录中已不存在的文档")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出摘要")] = False,
) -> None:
    """导入文档：解析、分块、建立词法与向量索引（增量：未变化的分块不会重复计算）。"""
    from minfu.cli.ingest import run_ingest

    with _errors_as_messages():
        run_ingest(paths or [], if_missing=if_missing, lexical_only=lexical_only, prune=prune, as_json=as_json)


@app.command()
def search(
    question: Annotated[str | None, typer.Argument(help="问题")] = None,
    k: Annotated[int, typer.Option(min=1, max=100, help="返回条数")] = 5,
    kind: Annotated[list[str] | None, typer.Option(help="文档类型：policy/law/service_matter/…")] = None,
    issuer: Annotated[list[str] | None, typer.Option(help="发布机关")] = None,
    doc_number: Annotated[list[str] | None, typer.Option(help="文号")] = None,
    effective_after: Annotated[str | None, typer.Option(help="施行日期不早于（YYYY-MM-DD）")] = None,
    effective_before: Annotated[str | None, typer.Option(help="施行日期不晚于（YYYY-MM-DD）")] = None,
    include_history: Annotated[bool, typer.Option("--include-history", help="包含已失效或被替代的版本")] = False,
    queries: Annotated[Path | None, typer.Option(help="批量问题文件（JSONL，每行 {id, question}）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
) -> None:
    """检索知识库，列出命中的条款及各检索器的排名与得分。"""
    from minfu.cli.search import SearchOptions, run_search

    options = SearchOptions(
        k=k,
        kinds=kind or [],
        issuers=issuer or [],
        doc_numbers=doc_number or [],
        effective_after=effective_after,
        effective_before=effective_before,
        include_history=include_history,
        as_json=as_json,
    )
    with _errors_as_messages():
        run_search(question, queries, options)


@eval_app.command("retrieval")
def eval_retrieval(
    dataset: Annotated[Path, typer.Option(help="评测集（JSONL）或 NCPPolicies 目录")],
    corpus: Annotated[Path | None, typer.Option(help="语料路径；缺省为内置知识库")] = None,
    pipeline: Annotated[list[str] | None, typer.Option(help="default / dense-e5 / naive / lexical，可多次给出")] = None,
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
    embedder: Annotated[str | None, typer.Option(help="替换所有流水线的向量模型（如 hashing，用于快速试跑）")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """检索评测：hit@1/3/5/10、MRR@10、nDCG@10 与延迟 p50/p95，多条流水线并排。"""
    from minfu.cli.evaluate import run_retrieval

    with _errors_as_messages():
        run_retrieval(
            dataset, corpus=corpus, pipelines=pipeline or ["default"], k=k, embedder=embedder, as_json=as_json
        )


@eval_app.command("run")
def eval_run(
    dataset: Annotated[list[Path], typer.Option(help="评测集（JSONL，单轮题目与多轮场景可混排），可多次给出")],
    brain: Annotated[str, typer.Option(help="offline（无需大模型）或 openai（兼容 OpenAI 的接口）")] = "offline",
    pipeline: Annotated[list[str] | None, typer.Option(help="default / dense-e5 / naive / lexical，可多次给出")] = None,
    out: Annotated[Path | None, typer.Option(help="输出目录；缺省为 数据目录/eval/latest")] = None,
    corpus: Annotated[Path | None, typer.Option(help="语料路径；缺省为内置知识库")] = None,
    k: Annotated[int, typer.Option(min=1, max=50, help="检索指标看前 k 条")] = 10,
    embedder: Annotated[str | None, typer.Option(help="替换所有流水线的向量模型（如 hashing，用于快速试跑）")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="每个评测集只跑前 N 题")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="清空输出目录中已有的结果，从头开始")] = False,
    judge: Annotated[
        bool, typer.Option("--judge", help="另请评审模型（MINFU_JUDGE_BASE_URL）评忠实度、回答相关性与事实正确性")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """回答质量评测：题目与多轮场景走与 API 相同的路径，写出 results.jsonl、summary.json 与 report.html；可中断续跑。"""
    from eval.run import EvalRunOptions
    from minfu.cli.eval_run import default_out, run_eval

    with _errors_as_messages():
        options = EvalRunOptions(
            datasets=dataset, out=out or default_out(), pipelines=pipeline or ["default"], brain=brain, k=k,
            corpus=corpus, embedder=embedder, limit=limit, fresh=fresh, judge=judge,
        )  # fmt: skip
        run_eval(options, as_json=as_json)


@eval_app.command("dialogues")
def eval_dialogues(
    dataset: Annotated[Path, typer.Option(help="对话场景（JSONL）")] = Path("eval/datasets/dialogues.jsonl"),
    show_failures: Annotated[int, typer.Option(help="列出多少个未通过的场景")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """多轮对话评测：按场景检查工具调用、回答与结束状态，给出通过率、每轮耗时和编造计数（离线大脑）。"""
    from minfu.cli.dialogues import run_dialogue_eval

    with _errors_as_messages():
        run_dialogue_eval(dataset, as_json=as_json, show_failures=show_failures)


@eval_app.command("compare")
def eval_compare(
    baseline: Annotated[Path, typer.Argument(help="基线运行目录 A")],
    candidate: Annotated[Path, typer.Argument(help="对比运行目录 B")],
    tolerance: Annotated[float, typer.Option(min=0, help="容差：比率与得分的绝对差，超过才算退步")] = 0.01,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """对比两次评测运行：各流水线整体与分类指标的变化、退步（红色）与变差的条目；有退步时退出码为 1。"""
    from minfu.cli.compare import run_compare

    with _errors_as_messages():
        code = run_compare(baseline, candidate, tolerance=tolerance, as_json=as_json)
    raise typer.Exit(code)


@eval_app.command("report")
def eval_report(run_dir: Annotated[Path, typer.Argument(help="评测运行目录")]) -> None:
    """为评测运行目录（重新）生成离线单文件报告 report.html。"""
    from minfu.cli.compare import run_report

    with _errors_as_messages():
        typer.echo(f"报告已写入：{run_report(run_dir)}")


@bench_app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context,
    only: Annotated[str | None, typer.Option(help="只运行这些项目，逗号分隔：ingest,search,chat,http,memory")] = None,
    sizes: Annotated[str | None, typer.Option(help="检索规模（分块数），逗号分隔")] = "1000,10000,100000",
    embedder: Annotated[str, typer.Option(help="导入与检索规模测试的向量模型：hashing（384 维，快）或 e5")] = "hashing",
    seconds: Annotated[float, typer.Option(min=1, help="HTTP 与内存负载的秒数")] = 30.0,
    concurrency: Annotated[int, typer.Option(min=1, max=1000, help="HTTP 与内存负载的并发会话数")] = 20,
    ingest_limit: Annotated[
        int | None, typer.Option(min=1, help="导入测试最多向量化多少个分块（抽样；e5 缺省 300）")
    ] = None,
    rounds: Annotated[int, typer.Option(min=1, max=100, help="每个检索规模测量几轮问题")] = 3,
    queries: Annotated[Path, typer.Option(help="问题文件（JSONL，含 question 字段）")] = Path(
        "eval/datasets/dev_policy_qa.jsonl"
    ),
    dialogues: Annotated[Path, typer.Option(help="多轮对话场景（JSONL）")] = Path("eval/datasets/dialogues.jsonl"),
    matters: Annotated[Path, typer.Option(help="广东政务服务事项（JSONL），用于扩充检索规模")] = Path(
        "../shared/corpus/service_matters_guangdong/matters.jsonl"
    ),
    service_index: Annotated[
        str, typer.Option(help="对话/HTTP/内存所用索引：auto（默认索引完整时用它）或 temporary（临时哈希索引）")
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 文档")] = False,
) -> None:
    """不带子命令：运行整套基准并给出数字（不判定通过与否）；子命令见下。"""
    if ctx.invoked_subcommand is not None:
        return
    from eval.bench.suite import SuiteOptions, check_embedder, check_index_choice, parse_sections, parse_sizes
    from minfu.cli.bench_suite import run_bench_suite, section_errors

    with _errors_as_messages():
        options = SuiteOptions(
            sections=parse_sections(only), sizes=parse_sizes(sizes), embedder=check_embedder(embedder),
            seconds=seconds, concurrency=concurrency, ingest_limit=ingest_limit, rounds=rounds, queries=queries,
            dialogues=dialogues, matters=matters, service_index=check_index_choice(service_index),
        )  # fmt: skip
        report = run_bench_suite(options, as_json=as_json)
    failed = section_errors(report)
    if failed:
        raise _fail("以下项目未能完成：" + "、".join(failed))


@bench_app.command("ann-recall")
def bench_ann_recall(
    queries: Annotated[Path, typer.Option(help="问题文件（JSONL，含 question 字段）")] = Path(
        "eval/datasets/dev_policy_qa.jsonl"
    ),
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
) -> None:
    """在真实索引上比较 HNSW 近似检索与精确检索：各参数组合的 recall@k 与查询耗时。"""
    from minfu.cli.bench import run_ann_recall

    with _errors_as_messages():
        run_ann_recall(queries, k=k)


@bench_app.command("http")
def bench_http(
    sessions: Annotated[int, typer.Option(min=1, max=1000, help="并发会话数")] = 50,
    seconds: Annotated[float, typer.Option(min=1, help="负载持续秒数")] = 60.0,
    warmup: Annotated[float, typer.Option(min=0, help="预热秒数（不计入结果）")] = 5.0,
    probe_turns: Annotated[int, typer.Option(min=0, help="单客户端首事件探测的轮数（0 为不探测）")] = 50,
    turn_timeout: Annotated[float, typer.Option(min=1, help="每轮超时秒数")] = 60.0,
    database_url: Annotated[str | None, typer.Option(help="服务使用的数据库；缺省为临时 SQLite 文件")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """在回环地址上启动真实服务，模拟多轮对话的并发会话：吞吐量、错误、首事件/首段文字/整轮延迟与内存。"""
    from eval.bench_http import HttpBenchOptions
    from minfu.cli.bench_http import run_bench_http

    options = HttpBenchOptions(
        sessions=sessions,
        seconds=seconds,
        warmup_s=warmup,
        probe_turns=probe_turns,
        turn_timeout_s=turn_timeout,
        database_url=database_url,
    )
    with _errors_as_messages():
        run_bench_http(options, as_json=as_json)


@policies_app.command("match")
def policies_match(
    profile: Annotated[Path, typer.Option(help="企业画像（JSON）：行业、人数、营收、注册地、成立日期、资质…")],
    today: Annotated[str | None, typer.Option(help="按哪一天判断政策是否有效（YYYY-MM-DD，缺省为今天）")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """按企业画像匹配惠企政策：符合、可能符合（缺哪些信息）、不符合（哪条不满足），并给出依据。"""
    from datetime import date

    from minfu.cli.policies import run_policy_match

    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise _fail(f"日期格式应为 YYYY-MM-DD：{today}") from None
    with _errors_as_messages():
        run_policy_match(profile, today=day, as_json=as_json)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库结构升级到最新版本（可重复执行）。"""
    from minfu.cli.matters import run_db_upgrade

    with _errors_as_messages():
        typer.echo(f"数据库已是最新版本：{run_db_upgrade()}")


@matters_app.command("find")
def matters_find(
    enterprise: Annotated[str, typer.Option(help="统一社会信用代码")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """列出一家企业的办件。"""
    from minfu.cli.matters import run_matters_list

    with _errors_as_messages():
        run_matters_list(enterprise, as_json=as_json)


@matters_app.command("show")
def matters_show(
    number: Annotated[str, typer.Argument(help="办件编号")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """查看一件办件：材料清单与全部经过。"""
    from minfu.cli.matters import run_matters_show

    with _errors_as_messages():
        run_matters_show(number, as_json=as_json)


@matters_app.command("advance")
def matters_advance(
    number: Annotated[str, typer.Argument(help="办件编号")],
    to: Annotated[
        str, typer.Option(help="目标状态：submitted/needs_supplement/accepted/processing/completed/rejected")
    ],
    note: Annotated[str, typer.Option(help="给企业的说明")],
    staff: Annotated[str, typer.Option(help="工作人员编号")],
) -> None:
    """工作人员推进办件状态，并附给企业的说明。"""
    from minfu.cli.matters import run_matters_advance

    with _errors_as_messages():
        run_matters_advance(number, to, note, staff)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
) -> None:
    """启动 HTTP 服务（向量索引未满时在后台补齐）。"""
    import uvicorn

    from minfu.settings import get_settings

    with _errors_as_messages():
        settings = get_settings()  # refuses to start without its secrets outside development
    uvicorn.run("api.app:create_app", factory=True, host=host or settings.host, port=port or settings.port)


if __name__ == "__main__":  # pragma: no cover
    app()


EnterpriseOption = Annotated[str | None, typer.Option("--enterprise", help="以该统一社会信用代码的企业身份对话")]
EnterpriseNameOption = Annotated[str | None, typer.Option("--enterprise-name", help="企业名称")]
ContactOption = Annotated[str | None, typer.Option("--contact", help="企业联系人姓名")]
PhoneOption = Annotated[str | None, typer.Option("--phone", help="企业联系电话")]
ConversationOption = Annotated[str | None, typer.Option("--conversation", help="继续已有会话（会话编号）")]
BrainOption = Annotated[str | None, typer.Option("--brain", help="offline 或 openai；缺省按 MINFU_BRAIN")]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="问题或要办理的事项")],
    enterprise: EnterpriseOption = None,
    enterprise_name: EnterpriseNameOption = None,
    contact: ContactOption = None,
    phone: PhoneOption = None,
    conversation: ConversationOption = None,
    brain: BrainOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出：回答、出处、工具调用和耗时")] = False,
) -> None:
    """向智能助手提一个问题（与网页对话走同一条路径）。"""
    from minfu.cli.chat import identity, run_ask

    with _errors_as_messages():
        who = identity(enterprise, enterprise_name, contact, phone)
        run_ask(question, who=who, conversation=conversation, brain=brain, as_json=as_json)


@app.command()
def chat(
    enterprise: EnterpriseOption = None,
    enterprise_name: EnterpriseNameOption = None,
    contact: ContactOption = None,
    phone: PhoneOption = None,
    conversation: ConversationOption = None,
    brain: BrainOption = None,
) -> None:
    """在终端与智能助手对话（政策解答与招商两个智能体，自动切换）。"""
    from minfu.cli.chat import identity, run_chat

    with _errors_as_messages():
        run_chat(who=identity(enterprise, enterprise_name, contact, phone), conversation=conversation, brain=brain)


# --- identity: API keys, embedding sites, enterprise tokens (minfu/cli/identity.py) ---


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="角色：staff（工作人员）或 admin（管理员）")],
    name: Annotated[str, typer.Option(help="密钥名称（使用人或用途）")],
) -> None:
    """创建 API 密钥：密钥只显示这一次。"""
    from minfu.cli.identity import run_keys_create

    with _errors_as_messages():
        run_keys_create(name, role)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出 API 密钥（只显示前缀）。"""
    from minfu.cli.identity import run_keys_list

    with _errors_as_messages():
        run_keys_list(as_json=as_json)


@keys_app.command("revoke")
def keys_revoke(prefix: Annotated[str, typer.Argument(help="密钥前缀（keys list 中显示的 8 个字符）")]) -> None:
    """吊销 API 密钥：此后使用它的请求一律拒绝。"""
    from minfu.cli.identity import run_keys_revoke

    with _errors_as_messages():
        run_keys_revoke(prefix)


@sites_app.command("create")
def sites_create(
    name: Annotated[str, typer.Option(help="站点名称")],
    origin: Annotated[
        list[str], typer.Option(help="允许嵌入对话组件的网页来源，如 https://qyfw.example.gov.cn；可多次给出")
    ],
) -> None:
    """创建嵌入站点：显示站点标识与门户密钥（门户密钥只显示这一次）。"""
    from minfu.cli.identity import run_sites_create

    with _errors_as_messages():
        run_sites_create(name, origin)


@sites_app.command("list")
def sites_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出嵌入站点及其允许的来源（不显示门户密钥）。"""
    from minfu.cli.identity import run_sites_list

    with _errors_as_messages():
        run_sites_list(as_json=as_json)


@sites_app.command("disable")
def sites_disable(site_key: Annotated[str, typer.Argument(help="站点标识（site_…）")]) -> None:
    """停用嵌入站点：此后其对话组件请求一律拒绝。"""
    from minfu.cli.identity import run_sites_disable

    with _errors_as_messages():
        run_sites_disable(site_key)


@token_app.command("issue")
def token_issue(
    uscc: Annotated[str, typer.Option(help="统一社会信用代码")],
    name: Annotated[str, typer.Option(help="企业名称")],
    dev: Annotated[bool, typer.Option("--dev", help="开发环境：用数据库中该站点的门户密钥签发演示令牌")] = False,
    site: Annotated[str, typer.Option(help="站点标识")] = "site_dev",
    hours: Annotated[float, typer.Option(help="有效小时数（不超过 12）")] = 2.0,
    contact: ContactOption = None,
    phone: PhoneOption = None,
) -> None:
    """签发企业身份令牌（如同门户登录后所签）；非开发环境须由环境变量 MINFU_PORTAL_SECRET 提供门户密钥。"""
    from minfu.cli.identity import TokenRequest, run_token_issue

    with _errors_as_messages():
        run_token_issue(TokenRequest(site, uscc, name, contact, phone, hours), dev=dev)
