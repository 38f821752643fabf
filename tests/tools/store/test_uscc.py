import pytest

from minfu.errors import InvalidInputError
from tools.store.uscc import check_char, is_valid_uscc, normalize_uscc

# Codes in published form (taken from public business registrations), checked by the algorithm independently.
PUBLISHED = ["91350100M000100Y43", "91110108551385082Q", "914403001922038216"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert normalize_uscc(code) == code


@pytest.mark.parametrize(
    ("first17", "expected"),
    [("91350100M000100Y4", "3"), ("91110108551385082", "Q"), ("91440300192203821", "6")],
)
def test_check_character(first17: str, expected: str) -> None:
    assert check_char(first17) == expected


def test_lower_case_and_spaces_are_normalized() -> None:
    assert normalize_uscc("  91110108551385082q ") == "91110108551385082Q"


@pytest.mark.parametrize(
    ("code", "message_part"),
    [
        ("", "18 位"),
        ("9135010", "18 位"),
        ("91350100M000100Y433", "18 位"),
        ("91350100M000100Y44", "校验位"),  # wrong check digit
        ("91350100M000100Y4I", "不允许的字符"),  # I is excluded
        ("91350100O000100Y43", "不允许的字符"),  # O is excluded
        ("9135010SM000100Y43", "不允许的字符"),  # S is excluded
        ("913A0100M000100Y43", "行政区划"),
        ("91110108551385802Q", "校验位"),  # two digits swapped
    ],
)
def test_invalid_codes_are_rejected_with_a_chinese_reason(code: str, message_part: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        normalize_uscc(code)
    assert message_part in caught.value.message
    assert caught.value.field == "enterprise_uscc"
    assert not is_valid_uscc(code)


def test_every_single_character_change_is_caught() -> None:
    code = "91350100M000100Y43"
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(18):
        for char in alphabet:
            changed = code[:position] + char + code[position + 1 :]
            if changed != code and changed[2:8].isdigit():
                assert not is_valid_uscc(changed), changed
