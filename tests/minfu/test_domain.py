from datetime import date

import pytest

from minfu.domain import Document, DocumentKind, SearchFilters, Validity

TODAY = date(2026, 11, 27)


def _doc(**fields) -> Document:
    return Document(id="d", kind=DocumentKind.POLICY, title="t", source="s", **fields)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, Validity.CURRENT),
        ({"superseded_by": "d2"}, Validity.SUPERSEDED),
        ({"expires_on": date(2026, 11, 26)}, Validity.EXPIRED),
        ({"expires_on": TODAY}, Validity.CURRENT),
        ({"effective_from": date(2027, 1, 1)}, Validity.NOT_YET_EFFECTIVE),
    ],
)
def test_validity(fields, expected):
    assert _doc(**fields).validity(TODAY) is expected


@pytest.mark.parametrize(
    ("filters", "fields", "admitted"),
    [
        (SearchFilters(), {}, True),
        (SearchFilters(), {"superseded_by": "x"}, False),
        (SearchFilters(include_history=True), {"superseded_by": "x"}, True),
        (SearchFilters(kinds=frozenset({DocumentKind.LAW})), {}, False),
        (SearchFilters(issuers=frozenset({"国务院"})), {"issuer": "国务院"}, True),
        (SearchFilters(doc_numbers=frozenset({"闵府办发〔2026〕1号"})), {"doc_number": "闵府办发〔2026〕1号"}, True),
        (SearchFilters(effective_after=date(2025, 1, 1)), {"effective_from": date(2024, 12, 31)}, False),
        (SearchFilters(effective_after=date(2025, 1, 1)), {}, False),
        (SearchFilters(effective_before=date(2025, 1, 1)), {"effective_from": date(2024, 12, 31)}, True),
        (SearchFilters(on=date(2020, 1, 1)), {"expires_on": date(2021, 1, 1)}, True),
    ],
)
def test_filters_admit(filters, fields, admitted):
    assert filters.admits(_doc(**fields), TODAY) is admitted
