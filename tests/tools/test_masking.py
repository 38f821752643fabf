import pytest

from tools.masking import is_resident_id, mask_pii, resident_id_checksum_ok
from tools.store.uscc import is_valid_uscc


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # 居民身份证: first 3 and last 4 kept, the birth date hidden; a wrong check digit is still masked
        ("身份证号310112199001011233，请核对", "身份证号310***********1233，请核对"),
        ("11010519491231002X", "110***********002X"),
        ("11010519491231002x", "110***********002x"),
        ("身份证310112199001011234。", "身份证310***********1234。"),
        ("老身份证310112900101123", "老身份证310********1123"),
        # mobile numbers, alone, with +86, with spaces or hyphens
        ("电话13800138000", "电话138****8000"),
        ("手机：+86 139-1234-5678。", "手机：+86 139-****-5678。"),
        ("+8615912345678", "+86159****5678"),
        ("联系 177 0000 1111 即可", "联系 177 **** 1111 即可"),
        # landlines with an area code
        ("座机021-64120000转8", "座机021-****0000转8"),
        ("(021)64120000", "(021)****0000"),
        ("0571 8765 4321", "0571 **** 4321"),
        # bank cards: 16-19 digits, plain or grouped; only the last four kept
        ("卡号6222021234567890123", "卡号***************0123"),
        ("卡号 6222 0212 3456 7890 123", "卡号 **** **** **** ***0 123"),
        ("6228-4800-1234-5678", "****-****-****-5678"),
        ("4111111111111111", "************1111"),
        # e-mail
        ("邮箱zhang.san@example.com谢谢", "邮箱z***@example.com谢谢"),
        ("13800138000@qq.com", "1***@qq.com"),
        # URL-encoded text: a percent escape is a boundary
        (
            "GET /x?q=%E8%AF%81310112199001011233&t=%E8%AF%9D13800138000",
            "GET /x?q=%E8%AF%81310***********1233&t=%E8%AF%9D138****8000",
        ),
    ],
)
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "企业统一社会信用代码91310112MA1000001R",
        "913101126600000011",  # an all-digit enterprise code (valid check character)
        "123101189001011012",  # a 事业单位 code shaped like an identity number: its USCC check holds, the ID one not
        "办件编号MH20261127-000001，诉求编号SQ20261127-000123",
        "2026-11-27 09:30 至 10:00，共 3 个时段",
        "预算 500000 元/月，面积 1200 平方米",
        "沪府办发〔2023〕12号第十二条",
        "request 3f2a9c0e1b7d4e6fa0b1c2d3e4f5a6b7",
        "时间戳20261127093015",  # 14 digits: neither an identity nor a card number
        "流水号123456789012345678901",  # 21 digits: longer than any card
        "",
    ],
)
def test_enterprise_codes_record_numbers_and_ordinary_numbers_are_kept(text: str) -> None:
    assert mask_pii(text) == text


def test_the_test_codes_are_what_they_claim() -> None:
    assert is_valid_uscc("913101126600000011") and is_valid_uscc("123101189001011012")
    assert is_resident_id("123101189001011012") and not resident_id_checksum_ok("123101189001011012")
    assert resident_id_checksum_ok("310112199001011233") and not resident_id_checksum_ok("310112199001011234")


def test_an_identity_number_with_a_valid_check_digit_is_masked_even_when_it_passes_as_an_enterprise_code() -> None:
    # An identity number that happens to satisfy the USCC check too: the person wins.
    for serial in range(1000):
        candidate = f"31011219900101{serial:03d}"
        for last in "0123456789X":
            code = candidate + last
            if resident_id_checksum_ok(code) and is_valid_uscc(code):
                assert mask_pii(code) == code[:3] + "*" * 11 + code[-4:]
                return
    pytest.fail("no identity number that is also a valid enterprise code was found")


def test_several_numbers_in_one_text_are_all_masked() -> None:
    text = "张三，身份证310112199001011233，手机13800138000，卡6222021234567890，邮箱a@b.cn"
    masked = mask_pii(text)
    for secret in ("199001011233", "00138000", "202123456789", "a@b.cn"):
        assert secret not in masked
    assert masked.startswith("张三，身份证310")
