"""Short answers to the brain's own questions: yes or no, a name, a score, a choice among offered options."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from rapidfuzz import fuzz

from agents.offline.slots import parse_number

Decision = Literal["yes", "no"]

_CANCEL = re.compile(r"^(算了|取消|不办了|不用了|不要了|先不(办|用|要)了?|不需要了?|停止|退出)")
_NO = re.compile(r"^(不|否|no\b|不是|不对|不同意|不行|拒绝|别)")
_NOT_NO = ("不错", "不客气", "不用客气", "不知道", "不好意思", "不过", "不清楚", "不太清楚")  # start with 不, say no no
_CHANGED_MIND = re.compile(r"不用了|不要了|不需要|算了|不办了|不同意|先不")
_ASKS = re.compile(r"[?？]|吗|什么|怎么|怎样|如何|多少|多久|哪些|哪里|哪个|几|是不是|能不能|可不可以|要不要|有没有")
_YES = re.compile(
    r"^(是的?|对的?|好的?|好啊|行|可以|确认|确定|同意|没问题|没错|嗯+|ok\b|yes\b|提交|办吧|就这样|需要|要的?|请转|转吧)"
)
_EDGE = re.compile(r"^[\s，,。.！!？?~～]+|[\s，,。.！!？?~～]+$")
_NAME_LEAD = re.compile(
    r"^(联系人|姓名|名字|我叫|我是|叫我|叫|联系人是|联系人为|名称是|名称为|企业名称是?)[：:是为]?\s*"
)
_PERSON = re.compile(r"^[\u4e00-\u9fff·]{2,6}$|^[A-Za-z][A-Za-z .'-]{1,39}$")
_NOT_NAMES = frozenset(
    {"你好", "您好", "谢谢", "不错", "不错啊", "没有", "没了", "还有", "稍等", "等等", "知道了", "明白"}
)
_ORG_LEAD = re.compile(r"^(我们是|我们|我是|我司是|我司|公司名?(叫|是)|企业名?(叫|是)|名称(是|为))")
_ORG = re.compile(
    r"[\u4e00-\u9fffA-Za-z0-9（）()·&.-]{2,50}?(有限责任公司|股份有限公司|有限公司|集团|公司|研究院|工作室|团队)"
)
_ORDINAL = re.compile(r"第?\s*([0-9一二两三四五六七八九十]+)\s*(个|号|项|条|场|个时段)?$")
_SCORE = re.compile(r"(?<![\d.])([1-5一二两三四五])\s*(分|星|颗星)")
_SCORE_WORDS = (("非常满意", 5), ("很满意", 5), ("不太满意", 2), ("很不满意", 1), ("非常不满意", 1), ("不满意", 2),
                ("一般", 3), ("还行", 3), ("满意", 4))  # fmt: skip


def clean(text: str) -> str:
    return _EDGE.sub("", unicodedata.normalize("NFKC", text)).strip()


_RESUME = re.compile(r"^(继续|接着|好了|登录了|已登录|我登录了|已经登录|登好了|继续办理)")


def is_resume(text: str) -> bool:
    """ "继续" after logging in: go on with the form without saying it was not understood."""
    return bool(_RESUME.match(clean(text)))


def is_control(text: str) -> bool:
    """A reply that steers the conversation (继续, 好的, 确认, 取消) rather than giving a value."""
    return is_resume(text) or decision(text) is not None


def is_cancel(text: str) -> bool:
    return bool(_CANCEL.match(clean(text)))


def decision(text: str) -> Decision | None:
    """'yes' or 'no' for a reply to a yes/no question; None when the reply says neither."""
    reply = clean(text).lower()
    if not reply or is_cancel(reply):
        return "no" if reply else None
    if _NO.match(reply) and not reply.startswith(_NOT_NO):
        return "no"
    if not _YES.match(reply) or reply.startswith(("好像", "好多", "好几")) or _ASKS.search(reply):
        return None  # "需要带什么材料" and "是不是要收费" are questions, not consent
    return "no" if _CHANGED_MIND.search(reply) else "yes"  # "嗯，不用了"


_CONTACT_NAMED = re.compile(
    r"联系人(?:姓名)?(?:写|填|是|为|改成|改为|换成|用)?[：:]?\s*([\u4e00-\u9fff·]{2,4}?)(?=[，,。；;\s]|电话|手机|$)"
)


def person_name(text: str, *, asked: bool) -> str | None:
    """A contact's name: "联系人写李娜" anywhere it is introduced; a bare "张三" only when the name was asked for."""
    reply = clean(text)
    if named := _CONTACT_NAMED.search(reply):
        return named.group(1)
    introduced = _NAME_LEAD.match(reply)
    candidate = reply[introduced.end() :] if introduced else reply
    candidate = re.split(r"[，,。；;]|\s(?![A-Za-z])|电话|手机", candidate, maxsplit=1)[0].strip()
    if not (asked or introduced) or is_control(candidate) or candidate in _NOT_NAMES or _ASKS.search(candidate):
        return None
    return candidate if _PERSON.match(candidate) else None


def organisation_name(text: str, *, asked: bool) -> str | None:
    """An investor's or enterprise's name: a company-shaped name anywhere, any short reply when it was asked for."""
    reply = clean(text)
    if found := _ORG.search(reply):
        return _ORG_LEAD.sub("", _NAME_LEAD.sub("", found.group(0))).strip()
    if not asked or _ASKS.search(reply) or is_control(reply):
        return None
    reply = _NAME_LEAD.sub("", reply)
    reply = re.split(r"[，,。；;]|电话|手机", reply, maxsplit=1)[0].strip()
    return reply if 2 <= len(reply) <= 50 and not reply.isdigit() else None


def score(text: str) -> int | None:
    """A 1-5 satisfaction score from "5分", "五星", "非常满意" or a bare digit."""
    reply = clean(text)
    if found := _SCORE.search(reply):
        value = parse_number(found.group(1))
        return int(value) if value is not None else None
    for words, value in _SCORE_WORDS:
        if words in reply:
            return value
    return int(reply) if reply in {"1", "2", "3", "4", "5"} else None


def choice(text: str, labels: Sequence[str]) -> int | None:
    """The 0-based index of the option chosen: "第2个", "2", or words close to one option's label."""
    reply = re.sub(r"[吧呢啊呀哈]+$", "", clean(text))
    if found := _ORDINAL.search(reply.removeprefix("选").removeprefix("要")):
        number = parse_number(found.group(1))
        if number is not None and len(reply) <= 8:
            return int(number) - 1 if 1 <= number <= len(labels) else None  # "4" of three options is no option
    scores = [fuzz.partial_ratio(reply, label) for label in labels]
    best = max(range(len(labels)), key=scores.__getitem__, default=None)
    return best if best is not None and scores[best] >= 80 and scores.count(scores[best]) == 1 else None


def chosen_many(text: str, labels: Sequence[str]) -> list[str]:
    """The labels a reply names ("营业执照和健康证明都交了"); "都/全部" names all of them."""
    reply = clean(text)
    named = [label for label in labels if fuzz.partial_ratio(label, reply) >= 85]
    if not named and re.search(r"(都|全部|全都|所有)(已经?)?(交|提供|准备|带|有)", reply):
        return list(labels)  # "都准备好了" names every one; "A和B都交了" names A and B
    return named
