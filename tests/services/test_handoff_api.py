"""The handoff queue: the bot queues a conversation, the person's messages wait for the agent masked,
the agent's replies wait for the person's channel, reveals and lookups are audited, hand back closes."""

from __future__ import annotations

import json

import requests
from sqlalchemy import select

from services.db import make_engine, session_factory, transaction
from services.models import AuditLog, HandoffMessage
from services.seed import PEOPLE
from tests.services.verified import call


def api(services, method: str, path: str, component: str, **kwargs) -> requests.Response:
    return call(services, method, f"/handoff/v1{path}", component, **kwargs)


def queue(services, user: str = "web:abcdefghijklmnopqrstuvwxyz", **body) -> dict:
    reply = api(services, "POST", "/conversations", "actions", json={"channel_user": user, **body})
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def test_a_queued_conversation_is_answered_on_its_channel_and_handed_back(services) -> None:
    first = queue(services, "tg:1", summary={"facts": {"commune": "Tân Phú"}, "last_intents": [{"intent": "greet"}]})
    second = queue(services, "web:abcdefghijklmnopqrstuvwxyz", reason="not_understood", callback=True)
    assert (first["ahead"], second["ahead"], first["created"]) == (0, 1, True)
    assert queue(services, "tg:1")["id"] == first["id"]  # asking twice keeps one place in the queue
    assert api(services, "GET", "/senders/tg:1", "channels").json()["id"] == first["id"]
    assert api(services, "GET", "/senders/tg:2", "channels").status_code == 404

    said = "số tôi là 0983007920, CCCD 001144100002"
    assert api(services, "POST", f"/conversations/{first['id']}/messages", "channels", json={"text": said}).ok
    rows = api(services, "GET", "/conversations", "console").json()["conversations"]
    assert [r["id"] for r in rows] == [first["id"], second["id"]]
    assert rows[0]["last_message"] == "số tôi là ******7920, CCCD ********0002"
    assert rows[0]["summary"]["facts"] == {"commune": "Tân Phú"} and rows[1]["callback"] is True

    assert api(services, "POST", f"/conversations/{first['id']}/take", "console", json={"agent": "an"}).ok
    taken = api(services, "POST", f"/conversations/{first['id']}/take", "console", json={"agent": "binh"})
    assert taken.status_code == 409 and taken.json()["error"] == "taken"
    reply = {"agent": "an", "text": "Dạ, cháu là tổng đài viên An, cháu xem giúp Bác ngay."}
    assert api(services, "POST", f"/conversations/{first['id']}/replies", "console", json=reply).status_code == 201

    assert api(services, "GET", "/outbox", "channels", params={"channel": "web"}).json()["messages"] == []
    waiting = api(services, "GET", "/outbox", "channels", params={"channel": "tg"}).json()["messages"]
    assert [(m["channel_user"], m["text"], m["author"]) for m in waiting] == [("tg:1", reply["text"], "agent")]
    assert api(services, "POST", f"/outbox/{waiting[0]['id']}/delivered", "channels").status_code == 204
    assert api(services, "GET", "/outbox", "channels", params={"channel": "tg"}).json()["messages"] == []

    back = {"agent": "an", "notice": "Dạ, tổng đài viên đã chuyển Bác lại cho Trợ lý An sinh."}
    assert (
        api(services, "POST", f"/conversations/{first['id']}/close", "console", json=back).json()["status"] == "closed"
    )
    assert api(services, "GET", "/senders/tg:1", "channels").status_code == 404
    after = api(services, "POST", f"/conversations/{first['id']}/messages", "channels", json={"text": "còn đó không"})
    assert after.status_code == 409 and after.json()["error"] == "handoff_closed"
    notice = api(services, "GET", "/outbox", "channels", params={"channel": "tg"}).json()["messages"]
    assert [(m["author"], m["text"]) for m in notice] == [("bot", back["notice"])]
    assert queue(services, "tg:1")["id"] != first["id"]  # a new request after hand back queues again


def test_stored_text_is_masked_and_revealing_it_is_audited(services, seeded_url: str) -> None:
    handoff = queue(services, "tg:7")
    said = "CCCD của tôi 001144100002"
    api(services, "POST", f"/conversations/{handoff['id']}/messages", "channels", json={"text": said})
    with transaction(session_factory(make_engine(seeded_url))) as session:
        stored = session.execute(select(HandoffMessage.masked, HandoffMessage.sealed)).one()
    assert stored.masked == "CCCD của tôi ********0002" and "001144100002" not in stored.sealed
    masked = api(services, "GET", f"/conversations/{handoff['id']}", "console").json()["messages"]
    assert [m["text"] for m in masked] == ["CCCD của tôi ********0002"]
    no_reason = api(services, "POST", f"/conversations/{handoff['id']}/reveal", "console", json={"agent": "an"})
    assert no_reason.status_code == 400
    body = {"agent": "an", "reason": "khách đọc sai số, cần đối chiếu"}
    shown = api(services, "POST", f"/conversations/{handoff['id']}/reveal", "console", json=body).json()["messages"]
    assert [m["text"] for m in shown] == [said]
    with transaction(session_factory(make_engine(seeded_url))) as session:
        row = session.execute(select(AuditLog).where(AuditLog.action == "handoff_revealed")).scalar_one()
    assert row.actor == "an" and json.loads(row.detail) == {"handoff_id": handoff["id"], "reason": body["reason"]}


def test_a_lookup_by_cccd_needs_a_reason_and_is_audited(services, seeded_url: str) -> None:
    person = PEOPLE[1]
    body = {"cccd": person.cccd, "agent": "an", "reason": "khách gọi hỏi tiền tháng này"}
    found = api(services, "POST", "/lookups", "console", json=body)
    assert found.status_code == 200, found.text
    shown = found.json()
    assert shown["full_name"] == person.name and shown["cccd_masked"].endswith(person.cccd[-4:])
    assert person.cccd not in found.text and shown["payments"]
    assert api(services, "POST", "/lookups", "console", json={**body, "reason": ""}).status_code == 400
    assert api(services, "POST", "/lookups", "console", json={**body, "cccd": "12345"}).status_code == 400
    assert api(services, "POST", "/lookups", "console", json={**body, "cccd": "079999999999"}).status_code == 404
    with transaction(session_factory(make_engine(seeded_url))) as session:
        rows = session.execute(select(AuditLog).where(AuditLog.action == "staff_lookup")).scalars().all()
    # A lookup that finds nobody is audited too: the question was asked.
    assert [(r.actor, r.subject) for r in rows] == [
        ("console:an", "********" + person.cccd[-4:]),
        ("console:an", "********9999"),
    ]


def test_each_component_calls_only_its_routes(services) -> None:
    handoff = queue(services, "tg:9")
    assert api(services, "GET", "/conversations", "actions").status_code == 403  # the bot never reads the queue
    assert api(services, "GET", "/outbox", "console", params={"channel": "tg"}).status_code == 403
    assert api(services, "POST", "/lookups", "channels", json={"cccd": PEOPLE[0].cccd}).status_code == 403
    body = {"agent": "an", "reason": "x"}
    assert api(services, "POST", f"/conversations/{handoff['id']}/reveal", "channels", json=body).status_code == 403
    assert requests.get(f"{services.url}/handoff/v1/conversations", timeout=5).status_code == 401


def test_handing_back_can_end_the_persons_verified_session(services) -> None:
    from tests.services.verified import verify

    verify(services, 0, "tg:21")
    verify(services, 1, "tg:22")
    for user, end in (("tg:21", True), ("tg:22", False)):
        handoff = queue(services, user)
        body = {"agent": "an", "end_session": end}
        assert api(services, "POST", f"/conversations/{handoff['id']}/close", "console", json=body).ok
    assert call(services, "GET", "/verification/v1/sessions/tg:21").status_code == 404, "Kết thúc phiên ends it"
    assert call(services, "GET", "/verification/v1/sessions/tg:22").status_code == 200
