"""Chinese text helpers shared by the loaders: whitespace, numerals, dates, document numbers."""

from __future__ import annotations

import re
from datetime import date, timedelta

# Characters that end a sentence or a clause that may end a paragraph.
TERMINALS = "。！？；：!?;:…"
# Closing marks that may follow a terminal (the paragraph still ends there).
CLOSERS = "”’」』）)》】"

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2002\u2003\u2009\u3000]+")
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")

_DIGITS = dict(zip("〇零○Ｏ一二两三四五六七八九", (0, 0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "〇零○一二两三四五六七八九十百千"

_DAY = rf"(\d{{1,2}}|[{CN_NUM}]{{1,3}})"
_DATE = re.compile(rf"(\d{{4}}|[{CN_NUM}]{{4}})\s*年\s*{_DAY}\s*月\s*{_DAY}\s*日")
_ISO_DATE = re.compile(r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})")
DATE_LINE = re.compile(rf"^\s*(?:{_DATE.pattern})\s*(印发|发布|公布|签发)?\s*$")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*第?\s*\d+\s*号")


def clean_line(line: str) -> str:
    """Drop invisible characters and collapse runs of spaces (full-width spaces included) to one."""
    return _SPACES.sub(" ", line.translate(_INVISIBLE)).strip()


def join_cjk(text: str) -> str:
    """Remove spaces that a PDF extraction left between Chinese characters ("营商环境 行动方案")."""
    return _CJK_GAP.sub("", clean_line(text))


def ends_sentence(text: str) -> bool:
    """True when the text ends where a paragraph may end (after 。！？；： and any closing quotes)."""
    stripped = text.rstrip().rstrip(CLOSERS + "*")
    return bool(stripped) and stripped[-1] in TERMINALS


def cn_to_int(text: str) -> int | None:
    """Parse a Chinese or Arabic numeral: "一百零一" -> 101, "二〇二六" -> 2026, "12" -> 12."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    if not any(ch in _UNITS for ch in text):  # digit by digit, as in years: 二〇二六
        return int("".join(str(_DIGITS[ch]) for ch in text))
    return _positional(text)


def _positional(text: str) -> int:
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (digit or 1) * _UNITS[ch]
            digit = 0
    return total + digit


def _make_date(year: str, month: str, day: str) -> date | None:
    parts = [cn_to_int(p) for p in (year, month, day)]
    if None in parts:
        return None
    try:
        return date(*(p for p in parts if p is not None))
    except ValueError:
        return None


def find_dates(text: str) -> list[date]:
    """Every valid date written as 2020年7月5日 / 二〇二〇年七月五日 in the text, in order."""
    found = (_make_date(*m.groups()) for m in _DATE.finditer(text))
    return [d for d in found if d is not None]


def parse_date(value: object) -> date | None:
    """A date from YAML (already a date), ISO text, or Chinese text; None when there is none."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str | int) or not str(value).strip():
        return None
    text = str(value)
    iso = _ISO_DATE.search(text)
    if iso:
        return _make_date(*iso.groups())
    dates = find_dates(text)
    return dates[0] if dates else None


def effective_date(text: str) -> date | None:
    """The date of a "自2020年1月1日起施行" sentence, if the text has one."""
    match = re.search(rf"自\s*({_DATE.pattern})\s*起\s*(?:施行|执行|实施|生效)", text)
    return find_dates(match.group(1))[0] if match and find_dates(match.group(1)) else None


def effective_on_publication(text: str) -> bool:
    return re.search(r"自(?:公布|发布|印发|通过)之日起(?:施行|执行|实施|生效)", text) is not None


def expiry_date(text: str, effective: date | None) -> date | None:
    """The end of validity from "有效期至2027年12月31日" or "有效期N年" (counted from the effective date)."""
    until = re.search(rf"有效期(?:至|到)\s*({_DATE.pattern})", text)
    if until:
        dates = find_dates(until.group(1))
        return dates[0] if dates else None
    years = re.search(rf"有效期(?:为)?\s*(\d+|[{CN_NUM}]+)\s*年", text)
    count = cn_to_int(years.group(1)) if years else None
    if count is None or effective is None:
        return None
    try:
        end = effective.replace(year=effective.year + count)
    except ValueError:  # 29 February
        end = effective.replace(year=effective.year + count, day=28)
    return end - timedelta(days=1)


def glue(*parts: str) -> str:
    """Join pieces of one paragraph: no space in Chinese, one space between two Latin words."""
    joined = ""
    for part in parts:
        if joined and part and joined[-1].isascii() and joined[-1].isalnum() and part[0].isascii():
            joined += " "
        joined += part
    return joined
