"""The checks of the conversation set, on replies written by hand: each must hold for the replies
it is meant to accept and fail for the ones it is meant to catch."""

from __future__ import annotations

import json

import pytest

from core.formatting import money
from tests.dialogue import checks
from tests.dialogue.checks import Reply
from tests.dialogue.runner import kind_of, typed_numbers


def reply(*bubbles: str, buttons: tuple[str, ...] = ()) -> Reply:
    return Reply(bubbles=list(bubbles), buttons=[{"title": t, "payload": "/x"} for t in buttons])


@pytest.mark.parametrize(
    ("text", "wanted", "holds"),
    [
        ("Dạ, chưa ạ. Tiền tháng 12 dự kiến vào tài khoản khoảng ngày 5/12.", "no", True),
        ("Chưa ạ, tiền tháng 12 chưa về.", "no", True),
        ("Dạ rồi ạ, tháng 11 tiền đã vào tài khoản ngày 5/11.", "yes", True),
        ("Dạ có, tiền đã vào tài khoản.", "yes", True),
        ("Dạ, đã vào tài khoản ngày 5/11.", "yes", True),
        ("Bác Nguyễn Văn An:\nTháng 12/2026 — đã lập danh sách ngày 1/12.", "any", False),
        ("Tháng 11/2026, trợ cấp xã hội: 500.000 ₫ — bị hoàn trả.", "no", False),
        ("Dạ, đã lập danh sách ngày 1/12.", "yes", False),  # office words are not a yes
        ("Dạ chưa ạ.", "yes", False),
    ],
)
def test_yes_or_no_first(text: str, wanted: str, holds: bool) -> None:
    assert (checks.starts_with_yes_no(reply(text), wanted) is None) is holds


def test_yes_or_no_after_the_verification_notice() -> None:
    answer = reply("Dạ, cháu đã xác thực xong: Bác Đỗ Thị Kim.", "Dạ rồi ạ, tháng 11 tiền đã vào tài khoản.")
    assert checks.starts_with_yes_no(answer, "yes") is None


@pytest.mark.parametrize(
    ("text", "value", "found"),
    [
        (f"mỗi tháng {money(500_000)}", 500_000, True),
        ("500,000 đồng", 500_000, True),
        ("500000đ", 500_000, True),
        ("500 nghìn một tháng", 500_000, True),
        ("1.250.000 ₫", 1_250_000, True),
        ("khoảng 1,25 triệu", 1_250_000, True),
        ("1 triệu 250 nghìn", 1_250_000, True),
        ("10 triệu đồng", 10_000_000, True),
        ("8.639.000 ₫", 8_639_000, True),
        ("1.500.000 ₫", 500_000, False),  # part of a larger number
        ("7.240.000 ₫", 8_639_000, False),
        ("5.000.000 ₫", 500_000, False),
        ("500.0001", 500_000, False),
    ],
)
def test_amounts_in_the_ways_people_write_them(text: str, value: int, found: bool) -> None:
    assert checks.mentions_amount(text, value) is found


def test_patterns_match_without_diacritics_or_case() -> None:
    assert checks.says_any(reply("Nhận tiền mặt ngày 10 tại Nhà văn hóa ấp 3"), ["nhà văn hóa", "ngay 10\\b"]) is None
    assert checks.says_none(reply("Dạ, đã LẬP DANH SÁCH"), ["lap danh sach"]) is not None
    assert checks.says_all(reply("ngày 5"), ["ngay 5\\b", "ngay 10"]) is not None
    # Escapes keep their meaning when the pattern is folded: \D is not "\d".
    assert checks.matches(r"\D5", "ngày 5") and not checks.matches(r"\d\D\d", "55")


@pytest.mark.parametrize(
    ("text", "buttons", "fact", "asked"),
    [
        ("Bác gõ số CCCD 12 số giúp cháu (in ở mặt trước thẻ).", (), "cccd", True),
        ("Bác có đồng ý để cháu dùng số CCCD, họ tên, ngày sinh của Bác không ạ?", (), "cccd", False),
        ("Cháu sẽ hỏi số CCCD, họ tên, ngày sinh rồi đối chiếu với hồ sơ.", (), "name", False),
        ("Bác gõ họ và tên đầy đủ như trên CCCD giúp cháu.", (), "name", True),
        ("Bác gõ họ và tên đầy đủ như trên CCCD giúp cháu.", (), "cccd", True),
        ("Người cần kiểm tra năm nay bao nhiêu tuổi, hoặc sinh năm nào ạ?", (), "age", True),
        ("Mẹ Bác 85 tuổi, thuộc hộ nghèo: mỗi tháng được 1.000.000 ₫.", (), "age", False),
        ("Mẹ Bác 85 tuổi, thuộc hộ nghèo: mỗi tháng được 1.000.000 ₫.", (), "household", False),
        ("Gia đình có thuộc hộ nghèo hoặc hộ cận nghèo không ạ?", ("1. Hộ nghèo", "2. Không"), "household", True),
        ("Hoàn cảnh của cháu thuộc trường hợp nào ạ?", ("1. Mồ côi cả cha và mẹ", "2. Bị bỏ rơi"), "orphan", True),
        ("Bác nhận tiền qua ngân hàng hay ví nào ạ?", ("1. Agribank",), "bank", True),
        ("Bác gõ số tài khoản giúp cháu.", (), "account", True),
        ("Tiền vào tài khoản Agribank ****0000.", (), "account", False),
        ("Bác ở xã hoặc phường nào ạ? (ví dụ: Tân Phú)", (), "commune", True),
        ("Người đó có vợ/chồng, con hoặc cháu có nghĩa vụ phụng dưỡng không ạ?", (), "carer", True),
        ("Người đó có vợ/chồng, con hoặc cháu có nghĩa vụ phụng dưỡng không ạ?", (), "single_parent", False),
    ],
)
def test_questions_are_recognised_by_what_they_ask(text: str, buttons: tuple[str, ...], fact: str, asked: bool) -> None:
    assert checks.asks_about(reply(text, buttons=buttons), fact) is asked


def test_internal_names_come_from_the_domain_and_are_found_in_text() -> None:
    names = checks.internal_names()
    assert {"ask_benefit_amount", "utter_greet", "action_check_payment", "pending_goal", "schedule_form"} <= names
    leak = "Dạ, cháu chưa có lịch chi trả của ask_benefit_amount."
    assert checks.find_internal_names(leak, names) == ["ask_benefit_amount"]
    assert checks.find_internal_names("Bác bấm /check_payment nhé", names)
    assert checks.find_internal_names('Bác chọn /inform{"answer":"1"}', names)
    assert checks.find_internal_names("còn {attempts_left} lần thử", names)
    assert checks.find_internal_names("cháu chưa có lịch chi trả của affirm.", names) == ["affirm"]
    clean = "Dạ, Bác gõ số CCCD 12 số giúp cháu. (Bản thử: http://127.0.0.1:1/verification/v1/vneid/approvals/ab/)"
    assert checks.find_internal_names(clean, names) == []


def test_always_on_checks() -> None:
    names = checks.internal_names()
    assert checks.always(reply("Dạ, cháu chào Bác.", buttons=("1", "2", "3", "4")), names, []) == []
    failures = dict(checks.always(reply("a", buttons=("1", "2", "3", "4", "5")), names, []))
    assert "max_buttons" in failures
    assert "never_asks_secret" in dict(checks.always(reply("Bác gõ mã OTP giúp cháu."), names, []))
    warning = reply("Cháu không bao giờ hỏi mã OTP, mật khẩu hay mã VNeID của Bác.")
    assert checks.always(warning, names, []) == []
    shown = reply("Số tài khoản 1020304000370 đã liên kết.")
    assert "masked_numbers" in dict(checks.always(shown, names, ["1020304000370"]))
    assert checks.always(reply("Số ****0370 đã liên kết."), names, ["1020304000370"]) == []
    assert "no_reply" in dict(checks.always(Reply(), names, []))


def test_first_bubble_and_buttons() -> None:
    answer = reply("Mỗi tháng 1.000.000 ₫.", "Căn cứ: NĐ 20/2021.", buttons=("1. Xem căn cứ", "2. Nơi nộp"))
    assert checks.first_amount(answer, 1_000_000) is None
    assert checks.first_amount(reply("Căn cứ: NĐ 20/2021.", "Mỗi tháng 1.000.000 ₫."), 1_000_000) is not None
    assert checks.max_chars_first_bubble(answer, 300) is None
    assert checks.max_chars_first_bubble(reply("x" * 301), 300) is not None
    assert checks.buttons_include(answer, ["can cu"]) is None
    assert checks.buttons_exclude(answer, ["nhap lai"]) is None
    assert checks.buttons_exclude(reply("a", buttons=("1. Nhập lại",)), ["nhap lai"]) is not None


def test_typed_numbers_and_failure_kinds() -> None:
    assert typed_numbers("số 080 041 100 001 và 0912.345.678, mã 1234") == ["080041100001", "0912345678"]
    assert kind_of("not_asked_again", None, "asks again about ['bank', 'cccd']") == "not_asked_again: bank, cccd"
    assert kind_of("by_now", {"amount": 1}, "x") == "by_now: amount"


def result(part: str, passed: bool, category: str = "recovery") -> dict:
    failure = {"turn": 1, "check": "says_any", "kind": "says_any: x", "reason": "none", "user": "câu của người dùng",
               "reply": {"bubbles": ["Dạ"], "buttons": []}}  # fmt: skip
    return {
        "id": f"{part}-{category}-{passed}", "part": part, "category": category, "who": "elderly",
        "passed": passed, "failures": [] if passed else [failure], "first_failure": None if passed else failure,
        "transcript": [{"turn": 1, "user": "câu của người dùng", "bubbles": ["Dạ"], "buttons": []}],
    }  # fmt: skip


def test_report_rates_and_no_held_out_sentence(tmp_path) -> None:
    from tests.dialogue.report import render
    from tests.dialogue.runner import write_report

    results = [result("set", True), result("set", False, "menu"), result("heldout", False), result("heldout", True)]
    summary = write_report(results, tmp_path / "report.json")
    assert summary["overall"] == {"passed": 2, "total": 4, "rate": 0.5}
    assert summary["by_part"]["heldout"]["rate"] == 0.5 and summary["by_category"]["menu"]["rate"] == 0.0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    held_out = json.dumps([c for c in report["conversations"] if c["part"] == "heldout"], ensure_ascii=False)
    assert "câu của người dùng" not in held_out and '"check": "says_any"' in held_out
    the_set = json.dumps([c for c in report["conversations"] if c["part"] == "set"], ensure_ascii=False)
    assert "câu của người dùng" in the_set
    printed = render(report)
    assert "50.0 %" in printed and "heldout-recovery-False" in printed and "câu của người dùng" in printed
