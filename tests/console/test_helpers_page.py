"""The console's "Ủy quyền" page through the whole stack: an agent records a paper giấy ủy quyền they
checked, the son can then see his mother's payments in chat, the agent revokes it and the next message
of the son no longer reaches her data; every read and change is audited under the agent's name, and
a wrong form gets a plain Vietnamese warning with what was typed kept.

People used nowhere else in the stack's tests: Nghiêm Thị Lụa (30) is helped by Cao Văn Sơn (16)."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta

import pytest

from services.seed import PEOPLE
from tests.console.agent import DEMO_AGENT, Agent, text_of
from tests.conversations.test_family import verify

pytestmark = pytest.mark.stack
MOTHER, SON = 30, 16


def paper_form(**changes: str) -> dict[str, str]:
    today = date.today()
    form = {
        "beneficiary_cccd": PEOPLE[MOTHER].cccd, "helper_cccd": PEOPLE[SON].cccd, "relation": "mother",
        "scope": "view", "document_ref": "41/UQ-UBND", "document_date": str(today - timedelta(days=2)),
        "expires_on": str(today + timedelta(days=90)), "recorded_by": "Cán bộ Hà, UBND xã",
    }  # fmt: skip
    return {**form, **changes}


def audit_rows(chat, action: str) -> list[tuple[str, str]]:
    database = chat.stack.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        return db.execute("SELECT actor, detail FROM audit_log WHERE action = ?", (action,)).fetchall()


@pytest.fixture
def agent(chat) -> Agent:
    agent = Agent(f"http://127.0.0.1:{chat.stack.settings.console_port}")
    agent.login(*DEMO_AGENT)
    return agent


def test_a_recorded_paper_lets_the_son_see_his_mother_until_the_agent_revokes_it(chat, agent: Agent) -> None:
    mother, son = PEOPLE[MOTHER], PEOPLE[SON]
    assert "Ghi giấy ủy quyền đã kiểm tra" in text_of(agent.get("/helpers").text)

    recorded = agent.post("/helpers/record", **paper_form())
    shown = text_of(recorded.text)
    assert "Đã ghi ủy quyền" in shown, shown
    assert son.name in shown and mother.name in shown and "Đang hiệu lực" in shown
    assert "Chỉ xem thông tin chi trả" in shown and "41/UQ-UBND" in shown
    assert mother.cccd not in shown and son.cccd not in shown, "the page shows the last 4 digits only"
    assert any(actor == "console:tongdaivien" for actor, _ in audit_rows(chat, "helper_paper_recorded"))

    sender = "console-paper:son"
    verify(chat, sender, SON)
    seen = chat.say(sender, "tháng này mẹ tôi đã có tiền chưa")
    assert mother.name in seen, seen

    revoke = re.search(r'action="(/helpers/\d+/revoke)"', recorded.text)
    assert revoke, "a live authorisation has a revoke button"
    revoked = text_of(agent.post(revoke.group(1), cccd=mother.cccd).text)
    assert "Đã thu hồi" in revoked and "Thu hồi" not in revoked.replace("Đã thu hồi", ""), revoked
    assert any(actor == "console:tongdaivien" for actor, _ in audit_rows(chat, "helper_revoked"))

    after = chat.say(sender, "tháng này mẹ tôi đã có tiền chưa")
    assert mother.name not in after and "ủy quyền" in after, after

    searched = text_of(agent.post("/helpers/search", cccd=son.cccd).text)
    assert mother.name in searched and "Đã thu hồi" in searched
    assert any(actor == "console:tongdaivien" for actor, _ in audit_rows(chat, "helpers_read"))


@pytest.mark.parametrize(
    ("changes", "warning"),
    [
        ({"helper_cccd": "001099999999"}, "không có trong danh sách người hưởng"),
        ({"expires_on": str(date.today() - timedelta(days=1))}, "ngày hết hạn phải sau hôm nay"),
        ({"helper_cccd": PEOPLE[MOTHER].cccd}, "cùng một người"),
        ({"helper_cccd": "12345"}, "mỗi CCCD có đúng 12 chữ số"),
        ({"document_ref": "  "}, "Xin điền đủ các ô"),
    ],
)
def test_a_wrong_paper_form_is_refused_kindly_and_keeps_what_was_typed(
    chat, agent: Agent, changes: dict[str, str], warning: str
) -> None:
    form = paper_form(document_ref="77/UQ-XA", **{k: v for k, v in changes.items() if k != "document_ref"})
    if "document_ref" in changes:
        form["document_ref"] = changes["document_ref"]
    reply = agent.post("/helpers/record", **form)
    assert reply.status_code == 200
    assert warning in text_of(reply.text)
    if form["document_ref"].strip():
        assert 'value="77/UQ-XA"' in reply.text, "the agent does not type the form again"
    listed = text_of(agent.post("/helpers/search", cccd=PEOPLE[MOTHER].cccd).text)
    assert "77/UQ-XA" not in listed, "nothing was recorded"


def test_the_page_needs_a_session_and_its_forms_a_csrf_token(chat, agent: Agent) -> None:
    stranger = Agent(agent.url)
    assert stranger.get("/helpers").url.endswith("/login")
    assert stranger.http.post(f"{agent.url}/helpers/record", data=paper_form(), timeout=10).status_code == 401
    forged = agent.http.post(f"{agent.url}/helpers/record", data={**paper_form(), "csrf": "forged"}, timeout=10)
    assert forged.status_code == 403
    unknown = text_of(agent.post("/helpers/search", cccd="001099999999").text)
    assert "Không có người hưởng với số CCCD này" in unknown
