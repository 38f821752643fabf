"""政策匹配: the enterprise's facts against the policy catalogue (免申即享 first)."""

from __future__ import annotations

from datetime import date

from langchain.tools import ToolRuntime, tool

from tools import policies
from tools.agent_tools.context import ToolContext
from tools.agent_tools.results import Result, guarded, ok
from tools.agent_tools.views import policy_view

MAX_CERTIFICATIONS = 20


@tool(parse_docstring=True)
@guarded
def match_policies(
    runtime: ToolRuntime[ToolContext],
    industry: str | None = None,
    employees: int | None = None,
    revenue_wan: float | None = None,
    registered_town: str | None = None,
    registered_on: date | None = None,
    rd_ratio: float | None = None,
    certifications: list[str] | None = None,
) -> Result:
    """按企业情况匹配可享受的惠企政策，分为“符合”“可能符合（列出还需确认的信息）”“不符合（说明原因）”，附政策出处。

    用户提供多少信息就填多少，未知的不要猜测；已登录企业会自动带上其统一社会信用代码。免申即享政策排在前面。

    Args:
        industry: 所属行业，例如“软件和信息技术服务业”“餐饮业”
        employees: 从业人员数
        revenue_wan: 上年营业收入（万元）
        registered_town: 注册所在街镇，例如“莘庄镇”“七宝”
        registered_on: 成立日期，格式 YYYY-MM-DD
        rd_ratio: 研发投入占营业收入的比例，0 到 1 之间的小数（如 0.05 表示 5%）
        certifications: 已获资质认定，例如 ["高新技术企业", "专精特新"]
    """
    context = runtime.context
    certs = None if certifications is None else tuple(c.strip() for c in certifications[:MAX_CERTIFICATIONS])
    profile = policies.EnterpriseProfile(
        uscc=context.enterprise.uscc if context.enterprise else None,
        name=context.enterprise.name if context.enterprise else None,
        industry=(industry or "").strip() or None,
        employees=employees,
        revenue_wan=revenue_wan,
        registered_town=(registered_town or "").strip() or None,
        registered_on=registered_on,
        rd_ratio=rd_ratio,
        certifications=certs,
    )
    result = policies.match_policies(profile, context.services.policies, today=context.services.today())
    return ok(
        eligible=[policy_view(m) for m in result.eligible],
        possibly_eligible=[policy_view(m) for m in result.possibly_eligible],
        not_eligible=[policy_view(m, brief=True) for m in result.not_eligible],
        note="匹配结果仅供参考，以主管部门审核为准",
    )
