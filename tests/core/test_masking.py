"""Identifiers are masked before conversation events are written."""

from core.masking import mask_numbers, scrub


def test_long_numbers_keep_only_the_last_four_digits() -> None:
    assert mask_numbers("cccd của tôi là 079301004567") == "cccd của tôi là ********4567"
    assert mask_numbers("sđt 0912 345 678 nhé") == "sđt ******5678 nhé"
    assert mask_numbers("+84912345678") == "*******5678"
    assert mask_numbers("stk 1903-4567-8901-2") == "stk *********9012"
    assert mask_numbers("sinh năm 1948, 82 tuổi, tháng 9") == "sinh năm 1948, 82 tuổi, tháng 9"
    assert mask_numbers("12345678") == "12345678"  # 8 digits: not an identifier we keep


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
