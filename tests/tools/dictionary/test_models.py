import pytest

from minfu.errors import InvalidInputError
from tools.dictionary.models import ServiceMatter, matter_from_dict


def _raw(**changes: object) -> dict[str, object]:
    raw = {
        "code": "T-1",
        "name": "食品经营许可",
        "department": "区市场监督管理局",
        "matter_type": "行政许可",
        "materials": [{"name": "申请表", "form": "原件"}],
        "source": "测试",
        "sample": True,
        "sample_note": "样例",
    }
    raw.update(changes)
    return raw


def test_a_valid_record_loads_with_typed_fields():
    matter = matter_from_dict(_raw(legal_time_limit_days=10), origin="t")
    assert isinstance(matter, ServiceMatter)
    assert matter.materials[0].form == "原件" and matter.materials[0].required
    assert matter.names() == ("食品经营许可",) and not matter.is_bundle


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"department": None}, "department"),
        ({"name": ""}, "name"),
        ({"materials": [{"name": "申请表", "form": "传真"}]}, "materials.0.form"),
        ({"legal_time_limit_days": -3}, "legal_time_limit_days"),
        ({"aliases": ["核名", " "]}, "aliases"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"sample_note": ""}, "sample_note"),
    ],
)
def test_an_invalid_record_names_the_record_and_the_field(changes, field):
    with pytest.raises(InvalidInputError) as caught:
        matter_from_dict(_raw(**changes), origin="x.yaml 第3条")
    assert caught.value.field == field
    assert "T-1" in caught.value.message and "x.yaml 第3条" in caught.value.message
    assert field in caught.value.message or field == "sample_note"


def test_a_missing_required_field_says_so_in_chinese():
    raw = _raw()
    del raw["sample"]
    with pytest.raises(InvalidInputError, match="sample 无效：缺少必填字段"):
        matter_from_dict(raw, origin="t")
