"""Pure helpers of the conversations people finish (issue 13): corrections, numbers told apart,
communes and wallets named in free text, words that are no words."""

from datetime import date

import pytest

from actions.accounts import account_number_in, provider_in
from actions.contacts import contact_lines
from actions.fallback import looks_like_words
from actions.faq import wallet_answer
from actions.identity import as_name, cccd_in, correction
from actions.payments import commune_candidates

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("typed", "found"),
    [("9/9/1953", ("date_of_birth", "1953-09-09")), ("Nhập lại", ("restart", "")),
     ("/verify_identity", ("restart", "")), ("sai tên, tên đúng là Hoàng Thị Em", ("full_name", "Hoàng Thị Em")),
     ("080041100001", ("cccd", "080041100001")), ("tôi không nhớ", None), ("ok", None)],
)  # fmt: skip
def test_what_is_retyped_after_a_mismatch(typed: str, found: tuple[str, str] | None) -> None:
    assert correction(typed, TODAY) == found


def test_names_and_what_is_not_a_name() -> None:
    assert as_name("đặng thị hoa") == "Đặng Thị Hoa"  # not "đăng xuất"
    assert as_name("Lại Văn Tiến") == "Lại Văn Tiến"
    assert as_name("tôi không nhớ") is None
    assert as_name("An") is None


def test_cccd_and_account_numbers_told_apart_by_structure() -> None:
    assert cccd_in("khách hàng CCCD 080041100001 hỏi tiền") == "080041100001"
    assert cccd_in("số 711000123456") is None  # 711 is no province code
    assert account_number_in("khach muon lien ket ACB stk 2001 1234 5678") == "200112345678"
    assert account_number_in("liên kết agribank") is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [("vietcom bak", "VCB"), ("ngân hàng nông nghiệp", "AGRIBANK"), ("lk vi vnpt", "VNPT_MONEY"),
     ("đổi sang ví viettel pay", "VIETTEL_MONEY"), ("tai khoan vietinbank cua bac", "VIETINBANK"), ("xin chào", None)],
)  # fmt: skip
def test_banks_and_wallets_named_in_free_text(typed: str, code: str | None) -> None:
    assert provider_in(typed) == code


def test_communes_after_their_unit_word() -> None:
    assert commune_candidates("o phuong ba dinh thi may ngay nhan tien")[-2:] == ["ba dinh", "ba"]
    assert "hai chau" in commune_candidates("lịch chi trả phường Hải Châu")
    assert commune_candidates("lịch chi trả") == []


def test_wallets_answered_honestly_from_the_data() -> None:
    momo = wallet_answer("bác có ví momo, nhận tiền qua momo được không")
    assert momo and "MoMo" in momo and "Viettel Money" in momo and "chưa có thông tin" in momo
    assert "MobiFone Money" in (wallet_answer("mobi money là gì") or "")
    assert wallet_answer("liên kết agribank") is None


def test_words_and_keyboard_mash() -> None:
    assert not looks_like_words("asdf ghjk") and not looks_like_words("qưerty zxcv")
    assert looks_like_words("không") and looks_like_words("ok cháu") and looks_like_words("dạ vâng")


def test_the_hotline_and_office_hours_come_from_the_rules_data() -> None:
    text = "\n".join(contact_lines())
    assert "1900 0368" in text and "thứ 2" in text


def test_what_is_settled_is_said_before_the_question_that_may_change_it() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions.eligibility import SO_FAR, ask

    early = "Dạ, nếu mẹ Bác không có lương hưu thì mẹ Bác được trợ cấp người khuyết tật 1.250.000 ₫/tháng."
    question = {"fact": "has_pension", "text": "Mẹ Bác có đang nhận lương hưu không ạ?",
                "options": [[True, "Có"], [False, "Không"]], "so_far": "", "early": early}  # fmt: skip
    dispatcher = CollectingDispatcher()
    ask(dispatcher, question)
    text = dispatcher.messages[0]["text"]
    assert text.startswith(early) and text.endswith(question["text"]) and SO_FAR not in text
    dispatcher = CollectingDispatcher()
    ask(dispatcher, {**question, "so_far": "Dạ, mẹ Bác được hỗ trợ chăm sóc 500.000 ₫/tháng."})
    assert dispatcher.messages[0]["text"].split("\n") == [
        "Dạ, mẹ Bác được hỗ trợ chăm sóc 500.000 ₫/tháng.", early, SO_FAR, question["text"]]


@pytest.mark.parametrize(
    ("text", "general"),
    [("ủa mà người khuyết tật nặng được bao nhiêu vậy", True), ("nguoi khuyet tat dac biet nang dc bn", True),
     ("mẹ tôi khuyết tật nặng", False), ("không khuyết tật", False), ("người nhà tôi hộ nghèo", False)],
)  # fmt: skip
def test_a_groups_amount_asked_in_general_mid_interview_is_told_apart_from_a_fact(text: str, general: bool) -> None:
    from actions.eligibility import GENERAL_AMOUNT
    from core.text import fold

    assert bool(GENERAL_AMOUNT.search(fold(text))) is general


def test_a_wallet_that_cannot_receive_the_allowance_is_answered_with_what_can() -> None:
    from actions.faq import WALLET_NEXT_STEPS

    titles = [button["title"] for button in WALLET_NEXT_STEPS]
    assert any("ngân hàng" in title for title in titles) and any("tiền mặt" in title for title in titles)
    assert {button["payload"] for button in WALLET_NEXT_STEPS} == {"/link_account", "/payment_schedule"}
