"""`minfu chat` (an interactive terminal conversation) and `minfu ask` (one question, optionally as JSON).

Both run the very assistant the API serves (same router, brains, tools and persisted conversations). The bundled
knowledge base is indexed lexically first when the index is missing (a few seconds), as `make serve` does.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from minfu.settings import Settings, get_settings

if TYPE_CHECKING:
    from agents.assistant import Assistant, Reply
    from tools.agent_tools import EnterpriseIdentity

console = Console(stderr=True)
EXIT_WORDS = frozenset({"exit", "quit", "退出", "再见", "/q"})


def open_assistant(brain: str | None) -> Assistant:
    from agents.factory import build_assistant
    from knowledge.base import KnowledgeBase
    from minfu.cli.ingest import run_ingest

    settings = get_settings()
    if brain:
        settings = Settings(**(settings.model_dump() | {"brain": brain}))
    if KnowledgeBase.open(settings).catalog.chunk_count() == 0:
        console.print("首次使用：正在建立内置知识库的词法索引…")
        run_ingest([], if_missing=True, lexical_only=True, prune=True, as_json=False)
    return build_assistant(settings)


def identity(uscc: str | None, name: str | None, contact: str | None, phone: str | None) -> EnterpriseIdentity | None:
    """A demo identity for the terminal (the API takes it from the portal's signed token instead)."""
    from minfu.errors import InvalidInputError
    from tools.agent_tools import EnterpriseIdentity
    from tools.store.uscc import normalize_uscc

    if uscc is None:
        return None
    if not name:
        raise InvalidInputError("以企业身份对话时请同时提供 --enterprise-name", field="enterprise_name")
    return EnterpriseIdentity(normalize_uscc(uscc), name, contact, phone)


def run_ask(question: str, *, who: EnterpriseIdentity | None, conversation: str | None, brain: str | None,
            as_json: bool) -> None:  # fmt: skip
    assistant = open_assistant(brain)
    reply = assistant.ask(question, conversation_id=conversation or _new_id(), enterprise=who)
    if as_json:
        print(json.dumps(reply_json(reply), ensure_ascii=False, indent=2))
    else:
        _print_reply(reply, Console())


def run_chat(*, who: EnterpriseIdentity | None, conversation: str | None, brain: str | None) -> None:
    from minfu.errors import MinfuError

    assistant = open_assistant(brain)
    conversation_id = conversation or _new_id()
    out = Console()
    who_line = f"，身份：{who.name}" if who else "（未登录；办理和查询本企业事项需以 --enterprise 登录）"
    out.print(f"[bold]闵服智能助手[/bold] 会话 {conversation_id}{who_line}。输入“退出”结束。")
    while (text := _read_line(out)) is not None:
        if text.strip().lower() in EXIT_WORDS:
            break
        try:
            _print_reply(assistant.ask(text, conversation_id=conversation_id, enterprise=who), out)
        except MinfuError as error:
            out.print(f"[red]{escape(error.message)}[/red]")
    out.print(f"会话已保存，可用 --conversation {conversation_id} 继续。")


def reply_json(reply: Reply) -> dict[str, Any]:
    """What `ask --json` prints: the same object the API returns."""
    return reply.public_json()


def _print_reply(reply: Reply, out: Console) -> None:
    for call in reply.tool_calls:
        mark = "✓" if call.ok else "✗"
        out.print(f"[dim]{mark} 调用 {call.name} {escape(json.dumps(call.args, ensure_ascii=False))}[/dim]")
    out.print(f"[bold cyan]{'招商' if reply.agent == 'investment' else '政策'}助手[/bold cyan]：{escape(reply.text)}")
    for cited in reply.citations:
        where = "".join(filter(None, (cited.get("doc_number") and f"（{cited['doc_number']}）", cited.get("article"))))
        out.print(f"[dim]  [{cited['number']}] 《{escape(cited['title'])}》{escape(where)}[/dim]")
    out.print(f"[dim]  {reply.brain} · {reply.timings.get('total_ms', 0):.0f} ms[/dim]")


def _read_line(out: Console) -> str | None:
    try:
        return out.input("[bold green]您[/bold green]：")
    except (EOFError, KeyboardInterrupt):
        return None


def _new_id() -> str:
    return f"cli-{uuid.uuid4().hex[:12]}"
