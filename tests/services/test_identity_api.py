"""Identity verification over real HTTP: consent, vault, match, second factor, lockout, sessions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from html import escape

import requests
from sqlalchemy import update

from core.settings import get_settings
from services.db import make_engine, session_factory, transaction
from services.models import VerifiedSession
from services.seed import PEOPLE
from services.vneid_standin.app import back_to_chat
from tests.services.verified import call, match, phone_check, post, share_phone, verify

AN = PEOPLE[0]  # Nguyễn Văn An, beneficiary 1


def get(services, path: str, **params: str) -> requests.Response:
    return call(services, "GET", f"/verification/v1{path}", params=params)


def test_consent_is_recorded_once_asked(services) -> None:
    assert get(services, "/consents", channel_user="web:c1").json() == {"given": False}
    post(services, "/consents", {"channel_user": "web:c1", "purpose": "identity"}, 201)
    assert get(services, "/consents", channel_user="web:c1").json() == {"given": True}


def test_vault_token_stands_for_the_number_only_for_its_owner(services) -> None:
    stored = post(services, "/vault", {"channel_user": "web:v1", "kind": "cccd", "value": AN.cccd}, 201)
    assert stored["last4"] == AN.cccd[-4:] and AN.cccd not in stored["token"]
    body = {"cccd_token": stored["token"], "full_name": AN.name, "date_of_birth": AN.born.isoformat()}
    assert post(services, "/identity/match", {"channel_user": "web:v1", **body})["matched"] is True
    assert post(services, "/identity/match", {"channel_user": "web:other", **body})["matched"] is False
    post(services, "/vault", {"channel_user": "web:v1", "kind": "cccd", "value": "12ab"}, 400)
    post(services, "/vault", {"channel_user": "web:v1", "kind": "cccd", "value": "１２３４５６"}, 400)  # wide digits


def test_match_needs_all_three_details_and_never_says_which_was_wrong(services) -> None:
    assert match(services, 0, "web:m1")["matched"] is True
    wrong_birth = match(services, 0, "web:m2", date_of_birth="1941-03-13")
    not_in_registry = match(services, 0, "web:m3", cccd="001099999999")
    # One generic answer: no "not in the registry" oracle, no detail named.
    assert wrong_birth == not_in_registry == {"matched": False, "attempts_left": 2}
    assert match(services, 0, "web:m4", full_name="Nguyễn Văn Ân")["matched"] is True  # diacritics do not matter
    post(services, "/identity/match", {"channel_user": "web:m5", "cccd": "1"}, 400)
    post(services, "/identity/match", {**match_body("web:m6"), "cccd": "0800411000０1"}, 400)


def match_body(user: str) -> dict:
    return {"channel_user": user, "cccd": AN.cccd, "full_name": AN.name, "date_of_birth": AN.born.isoformat()}


def test_a_match_names_the_second_factors_without_a_phone_digit(services) -> None:
    on_telegram = match(services, 0, "tg:701")
    assert on_telegram == {"matched": True, "second_factor": ["telegram_contact", "vneid"]}
    assert match(services, 0, "web:701") == {"matched": True, "second_factor": ["vneid"]}
    assert AN.phone[-4:] not in str(on_telegram)


def test_three_failures_lock_the_user_for_fifteen_minutes(services) -> None:
    for left in (2, 1, 0):
        assert match(services, 0, "web:lock", date_of_birth="1900-01-01")["attempts_left"] == left
    locked = call(services, "POST", "/verification/v1/identity/match", json=match_body("web:lock"))
    assert locked.status_code == 423
    until = datetime.fromisoformat(locked.json()["locked_until"].removesuffix("Z"))
    assert timedelta(minutes=14) < until - datetime.utcnow() <= timedelta(minutes=15)
    assert match(services, 1, "web:not-locked")["matched"] is True  # other users and people are not affected


def test_own_shared_contact_verifies_and_opens_a_session(services) -> None:
    user = "tg:501"
    post(services, "/identity/phone-check", {"channel_user": user, "proof_id": "x"}, 409)  # no first factor yet
    assert match(services, 0, user)["matched"] is True
    assert phone_check(services, user, share_phone(services, user, "+84" + AN.phone[1:]))["verified"] is True
    session = get(services, f"/sessions/{user}").json()
    assert (session["beneficiary_id"], session["full_name"]) == (1, AN.name)
    assert session["cccd_last4"] == AN.cccd[-4:]


def test_a_first_factor_opens_one_session_only(services) -> None:
    verify(services, 0, "tg:502")
    proof = share_phone(services, "tg:502", AN.phone)
    call(services, "DELETE", "/verification/v1/sessions/tg:502")
    post(services, "/identity/phone-check", {"channel_user": "tg:502", "proof_id": proof["proof_id"]}, 409)


def test_someone_elses_phone_or_a_replayed_proof_does_not_verify(services) -> None:
    match(services, 0, "tg:601")
    assert phone_check(services, "tg:601", share_phone(services, "tg:601", PEOPLE[1].phone))["verified"] is False
    assert phone_check(services, "tg:601", share_phone(services, "tg:602", AN.phone))["verified"] is False
    assert get(services, "/sessions/tg:601").status_code == 404
    post(services, "/phone-proofs", {"channel_user": "tg:601", "phone": "12345"}, 400, component="channels")


def approve(services, approval: dict, decision: str = "approve") -> requests.Response:
    """What the person does on the stand-in page (a script posts JSON to `<link>decision`)."""
    return requests.post(approval["approval_url"] + "decision", json={"decision": decision}, timeout=10)


def test_vneid_approval_through_the_stand_in_page(services) -> None:
    user = "web:vneid"
    post(services, "/identity/approvals", {"channel_user": user}, 409)  # no first factor yet
    match(services, 0, user)
    approval = post(services, "/identity/approvals", {"channel_user": user}, 201)
    assert len(approval["code"]) == 4 and approval["code"].isdigit()
    assert approval["approval_url"] == f"{services.standin.url}/vneid/approvals/{approval['approval_id']}/"
    page = requests.get(approval["approval_url"], timeout=10)
    assert approval["code"] in page.text and "Đồng ý" in page.text and "Quay lại trò chuyện" in page.text
    back = f"href='{escape(back_to_chat(get_settings().webchat_url), quote=True)}'"
    assert back in page.text and "tu=vneid" in back, "the way back to the chat, marked as coming from VNeID"
    assert get(services, f"/identity/approvals/{approval['approval_id']}", channel_user=user).json()["status"] == (
        "pending"
    )
    form = requests.post(approval["approval_url"] + "decision", data={"decision": "approve"}, timeout=10)
    assert "Đã đồng ý" in form.text and "Xong rồi" in form.text and back in form.text  # what to do next
    assert get(services, f"/sessions/{user}").json()["beneficiary_id"] == 1
    again = approve(services, approval, "deny")
    assert again.json()["status"] == "approved"  # a decision is final
    # The contract scripts outside the repository use: `<link>/decision` with JSON works too.
    match(services, 1, "web:vneid2")
    other = post(services, "/identity/approvals", {"channel_user": "web:vneid2"}, 201)
    slash = requests.post(other["approval_url"] + "/decision", json={"decision": "approve"}, timeout=10)
    assert slash.json() == {"approval_id": other["approval_id"], "status": "approved"}


def test_denied_approval_counts_as_a_failure_of_the_person(services) -> None:
    user = "web:deny"
    match(services, 0, user)
    approval = post(services, "/identity/approvals", {"channel_user": user}, 201)
    assert approve(services, approval, "deny").json()["status"] == "denied"
    assert get(services, f"/sessions/{user}").status_code == 404
    # The refusal counts against An's CCCD, whichever sender tries next.
    assert match(services, 0, "web:deny-next", date_of_birth="1900-01-01")["attempts_left"] == 1


def test_only_the_provider_decides_and_only_for_the_user_who_asked(services) -> None:
    match(services, 0, "web:own")
    approval = post(services, "/identity/approvals", {"channel_user": "web:own"}, 201)
    path = f"/verification/v1/identity/approvals/{approval['approval_id']}/decision"
    # The chat side (actions) cannot approve its own request; only the vneid callback can.
    assert call(services, "POST", path, json={"decision": "approve"}).status_code == 403
    assert get(services, f"/identity/approvals/{approval['approval_id']}", channel_user="web:else").status_code == 404
    assert get(services, "/sessions/web:own").status_code == 404


def test_a_decision_whose_callback_was_lost_is_read_from_the_provider(services) -> None:
    user = "web:lost"
    match(services, 0, user)
    approval = post(services, "/identity/approvals", {"channel_user": user}, 201)
    # The stand-in records the decision but the service is not told (as if the callback failed).
    services.standin_requests()[approval["approval_id"]].status = "approved"
    status = get(services, f"/identity/approvals/{approval['approval_id']}", channel_user=user).json()["status"]
    assert status == "approved" and get(services, f"/sessions/{user}").json()["beneficiary_id"] == 1


def test_logout_ends_the_session_and_withdraws_pending_approvals(services) -> None:
    user = "web:bye"
    match(services, 0, user)
    approval = post(services, "/identity/approvals", {"channel_user": user}, 201)
    assert call(services, "DELETE", f"/verification/v1/sessions/{user}").status_code == 204
    assert approve(services, approval).json()["status"] == "cancelled"
    assert get(services, f"/sessions/{user}").status_code == 404
    post(services, "/identity/approvals", {"channel_user": user}, 409)  # the match ended with the logout


def test_session_ends_after_thirty_minutes_idle_or_two_hours_in_all(services, seeded_url: str) -> None:
    for user in ("tg:idle", "tg:old", "tg:fresh"):
        verify(services, 0, user)
    now = datetime.utcnow()
    with transaction(session_factory(make_engine(seeded_url))) as session:
        session.execute(
            update(VerifiedSession)
            .where(VerifiedSession.channel_user == "tg:idle")
            .values(last_seen=now - timedelta(minutes=31))
        )
        session.execute(
            update(VerifiedSession)  # used a minute ago, but verified more than two hours ago
            .where(VerifiedSession.channel_user == "tg:old")
            .values(verified_at=now - timedelta(minutes=121), last_seen=now - timedelta(minutes=1))
        )
    assert get(services, "/sessions/tg:idle").status_code == 404
    assert get(services, "/sessions/tg:old").status_code == 404
    assert get(services, "/sessions/tg:fresh").status_code == 200


def test_reading_a_session_never_extends_it_but_using_it_does(services, seeded_url: str) -> None:
    for user in ("tg:read", "tg:use"):
        verify(services, 0, user)
    factory = session_factory(make_engine(seeded_url))

    def idle_for(user: str, minutes: int) -> None:
        with transaction(factory) as session:
            session.execute(
                update(VerifiedSession)
                .where(VerifiedSession.channel_user == user)
                .values(last_seen=datetime.utcnow() - timedelta(minutes=minutes))
            )

    idle_for("tg:read", 29)
    idle_for("tg:use", 29)
    for _ in range(3):
        assert get(services, "/sessions/tg:read").status_code == 200
    payments = call(services, "GET", "/payment/v1/beneficiaries/1/payments", params={"channel_user": "tg:use"})
    assert payments.status_code == 200
    with transaction(factory) as session:
        seen = {user: session.get(VerifiedSession, user).last_seen for user in ("tg:read", "tg:use")}
    idle = {user: datetime.utcnow() - last for user, last in seen.items()}
    assert idle["tg:read"] >= timedelta(minutes=29)  # three reads later, still 29 minutes idle
    assert idle["tg:use"] < timedelta(minutes=1)  # the real use restarted the idle clock


def test_ids_that_travel_through_the_conversation_hold_no_digits(services) -> None:
    # The tracker store masks runs of digits as identifiers; an id with digits could be corrupted.
    stored = post(services, "/vault", {"channel_user": "web:ids", "kind": "account", "value": "123456789"}, 201)
    proof = share_phone(services, "web:ids", AN.phone)
    match(services, 0, "web:ids")
    approval = post(services, "/identity/approvals", {"channel_user": "web:ids"}, 201)
    for value in (stored["token"], proof["proof_id"], approval["approval_id"]):
        assert not any(ch.isdigit() for ch in value), value


def test_malformed_channel_users_are_refused_before_any_database(services) -> None:
    for user in ("web:a\u0000b", "web:\ud800", "web:" + "a" * 100, "tg:1 2", ""):
        body = {"channel_user": user, "kind": "cccd", "value": AN.cccd}
        # json.dumps writes a lone surrogate as the escape \ud800, as an attacker would send it.
        reply = call(services, "POST", "/verification/v1/vault", data=json.dumps(body), headers=JSON)
        assert reply.status_code == 400, (repr(user), reply.text)
    assert get(services, "/sessions/web%00x").status_code == 400


JSON = {"Content-Type": "application/json"}
