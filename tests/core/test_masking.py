"""Identifiers are masked before conversation events are written; dates, years and money stay readable."""

import pytest

from core.masking import mask_numbers, scrub


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("cccd của tôi là 079301004567", "cccd của tôi là ********4567"),
        ("sđt 0912 345 678 nhé", "sđt ******5678 nhé"),
        ("0912.345.678", "******5678"),
        ("+84912345678", "*******5678"),
        ("stk 1903-4567-8901-2", "stk *********9012"),
        ("số tài khoản 1234567", "số tài khoản ***4567"),  # 6-20 digits: what the link form accepts
        ("stk 123456", "stk **3456"),
        ("stk 123.456.789", "stk *****6789"),  # grouped like money, but no unit: may be an account
        ("0123 456 789 0123 4567 8901 2345", "*" * 22 + "2345"),  # longer than 20: masked too
        ("mã 4821", "mã 4821"),  # 4 and 5 digits: codes, years, amounts in words
        ("12345", "12345"),
        ("http://001.144.100.002/", "http://********0002/"),  # a CCCD dressed as an address: no octets
        ("xem 127.0.0.1 nhé", "xem **7001 nhé"),  # an address only right after "://"
    ],
)
def test_numbers_the_assistant_accepts_as_identifiers_keep_only_4_digits(typed: str, stored: str) -> None:
    assert mask_numbers(typed) == stored


@pytest.mark.parametrize(
    "text",
    [
        "sinh năm 1948, 82 tuổi, tháng 9",
        "sinh năm 1941 85 tuổi",  # a year and an age typed next to each other
        "ngày 2 tháng 7 năm 1944",
        "ngày sinh 2.7.1944",
        "ngày sinh 02-07-1944",
        "ngày sinh 12/3/1941",
        "12 3 1941",
        "kỳ 2025-12",
        "năm học 2024-2025",
        "ngày sinh 1944-07-02",
        "Tháng 12/2025, trợ cấp xã hội: 500.000\u00a0₫, đã vào tài khoản",
        "được 1.000.000 đồng không",
        "2 triệu 500 nghìn",
        "(Bản thử: http://127.0.0.1:8101/vneid/approvals/abc/)",  # the link must still work after a reload
        "https://10.20.30.40/chat",
    ],
)
def test_dates_years_ages_and_money_stay_readable(text: str) -> None:
    assert mask_numbers(text) == text


def test_scrub_walks_events() -> None:
    event = {
        "event": "user",
        "text": "079301004567",
        "parse_data": {"entities": [{"entity": "cccd", "value": "079301004567"}], "text": "079301004567"},
        "metadata": {"phone_last4": "5678"},
        "timestamp": 1795000000.123,
        "confidence": 0.98,
    }
    scrubbed = scrub(event)
    assert "079301004567" not in str(scrubbed)
    assert scrubbed["parse_data"]["entities"][0]["value"] == "********4567"
    assert scrubbed["metadata"] == {"phone_last4": "5678"}
    assert (scrubbed["confidence"], scrubbed["timestamp"]) == (0.98, 1795000000.123)
