"""Opt in, a payment becomes paid or failed, and the outbox holds one message per subscriber, once."""

from __future__ import annotations

import requests


def api(services, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{services.url}/payment/v1{path}", timeout=5, **kwargs)


def this_months_payment(services, beneficiary_id: int) -> dict:
    return api(services, "GET", f"/beneficiaries/{beneficiary_id}/payments").json()["payments"][0]


def test_paid_and_failed_are_notified_once_per_subscriber(services) -> None:
    assert (
        api(services, "POST", "/subscriptions", json={"channel_user": "tg:1", "beneficiary_id": 1}).status_code == 201
    )
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
    api(services, "POST", "/subscriptions", json={"channel_user": "tg:2", "beneficiary_id": 2})
    assert api(services, "DELETE", "/subscriptions/tg:2").status_code == 204
    payment = this_months_payment(services, 2)
    api(services, "POST", f"/payments/{payment['id']}/status", json={"status": "paid"})
    assert api(services, "GET", "/notifications/due").json()["notifications"] == []


def test_bad_status_changes_are_refused(services) -> None:
    assert api(services, "POST", "/payments/1/status", json={"status": "lost"}).status_code == 400
    assert api(services, "POST", "/payments/999999/status", json={"status": "paid"}).status_code == 404
    assert api(services, "POST", "/subscriptions", json={"channel_user": "x", "beneficiary_id": 999}).status_code == 404
