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


@pytest.mark.parametrize(
    ("said", "anchor", "period"),
    [("tien thang nay co chua", None, "2026-01"), ("t12 co tien chua", None, "2025-12"),
     ("thang truoc tien ve chua", None, "2025-12"), ("thang roi sao khong co tien", None, "2025-12"),
     ("con thang truoc thi sao", "2026-01", "2025-12"), ("the thang truoc do", "2025-09", "2025-08"),
     ("con thang sau do", "2025-09", "2025-10"), ("hai thang truoc do thi sao", "2025-06", "2025-04"),
     ("the con thang truoc nua", "2025-12", "2025-11"), ("thang truoc nua", None, "2025-11"),
     ("tien thang 10/2024", None, "2024-10"), ("lien ket tai khoan", None, None)],
)  # fmt: skip
def test_month_said_against_the_month_last_talked_about(said: str, anchor: str | None, period: str | None) -> None:
    from core.periods import month_said

    assert month_said(said, TODAY, anchor) == period


@pytest.mark.parametrize(
    ("said", "period"),
    [("tiền tháng sáu bác nhận chưa", "2025-06"), ("còn Tháng Mười thì sao", "2025-10"), ("tháng chạp", "2025-12"),
     ("tháng giêng có tiền chưa", "2026-01"), ("tháng mười hai", "2025-12"), ("thang muoi mot", "2025-11"),
     ("tháng sau có tiền không", "2026-02"), ("thang sau", "2026-02")],
)  # fmt: skip
def test_a_month_said_in_words_is_that_month_and_tháng_sau_stays_next_month(said: str, period: str) -> None:
    from core.periods import month_said, months_in_digits
    from core.text import fold_words

    assert month_said(fold_words(months_in_digits(said)).lower(), TODAY) == period


@pytest.mark.parametrize(
    ("said", "period"),
    [("thế còn kỳ trước", "2025-12"), ("kì trước có chưa", "2025-12"), ("đợt này có tiền chưa", "2026-01"),
     ("ừm tháng kia thì sao", "2025-11")],
)  # fmt: skip
def test_a_round_is_a_month_and_tháng_kia_is_two_months_ago(said: str, period: str) -> None:
    from core.periods import month_said
    from core.text import fold_words

    assert month_said(fold_words(said).lower(), TODAY) == period
