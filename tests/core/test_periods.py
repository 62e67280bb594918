from datetime import date

import pytest

from core.periods import period_for, period_label

TODAY = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("said", "period"),
    [(None, "2026-01"), ("this_month", "2026-01"), ("last_month", "2025-12"), ("next_month", "2026-02"),
     ("1", "2026-01"), ("12", "2025-12"), ("3", "2025-03"), ("13", "2026-01"), ("abc", "2026-01")],
)  # fmt: skip
def test_period_for(said: str | None, period: str) -> None:
    assert period_for(said, TODAY) == period


def test_label() -> None:
    assert period_label("2026-03") == "tháng 3/2026"
