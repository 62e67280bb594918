"""The eligibility pre-check as a person lives it: one question at a time, "không biết" accepted,
"thôi" leaves; and the two-stage fallback."""

from __future__ import annotations

import pytest

from core.formatting import money

pytestmark = pytest.mark.stack


def answer_until_done(chat, sender: str, first: str, replies: dict[str, str], turns: int = 8) -> str:
    """Say `first`, then answer each question by the first key found in it; returns the final answer."""
    reply = chat.say(sender, first)
    for _ in range(turns):
        if "Nơi nộp" in reply or "mỗi tháng được" in reply or "chưa thấy khoản" in reply:
            return reply
        typed = next((answer for key, answer in replies.items() if key in reply), None)
        assert typed, f"unexpected question: {reply}"
        reply = chat.say(sender, typed)
    raise AssertionError(f"no answer after {turns} turns: {reply}")


ELDERLY_ANSWERS = {"hộ nghèo": "không", "khuyết tật": "không", "nuôi dưỡng": "không", "người nuôi": "không"}


def test_mother_82_without_pension_gets_the_elderly_allowance(chat) -> None:
    first = "mẹ tôi 82 tuổi không có lương hưu thì được trợ cấp gì, bao nhiêu tiền?"
    reply = chat.say("elig-1", first)
    # Age and pension come from the message itself: the first question is the household.
    assert "chưa rõ" not in reply and "bao nhiêu tuổi" not in reply and "hộ nghèo" in reply
    answer = answer_until_done(chat, "elig-1b", first, ELDERLY_ANSWERS)
    assert f"mỗi tháng được {money(500_000)}" in answer
    assert "đủ 80 tuổi" in answer and "NĐ 20/2021/NĐ-CP" in answer and "mẫu số 1d" in answer
    assert "UBND xã/phường/đặc khu nơi cư trú" in answer and "cấp huyện" not in answer
    assert "hưu trí xã hội" in answer and "(theo thông tin hiện có)" in answer  # NĐ 176/2025 is unconfirmed


def test_without_diacritics_and_typed_numbers(chat) -> None:
    reply = chat.say("elig-2", "ba toi 85 tuoi ko co luong huu thi duoc tro cap gi")
    assert "hộ nghèo" in reply
    answer = answer_until_done(chat, "elig-2", "3", {"khuyết tật": "3", "nuôi dưỡng": "2", "người nuôi": "2"})
    assert f"{money(500_000)}" in answer


def test_dont_know_is_an_answer_and_is_reported_as_open(chat) -> None:
    reply = chat.say("elig-3", "kiểm tra xem tôi được hưởng trợ cấp gì")
    assert "bao nhiêu tuổi" in reply and "chưa rõ" not in reply
    reply = chat.say("elig-3", "không biết")
    assert "cháu chưa rõ" not in reply and "bao nhiêu tuổi" not in reply
    answer = answer_until_done(chat, "elig-3", "không biết", {"?": "không biết"}, turns=12)
    assert "Còn chưa chắc chắn" in answer or "chưa thấy khoản" in answer


def test_cancel_half_way_then_talk_normally(chat) -> None:
    assert "hộ nghèo" in chat.say("elig-4", "mẹ tôi 82 tuổi không có lương hưu thì được trợ cấp gì")
    assert "dừng lại" in chat.say("elig-4", "thôi")
    assert "Dạ, cháu chào Bác" in chat.say("elig-4", "chào cháu")


def test_amount_question_still_answered_directly(chat) -> None:
    answer = chat.say("elig-5", "người khuyết tật đặc biệt nặng được bao nhiêu?")
    assert f"Người khuyết tật đặc biệt nặng: {money(1_000_000)}/tháng" in answer


def test_not_understood_twice_offers_a_person(chat) -> None:
    first = chat.post("fallback-1", "qwerty asdf")
    assert "chưa hiểu rõ" in first[0]["text"] and 2 <= len(first[0]["buttons"]) <= 3
    second = chat.post("fallback-1", "qwerty asdf")
    assert "tổng đài viên" in second[0]["text"]
    assert "chức năng chuyển tổng đài viên" in chat.say("fallback-1", "1")
