"""Family helpers through the whole stack (PRODUCT.md 3.7): Đỗ Văn Cường helps his mother Trần Thị
Bình and his father Đỗ Văn Thành. Each test is a short dialogue on the REST channel; the mother
approves on her own "phone" (the VNeID stand-in's page of her device), never through his chat.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta

import pytest

from services.identity.helpers import device_of
from services.seed import FAMILY_FATHER, FAMILY_HELPER, FAMILY_MOTHER, PEOPLE, spare_account_of
from tests.conversations.conftest import approve_in_vneid, identity_answers

pytestmark = pytest.mark.stack
CUONG, BINH, THANH = PEOPLE[FAMILY_HELPER], PEOPLE[FAMILY_MOTHER], PEOPLE[FAMILY_FATHER]


def verify(chat, sender: str, index: int, first: str = "xác thực danh tính") -> str:
    """The person verifies as themself (their own VNeID approval), then says "xong"."""
    *answers, born = identity_answers(index, first)
    for text in answers:
        chat.say(sender, text)
    approve_in_vneid(chat.say(sender, born))
    return chat.say(sender, "xong rồi")


def decide_on_phone(chat, index: int, decision: str = "approve") -> None:
    """What the beneficiary does on their own phone: the stand-in page of their device lists the request."""
    base = chat.stack.settings.vneid_standin_url.rstrip("/")
    with urllib.request.urlopen(f"{base}/vneid/devices/{device_of(PEOPLE[index].cccd)}/", timeout=10) as reply:
        page = reply.read().decode()
    found = re.findall(r"approvals/(\w+)/", page)
    assert found, page
    request = urllib.request.Request(
        f"{base}/vneid/approvals/{found[-1]}/decision", data=json.dumps({"decision": decision}).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    urllib.request.urlopen(request, timeout=10).read()


def staff(chat, method: str, path: str, body: dict | None = None, component: str = "console") -> tuple[int, dict]:
    """A call to the staff API, as the agent console or an operator's tool makes it."""
    url = f"http://127.0.0.1:{chat.stack.settings.services_port}/verification/v1{path}"
    data = json.dumps(body).encode() if body is not None else None
    headers = {**chat.services_headers(component), "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def paper(chat, helper: int, beneficiary: int, relation: str, scope: str) -> tuple[int, dict]:
    return staff(chat, "POST", "/helpers/authorisations", {
        "helper_cccd": PEOPLE[helper].cccd, "beneficiary_cccd": PEOPLE[beneficiary].cccd, "relation": relation,
        "scope": scope, "document_ref": "27/UQ-UBND", "document_date": str(date.today()),
        "expires_on": str(date.today() + timedelta(days=180)), "recorded_by": "Cán bộ Lan, UBND phường"})  # fmt: skip


def ask_for(chat, sender: str, index: int, first: str, scope: str, born: str = "") -> str:
    """The helper form after the first question: CCCD, name and birth date of the person, then the scope."""
    person = PEOPLE[index]
    chat.say(sender, first)
    chat.say(sender, person.cccd)
    chat.say(sender, person.name)
    chat.say(sender, born or person.born.strftime("%d/%m/%Y"))
    return chat.say(sender, scope)


def test_a_son_verifies_asks_for_his_mother_she_approves_on_her_phone_and_he_links_her_account(chat) -> None:
    son = "fam:cuong"
    first = chat.say(son, "tôi muốn xem tiền của mẹ tôi")
    assert "CCCD của chính Bác" in first and "Bác có đồng ý" in first
    # He verifies as himself, and the bot goes on with what he asked: his mother's details.
    *answers, born = identity_answers(FAMILY_HELPER)
    for text in answers[1:]:
        chat.say(son, text)
    approve_in_vneid(chat.say(son, born))
    asked = chat.say(son, "xong rồi")
    assert f"Bác {CUONG.name}" in asked and "CCCD 12 số của mẹ Bác" in asked
    assert "họ và tên đầy đủ của mẹ Bác" in chat.say(son, BINH.cccd)
    assert "ngày sinh của mẹ Bác" in chat.say(son, BINH.name)
    assert "Xem và làm thủ tục" in chat.say(son, BINH.born.strftime("%d/%m/%Y"))
    pushed = chat.say(son, "2")
    assert "VNeID trên điện thoại của Bà Trần Thị Bình" in pushed and "/vneid/" not in pushed  # not linked here
    assert "chưa thấy Bà Trần Thị Bình bấm Đồng ý" in chat.say(son, "xong")
    decide_on_phone(chat, FAMILY_MOTHER)
    approved = chat.say(son, "xong")
    assert "Bà Trần Thị Bình đã đồng ý (xem và làm thủ tục)" in approved
    money = chat.say(son, "tháng này đã có tiền chưa")
    assert money.startswith("Bà Trần Thị Bình:") and "trợ cấp xã hội" in money
    # Act scope: an account in her name, checked against her by the bank.
    assert "đứng tên Bà Trần Thị Bình" in chat.say(son, "liên kết tài khoản agribank")
    confirm = chat.say(son, spare_account_of(FAMILY_MOTHER))  # the number only: the bank checks the holder
    assert spare_account_of(FAMILY_MOTHER)[-4:] in confirm and "TRẦN THỊ BÌNH" not in confirm
    assert "liên kết thành công: Agribank ****" in chat.say(son, "đúng")
    # The mother, on her own chat, sees who looked and revokes.
    mother = "fam:binh"
    verify(chat, mother, FAMILY_MOTHER)
    seen = chat.say(mother, "ai đã xem thông tin của tôi?")
    assert "Đỗ Văn Cường (con" in seen and "xem tiền trợ cấp" in seen and "gửi yêu cầu liên kết" in seen
    assert "đã thu hồi ủy quyền của Đỗ Văn Cường" in chat.say(mother, "thu hồi ủy quyền của con tôi")
    # Effective on his next message, his old buttons included.
    assert "đã bị thu hồi" in chat.say(son, "tháng này đã có tiền chưa")
    assert "Bà Trần Thị Bình" not in chat.say(son, "tháng này đã có tiền chưa")
    # Her number, typed by her son, is nowhere in the stored conversation.
    database = chat.stack.settings.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        stored = " ".join(row[0] for row in connection.execute("SELECT data FROM events"))
    assert BINH.cccd not in stored and spare_account_of(FAMILY_MOTHER) not in stored


def test_paper_records_several_people_switching_whose_data_and_view_only(chat) -> None:
    assert paper(chat, FAMILY_HELPER, FAMILY_MOTHER, "mother", "act")[0] == 201
    assert paper(chat, FAMILY_HELPER, FAMILY_FATHER, "father", "view")[0] == 201
    son = "fam:two"
    verify(chat, son, FAMILY_HELPER)
    offered = chat.say(son, "tháng này đã có tiền chưa")
    assert "xem thông tin của ai" in offered
    assert "Ông Đỗ Văn Thành:" in chat.say(son, "3")  # "3. Ông Đỗ Văn Thành (bố)", typed as a number
    assert "chưa cho làm thủ tục" in chat.say(son, "liên kết tài khoản agribank")  # view only
    assert "Bà Trần Thị Bình" in chat.say(son, "của mẹ")
    assert chat.say(son, "tháng này đã có tiền chưa").startswith("Bà Trần Thị Bình:")
    mine = chat.say(son, "của tôi")  # back to his own: said as a choice, or read as his own payments
    assert ("của Bác" in mine or "cho Bác" in mine) and "Bà Trần Thị Bình" not in mine
    own = chat.say(son, "tháng này đã có tiền chưa")
    assert "Bà Trần Thị Bình" not in own and "Ông Đỗ Văn Thành" not in own
    listed = staff(chat, "GET", f"/helpers/authorisations?cccd={THANH.cccd}")[1]["authorisations"]
    assert any(row["source"] == "paper" and row["uses"] >= 1 for row in listed)


def test_an_expired_authorisation_ends_on_the_next_message(chat) -> None:
    assert paper(chat, FAMILY_HELPER, FAMILY_FATHER, "father", "view")[0] == 201
    son = "fam:expiry"
    verify(chat, son, FAMILY_HELPER)
    assert "Ông Đỗ Văn Thành:" in chat.say(son, "tiền tháng này của bố tôi về chưa")
    database = chat.stack.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:  # the end date passes
        past = (datetime.utcnow() - timedelta(minutes=1)).isoformat(sep=" ")
        connection.execute(
            "UPDATE helper_authorisation SET expires_at = ? WHERE state = 'active' AND beneficiary_id = "
            "(SELECT id FROM beneficiary WHERE cccd = ?)", (past, THANH.cccd),
        )
    assert "đã hết hạn" in chat.say(son, "tháng này đã có tiền chưa")


def test_refused_attempts_wrong_details_no_authorisation_someone_elses_approval_a_denial_and_the_limit(chat) -> None:
    hai = "fam:hai"  # Kiều Văn Hải: nobody authorised him
    verify(chat, hai, 27)
    assert "chưa được bố Bác ủy quyền" in chat.say(hai, "tiền tháng này của bố tôi về chưa")
    wrong = ask_for(chat, hai, FAMILY_FATHER, "tôi muốn giúp bố tôi xem tiền trợ cấp", "1", born="12/11/1940")
    assert "thông tin của bố Bác chưa khớp với hồ sơ" in wrong and "còn 2 lần thử" in wrong
    pushed = ask_for(chat, hai, FAMILY_FATHER, "tôi muốn giúp bố tôi xem tiền trợ cấp", "1")
    assert "VNeID trên điện thoại của Ông Đỗ Văn Thành" in pushed
    # Someone else's approval: Thành approves Hải's request; it opens nothing to Hằng.
    hang = "fam:hang"
    verify(chat, hang, 28)
    decide_on_phone(chat, FAMILY_FATHER)
    assert "Ông Đỗ Văn Thành đã đồng ý (chỉ xem thông tin)" in chat.say(hai, "xong")
    assert "chưa được bố Bác ủy quyền" in chat.say(hang, "tiền tháng này của bố tôi về chưa")
    # A denial: Hằng asks to help Bình, who says no on her phone.
    chat.say(hang, "tôi muốn giúp người thân xem tiền trợ cấp")
    assert "CCCD 12 số của người thân của Bác" in chat.say(hang, "4")  # "4. Người thân khác"
    chat.say(hang, BINH.cccd)
    chat.say(hang, BINH.name)
    chat.say(hang, BINH.born.strftime("%d/%m/%Y"))
    assert "Bà Trần Thị Bình" in chat.say(hang, "1")
    decide_on_phone(chat, FAMILY_MOTHER, "deny")
    assert "đã bị từ chối" in chat.say(hang, "xong")
    # The limit: three helpers are active for Mạc Văn Khánh; a fourth is refused.
    for helper in (27, 28, 31):
        assert paper(chat, helper, 29, "other", "view")[0] == 201
    assert paper(chat, FAMILY_HELPER, 29, "other", "view")[1].get("error") == "too_many_helpers"
    full = ask_for(chat, "fam:two", 29, "tôi muốn xem tiền của ông nội tôi", "1")
    assert "đã có đủ số người được ủy quyền" in full
