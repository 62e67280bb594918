"""Canonical entity values however they are typed."""

import pytest

from bot.nlu.entities import EntityCanonicalizer, month_value, provider_aliases, with_fallbacks


@pytest.mark.parametrize(
    ("typed", "value"),
    [("t9", "9"), ("T9", "9"), ("tháng 9", "9"), ("thang 09", "9"), ("thg 11", "11"), ("tháng chín", "9"),
     ("tháng giêng", "1"), ("tháng chạp", "12"), ("tháng sáu", "6"), ("tháng sau", "next_month"),
     ("thang toi", "next_month"), ("tháng này", "this_month"), ("thang nay", "this_month"),
     ("tháng trước", "last_month"), ("thang roi", "last_month"), ("tháng 13", None), ("9", None), ("nay", None)],
)  # fmt: skip
def test_month_values(typed: str, value: str | None) -> None:
    assert month_value(typed) == value


def test_provider_aliases_fold_diacritics() -> None:
    aliases = provider_aliases()
    assert aliases[("bank", "vietcombank")] == "VCB"
    assert aliases[("wallet", "vi viettel")] == "VIETTEL_MONEY"


def test_canonical_values_ignore_diacritics_and_the_word_bank() -> None:
    component = EntityCanonicalizer(
        None, None, {EntityCanonicalizer.key(e, a): c for (e, a), c in provider_aliases().items()}
    )  # type: ignore[arg-type]
    assert component.canonical("bank", "Ngân hàng Vietcombank", "Ngân hàng Vietcombank") == "VCB"
    assert component.canonical("bank", "NGAN HANG VIETINBANK", "x") == "VIETINBANK"
    assert component.canonical("wallet", "Viettel Money", "Viettel Money") == "VIETTEL_MONEY"
    assert component.canonical("month", "t10", "t10") == "10"
    assert component.canonical("bank", "ngân hàng Mặt Trăng", "ngân hàng Mặt Trăng") == "ngân hàng Mặt Trăng"


@pytest.mark.parametrize("typed", ["12/3/1950", "02/07/1944", "ngày 5-6-1948", "sinh 1.1.52"])
def test_a_whole_date_is_never_the_month_asked_about(typed: str) -> None:
    start = next(i for i, ch in enumerate(typed) if ch.isdigit())
    as_month = {"entity": "month", "start": start, "end": len(typed), "value": typed[start:]}
    assert with_fallbacks(typed, [as_month]) == []


def test_a_month_with_its_year_stays_a_month() -> None:
    month = {"entity": "month", "start": 0, "end": 12, "value": "3"}
    assert with_fallbacks("tháng 3/2026", [month]) == [month]
