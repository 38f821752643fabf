"""The stores' shared input check: text stripped, bounded, and free of NUL (which PostgreSQL text cannot hold)."""

import pytest
from sqlalchemy import Engine

from minfu.errors import InvalidInputError
from tools.store import session_factory, upgrade
from tools.store.common import require_text
from tools.store.conversations import ConversationStore


def test_text_is_stripped_and_bounded() -> None:
    assert require_text("  清楚  ", "reason", "原因", max_len=5) == "清楚"
    with pytest.raises(InvalidInputError, match="原因不能为空"):
        require_text("   ", "reason", "原因", max_len=5)
    with pytest.raises(InvalidInputError, match="不能超过 5 个字"):
        require_text("一二三四五六", "reason", "原因", max_len=5)


def test_a_nul_character_is_refused_as_input() -> None:
    with pytest.raises(InvalidInputError, match="原因不能包含空字符") as refused:
        require_text("说明\x00不清", "reason", "原因", max_len=500)
    assert refused.value.field == "reason"


def test_a_nul_character_never_reaches_the_database(engine: Engine) -> None:
    """On PostgreSQL the insert itself would fail: the check must come first, on every database."""
    upgrade(engine)
    store = ConversationStore(session_factory(engine))
    store.open("c_nul_check", "site_test", None)
    with pytest.raises(InvalidInputError):
        store.add_feedback("c_nul_check", 1, "down", "答非\x00所问")
    assert store.add_feedback("c_nul_check", 1, "down", "答非所问") > 0
