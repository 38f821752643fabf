"""A day's figures on SQLite and PostgreSQL: turns, unanswered, curated, handoffs and thumbs of one Shanghai day."""

from datetime import UTC, date, datetime, timedelta

import pytest

from minfu.errors import InvalidInputError
from tools.store.conversations import ConversationStore
from tools.store.db import SessionFactory
from tools.store.handoffs import HandoffStore
from tools.store.turns import TurnLog, day_bounds

DAY = date(2026, 12, 2)


class SettableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_day_is_a_shanghai_calendar_day() -> None:
    start, end = day_bounds(DAY)
    assert start == datetime(2026, 12, 1, 16, 0, tzinfo=UTC) and end - start == timedelta(days=1)


def test_figures_count_one_day_only(sessions: SessionFactory) -> None:
    clock = SettableClock(datetime(2026, 12, 1, 15, 59, tzinfo=UTC))  # 23:59 on 1 December in Shanghai
    conversations = ConversationStore(sessions, clock=clock)
    turns, handoffs = TurnLog(sessions, clock=clock), HandoffStore(sessions, clock=clock)
    conversations.open("c_one", "site_a", None)
    turns.record("c_one", answered=True, brain="offline")  # the day before
    conversations.add_feedback("c_one", 1, "up", None)
    clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 09:00 on 2 December
    for answered, brain in ((True, "offline"), (False, "offline"), (False, "openai"), (True, "curated")):
        turns.record("c_one", answered=answered, brain=brain)
    handoffs.enqueue("c_one", "转人工")
    for rating in ("up", "down", "down"):
        conversations.add_feedback("c_one", 1, rating, None)
    figures = turns.figures(DAY)
    assert (figures.questions, figures.unanswered, figures.curated, figures.handoffs) == (4, 2, 1, 1)
    assert (figures.thumbs_up, figures.thumbs_down) == (1, 2)
    assert turns.figures(date(2026, 12, 1)).to_json() == {
        "day": "2026-12-01", "questions": 1, "unanswered": 0, "curated": 0, "handoffs": 0,
        "thumbs_up": 1, "thumbs_down": 0,
    }  # fmt: skip
    assert turns.today() == DAY


def test_a_bad_brain_name_is_refused(sessions: SessionFactory) -> None:
    ConversationStore(sessions).open("c_one", "site_a", None)
    with pytest.raises(InvalidInputError):
        TurnLog(sessions).record("c_one", answered=True, brain="")
