"""Attempts limited per person, not per door: the issue's birth-date search, replayed over real HTTP
on SQLite and PostgreSQL, now hits the lock.

Before: a new sender id per attempt was never locked, and `/identity/match` found a birth date in
252 requests (2 s), answering "not in the registry" apart from "details wrong" and giving the last
4 phone digits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import update

from services.db import make_engine, session_factory, transaction
from services.identity.policy import LOCK
from services.models import VerificationAttempt
from services.seed import PEOPLE
from tests.conftest import as_component
from tests.services.verified import match, phone_check, post, share_phone

LONG = PEOPLE[9]  # Hồ Văn Long, born 25 December 1975: the 359th day of a year's search


def guess(services, user: str, cccd: str, born: date, source: str | None = None) -> tuple[int, dict]:
    body = {"channel_user": user, "cccd": cccd, "full_name": LONG.name, "date_of_birth": born.isoformat()}
    reply = as_component("actions").post(
        f"{services.url}/verification/v1/identity/match", json={**body, **({"source": source} if source else {})}
    )
    return reply.status_code, reply.json()


def test_a_birth_date_search_with_a_new_sender_each_time_hits_the_lock(services) -> None:
    day, statuses, answers = date(LONG.born.year, 1, 1), [], []
    while day <= LONG.born:  # every day of the birth year, up to and including the right one
        status, answer = guess(services, f"web:search{len(statuses)}", LONG.cccd, day)
        statuses.append(status)
        answers.append(answer)
        day += timedelta(days=1)
    assert len(statuses) == 359
    assert statuses[:3] == [200, 200, 200] and [a["attempts_left"] for a in answers[:3]] == [2, 1, 0]
    assert set(statuses[3:]) == {423}, "every sender is refused once the CCCD is locked"
    assert not any(answer.get("matched") for answer in answers), "the right birth date was never confirmed"
    until = datetime.fromisoformat(answers[-1]["locked_until"].removesuffix("Z"))
    assert timedelta(minutes=14) < until - datetime.utcnow() <= LOCK  # the lock is announced with its end


def test_the_lock_ends_and_the_person_verifies_afterwards(services, seeded_url: str) -> None:
    for n in range(3):
        guess(services, f"web:early{n}", LONG.cccd, date(1975, 1, 1 + n))
    assert guess(services, "tg:long", LONG.cccd, LONG.born)[0] == 423  # the real person waits too, 15 minutes
    with transaction(session_factory(make_engine(seeded_url))) as session:
        session.execute(update(VerificationAttempt).values(at=VerificationAttempt.at - LOCK - timedelta(minutes=1)))
    assert match(services, 9, "tg:long") == {"matched": True, "second_factor": ["telegram_contact", "vneid"]}


def test_answers_do_not_tell_the_registry_apart_from_wrong_details(services) -> None:
    absent = guess(services, "web:o1", "001099999999", LONG.born)[1]
    wrong = guess(services, "web:o2", LONG.cccd, date(1975, 12, 24))[1]
    assert absent == wrong == {"matched": False, "attempts_left": 2}
    right = guess(services, "tg:o3", LONG.cccd, LONG.born)[1]
    assert set(right) == {"matched", "second_factor"} and not any(ch.isdigit() for ch in str(right))


def test_one_source_spraying_many_people_is_locked(services, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_MAX_FAILURES", "5")
    # Two guesses each on many people (never three on one CCCD), all through one REST integration.
    statuses = [
        guess(services, f"rest:spray{n}", person.cccd, date(1900, 1, 1 + attempt), source="rest-partner")[0]
        for n, person in enumerate(PEOPLE[:4])
        for attempt in range(2)
    ]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {423}
    # Another source, and the people themselves, are not locked by it.
    assert guess(services, "rest:other", PEOPLE[5].cccd, PEOPLE[5].born, source="rest-other")[0] == 200


def test_second_factor_failures_count_against_the_person(services) -> None:
    # Someone who knows An's details but not his phone: each wrong contact is a failure of An's CCCD.
    for n, left in enumerate((2, 1)):
        user = f"tg:wrongphone{n}"
        assert match(services, 0, user)["matched"]
        assert phone_check(services, user, share_phone(services, user, PEOPLE[1].phone)) == {
            "verified": False,
            "attempts_left": left,
        }
    assert match(services, 0, "web:next", date_of_birth="1900-01-01") == {"matched": False, "attempts_left": 0}
    locked = as_component("actions").post(
        f"{services.url}/verification/v1/identity/match",
        json={"channel_user": "tg:wrongphone9", "cccd": PEOPLE[0].cccd, "full_name": PEOPLE[0].name,
              "date_of_birth": PEOPLE[0].born.isoformat()},
    )  # fmt: skip
    assert locked.status_code == 423
    post(services, "/identity/approvals", {"channel_user": "tg:wrongphone1"}, 423)  # no push to An's phone either


def test_one_approval_at_a_time_reaches_the_persons_phone(services) -> None:
    """Whoever knows the first factor cannot flood the person's VNeID with requests."""
    assert match(services, 0, "web:push1")["matched"] and match(services, 0, "web:push2")["matched"]
    first = post(services, "/identity/approvals", {"channel_user": "web:push1"}, 201)
    again = post(services, "/identity/approvals", {"channel_user": "web:push1"}, 201)
    assert again["approval_id"] == first["approval_id"] and len(services.standin_requests()) == 1
    other = post(services, "/identity/approvals", {"channel_user": "web:push2"}, 429)
    assert other["error"] == "approval_pending" and other["pending_until"].endswith("Z")
