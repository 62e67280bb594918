"""The eligibility pre-check as people live it, through the whole stack: who is asked about, every fact
said used and never asked again, corrections, age pruning, the answer first; and the two-stage fallback."""

from __future__ import annotations

from typing import Any

import pytest

from core.formatting import money

pytestmark = pytest.mark.stack


class Talk:
    """One person's conversation: every question the bot asked, and its last answer."""

    def __init__(self, chat: Any, sender: str) -> None:
        self.chat, self.sender = chat, sender
        self.questions: list[str] = []
        self.answer = ""

    def say(self, text: str) -> list[dict[str, Any]]:
        replies = self.chat.post(self.sender, text)
        joined = "\n".join(m.get("text", "") for m in replies)
        if any(b.get("title", "").startswith("1. Căn cứ") for m in replies for b in m.get("buttons") or []):
            self.answer = joined
        elif joined.strip():
            self.questions.append(joined)
        return replies

    def until_answer(self, first: str, replies: dict[str, str], turns: int = 8) -> str:
        """Say `first`, then answer each question by the first key found in it."""
        self.say(first)
        for _ in range(turns):
            if self.answer:
                return self.answer
            question = self.questions[-1]
            typed = next((answer for key, answer in replies.items() if key in question), None)
            assert typed, f"unexpected question: {question}"
            self.say(typed)
        raise AssertionError(f"no answer after {turns} turns: {self.questions}")


def plain(text: str) -> str:
    return text.replace("\xa0", " ")


def test_a_relative_asks_about_her_mother_and_is_not_asked_what_she_said(chat) -> None:
    talk = Talk(chat, "elig-relative")
    answer = talk.until_answer(
        "mẹ tôi 82 tuổi không có lương hưu thì được trợ cấp gì, bao nhiêu tiền?",
        {"hộ nghèo": "không", "khuyết tật": "3"},
    )
    first = talk.questions[0]
    assert first.startswith("Dạ, cháu ghi nhận: mẹ Bác 82 tuổi, không có lương hưu.")
    asked = " ".join(talk.questions)
    assert "bao nhiêu tuổi" not in asked and "lương hưu hoặc trợ cấp" not in asked  # nothing said is asked again
    assert "một mình nuôi con" not in asked and "mồ côi" not in asked and "HIV" not in asked  # age prunes
    assert len(talk.questions) <= 2
    assert plain(answer).startswith(f"Dạ, mẹ Bác được trợ cấp người cao tuổi {plain(money(500_000))}/tháng")
    assert len(answer) <= 300 and "Kèm thẻ bảo hiểm y tế" in answer
    details = chat.say("elig-relative", "1")  # "1. Căn cứ, giấy tờ"
    assert "điểm c khoản 5 Điều 5 NĐ 20/2021/NĐ-CP" in details and "mẫu số 1d" in details
    assert "UBND xã/phường/đặc khu nơi cư trú" in details and "cấp huyện" not in details


def test_an_elderly_person_asks_for_himself_without_diacritics(chat) -> None:
    talk = Talk(chat, "elig-self")
    answer = talk.until_answer("bac nam nay 85 tuoi ko co luong huu, nha ngheo, ko co con chau thi dc gi",
                               {"khuyết tật": "3", "nhận chăm sóc": "2", "nuôi dưỡng": "2"})  # fmt: skip
    assert "Bác 85 tuổi" in talk.questions[0]
    assert "thuộc hộ nghèo hoặc hộ cận nghèo" not in " ".join(talk.questions)  # said in the first message
    assert plain(answer).startswith(f"Dạ, Bác được trợ cấp người cao tuổi {plain(money(1_000_000))}/tháng")


def test_an_agent_asks_for_a_customer(chat) -> None:
    talk = Talk(chat, "elig-agent")
    answer = talk.until_answer("khách hỏi bà ấy 78 tuổi, hộ nghèo, không có ai phụng dưỡng thì được gì",
                               {"khuyết tật": "3", "nhận chăm sóc": "2", "nuôi dưỡng": "2",
                                "lương hưu": "không"})  # fmt: skip
    assert "bà cụ" in talk.questions[0].lower() or "Bà cụ" in talk.questions[0]
    assert plain(answer).startswith(f"Dạ, bà cụ được trợ cấp người cao tuổi {plain(money(750_000))}/tháng")


def test_a_correction_replaces_the_age(chat) -> None:
    talk = Talk(chat, "elig-correct")
    talk.say("mẹ tôi 80 tuổi không có lương hưu thì được trợ cấp gì")
    assert "hộ nghèo" in talk.questions[-1]
    talk.say("à không, 79 tuổi")
    assert talk.questions[-1].startswith("Dạ, cháu sửa lại: mẹ Bác 79 tuổi.")
    assert "hộ nghèo" in talk.questions[-1]  # the question still pending is asked again
    answer = talk.until_answer("không", {"khuyết tật": "3"})
    # At 79 the 80+ allowance is gone: the social pension (từ đủ 75, NĐ 176/2025 ◐) remains, said with care.
    assert plain(money(500_000)) in plain(answer) and "hưu trí xã hội" in answer and "chưa chắc chắn" in answer


def test_a_poor_single_mother_is_not_taken_for_a_child(chat) -> None:
    talk = Talk(chat, "elig-mother")
    answer = talk.until_answer("tôi đơn thân nuôi 2 con 3 tuổi và 5 tuổi, nhà nghèo, có được gì không",
                               {"khuyết tật": "3", "mang thai": "4", "bao nhiêu tuổi": "32"})  # fmt: skip
    asked = " ".join(talk.questions)
    assert "mồ côi" not in asked and "HIV" not in asked and "mấy con" not in asked
    assert "mỗi cháu 500.000 ₫, 2 cháu là 1.000.000 ₫" in plain(answer)


def test_a_war_invalid_of_80_gets_both_amounts(chat) -> None:
    talk = Talk(chat, "elig-invalid")
    answer = talk.until_answer("bố tôi là thương binh 61%, 80 tuổi thì được hưởng những gì",
                               {"lương hưu": "không", "hộ nghèo": "không", "khuyết tật": "3"})
    assert plain(money(5_450_000)) in plain(answer) and plain(money(500_000)) in plain(answer)
    assert "chưa chắc chắn" in answer  # người có công + trợ cấp xã hội: not confirmed by the ministry


def test_funeral_support_after_a_death(chat) -> None:
    talk = Talk(chat, "elig-funeral")
    answer = talk.until_answer("bố tôi đang hưởng trợ cấp xã hội vừa mất, được hỗ trợ mai táng bao nhiêu", {})
    assert plain(answer).startswith(f"Dạ, gia đình được hỗ trợ chi phí mai táng ít nhất {plain(money(10_000_000))}")


def test_a_family_caring_for_a_child_with_a_severe_disability_gets_both(chat) -> None:
    talk = Talk(chat, "elig-carer")
    answer = talk.until_answer("con tôi 8 tuổi khuyết tật đặc biệt nặng, nhà không thuộc hộ nghèo, được gì",
                               {"mồ côi": "4", "trường hợp": "4"})  # fmt: skip
    assert "cháu bé" in answer and plain(money(1_250_000)) in plain(answer)
    assert f"hỗ trợ thêm {plain(money(500_000))}/tháng" in plain(answer)


def test_a_past_year_gets_that_years_figures(chat) -> None:
    talk = Talk(chat, "elig-2023")
    answer = talk.until_answer("năm 2023 bố tôi là thương binh 41%, 65 tuổi, có lương hưu thì được bao nhiêu",
                               {"hộ nghèo": "không", "khuyết tật": "3", "thấp hơn": "không"})  # fmt: skip
    assert "năm 2023" in answer
    assert plain(money(2_135_000)) in plain(answer) and plain(money(2_702_000)) in plain(answer)


def test_an_amount_question_about_a_rate_is_answered_exactly(chat) -> None:
    answer = plain(chat.say("elig-rate", "thương binh 81% được bao nhiêu một tháng"))
    assert f"được {plain(money(8_639_000))}/tháng" in answer and "phụ cấp 1.399.000 ₫" in answer


def test_dont_know_is_an_answer_and_is_reported_as_open(chat) -> None:
    reply = chat.say("elig-unknown", "kiểm tra xem tôi được hưởng trợ cấp gì")
    assert "bao nhiêu tuổi" in reply
    reply = chat.say("elig-unknown", "không biết")
    assert "cháu chưa rõ" not in reply and "bao nhiêu tuổi" not in reply


def test_cancel_half_way_then_talk_normally(chat) -> None:
    assert "hộ nghèo" in chat.say("elig-cancel", "mẹ tôi 82 tuổi không có lương hưu thì được trợ cấp gì")
    assert "dừng lại" in chat.say("elig-cancel", "thôi")
    assert "Dạ, cháu chào Bác" in chat.say("elig-cancel", "chào cháu")


def test_amount_question_still_answered_directly(chat) -> None:
    answer = chat.say("elig-amount", "người khuyết tật đặc biệt nặng được bao nhiêu?")
    assert f"Người khuyết tật đặc biệt nặng: {money(1_000_000)}/tháng" in answer


def test_not_understood_twice_hands_over_to_a_person(chat) -> None:
    first = chat.post("fallback-1", "qwerty asdf")
    assert "chưa hiểu rõ" in first[0]["text"] and 2 <= len(first[0]["buttons"]) <= 3
    second = chat.say("fallback-1", "qwerty asdf")
    assert "nhờ tổng đài viên" in second and "tổng đài viên sẽ trả lời" in second
    assert chat.say("fallback-1", "tôi hỏi về tiền trợ cấp") == "Dạ, cháu đã chuyển tin nhắn cho tổng đài viên."
    assert "dừng lại" in chat.say("fallback-1", "1")  # "1. Thôi, không chờ nữa": leaves the queue
