"""Slots parsed from Chinese user text: codes, record numbers, phones, dates, towns, industries and quantities.

Every extractor is a pure function of the text (and `today` for relative dates). Codes and record numbers are
parsed first and blanked out, so their digits are never read again as a phone number, a date or a quantity.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from tools.investment.catalog import bundled_synonyms
from tools.investment.models import TOWNS
from tools.store.uscc import is_valid_uscc

SQUARE_METRES_PER_MU = 10000 / 15  # 1 亩 = 666.67 m²


@dataclass(frozen=True)
class Slots:
    """What a message says; None (or empty) when it does not say it. Money is in 万元 except the monthly rent."""

    uscc: str | None = None
    matter_number: str | None = None  # MH20261127-000123
    ticket_number: str | None = None  # SQ… (诉求)
    appointment_number: str | None = None  # YY… (预约)
    lead_number: str | None = None  # ZS… (招商线索)
    phone: str | None = None  # digits only, landlines as 021-64120000
    date: dt.date | None = None
    town: str | None = None  # canonical Minhang town, e.g. 莘庄工业区
    industry: str | None = None  # investment vocabulary, e.g. 生物医药
    sector: str | None = None  # 国民经济 sector, e.g. 餐饮
    area_m2: float | None = None
    headcount: int | None = None
    amount_wan: float | None = None  # 万元 (investment, revenue, budget)
    monthly_rent_yuan: float | None = None
    percentage: float | None = None  # 8% -> 0.08
    registered_on: dt.date | None = None  # first day of the year (or month) given
    years_registered: int | None = None
    certifications: tuple[str, ...] = field(default=())


def extract_slots(text: str, *, today: date | None = None) -> Slots:
    """All slots found in `text`; relative dates ("明天", "12月1日") are resolved against `today`."""
    day = today or date.today()
    clean = unicodedata.normalize("NFKC", text)
    found: dict[str, Any] = {}
    clean = _take_codes(clean, found)
    clean = _take_phone(clean, found)
    _take_registration(clean, day, found)
    clean = _blank(clean, _REGISTRATION)
    found["date"] = _find_date(clean, day)
    found.update(_quantities(clean))
    found["town"] = _find_town(clean)
    found["industry"] = _find_industry(clean)
    found["sector"] = _longest_match(clean, _vocabulary()["sectors"])
    found["certifications"] = _certifications(clean)
    return Slots(**{key: value for key, value in found.items() if value is not None})


# --- numbers -------------------------------------------------------------------------------------------------

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
NUMBER = r"(?:\d+(?:\.\d+)?[十百千万亿]*|[零〇一二两三四五六七八九十百千万亿]+)"
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]")


def parse_number(token: str) -> float | None:
    """ "三千" 3000, "两百五十" 250, "一万二" 12000, "2千万" 20000000, "1.5万" 15000; None when not a number."""
    total = section = 0.0
    current: float | None = None
    last_unit = 0
    for part in _TOKEN.findall(token):
        if part in _SMALL_UNITS:
            section += (1 if current is None else current) * _SMALL_UNITS[part]
            current, last_unit = None, _SMALL_UNITS[part]
        elif part in _BIG_UNITS:
            total, section = _apply_big_unit(total, section + (current or 0), _BIG_UNITS[part]), 0.0
            current, last_unit = None, _BIG_UNITS[part]
        else:
            value = float(_DIGITS[part]) if part in _DIGITS else float(part)
            last_unit = 0 if part in ("零", "〇") else last_unit
            current = value
    if current is not None and last_unit >= 100:
        current *= last_unit / 10  # colloquial "一万二" = 12000, "两百五" = 250
    result = total + section + (current or 0)
    return result if _TOKEN.search(token) else None


def _apply_big_unit(total: float, section: float, unit: int) -> float:
    if unit == _BIG_UNITS["亿"]:
        return (total + section) * unit
    return total + section * unit


# --- codes and phones ---------------------------------------------------------------------------------------

_USCC = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")
_RECORD = re.compile(r"(?<![0-9A-Za-z])(MH|SQ|YY|ZS)(\d{8}-\d{6})(?!\d)", re.IGNORECASE)
_RECORD_FIELDS = {"MH": "matter_number", "SQ": "ticket_number", "YY": "appointment_number", "ZS": "lead_number"}
_MOBILE = re.compile(r"(?<![\dA-Za-z])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\dA-Za-z])(0[12]\d|0[3-9]\d{2})-?(\d{7,8})(?!\d)")  # 010, 02x: 3 digits


def _take_codes(text: str, found: dict[str, Any]) -> str:
    """Record numbers and USCCs into `found` (first of each), blanked out of the returned text."""
    for match in _RECORD.finditer(text):
        found.setdefault(_RECORD_FIELDS[match.group(1).upper()], match.group(1).upper() + match.group(2))
    text = _blank(text, _RECORD)
    for match in _USCC.finditer(text):
        if is_valid_uscc(match.group()):
            found.setdefault("uscc", match.group().upper())
    return _blank(text, _USCC)


def _take_phone(text: str, found: dict[str, Any]) -> str:
    if mobile := _MOBILE.search(text):
        found["phone"] = "".join(mobile.groups())
    elif landline := _LANDLINE.search(text):
        found["phone"] = "-".join(landline.groups())
    return _blank(_blank(text, _MOBILE), _LANDLINE)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda match: " " * len(match.group()), text)


# --- dates --------------------------------------------------------------------------------------------------

_FULL_DATE = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*[日号]?")
_MONTH_DAY = re.compile(rf"({NUMBER})月({NUMBER})[日号]")
_RELATIVE_DAYS = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "今天": 0, "今日": 0}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY = re.compile(r"(下下|下|本|这)?(?:周|星期|礼拜)([一二三四五六日天])")


def _find_date(text: str, today: date) -> date | None:
    finders: Sequence[Callable[[str, date], date | None]] = (_full_date, _month_day, _relative_day, _weekday)
    for finder in finders:
        if (found := finder(text, today)) is not None:
            return found
    return None


def _full_date(text: str, today: date) -> date | None:
    match = _FULL_DATE.search(text)
    return _safe_date(*(int(part) for part in match.groups())) if match else None


def _month_day(text: str, today: date) -> date | None:
    match = _MONTH_DAY.search(text)
    if match is None:
        return None
    month, day = (int(parse_number(part) or 0) for part in match.groups())
    candidate = _safe_date(today.year, month, day)
    if candidate is not None and candidate < today:
        candidate = _safe_date(today.year + 1, month, day)
    return candidate


def _relative_day(text: str, today: date) -> date | None:
    for word, offset in _RELATIVE_DAYS.items():
        if word in text:
            return today + timedelta(days=offset)
    return None


def _weekday(text: str, today: date) -> date | None:
    match = _WEEKDAY.search(text)
    if match is None:
        return None
    prefix, name = match.groups()
    weekday = _WEEKDAYS[name]
    if prefix in ("下", "下下"):
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=len(prefix))
        return monday + timedelta(days=weekday)
    if prefix in ("本", "这"):
        return today - timedelta(days=today.weekday()) + timedelta(days=weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- registration -------------------------------------------------------------------------------------------

_YEARS_SINCE = re.compile(rf"(?:成立|注册|开业|经营)(?:了|有)?\s*({NUMBER})\s*(?:多|余)?\s*(?:个)?年")
_REGISTERED_IN = re.compile(
    r"(?:(?:成立|注册)(?:于|在|是)?\s*(\d{4})\s*年(?:\s*(\d{1,2})\s*月)?"
    r"|(\d{4})\s*年(?:\s*(\d{1,2})\s*月)?(?:份)?\s*(?:成立|注册|开业))"
)
_REGISTRATION = re.compile(f"{_YEARS_SINCE.pattern}|{_REGISTERED_IN.pattern}")


def _take_registration(text: str, today: date, found: dict[str, Any]) -> None:
    if match := _REGISTERED_IN.search(text):
        year, month = match.group(1) or match.group(3), match.group(2) or match.group(4)
        found["registered_on"] = _safe_date(int(year), int(month or 1), 1)
        found["years_registered"] = today.year - int(year)
    elif match := _YEARS_SINCE.search(text):
        years = parse_number(match.group(1))
        found["years_registered"] = int(years) if years is not None else None


# --- quantities ---------------------------------------------------------------------------------------------

_AREA = re.compile(rf"({NUMBER})\s*(?:多|余)?\s*(平方米|平米|平方|㎡|m²|m2|平(?!台|方公里)|亩)", re.IGNORECASE)
_HEADCOUNT = re.compile(
    rf"({NUMBER})\s*(?:多|余|来)?\s*(?:个|名|位)?\s*(?:员工|职工|人(?!民币|才|次|均))"
    rf"|(?:员工|职工|团队|人数)(?:有|约|大概|共)?\s*({NUMBER})\s*(?:多|余)?(?:个|名|人)?"
)
_PERCENT = re.compile(rf"(\d+(?:\.\d+)?)\s*[%％]|百分之\s*({NUMBER})")
_MONEY = re.compile(rf"({NUMBER})\s*(?:多|余)?\s*(万元|亿元|元|块钱|块|万|亿)?(?:人民币)?")
_RENT = re.compile(r"租金|月租|房租")
_MONTHLY = re.compile(r"每月|每个月|一个月|/月|月租|一月")


def _quantities(text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if match := _AREA.search(text):
        found["area_m2"] = _area(match)
        text = _blank(text, _AREA)
    if match := _HEADCOUNT.search(text):
        count = parse_number(match.group(1) or match.group(2))
        found["headcount"] = int(count) if count is not None else None
        text = _blank(text, _HEADCOUNT)
    if match := _PERCENT.search(text):
        value = float(match.group(1)) if match.group(1) else parse_number(match.group(2))
        found["percentage"] = round(value / 100, 6) if value is not None else None
        text = _blank(text, _PERCENT)
    found.update(_money(text))
    return found


def _area(match: re.Match[str]) -> float | None:
    value = parse_number(match.group(1))
    if value is None:
        return None
    return round(value * SQUARE_METRES_PER_MU, 2) if match.group(2) == "亩" else value


def _money(text: str) -> dict[str, float]:
    for match in _MONEY.finditer(text):
        unit = match.group(2) or ""
        number = match.group(1)
        if not unit and not re.search("[万亿]", number):
            continue
        value = parse_number(number)
        if value is None:
            continue
        yuan = value * (_BIG_UNITS[unit[0]] if unit[:1] in _BIG_UNITS else 1)
        if _is_rent(text, match):
            return {"monthly_rent_yuan": yuan}
        return {"amount_wan": round(yuan / 10_000, 4)}
    return {}


def _is_rent(text: str, match: re.Match[str]) -> bool:
    window = text[max(0, match.start() - 8) : match.end() + 8]
    return bool(_RENT.search(text) and _MONTHLY.search(window))


# --- towns, industries, certifications ----------------------------------------------------------------------

_TOWN_PATTERN = re.compile(
    "|".join(f"{re.escape(town)}(?:路)?(?:街道|镇|地区)?" for town in sorted(TOWNS, key=len, reverse=True))
)
_NEGATION = re.compile(r"(?:不是|没有|还没|尚未|未|非|不算)\s*$")


def _find_town(text: str) -> str | None:
    match = _TOWN_PATTERN.search(text)
    if match is None:
        return None
    return next(town for town in sorted(TOWNS, key=len, reverse=True) if match.group().startswith(town))


def _find_industry(text: str) -> str | None:
    table = bundled_synonyms()["industries"]
    ambiguous = set(_vocabulary()["ambiguous_industry_aliases"])
    words = {canonical: [canonical, *(alias for alias in aliases if alias not in ambiguous)]
             for canonical, aliases in table.items()}  # fmt: skip
    return _longest_match(text, words)


def _certifications(text: str) -> tuple[str, ...]:
    held: list[str] = []
    for canonical, start in _matches(text, _vocabulary()["certifications"]):
        if not _NEGATION.search(text[max(0, start - 4) : start]) and canonical not in held:
            held.append(canonical)
    return tuple(held)


def _longest_match(text: str, table: Mapping[str, Sequence[str]]) -> str | None:
    first = min(_matches(text, table), key=lambda pair: pair[1], default=None)
    return first[0] if first else None


def _matches(text: str, table: Mapping[str, Sequence[str]]) -> Iterator[tuple[str, int]]:
    """(canonical, position) for every word found, longest words first; a matched span is not matched again."""
    pairs = sorted(((word, canonical) for canonical, words in table.items() for word in words),
                   key=lambda pair: len(pair[0]), reverse=True)  # fmt: skip
    haystack = text.casefold()
    for word, canonical in pairs:
        start = haystack.find(word.casefold())
        while start >= 0:
            yield canonical, start
            haystack = haystack[:start] + " " * len(word) + haystack[start + len(word) :]
            start = haystack.find(word.casefold())


@cache
def _vocabulary() -> dict[str, Any]:
    text = files("agents.offline").joinpath("data/vocabulary.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data
