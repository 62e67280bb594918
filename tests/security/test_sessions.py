"""Sessions that end when the person says so, attempts counted per person, and the month asked kept."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import date
from urllib.parse import quote

import pytest

from core.periods import period_for, period_label
from services.seed import PEOPLE, cccd_of
from tests.conversations.conftest import Chat, approve_in_vneid, identity_answers
from tests.security.conftest import verify

pytestmark = pytest.mark.stack
NOT_VERIFIED = "xác thực danh tính trước"


def has_session(stack: Chat, conversation: str) -> bool:
    """What the verification service says (asked as the action server asks)."""
    url = f"{stack.stack.settings.verification_url}/sessions/{quote(conversation, safe='')}"
    request = urllib.request.Request(url, headers=stack.services_headers("actions"))
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except urllib.error.HTTPError as error:
        assert error.code == 404, error.code
        return False


@pytest.mark.parametrize(
    ("phrase", "said"),
    [("đăng xuất", "kết thúc phiên làm việc"), ("dang xuat nhe", "kết thúc phiên làm việc"),
     ("kết thúc", "kết thúc phiên làm việc"), ("tạm biệt cháu", "chào Bác"), ("bắt đầu lại", "bắt đầu lại từ đầu"),
     ("tôi muốn đăng xuất khỏi tài khoản", "kết thúc phiên làm việc"),
     ("thoát tài khoản giúp bác", "kết thúc phiên làm việc")],  # understood by the NLU (intent logout)
)  # fmt: skip
def test_ending_phrases_end_the_verified_session(stack: Chat, phrase: str, said: str) -> None:
    sender = f"end-{abs(hash(phrase)) % 10**8}"
    verify(stack, sender, 0)
    assert has_session(stack, stack.conversation_id(sender))
    reply = stack.say(sender, phrase)
    assert said in reply and ("kết thúc" in reply or "đăng xuất" in reply), reply
    assert not has_session(stack, stack.conversation_id(sender))
    assert NOT_VERIFIED in stack.say(sender, "tháng này đã có tiền chưa")


def test_logging_out_half_way_through_a_form_forgets_the_answers(stack: Chat) -> None:
    verify(stack, "end-in-form", 1)
    stack.say("end-in-form", "liên kết tài khoản agribank")
    assert "kết thúc phiên làm việc" in stack.say("end-in-form", "đăng xuất")
    assert NOT_VERIFIED in stack.say("end-in-form", "liên kết tài khoản agribank")


def test_the_web_chat_and_telegram_end_their_sessions_too(stack: Chat) -> None:
    verify(stack, "shared-browser", 0, channel="webchat")
    conversation = stack.conversation_id("shared-browser", "webchat")
    assert has_session(stack, conversation)
    assert "kết thúc phiên làm việc" in stack.say("shared-browser", "Đăng xuất", channel="webchat")
    assert not has_session(stack, conversation)
    # The next person at the same browser (the same cookie) must verify again.
    assert NOT_VERIFIED in stack.say("shared-browser", "tháng này đã có tiền chưa", channel="webchat")
    assert "chào Bác" in stack.say("tg:7001", "tạm biệt", channel="bridge")


def test_a_birth_date_does_not_change_the_month_asked_about(stack: Chat) -> None:
    """The month bug: 'ngày 2 tháng 7 năm 1944' answered the birth-date question and set the month,
    and the resumed payment question answered about July."""
    binh = PEOPLE[1]  # born 02/07/1944
    sender = "month-bug"
    assert NOT_VERIFIED in stack.say(sender, "tháng này đã có tiền chưa")
    for text in ("đồng ý", cccd_of(1, binh), binh.name):
        stack.say(sender, text)
    approve_in_vneid(stack.say(sender, "ngày 2 tháng 7 năm 1944"))
    answer = stack.say(sender, "xong rồi")
    this_month = period_label(period_for(None, date.today()))
    assert this_month in answer, answer
    if date.today().month != 7:
        assert "tháng 7/" not in answer


def test_three_failures_lock_a_person_whichever_sender_tries(stack: Chat) -> None:
    an = PEOPLE[0]
    for attempt in range(3):
        sender = f"guesser-{attempt}"
        *answers, _ = identity_answers(0)
        for text in answers:
            stack.say(sender, text)
        reply = stack.say(sender, "1/1/1941")
        # The third failure about An's CCCD, whoever sends it, announces the lock at once (issue 13 §4).
        assert ("tạm khóa xác thực" if attempt == 2 else "chưa khớp") in reply, reply
    *answers, birth_date = identity_answers(0)
    for text in answers:
        stack.say("guesser-3", text)
    assert "tạm khóa" in stack.say("guesser-3", an.born.strftime("%d/%m/%Y"))
