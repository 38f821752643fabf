"""招商 tools: site recommendation with reasons, and investment leads recorded only with the investor's consent."""

from __future__ import annotations

from langchain.tools import ToolRuntime, tool

from minfu.errors import InvalidInputError
from tools import investment
from tools.agent_tools.context import ToolContext
from tools.agent_tools.results import Result, error, guarded, ok
from tools.agent_tools.views import package_view, recommendation_view
from tools.store.common import Contact, require_text

MAX_SITES = 10
CONSENT_TEXT = (
    "本人同意闵行区投资促进部门收集并使用本人提供的姓名、联系电话及投资意向信息，"
    "仅用于联系本人、提供选址与政策服务，不向无关第三方提供。"
)
CONSENT_REQUIRED = "登记投资意向前需征得您的同意：您的联系方式仅用于投资促进部门联系您并提供服务。请确认是否同意。"


@tool(parse_docstring=True)
@guarded
def recommend_sites(
    runtime: ToolRuntime[ToolContext],
    industry: str | None = None,
    area_sqm: float | None = None,
    budget_yuan_per_month: float | None = None,
    needs: list[str] | None = None,
    town: str | None = None,
) -> Result:
    """为投资者推荐闵行区的产业园区、楼宇、孵化器和厂房，按匹配程度排序并说明推荐理由，附该产业的“一业一策”服务包。

    Args:
        industry: 产业方向，例如“人工智能”“生物医药”“集成电路”
        area_sqm: 需要的面积（平方米）
        budget_yuan_per_month: 每月租金预算（元）
        needs: 配套需求，例如 ["中试平台", "共享实验室", "人才公寓"]
        town: 希望落户的街镇或区域，例如“莘庄”“虹桥”
    """
    services = runtime.context.services
    ranked = investment.recommend_sites(
        services.sites,
        industry=industry,
        area_sqm=area_sqm,
        budget_yuan_per_month=budget_yuan_per_month,
        needs=needs or (),
        town=town,
        k=MAX_SITES // 2,
    )
    result = ok(recommendations=[recommendation_view(r) for r in ranked], note="示例数据仅供参考，以实际招商信息为准")
    if industry:
        result["industry_package"] = package_view(investment.industry_package(industry))
    if not ranked:
        result["message"] = "暂无满足条件的载体，可放宽面积或预算，或登记投资意向由招商专员跟进"
    return result


@tool(parse_docstring=True)
@guarded
def register_investment_lead(
    investor_name: str,
    contact_phone: str,
    industry: str,
    consent: bool,
    runtime: ToolRuntime[ToolContext],
    area_sqm: float | None = None,
    budget_yuan_per_month: float | None = None,
    site_ids: list[str] | None = None,
) -> Result:
    """登记投资意向，由招商专员联系投资者。必须先向投资者说明联系方式的用途并获得明确同意，consent 才能为 true。

    Args:
        investor_name: 投资者或企业名称（联系人）
        contact_phone: 联系电话
        industry: 产业方向
        consent: 投资者是否已明确同意登记并被联系；未同意时不登记任何信息
        area_sqm: 需要的面积（平方米）
        budget_yuan_per_month: 每月租金预算（元）
        site_ids: 感兴趣的载体编号（来自选址推荐结果）
    """
    if consent is not True:
        return error("consent_required", CONSENT_REQUIRED, field="consent")
    context = runtime.context
    name = require_text(investor_name, "investor_name", "投资者名称", max_len=50)
    sector = require_text(industry, "industry", "产业方向", max_len=50)
    ids = _known_sites(context, site_ids or [])
    lead = context.services.leads.record(
        investor_name=name,
        contact=Contact(name, contact_phone),
        industry=sector,
        area_sqm=area_sqm,
        budget_yuan_per_month=budget_yuan_per_month,
        site_ids=ids,
        consent=True,
        consent_text=CONSENT_TEXT,
        enterprise_uscc=context.enterprise.uscc if context.enterprise else None,
    )
    return ok(lead_number=lead.number, message=f"投资意向已登记（编号 {lead.number}），招商专员将尽快与您联系")


def _known_sites(context: ToolContext, site_ids: list[str]) -> list[str]:
    known = {site.id for site in context.services.sites}
    ids = list(dict.fromkeys(s.strip() for s in site_ids if s.strip()))
    unknown = [s for s in ids if s not in known]
    if unknown:
        raise InvalidInputError(f"未知的载体编号：{'、'.join(unknown)}，请使用选址推荐结果中的编号", field="site_ids")
    return ids
