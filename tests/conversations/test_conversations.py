"""Short Vietnamese dialogues through the REST channel against the trained model, with the
action server and services running: what a person types, and what they must read back."""

from __future__ import annotations

import os
import signal
import sqlite3

import pytest
from sqlalchemy import create_engine, text

from core.formatting import money

pytestmark = pytest.mark.stack


def test_greeting_offers_numbered_choices(chat) -> None:
    reply = chat.post("greet-1", "xin chào")
    assert reply[0]["text"].startswith("Dạ, cháu chào Bác")
    assert [b["title"][:2] for b in reply[0]["buttons"]] == ["1.", "2.", "3.", "4."]


@pytest.mark.parametrize(
    "question",
    ["người khuyết tật đặc biệt nặng được bao nhiêu?", "nguoi khuyet tat dac biet nang duoc bao nhieu tien"],
)
def test_amount_question_answered_from_the_service(chat, question: str) -> None:
    answer = chat.say(f"amount-{len(question)}", question)
    assert f"Người khuyết tật đặc biệt nặng: {money(1_000_000)}/tháng" in answer
    assert "NĐ 20/2021/NĐ-CP" in answer


def test_amount_group_chosen_by_typed_number(chat) -> None:
    assert "nhóm nào" in chat.say("amount-typed", "cho tôi hỏi mức trợ cấp")
    answer = chat.say("amount-typed", "1")
    assert f"{money(500_000)}/tháng" in answer and "mẫu 1d" in answer


def test_schedule_comes_from_the_database(chat) -> None:
    assert "xã hoặc phường nào" in chat.say("schedule-1", "lịch chi trả ở xã tôi khi nào")
    answer = chat.say("schedule-1", "xã Tân Phú")
    assert answer.startswith("Dạ, Xã Tân Phú (Long An): tiền vào tài khoản khoảng ngày 5")


def test_menu_then_typed_number_then_commune_without_diacritics(chat) -> None:
    assert "gõ số" in chat.say("menu-1", "menu")
    assert "xã hoặc phường nào" in chat.say("menu-1", "3")
    assert "Phường Ba Đình (Hà Nội)" in chat.say("menu-1", "phuong ba dinh")


def test_cancel_half_way(chat) -> None:
    chat.say("cancel-1", "lịch chi trả")
    assert "dừng lại" in chat.say("cancel-1", "thôi")
    assert "Dạ, cháu chào Bác" in chat.say("cancel-1", "chào cháu")


def test_out_of_scope_and_scam(chat) -> None:
    assert "chưa giúp được" in chat.say("oos-1", "thời tiết hôm nay thế nào")
    assert "không bao giờ hỏi mã OTP" in chat.say("scam-1", "có người gọi điện xin mã OTP của tôi")


@pytest.mark.parametrize(
    ("message", "expected"),
    [("", "chưa nhận được nội dung"), ("a" * 1500, "dài quá"), ("😀🙏😀", "chỉ đọc được chữ"),
     ("\x00\x01\x02\x03binary", "ký tự lạ"), ('/inform{"beneficiary_group":"elderly"}', "bằng lời"),
     (None, "chưa nhận được")],
)  # fmt: skip
def test_bad_input_gets_a_short_kind_reply(chat, message, expected: str) -> None:
    reply = chat.post("bad-input", message)
    assert len(reply) == 1 and expected in reply[0]["text"]


def test_request_without_sender_is_refused(chat) -> None:
    import urllib.error
    import urllib.request

    from tests.conversations.conftest import REST_TOKEN

    request = urllib.request.Request(
        f"{chat.url}/rest/webhook", data=b"[1,2]",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {REST_TOKEN}"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 400


def test_web_chat_page_and_its_webhook(chat) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{chat.url}/webchat/chat", timeout=10) as page:
        assert "Trợ lý An sinh" in page.read().decode()
    assert chat.post("web:page-1", "xin chào", channel="webchat")[0]["text"].startswith("Dạ, cháu chào Bác")


def test_service_down_mid_conversation_gives_a_polite_reply_and_keeps_the_answer(chat) -> None:
    chat.say("down-1", "lịch chi trả")
    services = chat.process("services")
    os.killpg(services.pid, signal.SIGSTOP)
    try:
        assert "hệ thống đang bận" in chat.say("down-1", "Tân Phú")
    finally:
        os.killpg(services.pid, signal.SIGCONT)
    # The commune was kept: asking again answers without asking for it again.
    assert "Xã Tân Phú (Long An)" in chat.say("down-1", "lịch chi trả")


def test_conversation_is_stored_in_the_sql_tracker_store(chat) -> None:
    chat.say("stored-1", "xin chào")
    database = chat.stack.settings.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        query = "SELECT count(*) FROM events WHERE sender_id = ?"
        rows = connection.execute(query, (chat.conversation_id("stored-1"),)).fetchone()[0]
    assert rows >= 3


def test_postgresql_and_redis_configuration(postgres_chat) -> None:
    answer = postgres_chat.say("pg-1", "lịch chi trả") + postgres_chat.say("pg-1", "Hải Châu")
    assert "Phường Hải Châu (Đà Nẵng)" in answer
    engine = create_engine(postgres_chat.tracker_url, future=True)
    with engine.connect() as connection:
        query = text("SELECT count(*) FROM events WHERE sender_id = :sender")
        rows = connection.execute(query, {"sender": postgres_chat.conversation_id("pg-1")}).scalar_one()
    engine.dispose()
    assert rows >= 4


def test_bridge_channel_needs_the_shared_secret(chat) -> None:
    import urllib.error

    assert chat.post("tg:100", "xin chào", channel="bridge")[0]["text"].startswith("Dạ, cháu chào Bác")
    for token in ("wrong", None):
        with pytest.raises(urllib.error.HTTPError) as error:
            chat.post("tg:100", "xin chào", channel="bridge", token=token)
        assert error.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as error:
        chat.post("not-namespaced", "xin chào", channel="bridge")
    assert error.value.code == 400


def test_restart_forgets_the_question_in_progress(chat) -> None:
    assert "xã hoặc phường nào" in chat.say("restart-1", "lịch chi trả")
    assert "bắt đầu lại từ đầu" in chat.say("restart-1", "bắt đầu lại")
    assert "Dạ, cháu chào Bác" in chat.say("restart-1", "xin chào")  # no longer inside the schedule question
