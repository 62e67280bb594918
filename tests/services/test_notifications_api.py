"""Opt in, a payment becomes paid or failed, and the outbox holds one message per subscriber, once."""

from __future__ import annotations

import requests

from tests.services.verified import call, verify

# Who calls what: the chat (actions) opts in and out, staff (operator) records a payment's status,
# the channel adapters (channels) send the outbox.
CALLER = {
    "/subscriptions": "actions",
    "/payments": "operator",
    "/beneficiaries": "operator",
    "/notifications": "channels",
}


def api(services, method: str, path: str, **kwargs) -> requests.Response:
    component = next(who for prefix, who in CALLER.items() if path.startswith(prefix))
    return call(services, method, f"/payment/v1{path}", component, **kwargs)


def this_months_payment(services, beneficiary_id: int) -> dict:
    return api(services, "GET", f"/beneficiaries/{beneficiary_id}/payments").json()["payments"][0]


def opt_in(services, user: str, index: int) -> requests.Response:
    """The person verifies on this chat, then asks for payment messages."""
    verify(services, index, user)
    return api(services, "POST", "/subscriptions", json={"channel_user": user, "beneficiary_id": index + 1})


def test_paid_and_failed_are_notified_once_per_subscriber(services) -> None:
    assert opt_in(services, "tg:1", 0).status_code == 201
    assert api(services, "GET", "/subscriptions/tg:1").json() == {"subscribed": True}
    payment = this_months_payment(services, 1)
    for status in ("sent_to_bank", "paid", "paid"):  # "paid" twice: still one message
        assert api(services, "POST", f"/payments/{payment['id']}/status", json={"status": status}).status_code == 200
    due = api(services, "GET", "/notifications/due").json()["notifications"]
    assert [(n["channel_user"], n["status"], n["period"]) for n in due] == [("tg:1", "paid", payment["period"])]
    assert api(services, "POST", f"/notifications/{due[0]['id']}/sent").json() == {"first_time": True}
    assert api(services, "POST", f"/notifications/{due[0]['id']}/sent").json() == {"first_time": False}
    assert api(services, "GET", "/notifications/due").json()["notifications"] == []
    api(services, "POST", f"/payments/{payment['id']}/status", json={"status": "failed"})
    assert [n["status"] for n in api(services, "GET", "/notifications/due").json()["notifications"]] == ["failed"]


def test_no_message_without_opting_in_or_after_opting_out(services) -> None:
    opt_in(services, "tg:2", 1)
    assert api(services, "DELETE", "/subscriptions/tg:2").status_code == 204
    payment = this_months_payment(services, 2)
    api(services, "POST", f"/payments/{payment['id']}/status", json={"status": "paid"})
    assert api(services, "GET", "/notifications/due").json()["notifications"] == []


def test_bad_status_changes_are_refused(services) -> None:
    assert api(services, "POST", "/payments/1/status", json={"status": "lost"}).status_code == 400
    assert api(services, "POST", "/payments/999999/status", json={"status": "paid"}).status_code == 404
    assert api(services, "POST", "/subscriptions", json={"channel_user": "x", "beneficiary_id": 999}).status_code == 404


def test_only_the_persons_own_session_subscribes_a_chat(services) -> None:
    verify(services, 0, "tg:3301")
    # A chat verified as An cannot subscribe itself to Bình's payment messages, nor can an unverified one.
    for user, beneficiary_id in (("tg:3301", 2), ("tg:3302", 1)):
        refused = api(services, "POST", "/subscriptions", json={"channel_user": user, "beneficiary_id": beneficiary_id})
        assert (refused.status_code, refused.json()["error"]) == (403, "not_verified")


def test_each_channel_asks_for_its_own_people(services) -> None:
    for channel_user in ("zalo:5501", "tg:5501"):
        opt_in(services, channel_user, 2)
    api(services, "POST", f"/payments/{this_months_payment(services, 3)['id']}/status", json={"status": "paid"})

    def due(query: str = "") -> list[str]:
        return [n["channel_user"] for n in api(services, "GET", f"/notifications/due{query}").json()["notifications"]]

    assert due("?channel=zalo") == ["zalo:5501"] and due("?channel=tg") == ["tg:5501"]
    assert sorted(due()) == ["tg:5501", "zalo:5501"]
    assert api(services, "GET", "/notifications/due?channel=tg%25").status_code == 400  # no LIKE wildcards
    assert api(services, "GET", "/notifications/due?limit=abc").status_code == 400


def test_a_refused_message_waits_longer_each_time_then_is_given_up(seeded_url, services) -> None:
    from datetime import datetime, timedelta

    from services.api.notifications import RETRY_AFTER, due, mark_failed
    from services.db import make_engine, session_factory

    opt_in(services, "zalo:5502", 3)
    api(services, "POST", f"/payments/{this_months_payment(services, 4)['id']}/status", json={"status": "failed"})
    (note,) = api(services, "GET", "/notifications/due?channel=zalo").json()["notifications"]
    first = api(services, "POST", f"/notifications/{note['id']}/failed").json()
    assert first["attempts"] == 1 and not first["gave_up"] and first["next_attempt_at"]
    assert api(services, "GET", "/notifications/due?channel=zalo").json()["notifications"] == []  # waiting

    factory = session_factory(make_engine(seeded_url))
    now = datetime.utcnow()
    assert [n["id"] for n in due(factory, 10, "zalo", now + RETRY_AFTER[0] + timedelta(seconds=1))] == [note["id"]]
    for _ in RETRY_AFTER[1:]:  # each pause is longer than the one before
        now += timedelta(days=1)
        result = mark_failed(factory, note["id"], now)
        assert not result["gave_up"]
        pause = datetime.fromisoformat(result["next_attempt_at"]) - now
        assert pause == RETRY_AFTER[result["attempts"] - 1] and pause > RETRY_AFTER[result["attempts"] - 2]
    assert mark_failed(factory, note["id"], now + timedelta(days=1))["gave_up"] is True
    assert due(factory, 10, "zalo", now + timedelta(days=30)) == []  # never sent after giving up
    assert api(services, "POST", "/notifications/999999/failed").status_code == 404
