"""Short answers to the brain's own questions, one row per real reply: yes/no, a name, a score, a choice.

Rows marked xfail are replies read wrongly today; each reason says what goes wrong in a conversation.
"""

from __future__ import annotations

import pytest

from agents.offline.replies import (
    choice,
    chosen_many,
    decision,
    is_cancel,
    is_control,
    is_resume,
    organisation_name,
    person_name,
    score,
)


def _bug(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


QUESTION_AS_YES = _bug("a question that starts like a yes (需要/要/是/行/可以) is read as consent at a confirmation")
NOT_SURE_AS_NO = _bug("any reply starting with 不 is a no, also 不知道 / 不好意思 / 不过")

# decision -------------------------------------------------------------------------------------------------------
DECISIONS: list[object] = [
    # yes
    ("好的", "yes"),
    ("好的！", "yes"),
    ("好啊", "yes"),
    ("确认", "yes"),
    ("确定", "yes"),
    ("是的", "yes"),
    ("是", "yes"),
    ("对", "yes"),
    ("需要", "yes"),
    ("要的", "yes"),
    ("可以", "yes"),
    ("行吧", "yes"),
    ("嗯嗯", "yes"),
    ("同意", "yes"),
    ("没问题", "yes"),
    ("提交吧", "yes"),
    ("就这样吧", "yes"),
    ("OK", "yes"),
    ("yes", "yes"),
    ("好的，谢谢", "yes"),
    ("ｏｋ", "yes"),  # full-width letters are folded
    # no
    ("不了", "no"),
    ("不了，谢谢", "no"),
    ("不", "no"),
    ("不同意", "no"),
    ("不对", "no"),
    ("不是", "no"),
    ("不行", "no"),
    ("不要", "no"),
    ("别了", "no"),
    ("否", "no"),
    ("拒绝", "no"),
    ("No", "no"),
    ("算了", "no"),  # a cancel is a no
    ("取消", "no"),
    ("不用了", "no"),
    ("先不办了", "no"),
    # neither
    ("不错啊", None),
    ("不错", None),
    ("不客气", None),
    ("", None),
    ("   ", None),
    ("。", None),
    ("继续", None),
    ("我想问别的", None),
    ("noted", None),
    ("yesterday", None),
    pytest.param("需要带什么材料", None),
    pytest.param("要多久才能办好", None),
    pytest.param("是不是要收费", None),
    pytest.param("行政复议怎么申请", None),
    pytest.param("可以不去现场吗", None),
    pytest.param("好像不对", None),
    pytest.param("嗯，不用了", "no"),
    pytest.param("不知道", None),
    pytest.param("不好意思，我再问一下", None),
    pytest.param("不过我想先问下材料", None),
]


@pytest.mark.parametrize(("text", "expected"), DECISIONS)
def test_decision(text: str, expected: str | None) -> None:
    assert decision(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("算了", True),
        ("算了吧", True),
        ("取消", True),
        ("取消吧", True),
        ("不办了", True),
        ("先不办了", True),
        ("先不用", True),
        ("不用了", True),
        ("不要了", True),
        ("不需要", True),
        ("退出", True),
        ("停止办理", True),
        ("  算了。", True),
        ("不", False),
        ("不对", False),
        ("好的", False),
        ("继续", False),
        ("我想取消刚才的预约", False),  # a request about another record, not "stop this form"
        ("", False),
    ],
)
def test_is_cancel(text: str, expected: bool) -> None:
    assert is_cancel(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("继续", True),
        ("继续办理", True),
        ("继续吧", True),
        ("好了", True),
        ("我登录了", True),
        ("登录了", True),
        ("已登录", True),
        ("已经登录", True),
        ("登好了", True),
        ("接着办", True),
        ("好的", False),
        ("张三", False),
        ("还没登录", False),
        ("", False),
    ],
)
def test_is_resume(text: str, expected: bool) -> None:
    assert is_resume(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("继续", True),
        ("好的", True),
        ("确认", True),
        ("取消", True),
        ("不了", True),
        ("张三", False),
        ("13800138000", False),
        ("生物医药", False),
        ("上海某某生物科技有限公司", False),
        ("不错啊", False),
        ("", False),
    ],
)
def test_is_control(text: str, expected: bool) -> None:
    assert is_control(text) is expected


# names ----------------------------------------------------------------------------------------------------------
CONTROL_AS_NAME = _bug("a control word or greeting answering the name question is returned as the name")


@pytest.mark.parametrize(
    ("text", "asked", "expected"),
    [
        # introduced: read whether asked or not
        ("联系人写李娜，电话13800138000", False, "李娜"),
        ("联系人写李娜电话13800138000", True, "李娜"),
        ("联系人：钱七", False, "钱七"),
        ("联系人是孙八", False, "孙八"),
        ("联系人改成周九", False, "周九"),
        ("联系人姓名写王小明", False, "王小明"),
        ("我叫王五", False, "王五"),
        ("我叫王五，手机13900001111", False, "王五"),
        ("我是赵六", False, "赵六"),
        # a bare name: only when asked
        ("张三", True, "张三"),
        ("张三。", True, "张三"),
        ("欧阳娜娜", True, "欧阳娜娜"),
        ("司马相如", True, "司马相如"),
        ("李娜 13800138000", True, "李娜"),
        ("张三", False, None),
        ("欧阳娜娜", False, None),
        ("李娜 13800138000", False, None),
        # never a name
        ("继续", False, None),
        ("好的", False, None),
        ("13800138000", True, None),
        ("张三丰李四光王五六", True, None),  # too long for a name
        ("请问办理食品经营许可需要哪些材料", True, None),
        ("", True, None),
        pytest.param("继续", True, None),
        pytest.param("好的", True, None),
        pytest.param("确认", True, None),
        pytest.param("你好", True, None),
        pytest.param("Alice Wang", True, "Alice Wang"),
        pytest.param("叫我小李", True, "小李"),
    ],
)
def test_person_name(text: str, asked: bool, expected: str | None) -> None:
    assert person_name(text, asked=asked) == expected


@pytest.mark.parametrize(
    ("text", "asked", "expected"),
    [
        ("上海某某生物科技有限公司", False, "上海某某生物科技有限公司"),
        ("企业名称是闵行智造集团", False, "闵行智造集团"),
        ("张江实验室研究院", False, "张江实验室研究院"),
        ("王五工作室", True, "王五工作室"),
        ("北京字节跳动科技有限公司的分公司", False, "北京字节跳动科技有限公司"),
        ("华为", True, "华为"),  # any short reply when asked
        ("名称是华为，电话13800138000", True, "华为"),
        ("华为", False, None),
        ("个人投资者王五", False, None),
        ("123456", True, None),
        ("A", True, None),
        ("", True, None),
        pytest.param(
            "我们是上海某某生物科技有限公司，电话13800138000",
            True,
            "上海某某生物科技有限公司",
        ),
    ],
)
def test_organisation_name(text: str, asked: bool, expected: str | None) -> None:
    assert organisation_name(text, asked=asked) == expected


# scores ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5分", 5),
        ("4 分", 4),
        ("五分", 5),
        ("给五分", 5),
        ("五星", 5),
        ("三颗星", 3),
        ("1星", 1),
        ("打个4分吧", 4),
        ("很满意，5分", 5),
        ("非常满意", 5),
        ("很满意", 5),
        ("满意", 4),
        ("一般", 3),
        ("还行", 3),
        ("不太满意", 2),
        ("不满意", 2),
        ("很不满意", 1),
        ("非常不满意", 1),
        ("3", 3),
        ("5", 5),
        ("0", None),
        ("6", None),
        ("6分", None),
        ("10分", None),
        ("好的", None),
        ("", None),
        pytest.param("打个两分", 2),
        pytest.param("15分", None),
    ],
)
def test_score(text: str, expected: int | None) -> None:
    assert score(text) == expected


# choices --------------------------------------------------------------------------------------------------------
SLOTS = ("1月6日 上午 09:00-10:00", "1月6日 下午 14:00-15:00", "1月7日 上午 09:00-10:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("第2个", 1),
        ("第二个", 1),
        ("第二", 1),
        ("第三个", 2),
        ("2", 1),
        ("2号", 1),
        ("1。", 0),
        ("选1", 0),
        ("选第二个", 1),
        ("要第一个", 0),
        ("两", 1),
        ("我选第2个时段", 1),  # fuzzy: close to no label, but the ordinal inside is read
        ("1月7日", 2),  # fuzzy: only one label has this date
        ("1月6日 下午", 1),
        ("第4个", None),  # out of range
        ("第十个", None),
        ("0", None),
        ("上午", None),  # ambiguous: two morning slots
        ("1月6日", None),  # ambiguous: two slots that day
        ("好的", None),
        ("", None),
        pytest.param("4", None),
        pytest.param("第2个吧", 1),
    ],
)
def test_choice(text: str, expected: int | None) -> None:
    assert choice(text, SLOTS) == expected


def test_choice_among_no_options_is_none() -> None:
    assert choice("1", []) is None
    assert choice("好的", []) is None


MATERIALS = ("营业执照", "健康证明", "食品安全管理制度")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("都准备好了", list(MATERIALS)),
        ("全部已经提供", list(MATERIALS)),
        ("所有都带了", list(MATERIALS)),
        ("都有了", list(MATERIALS)),
        ("营业执照", ["营业执照"]),
        ("健康证", ["健康证明"]),
        ("营业执照和健康证明", ["营业执照", "健康证明"]),
        ("还没有", []),
        ("", []),
        pytest.param(
            "营业执照和健康证明都交了",
            ["营业执照", "健康证明"],
        ),
    ],
)
def test_chosen_many(text: str, expected: list[str]) -> None:
    assert chosen_many(text, MATERIALS) == expected
