"""Identity verification over real HTTP: consent, vault, match, second factor, lockout, sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

import requests
from sqlalchemy import update

from services.db import make_engine, session_factory, transaction
from services.models import VerifiedSession
from services.seed import PEOPLE, cccd_of, phone_of

AN = PEOPLE[0]  # Nguyễn Văn An, beneficiary 1


def post(services, path: str, body: dict, status: int | None = None) -> dict:
    reply = requests.post(f"{services.url}/verification/v1{path}", json=body, timeout=5)
    if status is not None:
        assert reply.status_code == status, reply.text
    return reply.json() if reply.content else {}


def get(services, path: str, **params: str) -> requests.Response:
    return requests.get(f"{services.url}/verification/v1{path}", params=params, timeout=5)


def an_details(user: str) -> dict:
    return {"channel_user": user, "cccd": cccd_of(0, AN), "full_name": "NGUYEN VAN AN", "date_of_birth": str(AN.born)}


def match_an(services, user: str, **changes: str) -> dict:
    return post(services, "/identity/match", {**an_details(user), **changes})


def phone_check(services, user: str, proof: dict) -> bool:
    return post(services, "/identity/phone-check", {"channel_user": user, "proof_id": proof["proof_id"]})["verified"]


def share_phone(services, user: str, phone: str) -> dict:
    return post(services, "/phone-proofs", {"channel_user": user, "phone": phone}, 201)


def test_consent_is_recorded_once_asked(services) -> None:
    assert get(services, "/consents", channel_user="web:c1").json() == {"given": False}
    post(services, "/consents", {"channel_user": "web:c1", "purpose": "identity"}, 201)
    assert get(services, "/consents", channel_user="web:c1").json() == {"given": True}


def test_vault_token_stands_for_the_number_only_for_its_owner(services) -> None:
    stored = post(services, "/vault", {"channel_user": "web:v1", "kind": "cccd", "value": cccd_of(0, AN)}, 201)
    assert stored["last4"] == cccd_of(0, AN)[-4:] and cccd_of(0, AN) not in stored["token"]
    body = {"cccd_token": stored["token"], "full_name": AN.name, "date_of_birth": AN.born.isoformat()}
    assert post(services, "/identity/match", {"channel_user": "web:v1", **body})["matched"] is True
    assert post(services, "/identity/match", {"channel_user": "web:other", **body})["matched"] is False
    post(services, "/vault", {"channel_user": "web:v1", "kind": "cccd", "value": "12ab"}, 400)


def test_match_needs_all_three_details(services) -> None:
    assert match_an(services, "web:m1")["matched"] is True
    wrong_birth = match_an(services, "web:m2", date_of_birth="1941-03-13")
    assert wrong_birth["matched"] is False and wrong_birth["reason"] == "details_mismatch"
    assert match_an(services, "web:m3", cccd="001099999999")["reason"] == "not_found"
    assert match_an(services, "web:m4", full_name="Nguyễn Văn Ân")["matched"] is True  # diacritics do not matter
    post(services, "/identity/match", {"channel_user": "web:m5", "cccd": "1"}, 400)


def test_three_failures_lock_the_user_for_fifteen_minutes(services) -> None:
    for left in (2, 1, 0):
        assert match_an(services, "web:lock", date_of_birth="1900-01-01")["attempts_left"] == left
    locked = requests.post(f"{services.url}/verification/v1/identity/match", json=an_details("web:lock"), timeout=5)
    assert locked.status_code == 423
    until = datetime.fromisoformat(locked.json()["locked_until"].removesuffix("Z"))
    assert timedelta(minutes=14) < until - datetime.utcnow() <= timedelta(minutes=15)
    assert match_an(services, "web:not-locked")["matched"] is True  # other users are not affected


def test_own_shared_contact_verifies_and_opens_a_session(services) -> None:
    user = "tg:501"
    post(services, "/identity/phone-check", {"channel_user": user, "proof_id": "x"}, 409)  # no first factor yet
    assert match_an(services, user)["phone_last4"] == phone_of(0, AN)[-4:]
    assert phone_check(services, user, share_phone(services, user, "+84" + phone_of(0, AN)[1:])) is True
    session = get(services, f"/sessions/{user}").json()
    assert (session["beneficiary_id"], session["full_name"]) == (1, AN.name)
    assert session["cccd_last4"] == cccd_of(0, AN)[-4:]


def test_someone_elses_phone_or_a_replayed_proof_does_not_verify(services) -> None:
    match_an(services, "tg:601")
    assert phone_check(services, "tg:601", share_phone(services, "tg:601", phone_of(1, PEOPLE[1]))) is False
    assert phone_check(services, "tg:601", share_phone(services, "tg:602", phone_of(0, AN))) is False
    assert get(services, "/sessions/tg:601").status_code == 404
    post(services, "/phone-proofs", {"channel_user": "tg:601", "phone": "12345"}, 400)


def test_vneid_approval_through_the_stand_in_page(services) -> None:
    user = "web:vneid"
    post(services, "/identity/approvals", {"channel_user": user}, 409)  # no first factor yet
    match_an(services, user)
    approval = post(services, "/identity/approvals", {"channel_user": user}, 201)
    assert len(approval["code"]) == 4 and approval["code"].isdigit()
    page = get(services, f"/vneid/approvals/{approval['approval_id']}/")
    assert approval["code"] in page.text and "Đồng ý" in page.text
    assert get(services, f"/identity/approvals/{approval['approval_id']}").json()["status"] == "pending"
    decision_url = f"{services.url}/verification/v1/vneid/approvals/{approval['approval_id']}/decision"
    assert "Đã đồng ý" in requests.post(decision_url, data={"decision": "approve"}, timeout=5).text
    assert get(services, f"/sessions/{user}").json()["beneficiary_id"] == 1
    again = post(services, f"/vneid/approvals/{approval['approval_id']}/decision", {"decision": "deny"})
    assert again["status"] == "approved"  # a decision is final


def test_denied_approval_counts_as_a_failure(services) -> None:
    user = "web:deny"
    match_an(services, user)
    approval = post(services, "/identity/approvals", {"channel_user": user}, 201)
    denied = post(services, f"/vneid/approvals/{approval['approval_id']}/decision", {"decision": "deny"})
    assert denied["status"] == "denied"
    assert get(services, f"/sessions/{user}").status_code == 404


def test_session_expires_after_thirty_minutes_idle_and_can_end(services, seeded_url: str) -> None:
    for user in ("web:idle", "web:bye"):
        match_an(services, user)
        assert phone_check(services, user, share_phone(services, user, phone_of(0, AN)))
    with transaction(session_factory(make_engine(seeded_url))) as session:
        session.execute(
            update(VerifiedSession)
            .where(VerifiedSession.channel_user == "web:idle")
            .values(last_seen=datetime.utcnow() - timedelta(minutes=31))
        )
    assert get(services, "/sessions/web:idle").status_code == 404
    assert requests.delete(f"{services.url}/verification/v1/sessions/web:bye", timeout=5).status_code == 204
    assert get(services, "/sessions/web:bye").status_code == 404


def test_ids_that_travel_through_the_conversation_hold_no_digits(services) -> None:
    # The tracker store masks runs of digits as identifiers; an id with digits could be corrupted.
    stored = post(services, "/vault", {"channel_user": "web:ids", "kind": "account", "value": "123456789"}, 201)
    proof = share_phone(services, "web:ids", phone_of(0, AN))
    match_an(services, "web:ids")
    approval = post(services, "/identity/approvals", {"channel_user": "web:ids"}, 201)
    for value in (stored["token"], proof["proof_id"], approval["approval_id"]):
        assert not any(ch.isdigit() for ch in value), value
