"""Records of investment promotion (招商): sites (parks, buildings, incubators, factories) and industry packages.

The vocabularies below are the schema: a town, industry, kind or facility outside them is a data error, so a typo in
an operator's YAML file fails on load instead of silently never matching.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from minfu.errors import MinfuError

SiteKind = Literal["产业园区", "商务楼宇", "孵化器", "标准厂房"]
Town = Literal[
    "莘庄", "七宝", "虹桥", "马桥", "颛桥", "吴泾", "浦江",
    "华漕", "梅陇", "古美", "江川路", "新虹", "浦锦", "莘庄工业区",
]  # fmt: skip
Industry = Literal[
    "人工智能", "生物医药", "集成电路", "高端装备", "航空航天", "新材料", "绿色低碳",
    "数字经济", "大健康", "文创", "现代服务", "总部经济",
]  # fmt: skip
Facility = Literal[
    "中试平台", "共享实验室", "孵化器", "概念验证平台", "检验检测中心", "洁净车间", "双回路供电", "货运电梯",
    "人才公寓", "地铁", "食堂", "停车场", "会议中心", "政务服务站",
]  # fmt: skip

SITE_KINDS: tuple[str, ...] = get_args(SiteKind)
TOWNS: tuple[str, ...] = get_args(Town)
INDUSTRIES: tuple[str, ...] = get_args(Industry)
FACILITIES: tuple[str, ...] = get_args(Facility)

SAMPLE_PREFIX = "(示例)"
ACTION_PLAN = "闵府办发〔2026〕1号"


class InvestmentDataError(MinfuError):
    """A bundled or operator-supplied investment data file is invalid; `record` and `field` say where."""

    code = "investment_data_error"

    def __init__(self, message: str, *, record: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.record = record
        self.field = field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RentRange(_Record):
    """Daily rent in yuan per square metre (元/㎡/天), as Shanghai quotes it."""

    min: float = Field(gt=0, le=50)
    max: float = Field(gt=0, le=50)

    @model_validator(mode="after")
    def _ordered(self) -> RentRange:
        if self.min > self.max:
            raise ValueError(f"租金下限 {self.min} 高于上限 {self.max}")
        return self


class Site(_Record):
    """A park, office building, incubator or standard factory with space to let. Sample figures are not offers."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=2)
    kind: SiteKind
    town: Town
    address: str = Field(min_length=2)
    industries: tuple[Industry, ...] = Field(min_length=1)
    free_area_sqm: float = Field(ge=0)
    min_unit_sqm: float = Field(gt=0)
    rent_yuan_per_sqm_day: RentRange
    facilities: tuple[Facility, ...] = ()
    contact: str = Field(min_length=2)
    sample: bool
    sample_note: str = ""

    @field_validator("industries", "facilities")
    @classmethod
    def _no_repeats(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"有重复项：{'、'.join(repeated)}")
        return values

    @model_validator(mode="after")
    def _sample_is_marked(self) -> Site:
        if self.sample and not self.sample_note:
            raise ValueError("示例记录必须填写 sample_note，说明数据为示例")
        if self.sample and not self.name.startswith(SAMPLE_PREFIX):
            raise ValueError(f"示例记录的名称必须以“{SAMPLE_PREFIX}”开头")
        return self


class IndustryPackage(_Record):
    """An industry service package (一业一策 / 行业服务包) for one industry, with the plan section it comes from."""

    industry: Industry
    title: str = Field(min_length=2)
    measures: tuple[str, ...] = Field(min_length=1)
    source: str = Field(min_length=2)
    sample: bool

    @field_validator("measures")
    @classmethod
    def _short_lines(cls, measures: tuple[str, ...]) -> tuple[str, ...]:
        for line in measures:
            if not 4 <= len(line) <= 80:
                raise ValueError(f"每条措施应为 4–80 字的短句：“{line[:20]}”")
        return measures

    @field_validator("source")
    @classmethod
    def _cites_plan(cls, source: str) -> str:
        if ACTION_PLAN not in source:
            raise ValueError(f"出处必须引用行动方案 {ACTION_PLAN} 的具体章节")
        return source
