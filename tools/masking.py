"""Masking personal information (PIPL) before text reaches logs, the audit log or analytics.

Masked: 居民身份证 numbers (18 digits, and the old 15-digit form), mainland mobile numbers, landlines with an area
code, bank card numbers (16-19 digits, plain or in groups of four) and e-mail addresses. Kept: 统一社会信用代码 of
enterprises (an enterprise identifier, public on its licence) and the platform's own record numbers such as
MH20261127-000001, which name a matter, not a person.

Masking errs on the side of privacy: a number shaped like an identity number is masked even when its check digit is
wrong (a typo still identifies a person), unless it is a valid enterprise code; any other 16-19 digit run is taken for
a bank card. Lives in `tools` rather than `api` because the audit log (tools.store.audit) masks too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tools.store.uscc import is_valid_uscc

# Letters and digits around a match mean it is part of a longer code (a record number, a hash), not a number alone;
# a percent escape before it (%E8%AF%81 in a logged URL) is a boundary, though it ends in a digit.
_ALONE_BEFORE = r"(?:(?<![0-9A-Za-z０-９])|(?<=%[0-9A-Fa-f]{2}))"
_ALONE_AFTER = r"(?![0-9A-Za-z０-９])"
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_LONG_CODE = re.compile(_ALONE_BEFORE + r"[0-9A-Za-z０-９]{15,19}" + _ALONE_AFTER)
_GROUPED_CARD = re.compile(_ALONE_BEFORE + r"\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?" + _ALONE_AFTER)
_MOBILE = re.compile(_ALONE_BEFORE + r"((?:\+?86[ -]?)?)(1[3-9]\d)([ -]?)(\d{4})([ -]?)(\d{4})" + _ALONE_AFTER)
_LANDLINE = re.compile(_ALONE_BEFORE + r"(\(?0\d{2,3}\)?[ -]?)(\d{3,4})([ -]?)(\d{4})" + _ALONE_AFTER)
_RESIDENT_ID_18 = re.compile(r"[1-8]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]")
_RESIDENT_ID_15 = re.compile(r"[1-8]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def mask_pii(text: str) -> str:
    """`text` with identity, phone and bank card numbers and e-mail addresses masked; everything else unchanged."""
    if not text:
        return text
    for pattern, replace in _MASKERS:
        text = pattern.sub(replace, text)
    return text


def mask_value(value: Any) -> Any:
    """`value` with every string in it masked, through dicts, lists and tuples (keys too); other values as they are."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {mask_value(key): mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    return value


def is_resident_id(token: str) -> bool:
    """Shaped like a 居民身份证 number (region, plausible birth date); the check digit is not required."""
    return bool(_RESIDENT_ID_18.fullmatch(token) or _RESIDENT_ID_15.fullmatch(token))


def resident_id_checksum_ok(token: str) -> bool:
    """The ISO 7064 MOD 11-2 check digit of an 18-digit 居民身份证 number."""
    if len(token) != 18 or not token[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(token[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == token[17].upper()


def _mask_long_code(match: re.Match[str]) -> str:
    token = match.group()
    if is_resident_id(token) and (resident_id_checksum_ok(token) or not is_valid_uscc(token)):
        return _keep_ends(token, head=3, tail=4)
    if token.isdigit() and len(token) >= 16 and not is_valid_uscc(token):
        return _keep_ends(token, head=0, tail=4)
    return token


def _mask_grouped_card(match: re.Match[str]) -> str:
    """Digits masked but the last four; the separators stay, so the shape is still readable."""
    text = match.group()
    digits_seen, total = 0, sum(char.isdigit() for char in text)
    masked = []
    for char in text:
        if char.isdigit():
            digits_seen += 1
            masked.append(char if digits_seen > total - 4 else "*")
        else:
            masked.append(char)
    return "".join(masked)


def _mask_mobile(match: re.Match[str]) -> str:
    prefix, head, sep1, _middle, sep2, tail = match.groups()
    return f"{prefix}{head}{sep1}****{sep2}{tail}"


def _mask_landline(match: re.Match[str]) -> str:
    area, middle, sep, tail = match.groups()
    return f"{area}{'*' * len(middle)}{sep}{tail}"


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.groups()
    return f"{local[0]}***@{domain}"


def _keep_ends(token: str, *, head: int, tail: int) -> str:
    return token[:head] + "*" * (len(token) - head - tail) + token[-tail:]


_MASKERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, _mask_email),
    (_LONG_CODE, _mask_long_code),
    (_GROUPED_CARD, _mask_grouped_card),
    (_MOBILE, _mask_mobile),
    (_LANDLINE, _mask_landline),
)
