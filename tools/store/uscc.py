"""统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters, check character last.

Layout: 1 登记管理部门码, 2 机构类别码, 3-8 行政区划码 (digits), 9-17 主体标识码 (组织机构代码), 18 校验码.
"""

from __future__ import annotations

from minfu.errors import InvalidInputError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {char: value for value, char in enumerate(CHARSET)}


def check_char(first17: str) -> str:
    """The check character for the first 17 characters (which must already be valid characters)."""
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    """The code upper-cased and stripped, or InvalidInputError (Chinese message) when it is not a valid code."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise _invalid(f"统一社会信用代码应为 18 位，当前为 {len(code)} 位")
    bad = sorted({char for char in code if char not in _VALUE})
    if bad:
        raise _invalid(f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、S、V、Z）")
    if not code[2:8].isdigit():
        raise _invalid("统一社会信用代码第 3 至 8 位应为行政区划数字码")
    if check_char(code[:17]) != code[17]:
        raise _invalid("统一社会信用代码校验位不正确，请核对后重新输入")
    return code


def is_valid_uscc(raw: str) -> bool:
    try:
        normalize_uscc(raw)
    except InvalidInputError:
        return False
    return True


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(message, field="enterprise_uscc")
